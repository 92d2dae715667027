// The same flows through Looker's official TypeScript SDK for Node: login, a query task, a render
// task, the metadata routes and an error, printed as one JSON report for sdk_flows.rs to check.
// LOOKERSDK_BASE_URL, _CLIENT_ID, _CLIENT_SECRET and _VERIFY_SSL come from the environment; the
// SDK is found through NODE_PATH (scripts/node-sdk.sh installs it outside the clone), hence
// CommonJS.

const { writeFileSync } = require("node:fs");
const { LookerNodeSDK, NodeSettings } = require("@looker/sdk-node");
const { DelimArray } = require("@looker/sdk-rtl");

const sdk = LookerNodeSDK.init40(new NodeSettings("LOOKERSDK"));
const report = {};

async function wait(read, done, what) {
  const seen = [];
  for (let i = 0; i < 600; i++) {
    const status = await read();
    if (seen[seen.length - 1] !== status) seen.push(status);
    if (done.includes(status)) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} never finished: ${seen}`);
}

async function main() {
  report.me = (await sdk.ok(sdk.me())).display_name;
  const query = await sdk.ok(
    sdk.create_query({
      model: "thelook",
      view: "order_items",
      fields: ["orders.status", "order_items.count"],
      filters: { "orders.status": "-Cancelled" },
      sorts: ["orders.status"],
    })
  );
  report.query_id = query.id;
  const task = await sdk.ok(sdk.create_query_task({ body: { query_id: query.id, result_format: "json" }, cache: false }));
  report.task_statuses = [task.status, ...(await wait(async () => (await sdk.ok(sdk.query_task(task.id))).status, ["complete", "error"], "query task"))];
  report.rows = await sdk.ok(sdk.query_task_results(task.id));

  const render = await sdk.ok(sdk.create_query_render_task(query.id, "png", 400, 300));
  report.render_statuses = await wait(async () => (await sdk.ok(sdk.render_task(render.id))).status, ["success", "failure"], "render task");
  const png = await sdk.ok(sdk.render_task_results(render.id));
  writeFileSync(process.argv[2], Buffer.from(png, "binary"));

  const explore = await sdk.ok(sdk.lookml_model_explore({ lookml_model_name: "thelook", explore_name: "order_items" }));
  report.explore = {
    id: explore.id,
    join_orders: explore.joins.filter((j) => j.name === "orders").map((j) => [j.type, j.relationship])[0],
    measures: explore.fields.measures.length,
  };
  report.models = (await sdk.ok(sdk.all_lookml_models({ fields: "name", limit: 5, offset: 0 }))).map((m) => Object.keys(m));
  report.connections = (await sdk.ok(sdk.all_connections())).map((c) => [c.name, c.dialect_name]);
  report.multi = Object.values(await sdk.ok(sdk.query_task_multi_results(new DelimArray([task.id])))).map((r) => r.status);
  report.slug = (await sdk.ok(sdk.query_for_slug(query.slug))).id === query.id;
  try {
    await sdk.ok(sdk.create_query_task({ body: { query_id: query.id, result_format: "json", look_id: "1" } }));
    report.refused = null;
  } catch (e) {
    report.refused = (e.errors || []).map((d) => [d.field, d.code]);
}
await sdk.authSession.logout();
console.log(JSON.stringify(report));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
