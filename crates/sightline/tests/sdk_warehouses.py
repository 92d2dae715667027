"""A query task through Looker's official Python SDK against a server whose connection is a
real PostgreSQL or MariaDB, and an explore with an access filter by user attribute; prints the
JSON rows. Run by sdk_warehouses.rs."""
import json
import time

import looker_sdk
from looker_sdk import models40 as m


def main():
    sdk = looker_sdk.init40()
    query = sdk.create_query(
        m.WriteQuery(
            model="shop",
            view="orders",
            fields=["customers.region", "orders.count", "orders.total_amount", "orders.complete_amount", "customers.average_age"],
            filters={"orders.created_year": "2024", "orders.amount_tier": "-Below 10"},
            sorts=["customers.region"],
        )
    )
    task = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json))
    deadline = time.time() + 60
    while sdk.query_task(task.id).status not in ("complete", "error"):
        if time.time() > deadline:
            raise SystemExit("the query task did not finish in 60 s")
        time.sleep(0.05)
    status = sdk.query_task(task.id).status
    rows = json.loads(sdk.query_task_results(task.id))
    connections = sdk.all_connections()
    test = sdk.test_connection("warehouse")
    dialects = sdk.all_dialect_infos()
    # Row-level security: without a value of `region`, the explore refuses; with one, it keeps
    # that region's rows.
    regional = m.WriteQuery(
        model="shop", view="my_region_orders", fields=["customers.region", "my_region_orders.count"], sorts=["customers.region"]
    )
    try:
        sdk.run_inline_query("json", regional)
        refused = None
    except looker_sdk.error.SDKError as e:
        refused = " ".join(d.message for d in (e.errors or [])) or e.message
    attribute = sdk.create_user_attribute(m.WriteUserAttribute(name="region", label="Region", type="advanced_filter_string"))
    me = sdk.me().id
    sdk.set_user_attribute_user_value(me, attribute.id, m.WriteUserAttributeWithValue(value="North"))
    access = {
        "refused": refused,
        "rows": json.loads(sdk.run_inline_query("json", regional)),
        "values": [(v.name, v.value, v.source) for v in sdk.user_attribute_user_values(me) if v.name == "region"],
        "attributes": [a.name for a in sdk.all_user_attributes()],
    }
    # sql_preamble: run before the query on its own session, twice; shown before the SQL.
    preambled = m.WriteQuery(model="shop", view="preamble_rate", fields=["preamble_rate.factor"])
    preamble = {
        "runs": [json.loads(sdk.run_inline_query("json", preambled, cache=False)) for _ in range(2)],
        "sql": sdk.run_inline_query("sql", preambled),
    }
    report = {
        "preamble": preamble,
        "access": access,
        "status": status,
        "rows": rows,
        "connection": {"name": connections[0].name, "host": connections[0].host, "dialect": connections[0].dialect_name, "has_password": connections[0].has_password},
        "test": [t.status for t in test],
        "dialects": [d.name for d in dialects],
    }
    print(json.dumps(report))


main()
