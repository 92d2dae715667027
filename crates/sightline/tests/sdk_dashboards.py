"""A dashboard built, laid out and rendered through Looker's official Python SDK: twelve tiles
(charts of queries and of a Look, text) on the grid, rendered to PNG, JPG and PDF, one element
alone, then deleted.

Run by sdk_flows.rs against a live `sightline demo`; prints one JSON report on stdout.
Usage: python sdk_dashboards.py OUT.png
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


def render(sdk, task):
    status = wait(lambda: sdk.render_task(task.id).status, ("success", "failure"), "render task")
    if status != "success":
        raise SystemExit(f"render task failed: {sdk.render_task(task.id).status_detail}")
    return sdk.render_task_results(task.id)


def main():
    png_path = sys.argv[1]
    sdk = looker_sdk.init40()
    report = {}
    folder = sdk.me().personal_folder_id
    dashboard = sdk.create_dashboard(m.WriteDashboard(title="Store operations", description="weekly", folder_id=folder))
    layout = dashboard.dashboard_layouts[0]
    report["layout"] = [layout.type, layout.active, len(dashboard.dashboard_layouts)]

    charts = [
        ("Items by status", "looker_column", ["orders.status", "order_items.count"], ["orders.status"]),
        ("Revenue by status", "looker_bar", ["orders.status", "order_items.total_sale_price"], ["orders.status"]),
        ("Items by month", "looker_line", ["order_items.created_month", "order_items.count"], ["order_items.created_month desc"]),
        ("Buyers by state", "looker_grid", ["users.state", "users.count"], ["users.count desc"]),
    ]
    elements = []
    for i in range(10):
        title, vis, fields, sorts = charts[i % len(charts)]
        query = sdk.create_query(
            m.WriteQuery(model="thelook", view="order_items", fields=fields, sorts=sorts, limit="12", vis_config={"type": vis})
        )
        elements.append(
            sdk.create_dashboard_element(
                m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", title=f"{title} {i + 1}", query_id=query.id)
            )
        )
    look_query = sdk.create_query(m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "users.count"]))
    look = sdk.create_look(m.WriteLookWithQuery(title="Buyers by status", query_id=look_query.id, folder_id=folder))
    elements.append(sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", look_id=look.id)))
    elements.append(
        sdk.create_dashboard_element(
            m.WriteDashboardElement(
                dashboard_id=dashboard.id, type="text", title_text="About", body_text="Figures from the **demo** store."
            )
        )
    )
    report["element_types"] = [e.type for e in elements]
    report["look_tile_title"] = elements[10].look.title

    # Three tiles a row (width 8 of 24), four rows of height 6, as the newspaper layout places them.
    components = sdk.dashboard_layout_dashboard_layout_components(layout.id)
    by_element = {c.dashboard_element_id: c for c in components}
    for i, element in enumerate(elements):
        component = by_element[element.id]
        sdk.update_dashboard_layout_component(
            component.id, m.WriteDashboardLayoutComponent(row=(i // 3) * 6, column=(i % 3) * 8, width=8, height=6)
        )
    placed = sdk.dashboard_layout_dashboard_layout_components(layout.id)
    report["placements"] = sorted([c.row, c.column, c.width, c.height] for c in placed)

    read = sdk.dashboard(dashboard.id)
    report["read"] = [read.title, len(read.dashboard_elements), len(read.dashboard_layouts[0].dashboard_layout_components)]
    report["search"] = [d.title for d in sdk.search_dashboards(title="store%")]

    png = render(sdk, sdk.create_dashboard_render_task(dashboard.id, "png", m.CreateDashboardRenderTask(dashboard_style="tiled"), 1200, 1000))
    with open(png_path, "wb") as f:
        f.write(png)
    jpg = render(sdk, sdk.create_dashboard_render_task(dashboard.id, "jpg", m.CreateDashboardRenderTask(dashboard_style="single_column"), 1200, 1000))
    report["jpg_magic"] = jpg[:3].hex()
    pdf = render(sdk, sdk.create_dashboard_render_task(dashboard.id, "pdf", m.CreateDashboardRenderTask(dashboard_style="tiled"), 1200, 1000))
    document = pypdf.PdfReader(io.BytesIO(pdf))
    report["pdf_pages"] = len(document.pages)
    report["pdf_text"] = document.pages[0].extract_text()
    # A dashboard filter on the status: every chart of order_items shows the status asked for.
    status_filter = sdk.create_dashboard_filter(
        m.WriteCreateDashboardFilter(
            dashboard_id=dashboard.id,
            name="Status",
            title="Order status",
            type="field_filter",
            model="thelook",
            explore="order_items",
            dimension="orders.status",
            default_value="Complete",
        )
    )
    report["filter"] = [status_filter.name, status_filter.dimension, [f.name for f in sdk.dashboard_dashboard_filters(dashboard.id)]]
    filtered = render(
        sdk,
        sdk.create_dashboard_render_task(
            dashboard.id, "pdf", m.CreateDashboardRenderTask(dashboard_style="tiled", dashboard_filters="Status=Returned"), 1200, 1000
        ),
    )
    report["filtered_text"] = pypdf.PdfReader(io.BytesIO(filtered)).pages[0].extract_text()
    sdk.delete_dashboard_filter(status_filter.id)

    # Listens: a bare string filter sets the status of the tile that listens to it, and only of
    # that one (the other lists its explore but no listen).
    listening = sdk.create_dashboard(m.WriteDashboard(title="Listening", folder_id=folder))
    sdk.create_dashboard_filter(
        m.WriteCreateDashboardFilter(dashboard_id=listening.id, name="Which", title="Which status", type="string_filter")
    )
    by_status = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "order_items.count"], vis_config={"type": "looker_grid"})
    )
    listens = sdk.create_dashboard_element(
        m.WriteDashboardElement(
            dashboard_id=listening.id,
            type="vis",
            title="Listens",
            query_id=by_status.id,
            result_maker=m.WriteResultMakerWithIdVisConfigAndDynamicFields(
                filterables=[
                    m.ResultMakerFilterables(
                        model="thelook",
                        view="order_items",
                        listen=[m.ResultMakerFilterablesListen(dashboard_filter_name="Which", field="orders.status")],
                    )
                ]
            ),
        )
    )
    sdk.create_dashboard_element(
        m.WriteDashboardElement(
            dashboard_id=listening.id,
            type="vis",
            title="Deaf",
            query_id=by_status.id,
            result_maker=m.WriteResultMakerWithIdVisConfigAndDynamicFields(
                filterables=[m.ResultMakerFilterables(model="thelook", view="order_items", listen=[])]
            ),
        )
    )
    read_back = sdk.dashboard_element(listens.id).result_maker.filterables[0].listen[0]
    report["listen_read"] = [read_back.dashboard_filter_name, read_back.field]
    heard = render(
        sdk,
        sdk.create_dashboard_render_task(
            listening.id, "pdf", m.CreateDashboardRenderTask(dashboard_style="single_column", dashboard_filters="Which=Returned"), 800, 900
        ),
    )
    report["listen_text"] = pypdf.PdfReader(io.BytesIO(heard)).pages[0].extract_text()
    sdk.delete_dashboard(listening.id)

    # On A4 pages turned: 24 rows of 50 px at 1200 px wide run over two pages 848 px tall.
    paged = render(
        sdk,
        sdk.create_dashboard_render_task(
            dashboard.id, "pdf", m.CreateDashboardRenderTask(dashboard_style="tiled"), 1200, 1000, pdf_paper_size="a4", pdf_landscape=True
        ),
    )
    paged = pypdf.PdfReader(io.BytesIO(paged))
    report["a4_pages"] = [[float(p.mediabox.width), float(p.mediabox.height)] for p in paged.pages]
    report["a4_text"] = [p.extract_text() for p in paged.pages]
    # long_tables: a table tile grows to show every row, over as many A4 pages as it needs, cut
    # between rows; an image grows taller than asked.
    long = sdk.create_dashboard(m.WriteDashboard(title="Every month", folder_id=folder))
    states = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["order_items.created_month", "order_items.count"],
                     sorts=["order_items.created_month"], limit="500", vis_config={"type": "looker_grid"})
    )
    sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id=long.id, type="vis", title="Months", query_id=states.id))
    state_rows = json.loads(sdk.run_query(states.id, "json"))

    def long_pages(**options):
        task = sdk.create_dashboard_render_task(long.id, "pdf", m.CreateDashboardRenderTask(dashboard_style="tiled"), 1200, 900,
                                                pdf_paper_size="a4", **options)
        return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render(sdk, task))).pages]
    short, full = long_pages(), long_pages(long_tables=True)
    tall = render(sdk, sdk.create_dashboard_render_task(long.id, "png", m.CreateDashboardRenderTask(dashboard_style="tiled"), 1200, 900,
                                                        long_tables=True))
    last = state_rows[-1]["order_items.created_month"]
    report["long_tables"] = {
        "rows": len(state_rows),
        "short_pages": len(short),
        "long_pages": len(full),
        "every_row_shown": all(any(r["order_items.created_month"] in page for page in full) for r in state_rows),
        "short_shows_last": any(last in page for page in short),
        "png": [int.from_bytes(tall[16:20], "big"), int.from_bytes(tall[20:24], "big")],
    }
    sdk.delete_dashboard(long.id)
    alone = render(sdk, sdk.create_dashboard_element_render_task(elements[0].id, "png", 600, 400))
    report["element_png"] = [int.from_bytes(alone[16:20], "big"), int.from_bytes(alone[20:24], "big")]

    # The demo project's LookML dashboard, by `model::name`: read, then rendered with its filters
    # set by name or title.
    report["listed"] = sorted(d.id for d in sdk.all_dashboards()) == sorted([dashboard.id, "thelook::overview"])
    overview = sdk.dashboard("thelook::overview")
    report["lookml_read"] = [
        overview.title,
        overview.readonly,
        [f.name for f in overview.dashboard_filters],
        [f.default_value for f in overview.dashboard_filters],
        [e.type for e in overview.dashboard_elements],
        overview.dashboard_elements[0].query.filters,
        [[c.row, c.column, c.width, c.height] for c in overview.dashboard_layouts[0].dashboard_layout_components][:2],
    ]
    lookml = sdk.create_dashboard_render_task(
        "thelook::overview", "pdf", m.CreateDashboardRenderTask(dashboard_style="tiled", dashboard_filters="Order+status=Returned"), 1200, 900
    )
    report["lookml_task"] = [lookml.lookml_dashboard_id, lookml.dashboard_filters]
    report["lookml_pdf_text"] = pypdf.PdfReader(io.BytesIO(render(sdk, lookml))).pages[0].extract_text()
    try:
        sdk.create_dashboard_render_task(
            "thelook::overview", "png", m.CreateDashboardRenderTask(dashboard_filters="Region=West"), 600, 400
        )
        report["lookml_unknown_filter"] = None
    except looker_sdk.error.SDKError as e:
        report["lookml_unknown_filter"] = [(d.field, d.code) for d in (e.errors or [])]

    sdk.delete_dashboard_element(elements[11].id)
    report["after_element_delete"] = len(sdk.dashboard_dashboard_elements(dashboard.id))
    sdk.delete_dashboard(dashboard.id)
    try:
        sdk.dashboard(dashboard.id)
        report["deleted"] = None
    except looker_sdk.error.SDKError as e:
        report["deleted"] = str(e)
    print(json.dumps(report))


main()
