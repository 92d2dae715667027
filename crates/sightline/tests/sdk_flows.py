"""Both asynchronous flows through Looker's official Python SDK, plus the error shapes.

Run by sdk_flows.rs against a live `sightline demo`; prints one JSON report on stdout.
Usage: python sdk_flows.py OUT.png
"""
import io
import json
import os
import sys
import time

import looker_sdk
import pypdf
import requests
from looker_sdk import models40 as m

FIELDS = ["orders.status", "order_items.count", "order_items.total_sale_price", "users.count"]


def wait(read, done, what):
    seen = []
    deadline = time.time() + 120
    while True:
        status = read()
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in done:
            return seen
        if time.time() > deadline:
            raise SystemExit(f"{what} still {status} after 120 s")
        time.sleep(0.05)


def main():
    png_path = sys.argv[1]
    sdk = looker_sdk.init40()
    report = {"me": sdk.me().display_name}
    query = sdk.create_query(
        m.WriteQuery(
            model="thelook",
            view="order_items",
            fields=FIELDS,
            filters={"orders.status": "-Cancelled", "order_items.created_year": "2021"},
            sorts=["orders.status"],
            limit="500",
        )
    )
    report["query_id"] = query.id

    for fmt in (m.ResultFormat.csv, m.ResultFormat.json):
        task = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=fmt))
        statuses = [task.status] + wait(lambda: sdk.query_task(task.id).status, ("complete", "error"), "query task")
        report[fmt.value] = sdk.query_task_results(task.id)
        report[fmt.value + "_statuses"] = statuses

    # The same query again: served from the result cache, same bytes, without the database.
    again = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json))
    wait(lambda: sdk.query_task(again.id).status, ("complete", "error"), "query task")
    cached = sdk.query_task(again.id)
    report["cache"] = {
        "source": cached.result_source,
        "cache": cached.cache,
        "key": len(cached.cache_key or ""),
        "same_result": sdk.query_task_results(again.id) == report["json"],
    }

    # A deferred task waits until its results are asked for.
    deferred = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.csv, deferred=True))
    time.sleep(0.2)
    held = sdk.query_task(deferred.id).status
    sdk.query_task_results(deferred.id)
    wait(lambda: sdk.query_task(deferred.id).status, ("complete", "error"), "deferred task")
    report["deferred"] = [held, sdk.query_task(deferred.id).status, sdk.query_task_results(deferred.id) == report["csv"]]

    render = sdk.create_query_render_task(query.id, "png", 800, 500)
    report["render_statuses"] = [render.status] + wait(lambda: sdk.render_task(render.id).status, ("success", "failure"), "render task")
    report["render_detail"] = sdk.render_task(render.id).status_detail
    with open(png_path, "wb") as f:
        f.write(sdk.render_task_results(render.id))

    # Users repeat once per order item: their measures must count each user once.
    report["fanout"] = sdk.run_inline_query(
        "json",
        m.WriteQuery(
            model="thelook",
            view="order_items",
            fields=["orders.status", "users.count", "users.average_age", "users.total_age"],
            sorts=["orders.status"],
        ),
    )

    # Pivoted, with column totals and row totals: distinct users per status and gender.
    pivoted = m.WriteQuery(
        model="thelook",
        view="order_items",
        fields=["orders.status", "users.gender", "users.count"],
        pivots=["users.gender"],
        sorts=["orders.status"],
        total=True,
        row_total="right",
    )
    report["pivot_json"] = sdk.run_inline_query("json", pivoted)
    report["pivot_csv"] = sdk.run_inline_query("csv", pivoted)

    try:
        sdk.create_query(m.WriteQuery(model="thelook", view="order_items", fields=["orders.nope"]))
        report["sdk_error"] = None
    except looker_sdk.error.SDKError as e:
        report["sdk_error"] = {"message": e.message, "fields": [d.field for d in e.errors]}

    # Metadata and saved-query calls: the SDK must be able to read every shape we send.
    explore = sdk.lookml_model_explore("thelook", "order_items")
    report["models"] = [(x.name, sorted(e.name for e in x.explores)) for x in sdk.all_lookml_models()]
    report["explore"] = {
        "id": explore.id,
        "dimensions": [f.name for f in explore.fields.dimensions],
        "measures": [f.name for f in explore.fields.measures],
        "category": explore.fields.measures[0].category.value,
        "joins": [j.name for j in explore.joins],
    }
    # Every implemented response, read by the SDK's own models (a shape it cannot read raises).
    models = report["sdk_models"] = {}
    joins = {j.name: (j.type, j.relationship) for j in explore.joins}
    models["join_orders"] = joins.get("orders")
    models["field_types"] = sorted({f.type for f in explore.fields.dimensions})
    models["timeframe_fields"] = sorted(f.name for f in explore.fields.dimensions if f.is_timeframe)[:3]
    models["trimmed"] = [x.label for x in sdk.all_lookml_models(fields="name,explores(name)")]
    models["past_the_end"] = sdk.all_lookml_models(limit=1, offset=5)
    models["first_page"] = [x.name for x in sdk.all_lookml_models(limit=1, offset=0)]
    models["model"] = sdk.lookml_model("thelook").name
    models["connections"] = [c.name for c in sdk.all_connections()]
    models["connection_dialect"] = sdk.connection(models["connections"][0]).dialect_name
    models["dialects"] = sorted(d.name for d in sdk.all_dialect_infos())
    models["tests"] = [(t.name, t.status) for t in sdk.test_connection(models["connections"][0], tests=looker_sdk.rtl.model.DelimSequence(["connect", "query"]))]
    models["versions"] = sdk.versions().current_version.version
    models["slug_finds_query"] = sdk.query_for_slug(query.slug).id == query.id
    task = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json), cache=False, apply_formatting=False)
    wait(lambda: sdk.query_task(task.id).status, ("complete", "error"), "query task")
    multi = sdk.query_task_multi_results(looker_sdk.rtl.model.DelimSequence([task.id, "nope"]))
    models["multi"] = {k: v["status"] for k, v in multi.items()}
    models["multi_rows"] = len(multi[task.id]["data"])
    models["task_fields"] = sdk.query_task(task.id, fields="id,status").result_format
    done = sdk.query_task(task.id)
    models["task_query"] = [done.query.model, done.query.view, done.query.id == query.id, done.result_source]
    try:
        sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json, look_id="1"))
        models["refused"] = None
    except looker_sdk.error.SDKError as e:
        models["refused"] = [(d.field, d.code) for d in e.errors]
    saved = sdk.query(query.id)
    report["saved_query"] = {"id": saved.id, "fields": saved.fields, "filters": saved.filters, "limit": saved.limit}
    report["run_query_csv"] = sdk.run_query(query.id, "csv")
    jpg = sdk.create_query_render_task(query.id, "jpg", 300, 200)
    report["jpg_statuses"] = wait(lambda: sdk.render_task(jpg.id).status, ("success", "failure"), "render task")
    report["jpg_magic"] = sdk.render_task_results(jpg.id)[:3].hex()
    # run_query draws png and jpg at once, sized by image_width/image_height.
    png = sdk.run_query(query.id, "png", image_width=400, image_height=300)
    png = png if isinstance(png, bytes) else png.encode("latin-1")
    report["run_query_png"] = [png[1:4].decode(), int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")]
    try:
        sdk.run_query(query.id, "csv", image_width=400)
        report["image_width_csv"] = None
    except looker_sdk.error.SDKError as e:
        report["image_width_csv"] = [(d.field, d.code) for d in e.errors]
    # A PDF render: a vector page whose text (the title, the axis labels) a PDF reader extracts.
    pdf = sdk.create_query_render_task(query.id, "pdf", 800, 600)
    report["pdf_statuses"] = wait(lambda: sdk.render_task(pdf.id).status, ("success", "failure"), "render task")
    document = pypdf.PdfReader(io.BytesIO(sdk.render_task_results(pdf.id)))
    page = document.pages[0]
    report["pdf_page"] = [len(document.pages), float(page.mediabox.width), float(page.mediabox.height)]
    report["pdf_text"] = page.extract_text()

    base = os.environ["LOOKERSDK_BASE_URL"] + "/api/4.0"
    auth = {"Authorization": "token " + sdk.auth.token.access_token}
    errors = report["errors"] = {}

    def call(name, method, path, headers=auth, **kwargs):
        r = requests.request(method, base + path, headers=headers, timeout=30, **kwargs)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        errors[name] = {"status": r.status_code, "body": body}

    def query_body(**over):
        body = {"model": "thelook", "view": "order_items", "fields": ["orders.status"]}
        body.update(over)
        return body

    call("unknown_model", "POST", "/queries", json=query_body(model="nope"))
    call("unknown_explore", "POST", "/queries", json=query_body(view="nope"))
    call("unknown_field", "POST", "/queries", json=query_body(fields=["orders.nope"]))
    call("bad_number_filter", "POST", "/queries", json=query_body(filters={"users.age": "1; DROP TABLE users"}))
    call("unknown_result_format", "GET", f"/queries/{query.id}/run/bogus")
    call("unknown_task_format", "POST", "/query_tasks", json={"query_id": query.id, "result_format": "bogus"})
    call("malformed_json", "POST", "/queries", data="{not json", headers={**auth, "Content-Type": "application/json"})
    call("wrong_secret", "POST", "/login", headers={}, data={"client_id": os.environ["LOOKERSDK_CLIENT_ID"], "client_secret": "wrong"})
    call("unknown_query_task", "GET", "/query_tasks/0123456789abcdef")
    call("unknown_render_task", "GET", "/render_tasks/0123456789abcdef")
    call("no_token", "GET", "/user", headers={})
    call("unknown_route", "GET", "/no_such_thing")
    call("sql_format", "GET", f"/queries/{query.id}/run/sql")
    call("versions", "GET", "/versions", headers={})

    sdk.auth.logout()
    call("after_logout", "GET", "/user")
    report["relogin"] = sdk.me().display_name  # the SDK logs in again by itself
    print(json.dumps(report))


main()
