"""Killing a query task through Looker's official Python SDK, in two steps run by
sdk_warehouses.rs: `sdk_kill.py start` creates a task on the 30-second `slow` explore, waits
until `all_running_queries` shows it running and prints it; `sdk_kill.py kill ID` kills it with
`kill_query`, waits for `killed` and reports what the SDK sees after. Prints a JSON report."""
import json
import sys
import time

import looker_sdk
from looker_sdk import error
from looker_sdk import models40 as m


def attempt(call):
    try:
        return {"ok": call()}
    except error.SDKError as e:
        return {"error": e.message}


def start(sdk):
    query = sdk.create_query(m.WriteQuery(model="shop", view="slow", fields=["slow.n"]))
    task = sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json))
    deadline = time.time() + 20
    while True:
        mine = [r for r in sdk.all_running_queries() if r.query_task_id == task.id]
        if mine and mine[0].status == "running":
            r = mine[0]
            return {"task": task.id, "status": r.status, "sql": r.sql, "connection": r.connection_name, "dialect": r.dialect, "message": r.message}
        if time.time() > deadline:
            raise SystemExit(f"the task did not start running in 20 s: {mine}")
        time.sleep(0.02)


def kill(sdk, task_id):
    started = time.time()
    sdk.kill_query(task_id)
    killed_after = time.time() - started
    status = sdk.query_task(task_id).status
    return {
        "killed_after": killed_after,
        "status": status,
        "results": attempt(lambda: sdk.query_task_results(task_id)),
        "again": attempt(lambda: sdk.kill_query(task_id)),
        "listed": [r.query_task_id for r in sdk.all_running_queries()],
    }


def main():
    sdk = looker_sdk.init40()
    report = start(sdk) if sys.argv[1] == "start" else kill(sdk, sys.argv[2])
    print(json.dumps(report))


main()
