"""Connections through Looker's official Python SDK: a model whose connection does not exist
fails clearly, works once the connection is created (and after a restart), and fails again once
it is deleted. Run by sdk_warehouses.rs in two steps around a server restart:
`sdk_connections.py create` then `sdk_connections.py after_restart`; prints a JSON report."""
import json
import os
import sys

import looker_sdk
from looker_sdk import error
from looker_sdk import models40 as m

LATE = m.WriteQuery(model="late", view="orders", fields=["customers.region", "orders.count"], sorts=["customers.region"])


def attempt(call):
    try:
        return {"ok": call()}
    except error.SDKError as e:
        return {"error": e.message, "fields": [d.field for d in (e.errors or [])]}


def target(**over):
    values = dict(
        name="late_warehouse",
        dialect_name=os.environ["WAREHOUSE_DIALECT"],
        host=os.environ["WAREHOUSE_HOST"],
        port=os.environ["WAREHOUSE_PORT"],
        database=os.environ["WAREHOUSE_DATABASE"],
        username=os.environ["WAREHOUSE_USER"],
    )
    values.update(over)
    return m.WriteDBConnection(**values)


def rows(sdk):
    return attempt(lambda: json.loads(sdk.run_inline_query("json", LATE)))


def main():
    sdk = looker_sdk.init40()
    report = {}
    if sys.argv[1] == "create":
        report["before"] = rows(sdk)
        created = sdk.create_connection(target())
        report["created"] = {"name": created.name, "dialect": created.dialect_name, "host": created.host, "has_password": created.has_password, "can": created.can}
        report["after_create"] = rows(sdk)
        report["test"] = [t.status for t in sdk.test_connection("late_warehouse")]
        report["duplicate"] = attempt(lambda: sdk.create_connection(target()).name)
        tls = sdk.create_connection(target(name="tls_warehouse", ssl=True, tmp_db_name="sightline_scratch"))
        tested = sdk.test_connection("tls_warehouse")[0]
        report["tls"] = {"ssl": tls.ssl, "verify_ssl": tls.verify_ssl, "test": tested.status, "message": tested.message}
        report["pdts"] = {"pdts_enabled": tls.pdts_enabled, "tmp_db_name": tls.tmp_db_name}
        sdk.delete_connection("tls_warehouse")
        report["certificate"] = attempt(lambda: sdk.create_connection(target(name="cert_warehouse", certificate="x")).name)
        report["config_update"] = attempt(lambda: sdk.update_connection("warehouse", m.WriteDBConnection(host="elsewhere")).name)
        # A wrong port: the test reports it, queries fail; then put right again.
        sdk.update_connection("late_warehouse", m.WriteDBConnection(port="1"))
        report["broken_test"] = [t.status for t in sdk.test_connection("late_warehouse")]
        report["broken_rows"] = rows(sdk)
        sdk.update_connection("late_warehouse", m.WriteDBConnection(port=os.environ["WAREHOUSE_PORT"]))
        report["fixed_rows"] = rows(sdk)
    else:
        report["listed"] = sorted(c.name for c in sdk.all_connections())
        report["after_restart"] = rows(sdk)
        sdk.delete_connection("late_warehouse")
        report["listed_after_delete"] = sorted(c.name for c in sdk.all_connections())
        report["after_delete"] = rows(sdk)
    print(json.dumps(report))


main()
