"""A server killed (kill -9) in the middle of its tasks, through Looker's official Python SDK; run
by sdk_warehouses.rs around the kill: `sdk_crash.py create N` creates N tasks on the `nap`
explore (each statement sleeps 50 ms; distinct row limits) and prints their ids; after the
restart, `sdk_crash.py wait ID…` polls them until done and reads every result. Prints a JSON
report."""
import json
import sys
import time

import looker_sdk
from looker_sdk import models40 as m
from looker_sdk.rtl.model import DelimSequence


def main():
    sdk = looker_sdk.init40()
    if sys.argv[1] == "create":
        query = sdk.create_query(m.WriteQuery(model="shop", view="nap", fields=["nap.n"]))
        body = m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json)
        ids = [sdk.create_query_task(body, limit=str(i), cache=False).id for i in range(1, int(sys.argv[2]) + 1)]
        print(json.dumps({"ids": ids}))
        return
    ids = sys.argv[2:]
    deadline = time.time() + 60
    statuses = {}
    while time.time() < deadline:
        statuses = {k: v["status"] for k, v in sdk.query_task_multi_results(DelimSequence(ids)).items()}
        if set(statuses.values()) <= {"complete", "error", "killed", "expired", "missing"}:
            break
        time.sleep(0.1)
    counts = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    rows = [json.loads(sdk.query_task_results(i)) for i in ids if statuses.get(i) == "complete"]
    print(json.dumps({"statuses": counts, "results": sum(1 for r in rows if len(r) == 1 and "nap.n" in r[0])}))


main()
