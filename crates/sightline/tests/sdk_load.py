"""Many query tasks at once through Looker's official Python SDK, run by sdk_warehouses.rs while it
watches the database's session list: N tasks on the `nap` explore (each statement sleeps 50 ms;
distinct row limits, so none is shared or cached), created at once, polled with multi_results
until all are done. Prints {"statuses": {status: count}}."""
import json
import sys
import time

import looker_sdk
from looker_sdk import models40 as m
from looker_sdk.rtl.model import DelimSequence


def main():
    sdk = looker_sdk.init40()
    n = int(sys.argv[1])
    query = sdk.create_query(m.WriteQuery(model="shop", view="nap", fields=["nap.n"]))
    ids = [
        sdk.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json), limit=str(i), cache=False).id
        for i in range(1, n + 1)
    ]
    deadline = time.time() + 120
    statuses = {}
    while time.time() < deadline:
        statuses = {}
        for start in range(0, n, 100):
            for entry in sdk.query_task_multi_results(DelimSequence(ids[start:start + 100])).values():
                statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
        if set(statuses) <= {"complete", "error", "killed"}:
            break
        time.sleep(0.2)
    print(json.dumps({"statuses": statuses}))


main()
