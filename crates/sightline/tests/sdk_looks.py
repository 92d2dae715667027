"""Looks through Looker's official Python SDK: created in the caller's personal folder, read,
renamed, written back as read, searched, run and rendered under their title, trashed, restored
and deleted; a pivoted query rendered with a series per pivot value.

Run by sdk_flows.rs against a live `sightline demo`; prints one JSON report on stdout.
"""
import io
import json
import sys
import time

import looker_sdk
import pypdf
from looker_sdk import models40 as m


def wait(read, done, what):
    deadline = time.time() + 120
    while True:
        status = read()
        if status in done:
            return status
        if time.time() > deadline:
            raise SystemExit(f"{what} still {status} after 120 s")
        time.sleep(0.05)


def refusal(call):
    try:
        call()
        return None
    except looker_sdk.error.SDKError as e:
        return [(d.field, d.code) for d in (e.errors or [])] or str(e)


def main():
    sdk = looker_sdk.init40()
    report = {}
    folder = sdk.me().personal_folder_id
    report["personal_folder"] = sdk.me().personal_folder_id is not None
    query = sdk.create_query(
        m.WriteQuery(
            model="thelook",
            view="order_items",
            fields=["orders.status", "order_items.count"],
            sorts=["orders.status"],
            vis_config={"type": "looker_column"},
        )
    )
    look = sdk.create_look(
        m.WriteLookWithQuery(title="Items by status", description="every order", query_id=query.id, folder_id=folder)
    )
    report["created"] = [look.title, look.description, look.query_id == query.id, look.folder.id == folder, look.folder.is_personal]
    read = sdk.look(look.id)
    report["read"] = [read.title, read.query.model, read.query.fields, read.model.id, read.user_id == sdk.me().id]

    renamed = sdk.update_look(look.id, m.WriteLookWithQuery(title="Revenue by status"))
    report["renamed"] = [renamed.title, renamed.description]
    # What was read, written back whole: read-only fields and the unchanged folder, model and
    # query are accepted as they are.
    again = sdk.look(look.id)
    again.description = "written back"
    written = sdk.update_look(look.id, again)
    report["written_back"] = [written.title, written.description, written.query_id == query.id]

    report["search"] = [l.title for l in sdk.search_looks(title="revenue%")]
    report["search_folder"] = [l.title for l in sdk.search_looks(folder_id=folder, fields="id,title")]
    report["all"] = [l.title for l in sdk.all_looks()]

    report["run_csv"] = sdk.run_look(look.id, "csv")
    report["run_query_csv"] = sdk.run_query(query.id, "csv")
    png = sdk.run_look(look.id, "png", image_width=400, image_height=300)
    png = png if isinstance(png, bytes) else png.encode("latin-1")
    report["run_png"] = [png[1:4].decode(), int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")]

    task = sdk.create_look_render_task(look.id, "pdf", 800, 600)
    report["render_look_id"] = task.look_id == look.id
    report["render_status"] = wait(lambda: sdk.render_task(task.id).status, ("success", "failure"), "render task")
    document = pypdf.PdfReader(io.BytesIO(sdk.render_task_results(task.id)))
    report["pdf_text"] = document.pages[0].extract_text()

    # A pivoted query's chart: a series per status, named in the legend.
    pivoted = sdk.create_query(
        m.WriteQuery(
            model="thelook",
            view="order_items",
            fields=["orders.created_year", "orders.status", "order_items.count"],
            pivots=["orders.status"],
            vis_config={"type": "looker_column", "stacking": "normal"},
        )
    )
    task = sdk.create_query_render_task(pivoted.id, "pdf", 800, 600)
    report["pivoted_status"] = wait(lambda: sdk.render_task(task.id).status, ("success", "failure"), "pivoted render task")
    report["pivoted_text"] = pypdf.PdfReader(io.BytesIO(sdk.render_task_results(task.id))).pages[0].extract_text()

    report["no_folder"] = refusal(lambda: sdk.create_look(m.WriteLookWithQuery(title="x", query_id=query.id)))
    report["taken_title"] = refusal(
        lambda: sdk.create_look(m.WriteLookWithQuery(title="Revenue by status", query_id=query.id, folder_id=folder))
    )

    sdk.update_look(look.id, m.WriteLookWithQuery(deleted=True))
    report["trashed"] = [
        sdk.look(look.id).deleted,
        [l.id == look.id for l in sdk.all_looks()],
        [l.id == look.id for l in sdk.search_looks(deleted=True)],
    ]
    sdk.update_look(look.id, m.WriteLookWithQuery(deleted=False))
    report["restored"] = [l.id == look.id for l in sdk.all_looks()]
    sdk.delete_look(look.id)
    report["deleted"] = refusal(lambda: sdk.look(look.id))
    print(json.dumps(report))


main()
