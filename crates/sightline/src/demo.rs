//! `sightline demo`: thelook's e-commerce schema generated in an embedded DuckDB file, then the
//! demo LookML project served over it.
//!
//! Generation is plain DuckDB SQL over `range()`, with every "random" choice taken from
//! `hash(row, salt)`, so the same scale gives the same data on every run (for a given DuckDB
//! version) in a second or two. It writes to a temporary file and renames it, so an interrupted
//! run never leaves a half-made database behind.

use std::path::Path;

use anyhow::Context;
use connect::{Connection, DuckDbConnection};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, ConnectionConfig, DuckDbConfig};
use crate::ServerArgs;

/// Bumped whenever the generated data changes, so a cached database from older code is not reused.
pub const DATA_VERSION: u32 = 2;

/// Where the demo database for `scale` lives under the data folder.
pub fn database_path(data_dir: &Path, scale: u32) -> std::path::PathBuf {
    data_dir.join("demo").join(format!("thelook-v{DATA_VERSION}-scale{scale}.duckdb"))
}

/// Users per unit of scale; orders are five times as many, with 1–4 items each.
const USERS_PER_SCALE: u64 = 10_000;

pub fn run(scale: u32, project: &Path, args: &ServerArgs) -> anyhow::Result<()> {
    let scale = scale.max(1);
    let database = database_path(&args.data_dir, scale);
    if !database.exists() {
        generate(&database, scale)?;
    }
    if !project.join("thelook.model.lkml").exists() {
        anyhow::bail!("the demo LookML project is not at {} (run from the repository root, or pass --project)", project.display());
    }
    let mut config = Config {
        connections: Default::default(),
        timezones: Default::default(),
        limits: Default::default(),
        query_timeouts: Default::default(),
        scratch_schemas: Default::default(),
    };
    config.connections.insert(
        "thelook".into(),
        ConnectionConfig::Duckdb(DuckDbConfig { database: database.to_string_lossy().into_owned(), create: false }),
    );
    crate::server::run(project, config, args)
}

/// Creates the demo database at `path`.
pub fn generate(path: &Path, scale: u32) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let db = DuckDbConnection::open(&partial.to_string_lossy())?;
    let started = std::time::Instant::now();
    let steps = statements(scale);
    let bar = ProgressBar::new(steps.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("Generating thelook demo data");
    for (table, sql) in &steps {
        bar.set_message(table.to_string());
        db.execute_batch(sql).with_context(|| format!("generating table {table}"))?;
        bar.inc(1);
    }
    bar.finish_with_message("done");
    let count = |table: &str| -> anyhow::Result<i64> {
        let column = result::ColumnInfo::plain("n", result::ValueType::Number).measure();
        let r = db.query(&format!("SELECT COUNT(*) FROM {table}"), vec![column])?;
        Ok(match r.value(0, 0) {
            result::Value::Int(n) => *n,
            _ => 0,
        })
    };
    println!(
        "Generated thelook demo data (scale {scale}) in {:.1} s: {} users, {} orders, {} order items, {} events",
        started.elapsed().as_secs_f64(),
        count("users")?,
        count("orders")?,
        count("order_items")?,
        count("events")?
    );
    drop(db);
    std::fs::rename(&partial, path).with_context(|| format!("cannot move the demo database to {}", path.display()))?;
    Ok(())
}

/// `(table, SQL)` in dependency order.
pub fn statements(scale: u32) -> Vec<(&'static str, String)> {
    let users = USERS_PER_SCALE * u64::from(scale);
    let orders = users * 5;
    let events = users * 10;
    // r(k, n): a deterministic pseudo-random integer in [0, n) for row k.
    vec![
        ("distribution_centers", r#"
CREATE TABLE distribution_centers AS
SELECT * FROM (VALUES
  (1, 'Memphis TN', 35.1174, -89.9711), (2, 'Chicago IL', 41.8369, -87.6847),
  (3, 'Houston TX', 29.7604, -95.3698), (4, 'Los Angeles CA', 34.05, -118.25),
  (5, 'New Orleans LA', 29.95, -90.0667), (6, 'Port Authority of New York/New Jersey NY/NJ', 40.634, -73.7834),
  (7, 'Philadelphia PA', 39.95, -75.1667), (8, 'Mobile AL', 30.6944, -88.0431),
  (9, 'Charleston SC', 32.7833, -79.9333), (10, 'Savannah GA', 32.0167, -81.1167)
) AS t(id, name, latitude, longitude);"#.to_string()),
        ("products", r#"
CREATE TABLE products AS
WITH p AS (
  SELECT i AS id,
    ['Jeans','Tops & Tees','Sweaters','Shorts','Outerwear & Coats','Dresses','Swim','Accessories','Socks','Active','Intimates','Sleep & Lounge'][(1 + hash(i, 'category') % 12)::BIGINT] AS category,
    ['Levi''s','Calvin Klein','Carhartt','Nike','Columbia','Tommy Hilfiger','Ray-Ban','Hanes','Patagonia','Diesel','Allegra K','Quiksilver'][(1 + hash(i, 'brand') % 12)::BIGINT] AS brand,
    CASE WHEN hash(i, 'department') % 2 = 0 THEN 'Women' ELSE 'Men' END AS department,
    CAST(5 + (hash(i, 'price') % 19500) / 100.0 AS DECIMAL(10, 2)) AS retail_price,
    (30 + hash(i, 'margin') % 40) / 100.0 AS cost_ratio,
    (1 + hash(i, 'dc') % 10)::INTEGER AS distribution_center_id
  FROM range(1, 2001) AS t(i)
)
SELECT id, CAST(retail_price * cost_ratio AS DECIMAL(10, 2)) AS cost, category, brand || ' ' || category || ' #' || id AS name, brand,
  retail_price, department, upper(substr(md5(id::VARCHAR), 1, 12)) AS sku, distribution_center_id
FROM p;"#.to_string()),
        ("users", format!(r#"
CREATE TABLE users AS
SELECT i AS id,
  ['James','Mary','Robert','Patricia','John','Jennifer','Michael','Linda','David','Elizabeth','William','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah','Carlos','Aiko'][(1 + hash(i, 'first') % 20)::BIGINT] AS first_name,
  ['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez','Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Tanaka'][(1 + hash(i, 'last') % 20)::BIGINT] AS last_name,
  'user' || i || '@example.com' AS email,
  (12 + hash(i, 'age') % 59)::INTEGER AS age,
  CASE WHEN hash(i, 'gender') % 2 = 0 THEN 'F' ELSE 'M' END AS gender,
  ['California','Texas','New York','Florida','Illinois','Washington','Ohio','Georgia','Oregon','Massachusetts'][(1 + hash(i, 'state') % 10)::BIGINT] AS state,
  ['Los Angeles','Houston','New York','Miami','Chicago','Seattle','Columbus','Atlanta','Portland','Boston'][(1 + hash(i, 'state') % 10)::BIGINT] AS city,
  CASE WHEN hash(i, 'country') % 10 < 8 THEN 'USA' ELSE ['Canada','UK','Brazil','Germany','Japan'][(1 + hash(i, 'nation') % 5)::BIGINT] END AS country,
  lpad((10000 + hash(i, 'zip') % 89999)::VARCHAR, 5, '0') AS zip,
  ['Search','Organic','Facebook','Email','Display'][(1 + hash(i, 'traffic') % 5)::BIGINT] AS traffic_source,
  TIMESTAMP '2019-01-01 00:00:00' + to_seconds((hash(i, 'created') % 189216000)::BIGINT) AS created_at
FROM range(1, {users} + 1) AS t(i);"#)),
        ("orders", format!(r#"
CREATE TABLE orders AS
WITH o AS (
  SELECT i AS order_id, (1 + hash(i, 'user') % {users})::BIGINT AS user_id, hash(i, 'status') % 100 AS s, (1 + hash(i, 'items') % 4)::INTEGER AS num_of_item,
    (hash(i, 'delay') % 7776000)::BIGINT AS delay_seconds, (hash(i, 'ship') % 259200)::BIGINT AS ship_seconds
  FROM range(1, {orders} + 1) AS t(i)
)
SELECT o.order_id, o.user_id,
  CASE WHEN s < 50 THEN 'Complete' WHEN s < 65 THEN 'Shipped' WHEN s < 80 THEN 'Processing' WHEN s < 90 THEN 'Cancelled' ELSE 'Returned' END AS status,
  u.gender,
  u.created_at + to_seconds(o.delay_seconds) AS created_at,
  CASE WHEN s >= 90 THEN u.created_at + to_seconds(o.delay_seconds + o.ship_seconds + 864000) END AS returned_at,
  CASE WHEN s < 65 OR s >= 90 THEN u.created_at + to_seconds(o.delay_seconds + o.ship_seconds) END AS shipped_at,
  CASE WHEN s < 50 OR s >= 90 THEN u.created_at + to_seconds(o.delay_seconds + o.ship_seconds + 259200) END AS delivered_at,
  o.num_of_item
FROM o JOIN users u ON u.id = o.user_id
ORDER BY o.order_id;"#)),
        ("order_items", r#"
CREATE TABLE order_items AS
SELECT row_number() OVER (ORDER BY o.order_id, k.k) AS id, o.order_id, o.user_id, p.id AS product_id,
  row_number() OVER (ORDER BY o.order_id, k.k) AS inventory_item_id,
  o.status, o.created_at, o.shipped_at, o.delivered_at, o.returned_at, p.retail_price AS sale_price
FROM orders o
CROSS JOIN LATERAL (SELECT * FROM range(o.num_of_item) AS r(k)) AS k
JOIN products p ON p.id = 1 + hash(o.order_id, k.k, 'product') % 2000
ORDER BY id;"#.to_string()),
        ("inventory_items", r#"
CREATE TABLE inventory_items AS
SELECT oi.inventory_item_id AS id, p.id AS product_id, oi.created_at - INTERVAL 30 DAY AS created_at,
  CASE WHEN oi.status <> 'Cancelled' THEN oi.created_at END AS sold_at, p.cost, p.category AS product_category,
  p.name AS product_name, p.brand AS product_brand, p.retail_price AS product_retail_price,
  p.department AS product_department, p.sku AS product_sku, p.distribution_center_id AS product_distribution_center_id
FROM order_items oi JOIN products p ON p.id = oi.product_id
ORDER BY id;"#.to_string()),
        ("events", format!(r#"
CREATE TABLE events AS
SELECT i AS id, CASE WHEN hash(i, 'anon') % 4 = 0 THEN NULL ELSE (1 + hash(i, 'user') % {users})::BIGINT END AS user_id,
  (1 + hash(i, 'seq') % 12)::INTEGER AS sequence_number, md5((i // 6)::VARCHAR) AS session_id,
  TIMESTAMP '2019-01-01 00:00:00' + to_seconds((hash(i, 'created') % 220752000)::BIGINT) AS created_at,
  (hash(i, 'a') % 256) || '.' || (hash(i, 'b') % 256) || '.' || (hash(i, 'c') % 256) || '.' || (hash(i, 'd') % 256) AS ip_address,
  ['Los Angeles','Houston','New York','Miami','Chicago','Seattle','Columbus','Atlanta','Portland','Boston'][(1 + hash(i, 'city') % 10)::BIGINT] AS city,
  ['Chrome','Safari','Firefox','Edge','Other'][(1 + hash(i, 'browser') % 5)::BIGINT] AS browser,
  ['Search','Organic','Facebook','Email','Display','Adwords','YouTube'][(1 + hash(i, 'traffic') % 7)::BIGINT] AS traffic_source,
  ['home','department','product','cart','purchase','cancel'][(1 + hash(i, 'type') % 6)::BIGINT] AS event_type,
  '/' || ['home','department','product','cart','purchase','cancel'][(1 + hash(i, 'type') % 6)::BIGINT] AS uri
FROM range(1, {events} + 1) AS t(i);"#)),
    ]
}
