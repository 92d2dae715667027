"""Two servers on one PostgreSQL metadata database, through Looker's official Python SDK; run by
sdk_two_servers.rs as `sdk_two_servers.py OTHER_BASE_URL N`. N query tasks are created on the
`counted` explore, alternately on each server (cache off, distinct row limits, so each one is a
statement of its own), and each task's status and result are read from the other server; then a
persistent derived table is read through both. Prints a JSON report."""
import json
import os
import sys
import time

import looker_sdk
from looker_sdk import models40 as m
from looker_sdk.rtl.model import DelimSequence

FINAL = {"complete", "error", "killed", "expired", "missing"}


def main():
    other_url, n = sys.argv[1], int(sys.argv[2])
    first = looker_sdk.init40()
    os.environ["LOOKERSDK_BASE_URL"] = other_url
    second = looker_sdk.init40()
    servers = [first, second]
    query = first.create_query(m.WriteQuery(model="shop", view="counted", fields=["counted.n"]))
    body = m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json)
    # (task id, the server it was created on)
    tasks = [(servers[i % 2].create_query_task(body, limit=str(i + 1), cache=False).id, i % 2) for i in range(n)]
    statuses = {}
    deadline = time.time() + 120
    while time.time() < deadline:
        for start in range(0, n, 50):
            batch = tasks[start:start + 50]
            for created_on in (0, 1):
                ids = [t for t, s in batch if s == created_on and statuses.get(t) not in FINAL]
                if ids:
                    answered = servers[1 - created_on].query_task_multi_results(DelimSequence(ids))
                    statuses.update({k: v["status"] for k, v in answered.items()})
        if len(statuses) == n and set(statuses.values()) <= FINAL:
            break
        time.sleep(0.2)
    counts = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    whole = 0
    for task, created_on in tasks:
        if statuses.get(task) == "complete":
            rows = json.loads(servers[1 - created_on].query_task_results(task))
            whole += rows == [{"counted.n": 1}]
    # A persistent derived table (the count of runs): built by the first server, then one more
    # run is noted, then the second server reads it (cache off, so it runs its query); had it
    # built the table again, it would count that run.
    built = m.WriteQuery(model="shop", view="runs_built", fields=["runs_built.n"])
    pdt = [json.loads(first.run_inline_query("json", built, cache=False))[0]["runs_built.n"]]
    first.run_inline_query("json", m.WriteQuery(model="shop", view="counted", fields=["counted.n"]), cache=False)
    pdt.append(json.loads(second.run_inline_query("json", built, cache=False))[0]["runs_built.n"])
    print(json.dumps({"statuses": counts, "results_read_elsewhere": whole, "pdt": pdt}))


main()
