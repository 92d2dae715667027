"""Every result format through Looker's official Python SDK, raw and with apply_formatting, each
read back with a real reader (json, csv, html.parser, xml.etree, openpyxl) and checked against
the raw json rows and value formats computed here independently.

Run by sdk_flows.rs against a live `sightline demo`; prints one JSON report on stdout.
"""
import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlparse

import looker_sdk
import openpyxl
from looker_sdk import models40 as m

FIELDS = ["orders.status", "order_items.count", "order_items.total_sale_price", "order_items.average_spend_per_order"]
LABELS = ["Orders Status", "Order Items Count", "Order Items Total Sale Price", "Order Items Average Spend Per Order"]
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


def cents(v):
    return Decimal(repr(float(v))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def usd(v):
    return ("-" if v < 0 else "") + f"${abs(cents(v)):,.2f}"


def money_short(v):
    # [>=1000000]$0.00,,"M";[>=1000]$0.00,"K";$0.00
    if v >= 1_000_000:
        return f"${cents(v / 1_000_000):.2f}M"
    if v >= 1000:
        return f"${cents(v / 1000):.2f}K"
    return f"${cents(v):.2f}"


def rendered(row):
    return [row[FIELDS[0]] or "", f"{row[FIELDS[1]]:,}", usd(row[FIELDS[2]]), money_short(row[FIELDS[3]])]


def raw_text(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def same_number(text, value):
    try:
        return abs(float(text) - float(value)) <= 1e-9 * max(1.0, abs(float(value)))
    except (TypeError, ValueError):
        return False


class Table(HTMLParser):
    """Rows of (tag, text) cells from an HTML or XML table."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = [tag, "", dict(attrs)]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(tuple(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data


def check_table(name, header, body, totals, formatted, rows):
    """A tabular format's header, body and totals against the raw rows."""
    check(header == LABELS, f"{name}: header {header}")
    check(len(body) == len(rows), f"{name}: {len(body)} rows, want {len(rows)}")
    for got, row in zip(body, rows):
        if formatted:
            check(got == rendered(row), f"{name}: formatted row {got} != {rendered(row)}")
        else:
            check(got[0] == raw_text(row[FIELDS[0]]), f"{name}: {got[0]} != {row[FIELDS[0]]}")
            for text, field in zip(got[1:], FIELDS[1:]):
                check(same_number(text, row[field]), f"{name}: {field} {text} != {row[field]}")
    check(totals is not None and totals[0] == "", f"{name}: totals row {totals}")
    if totals is not None:
        total_count = sum(r[FIELDS[1]] for r in rows)
        want = f"{total_count:,}" if formatted else str(total_count)
        check(totals[1] == want, f"{name}: total count {totals[1]} != {want}")


def main():
    sdk = looker_sdk.init40()
    report = {}
    query = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=FIELDS, sorts=["orders.status"], total=True, limit="500")
    )
    rows = json.loads(sdk.run_query(query.id, "json"))
    check(len(rows) >= 4, f"json rows: {rows}")
    report["rows"] = len(rows)
    formats = ["json", "inline_json", "json_detail", "json_fe", "json_bi", "csv", "txt", "html", "md", "gsxml", "xlsx"]
    checked = []
    for fmt in formats:
        for formatted in (False, True):
            name = f"{fmt}{' formatted' if formatted else ''}"
            body = sdk.run_query(query.id, fmt, apply_formatting=formatted)
            # The same through a query task: the same bytes.
            task = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat(fmt)), apply_formatting=formatted)
            deadline = time.time() + 60
            while sdk.query_task(task.id).status not in ("complete", "error") and time.time() < deadline:
                time.sleep(0.05)
            via_task = sdk.query_task_results(task.id)
            check(via_task == body, f"{name}: the query task's result differs from run_query's")
            check_format(fmt, formatted, name, body, rows, report)
            checked.append(name)
    report["checked"] = checked
    check_table_calcs(sdk, report)
    check_apply_vis(sdk, rows, report)
    check_drill_links(sdk, report)
    check_row_total_left(sdk, report)
    check_subtotals(sdk, report)
    check_fill_several(sdk, report)
    report["problems"] = problems
    print(json.dumps(report))


def check_table_calcs(sdk, report):
    """Table calculations evaluated on the server, checked against the rows computed here."""
    calcs = [
        {"category": "table_calculation", "table_calculation": "share", "label": "Share", "_kind_hint": "measure",
         "expression": "${order_items.count} / sum(${order_items.count})", "value_format_name": "percent_1"},
        {"category": "table_calculation", "table_calculation": "running", "label": "Running", "_kind_hint": "measure",
         "expression": "running_total(${order_items.count})"},
        {"category": "table_calculation", "table_calculation": "shout", "label": "Shout", "_kind_hint": "dimension",
         "expression": "if(${order_items.count} > 0, upper(${orders.status}), null)"},
    ]
    query = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "order_items.count", "share", "running", "shout"],
                     sorts=["orders.status"], dynamic_fields=json.dumps(calcs), limit="500")
    )
    rows = json.loads(sdk.run_query(query.id, "json", server_table_calcs=True))
    total = sum(r["order_items.count"] for r in rows)
    running = 0
    for r in rows:
        running += r["order_items.count"]
        check(abs(r["share"] - r["order_items.count"] / total) < 1e-12, f"table calc share {r}")
        check(r["running"] == running, f"table calc running {r} != {running}")
        check(r["shout"] == r["orders.status"].upper(), f"table calc shout {r}")
    lines = list(csv.reader(io.StringIO(sdk.run_query(query.id, "csv", apply_formatting=True))))
    check(lines[0] == ["Orders Status", "Order Items Count", "Share", "Running", "Shout"], f"table calc header {lines[0]}")
    for line, r in zip(lines[1:], rows):
        share = (Decimal(repr(r["order_items.count"] / total)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        check(line[2] == f"{share}%", f"table calc share formatted {line[2]} != {share}%")
    report["table_calcs"] = rows[0]
    by_share = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "order_items.count", "share"],
                     sorts=["share desc"], dynamic_fields=json.dumps(calcs[:1]), limit="500")
    )
    sorted_rows = json.loads(sdk.run_query(by_share.id, "json"))
    shares = [r["share"] for r in sorted_rows]
    check(shares == sorted(shares, reverse=True) and len(shares) == len(rows), f"sorted by a calculation: {shares}")

    # Shortcut calculations (Looker's quick calculations: a `calculation_type` over `args`, no
    # expression), as saved queries from Looker carry them.
    shortcuts = [
        {"category": "table_calculation", "table_calculation": "pct", "label": "Percent of Count", "calculation_type": "percent_of_column_sum",
         "args": ["order_items.count"], "value_format_name": "percent_0", "_kind_hint": "measure", "_type_hint": "number"},
        {"category": "table_calculation", "table_calculation": "change", "label": "Change", "calculation_type": "percent_change_from_previous",
         "args": ["order_items.count"], "_kind_hint": "measure", "_type_hint": "number"},
        {"category": "table_calculation", "table_calculation": "ranked", "label": "Rank", "calculation_type": "rank_of_column",
         "args": ["order_items.count"], "_kind_hint": "measure", "_type_hint": "number"},
    ]
    quick = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "order_items.count", "pct", "change", "ranked"],
                     sorts=["orders.status"], dynamic_fields=json.dumps(shortcuts), limit="500")
    )
    quick_rows = json.loads(sdk.run_query(quick.id, "json"))
    counts = [r["order_items.count"] for r in quick_rows]
    for i, r in enumerate(quick_rows):
        check(abs(r["pct"] - counts[i] / sum(counts)) < 1e-12, f"shortcut pct {r}")
        want = None if i == 0 else counts[i] / counts[i - 1] - 1
        check((r["change"] is None and want is None) or abs(r["change"] - want) < 1e-12, f"shortcut change {r} != {want}")
        check(r["ranked"] == 1 + sum(1 for c in counts if c > counts[i]), f"shortcut rank {r}")
    report["shortcuts"] = len(quick_rows)

    # Pivoted: each pivot column's count against the previous column's (`pivot_offset`).
    pivot_calc = [{"category": "table_calculation", "table_calculation": "vs_previous", "label": "Vs Previous",
                   "expression": "${order_items.count} / pivot_offset(${order_items.count}, -1)"},
                  {"category": "table_calculation", "table_calculation": "row_share", "label": "Row Share",
                   "expression": "${order_items.count} / sum(pivot_row(${order_items.count}))"},
                  {"category": "table_calculation", "table_calculation": "row_count", "label": "Row Count",
                   "expression": "sum(pivot_row(${order_items.count}))"}]
    pivoted = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["users.gender", "orders.status", "order_items.count", "vs_previous", "row_share", "row_count"],
                     pivots=["orders.status"], sorts=["users.gender", "orders.status"], dynamic_fields=json.dumps(pivot_calc), limit="500")
    )
    table = json.loads(sdk.run_query(pivoted.id, "json"))
    for row in table:
        counts = row["order_items.count"]["orders.status"]
        ratios = row["vs_previous"]["orders.status"]
        keys = list(counts)
        check(keys == list(ratios), f"pivoted calc keys {keys} {list(ratios)}")
        for i, key in enumerate(keys):
            before = counts[keys[i - 1]] if i > 0 else None
            want = None if not before or counts[key] is None else counts[key] / before
            got = ratios[key]
            check((got is None and want is None) or (got is not None and want is not None and abs(got - want) < 1e-12),
                  f"pivoted calc {row['users.gender']} {key}: {got} != {want}")
        check(row["row_count"] == sum(v for v in counts.values() if v is not None), f"unpivoted row_count {row['row_count']} of {counts}")
        shares = [v for v in row["row_share"]["orders.status"].values() if v is not None]
        check(abs(sum(shares) - 1) < 1e-9, f"pivot_row shares of {row['users.gender']} sum to {sum(shares)}")
    report["pivoted_calc_rows"] = len(table)
    # Rows of a pivoted query sorted by a calculation: by its one value per row, or by a pivoted
    # calculation's value in one pivot column ("desc 0").
    by_total = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["users.gender", "orders.status", "order_items.count", "vs_previous", "row_count"],
                     pivots=["orders.status"], sorts=["row_count desc"], dynamic_fields=json.dumps(pivot_calc), limit="500")
    )
    totals = [r["row_count"] for r in json.loads(sdk.run_query(by_total.id, "json"))]
    check(len(totals) > 1 and totals == sorted(totals, reverse=True), f"rows sorted by row_count desc: {totals}")
    first_status = list(table[0]["order_items.count"]["orders.status"])[0]
    by_first = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["users.gender", "orders.status", "order_items.count", "row_count"],
                     pivots=["orders.status"], sorts=["order_items.count asc 0", "row_count"], dynamic_fields=json.dumps(pivot_calc), limit="500")
    )
    firsts = [r["order_items.count"]["orders.status"][first_status] for r in json.loads(sdk.run_query(by_first.id, "json"))]
    check(firsts == sorted(firsts, key=lambda v: (v is not None, v or 0)), f"rows sorted by the first pivot column's count: {firsts}")
    report["pivoted_calc_sorts"] = len(totals)
    header = next(csv.reader(io.StringIO(sdk.run_query(pivoted.id, "csv"))))
    check(header[-1] == "", f"the unpivoted calculation sits after the pivot columns: {header}")
    labels = list(csv.reader(io.StringIO(sdk.run_query(pivoted.id, "csv"))))[1]
    check(labels[-1] == "Row Count", f"unpivoted calculation label {labels}")


def check_apply_vis(sdk, rows, report):
    """apply_vis: the query's vis options shape the table; without it they change nothing."""
    vis = {
        "type": "looker_grid",
        "hidden_fields": ["order_items.count"],
        "series_labels": {"order_items.total_sale_price": "Revenue"},
        "show_view_names": False,
        "column_order": ["order_items.average_spend_per_order", "orders.status"],
        "limit_displayed_rows": True,
        "limit_displayed_rows_values": {"show_hide": "show", "first_last": "first", "num_rows": "2"},
    }
    query = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=FIELDS, sorts=["orders.status"], limit="500", vis_config=vis)
    )
    lines = list(csv.reader(io.StringIO(sdk.run_query(query.id, "csv", apply_vis=True))))
    check(lines[0] == ["Average Spend Per Order", "Status", "Revenue"], f"apply_vis header {lines[0]}")
    check(len(lines) == 3, f"apply_vis rows {lines}")
    for line, row in zip(lines[1:], rows):
        check(line[1] == row[FIELDS[0]] and same_number(line[2], row[FIELDS[2]]), f"apply_vis row {line} for {row}")
    plain = list(csv.reader(io.StringIO(sdk.run_query(query.id, "csv"))))
    check(plain[0] == LABELS and len(plain) == len(rows) + 1, f"without apply_vis: {plain[0]}, {len(plain)} lines")
    report["apply_vis_header"] = lines[0]


def check_drill_links(sdk, report):
    """generate_drill_links: a measure's "Show All" drill to the view's drill_fields, filtered to
    the row, and a dimension's LookML link filled in; with path_prefix in front."""
    query = sdk.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["users.state", "order_items.count"],
                     filters={"order_items.created_year": "2021"}, sorts=["users.state"], limit="3")
    )
    doc = json.loads(sdk.run_query(query.id, "json_detail", generate_drill_links=True, path_prefix="https://bi.example.com"))
    row = doc["data"][0]
    state = row["users.state"]["value"]
    link = row["order_items.count"]["links"][0]
    check(link["type"] == "measure_default" and link["label"] == f"Show All {row['order_items.count']['value']:,}", f"drill link {link}")
    url = urlparse(link["url"])
    params = parse_qs(url.query)
    check(url.scheme == "https" and url.netloc == "bi.example.com" and url.path == "/explore/thelook/order_items", f"drill url {link['url']}")
    want_fields = "order_items.id,order_items.created_date,order_items.status,order_items.sale_price,users.state"
    check(params.get("fields") == [want_fields], f"drill fields {params.get('fields')}")
    check(params.get("f[users.state]") == [state] and params.get("f[order_items.created_year]") == ["2021"], f"drill filters {params}")
    check(params.get("limit") == ["500"], f"drill limit {params}")
    web = row["users.state"]["links"][0]
    check(web["type"] == "url" and web["url"] == "https://www.google.com/search?" + urlencode({"q": state}), f"dimension link {web}")
    check(row["users.state"].get("filterable_value") == state, f"filterable_value {row['users.state']}")
    plain = json.loads(sdk.run_query(query.id, "json_detail"))
    check("links" not in plain["data"][0]["order_items.count"], "links without generate_drill_links")
    report["drill_link"] = link


def check_row_total_left(sdk, report):
    """row_total: left puts each row's totals right after its dimensions, same figures."""
    def pivoted(side):
        return m.WriteQuery(model="thelook", view="order_items", fields=["users.gender", "orders.status", "order_items.count"],
                            pivots=["orders.status"], sorts=["users.gender"], row_total=side, limit="500")
    right = list(csv.reader(io.StringIO(sdk.run_inline_query("csv", pivoted("right")))))
    left = list(csv.reader(io.StringIO(sdk.run_inline_query("csv", pivoted("left")))))
    for r, l in zip(right, left):
        check(l == r[:1] + r[-1:] + r[1:-1], f"row_total left: {l} is not {r} with the total moved left")
    check(len(left) == len(right) and len(left) > 2, f"row_total left rows {len(left)}")
    report["row_total_left"] = left[2]


def check_fill_several(sdk, report):
    """fill_fields with two dimensions: every month between the first and last, for every status,
    months in order within each status; the counts are those of the unfilled query."""
    def run(fill):
        query = m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "orders.created_month", "order_items.count"],
                             filters={"users.id": "<=150"}, sorts=["orders.status", "orders.created_month"], fill_fields=fill, limit="5000")
        return json.loads(sdk.run_inline_query("json", query))
    plain, filled = run(None), run(["orders.created_month"])
    def month_index(text):
        year, month = text.split("-")
        return int(year) * 12 + int(month)
    months = sorted({month_index(r["orders.created_month"]) for r in plain})
    statuses = sorted({r["orders.status"] for r in plain})
    want_months = list(range(months[0], months[-1] + 1))
    check(len(plain) < len(statuses) * len(want_months), f"the filter leaves gaps to fill: {len(plain)} rows")
    got = [(r["orders.status"], month_index(r["orders.created_month"])) for r in filled]
    check(got == [(s, mo) for s in statuses for mo in want_months], f"every month for every status, in order: {got[:8]}")
    counts = {(r["orders.status"], r["orders.created_month"]): r["order_items.count"] for r in plain}
    kept = {(r["orders.status"], r["orders.created_month"]): r["order_items.count"] for r in filled if r["order_items.count"] is not None}
    check(kept == counts, "filled rows keep the returned counts")
    report["filled_rows"] = len(filled)


def check_subtotals(sdk, report):
    """Subtotal rows in json_detail: true totals per group (a distinct count is not a sum),
    rows sorted by the subtotal dimension first; the data table (csv) has none, as in Looker."""
    fields = ["users.gender", "order_items.status", "order_items.count", "order_items.order_count"]
    query = m.WriteQuery(model="thelook", view="order_items", fields=fields, subtotals=["users.gender"],
                         sorts=["order_items.count desc"], limit="500")
    detail = json.loads(sdk.run_inline_query("json_detail", query))
    data, levels = detail["data"], detail.get("subtotals_data", {})
    check(detail.get("has_subtotals") is True and detail.get("subtotal_sets") == [["users.gender"]], f"subtotal metadata {detail.get('subtotal_sets')}")
    genders = [r["users.gender"]["value"] for r in data]
    check(genders == sorted(genders), f"subtotals: rows not sorted by gender first: {genders}")
    by_gender = json.loads(sdk.run_inline_query("json", m.WriteQuery(
        model="thelook", view="order_items", fields=["users.gender", "order_items.count", "order_items.order_count"], limit="500")))
    truth = {r["users.gender"]: r for r in by_gender}
    subtotals = levels.get("1", [])
    check([r["users.gender"]["value"] for r in subtotals] == sorted(set(genders)), f"subtotal groups {subtotals}")
    for row in subtotals:
        gender = row["users.gender"]["value"]
        check(row.get("$$$__grouping__$$$") == ["users.gender"], f"subtotal grouping {row}")
        check(row["order_items.status"] == {"value": None, "filterable_value": "EMPTY"}, f"ungrouped cell {row['order_items.status']}")
        summed = sum(r["order_items.count"]["value"] for r in data if r["users.gender"]["value"] == gender)
        check(row["order_items.count"]["value"] == summed == truth[gender]["order_items.count"], f"subtotal count of {gender}")
        check(row["order_items.order_count"]["value"] == truth[gender]["order_items.order_count"], f"subtotal distinct count of {gender}")
    plain = list(csv.reader(io.StringIO(sdk.run_inline_query("csv", query))))
    check(len(plain) == len(data) + 1, f"csv with subtotals has {len(plain)} lines for {len(data)} rows")
    # Pivoted, with row totals: each subtotal cell sums its group's cells, per year.
    pivoted = m.WriteQuery(model="thelook", view="order_items", pivots=["order_items.created_year"], row_total="right",
                           fields=["users.gender", "order_items.status", "order_items.created_year", "order_items.count"],
                           subtotals=["users.gender"], limit="500")
    detail = json.loads(sdk.run_inline_query("json_detail", pivoted))
    keys = [p["key"] for p in detail["pivots"] if not p.get("is_total")]
    for row in detail.get("subtotals_data", {}).get("1", []):
        gender = row["users.gender"]["value"]
        group = [r for r in detail["data"] if r["users.gender"]["value"] == gender]
        for key in keys:
            want = sum(r["order_items.count"][key]["value"] or 0 for r in group)
            check((row["order_items.count"][key]["value"] or 0) == want, f"pivoted subtotal {gender} {key}")
        total = row["order_items.count"]["$$$_row_total_$$$"]["value"]
        check(total == sum(r["order_items.count"]["$$$_row_total_$$$"]["value"] for r in group), f"pivoted subtotal row total {gender}")
    check(len(detail.get("subtotals_data", {}).get("1", [])) >= 2, "pivoted subtotals missing")
    report["subtotals"] = [[r["users.gender"]["value"], r["order_items.count"]["value"]] for r in subtotals]


def check_format(fmt, formatted, name, body, rows, report):
    if fmt in ("json", "inline_json"):
        data = json.loads(body)
        if fmt == "inline_json":
            data = json.loads(data["data"])
        want = [rendered(r) for r in rows] if formatted else [[r[f] for f in FIELDS] for r in rows]
        got = [[d[f] for f in FIELDS] for d in data]
        if formatted:
            got = [[g or "" for g in row] for row in got]
        check(got == want, f"{name}: {got[:2]} != {want[:2]}")
    elif fmt in ("json_detail", "json_fe"):
        doc = json.loads(body)
        check([f["name"] for f in doc["fields"]["measures"]] == FIELDS[1:], f"{name}: measures {doc['fields']['measures']}")
        check(doc["fields"]["measures"][1]["value_format"] == "$#,##0.00", f"{name}: value_format {doc['fields']['measures'][1]}")
        check(("measure_like" in doc["fields"]) == (fmt == "json_fe"), f"{name}: measure_like")
        for cell_row, row in zip(doc["data"], rows):
            check([cell_row[f]["value"] for f in FIELDS] == [row[f] for f in FIELDS], f"{name}: values {cell_row}")
            check([cell_row[f].get("rendered", cell_row[f]["value"]) for f in FIELDS[1:]] == rendered(row)[1:], f"{name}: rendered {cell_row}")
        total = sum(r[FIELDS[1]] for r in rows)
        check(doc["has_totals"] and doc["totals_data"][FIELDS[1]]["value"] == total, f"{name}: totals {doc.get('totals_data')}")
        check(doc["sql"].lstrip().upper().startswith(("SELECT", "WITH")), f"{name}: sql")
        report["json_detail_cell"] = doc["data"][0][FIELDS[2]]
    elif fmt == "json_bi":
        doc = json.loads(body)
        meta = doc["metadata"]
        for key in ("big_query_metadata", "fields", "pivots", "has_subtotals", "has_totals", "columns_truncated", "filter_expression", "filters", "sql"):
            check(key in meta, f"{name}: metadata lacks {key}")
        check([f["name"] for f in meta["fields"]["dimensions"]] == FIELDS[:1], f"{name}: dimensions")
        check(len(doc["rows"]) == len(rows) + 1, f"{name}: rows and totals {len(doc['rows'])}")
        for cell_row, row in zip(doc["rows"], rows):
            check([cell_row[f]["value"] for f in FIELDS] == [row[f] for f in FIELDS], f"{name}: values {cell_row}")
    elif fmt in ("csv", "txt"):
        lines = list(csv.reader(io.StringIO(body), delimiter="," if fmt == "csv" else "\t"))
        check_table(name, lines[0], lines[1:-1], lines[-1], formatted, rows)
    elif fmt in ("html", "gsxml"):
        if fmt == "gsxml":
            root = ET.fromstring(body)  # must be well-formed XML
            check(root.tag == "table", f"{name}: root {root.tag}")
        else:
            check(body.startswith("<!DOCTYPE html>") and "<meta charset=\"utf-8\">" in body, f"{name}: not a page")
        parsed = Table()
        parsed.feed(body)
        table = [[text for _, text, _ in r] for r in parsed.rows]
        check(all(tag == "th" for tag, _, _ in parsed.rows[0]), f"{name}: header cells")
        check_table(name, table[0], table[1:-1], table[-1], formatted, rows)
    elif fmt == "md":
        lines = body.strip().split("\n")
        cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
        check(cells[1] == ["---", "---:", "---:", "---:"], f"{name}: alignment row {cells[1]}")
        check_table(name, cells[0], cells[2:-1], cells[-1], formatted, rows)
    elif fmt == "xlsx":
        check(isinstance(body, bytes) and body[:2] == b"PK", f"{name}: not a zip ({type(body)})")
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        values = list(sheet.iter_rows(values_only=True))
        check(list(values[0]) == LABELS, f"{name}: header {values[0]}")
        check(sheet.freeze_panes == "A2", f"{name}: frozen at {sheet.freeze_panes}")
        for got, row in zip(values[1:-1], rows):
            check(got[0] == row[FIELDS[0]], f"{name}: {got[0]}")
            for value, field in zip(got[1:], FIELDS[1:]):
                check(isinstance(value, (int, float)) and same_number(value, row[field]), f"{name}: {field} {value!r} != {row[field]}")
        total_cell = sheet.cell(row=2, column=3)
        want_format = "$#,##0.00" if formatted else "General"
        check(total_cell.number_format == want_format, f"{name}: number format {total_cell.number_format}")
        check(values[-1][1] == sum(r[FIELDS[1]] for r in rows), f"{name}: totals {values[-1]}")
        if formatted:
            report["xlsx_formats"] = [sheet.cell(row=2, column=c).number_format for c in range(1, 5)]


main()
