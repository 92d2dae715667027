"""A persistent derived table through Looker's official Python SDK, run by sdk_warehouses.rs:
`sdk_pdt.py [rebuild]` reads `order_counts_built` with the result cache off (and, given
`rebuild`, with rebuild_pdts=true) and prints its rows as a JSON report."""
import json
import sys

import looker_sdk
from looker_sdk import models40 as m


def main():
    sdk = looker_sdk.init40()
    fields = ["order_counts_built.status", "order_counts_built.orders"]
    query = m.WriteQuery(model="shop", view="order_counts_built", fields=fields, sorts=[fields[0]])
    rebuild = sys.argv[1:] == ["rebuild"]
    rows = json.loads(sdk.run_inline_query("json", query, cache=False, rebuild_pdts=rebuild))
    print(json.dumps({"rows": [[row[f] for f in fields] for row in rows]}))


main()
