//! The semantic corpus: queries over `tests/corpus/shop` (every timeframe, measure type, measure
//! filters, tiers, case, durations, datatypes, refinements, extends, explore filters, fan-outs)
//! compiled by Sightline for DuckDB, PostgreSQL and MariaDB and run on each, every result compared
//! with hand-written SQL over the same data (run on DuckDB, the reference).

use std::path::Path;

use connect::{Connection, DuckDbConnection, MySqlConnection, PostgresConnection, ServerTarget};
use jiff::civil::date;
use result::{ColumnInfo, ResultSet, Value, ValueType};
use semantic::Catalog;
use sql::{compile, CompileError, Dialect, DuckDb, Limit, MySql, Postgres, QuerySpec};

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    model: &'static str,
    explore: &'static str,
    fields: &'static [&'static str],
    filters: &'static [(&'static str, &'static str)],
    sorts: &'static [&'static str],
    expected: &'static str,
    /// Row limit; every row when `None`.
    limit: Option<u64>,
    /// `query_timezone` (the data is stored in UTC).
    zone: Option<&'static str>,
}

const fn case(
    name: &'static str,
    explore: &'static str,
    fields: &'static [&'static str],
    filters: &'static [(&'static str, &'static str)],
    sorts: &'static [&'static str],
    expected: &'static str,
) -> Case {
    Case { name, model: "shop", explore, fields, filters, sorts, expected, limit: None, zone: None }
}

const CASES: &[Case] = &[
    // Timeframes, each against DuckDB functions written independently of the dialect code.
    case("timeframe date", "orders", &["orders.created_date", "orders.count"], &[], &["orders.created_date"],
        "SELECT created_at::DATE, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe time", "orders", &["orders.created_time"], &[], &["orders.created_time"],
        "SELECT date_trunc('second', created_at) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe week (monday)", "orders", &["orders.created_week", "orders.count"], &[], &["orders.created_week"],
        "SELECT (created_at::DATE - (isodow(created_at) - 1) * INTERVAL 1 DAY)::DATE, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe month", "orders", &["orders.created_month", "orders.count"], &[], &["orders.created_month"],
        "SELECT printf('%04d-%02d', year(created_at), month(created_at)), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe quarter", "orders", &["orders.created_quarter", "orders.count"], &[], &["orders.created_quarter"],
        "SELECT printf('%d-Q%d', year(created_at), quarter(created_at)), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe year", "orders", &["orders.created_year", "orders.total_amount"], &[], &["orders.created_year"],
        "SELECT year(created_at), SUM(amount) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe hour", "orders", &["orders.created_hour"], &[], &["orders.created_hour"],
        "SELECT printf('%s %02d', created_at::DATE, hour(created_at)) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe hour6", "orders", &["orders.created_hour6", "orders.count"], &[], &["orders.created_hour6"],
        "SELECT created_at::DATE + INTERVAL (hour(created_at) // 6 * 6) HOUR, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe minute15", "orders", &["orders.created_minute15"], &[], &["orders.created_minute15"],
        "SELECT date_trunc('hour', created_at) + INTERVAL (minute(created_at) // 15 * 15) MINUTE FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe minute", "orders", &["orders.created_minute"], &[], &["orders.created_minute"],
        "SELECT printf('%s %02d:%02d', created_at::DATE, hour(created_at), minute(created_at)) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe time_of_day", "orders", &["orders.created_time_of_day", "orders.count"], &[], &["orders.created_time_of_day"],
        "SELECT printf('%02d:%02d', hour(created_at), minute(created_at)), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe day_of_week", "orders", &["orders.created_day_of_week", "orders.count"], &[], &["orders.created_day_of_week"],
        "SELECT dayname(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe day_of_week_index", "orders", &["orders.created_day_of_week_index", "orders.count"], &[], &["orders.created_day_of_week_index"],
        "SELECT isodow(created_at) - 1, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe day_of_month", "orders", &["orders.created_day_of_month", "orders.count"], &[], &["orders.created_day_of_month"],
        "SELECT day(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe day_of_year", "orders", &["orders.created_day_of_year", "orders.count"], &[], &["orders.created_day_of_year"],
        "SELECT dayofyear(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe week_of_year", "orders", &["orders.created_week_of_year", "orders.count"], &[], &["orders.created_week_of_year"],
        "SELECT week(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe month_name", "orders", &["orders.created_month_name", "orders.count"], &[], &["orders.created_month_name"],
        "SELECT monthname(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe month_num", "orders", &["orders.created_month_num", "orders.count"], &[], &["orders.created_month_num"],
        "SELECT month(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe quarter_of_year", "orders", &["orders.created_quarter_of_year", "orders.count"], &[], &["orders.created_quarter_of_year"],
        "SELECT 'Q' || quarter(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe hour_of_day", "orders", &["orders.created_hour_of_day", "orders.count"], &[], &["orders.created_hour_of_day"],
        "SELECT hour(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("timeframe yesno", "orders", &["orders.shipped", "orders.count"], &[], &["orders.shipped"],
        "SELECT CASE WHEN shipped_epoch IS NOT NULL THEN 'Yes' ELSE 'No' END, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    // Fiscal timeframes with no offset equal calendar ones.
    case("fiscal_year without offset", "orders", &["orders.created_fiscal_year", "orders.count"], &[], &["orders.created_fiscal_year"],
        "SELECT year(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    // Datatypes.
    case("datatype epoch", "orders", &["orders.shipped_date", "orders.count"], &[], &["orders.shipped_date"],
        "SELECT to_timestamp(shipped_epoch)::TIMESTAMP::DATE, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1 NULLS LAST"),
    case("datatype yyyymmdd", "orders", &["orders.booked_month", "orders.count"], &[], &["orders.booked_month"],
        "SELECT printf('%04d-%02d', booked_ymd // 10000, booked_ymd // 100 % 100), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("datatype yyyymmdd filter", "orders", &["orders.count"], &[("orders.booked_date", "2023-04-01 to 2023-05-01")], &[],
        "SELECT COUNT(*) FROM orders WHERE booked_ymd >= 20230401 AND booked_ymd < 20230501"),
    // Filters on timeframes: spans filter the timestamp, parts filter the value.
    case("filter on year span", "orders", &["orders.count"], &[("orders.created_year", "2024")], &[],
        "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-01-01' AND created_at < '2025-01-01'"),
    case("filter on month_num part", "orders", &["orders.count"], &[("orders.created_month_num", "[3,5]")], &[],
        "SELECT COUNT(*) FROM orders WHERE month(created_at) BETWEEN 3 AND 5"),
    case("filter on day_of_week part", "orders", &["orders.count"], &[("orders.created_day_of_week", "Monday,Friday")], &[],
        "SELECT COUNT(*) FROM orders WHERE dayname(created_at) IN ('Monday', 'Friday')"),
    case("filter on yesno timeframe", "orders", &["orders.count"], &[("orders.shipped", "No")], &[],
        "SELECT COUNT(*) FROM orders WHERE shipped_epoch IS NULL"),
    // Measure types and measure filters.
    case("filtered count", "orders", &["orders.created_year", "orders.complete_count"], &[], &["orders.created_year"],
        "SELECT year(created_at), COUNT(*) FILTER (WHERE status = 'complete') FROM orders GROUP BY 1 ORDER BY 1"),
    case("filtered sum with a time filter", "orders", &["orders.status", "orders.complete_amount"], &[], &["orders.status"],
        "SELECT status, COALESCE(SUM(amount) FILTER (WHERE status = 'complete' AND year(created_at) = 2024), 0) FROM orders GROUP BY 1 ORDER BY 1"),
    case("filtered sum over a joined view", "orders", &["orders.created_year", "orders.us_amount"], &[], &["orders.created_year"],
        "SELECT year(o.created_at), COALESCE(SUM(o.amount) FILTER (WHERE u.country = 'US'), 0) FROM orders o LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1"),
    case("filtered count_distinct with negation", "orders", &["orders.complete_users"], &[], &[],
        "SELECT COUNT(DISTINCT user_id) FILTER (WHERE status <> 'cancelled' OR status IS NULL) FROM orders"),
    // PostgreSQL and MariaDB have no estimator and count exactly; DuckDB estimates (checked
    // apart, within a bound).
    case("approximate count_distinct", "orders", &["orders.status", "orders.approximate_users"], &[], &["orders.status"],
        "SELECT status, COUNT(DISTINCT user_id) FROM orders GROUP BY 1 ORDER BY 1"),
    case("median", "orders", &["orders.status", "orders.median_amount"], &[], &["orders.status"],
        "SELECT status, median(amount) FROM orders GROUP BY 1 ORDER BY 1"),
    case("percentile", "orders", &["orders.status", "orders.p90_amount"], &[], &["orders.status"],
        "SELECT status, quantile_cont(amount, 0.9) FROM orders GROUP BY 1 ORDER BY 1"),
    case("list", "orders", &["orders.created_year", "orders.statuses"], &[], &["orders.created_year"],
        "SELECT year(created_at), string_agg(DISTINCT status, ', ' ORDER BY status) FROM orders GROUP BY 1 ORDER BY 1"),
    case("date measure", "orders", &["orders.status", "orders.first_order"], &[], &["orders.status"],
        "SELECT status, MIN(created_at) FROM orders GROUP BY 1 ORDER BY 1"),
    case("yesno measure", "orders", &["orders.created_year", "orders.any_pending"], &[], &["orders.created_year"],
        "SELECT year(created_at), CASE WHEN bool_or(status = 'pending') THEN 'Yes' ELSE 'No' END FROM orders GROUP BY 1 ORDER BY 1"),
    case("number measure over measures", "orders", &["orders.status", "orders.amount_per_order"], &[], &["orders.status"],
        "SELECT status, SUM(amount) / COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("filter on a measure", "orders", &["orders.user_id", "orders.count"], &[("orders.count", ">=4")], &["orders.user_id"],
        "SELECT user_id, COUNT(*) FROM orders GROUP BY 1 HAVING COUNT(*) >= 4 ORDER BY 1"),
    // *_distinct types de-duplicate by sql_distinct_key.
    case("sum_distinct", "order_items", &["order_items.order_amount_once", "order_items.total_sale_price"], &[], &[],
        "SELECT (SELECT SUM(amount) FROM orders WHERE id IN (SELECT order_id FROM order_items)), (SELECT SUM(sale_price) FROM order_items)"),
    case("average_distinct", "order_items", &["order_items.order_amount_average_once"], &[], &[],
        "SELECT AVG(amount) FROM orders WHERE id IN (SELECT order_id FROM order_items)"),
    case("median_distinct", "order_items", &["order_items.order_amount_median_once"], &[], &[],
        "SELECT median(amount) FROM orders WHERE id IN (SELECT order_id FROM order_items)"),
    // Fan-out: the one-to-many join must not repeat orders or users.
    case("symmetric sum across one_to_many", "orders", &["orders.status", "orders.total_amount", "order_items.total_sale_price"], &[], &["orders.status"],
        "SELECT o.status, SUM(o.amount), (SELECT SUM(i.sale_price) FROM order_items i JOIN orders o2 ON i.order_id = o2.id WHERE o2.status = o.status) FROM orders o GROUP BY 1 ORDER BY 1"),
    case("symmetric average of a many_to_one view", "order_items", &["users.country", "users.average_age", "order_items.count"], &[], &["users.country"],
        "SELECT u.country, (SELECT AVG(age) FROM users u2 WHERE u2.country IS NOT DISTINCT FROM u.country AND u2.id IN (SELECT o.user_id FROM orders o JOIN order_items i ON i.order_id = o.id)), COUNT(*) FROM order_items i JOIN orders o ON i.order_id = o.id LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1 NULLS LAST"),
    // Dimension types.
    case("tier integer style, sorted by bucket", "orders", &["orders.amount_tier", "orders.count"], &[], &["orders.amount_tier"],
        "SELECT t, c FROM (SELECT CASE WHEN amount < 10 THEN 'Below 10' WHEN amount < 50 THEN '10 to 49' WHEN amount < 100 THEN '50 to 99' ELSE '100 or Above' END AS t, CASE WHEN amount < 10 THEN 0 WHEN amount < 50 THEN 1 WHEN amount < 100 THEN 2 ELSE 3 END AS k, COUNT(*) AS c FROM orders GROUP BY 1, 2) ORDER BY k"),
    case("bin relational style, sorted by bucket", "orders", &["orders.amount_bin", "orders.count"], &[], &["orders.amount_bin desc"],
        "SELECT t, c FROM (SELECT CASE WHEN amount < 50 THEN '< 50' WHEN amount < 100 THEN '>= 50 and < 100' ELSE '>= 100' END AS t, CASE WHEN amount < 50 THEN 0 WHEN amount < 100 THEN 1 ELSE 2 END AS k, COUNT(*) AS c FROM orders GROUP BY 1, 2) ORDER BY k DESC"),
    case("tier classic style with nulls", "users", &["users.age_tier", "users.count"], &[], &["users.age_tier"],
        "SELECT t, c FROM (SELECT CASE WHEN age IS NULL THEN 'Undefined' WHEN age < 20 THEN 'T00 (-inf,20)' WHEN age < 40 THEN 'T01 [20,40)' WHEN age < 60 THEN 'T02 [40,60)' ELSE 'T03 [60,inf)' END AS t, COUNT(*) AS c FROM users GROUP BY 1) ORDER BY CASE t WHEN 'T00 (-inf,20)' THEN 0 WHEN 'T01 [20,40)' THEN 1 WHEN 'T02 [40,60)' THEN 2 WHEN 'T03 [60,inf)' THEN 3 ELSE 4 END"),
    case("tier filter", "users", &["users.count"], &[("users.age_tier", "T01 [20^,40)")], &[],
        "SELECT COUNT(*) FROM users WHERE age >= 20 AND age < 40"),
    case("case in declaration order", "orders", &["orders.status_group", "orders.count"], &[], &["orders.status_group"],
        "SELECT g, c FROM (SELECT CASE WHEN status = 'pending' THEN 'Open' WHEN status = 'complete' THEN 'Done' ELSE 'Stopped' END AS g, COUNT(*) AS c FROM orders GROUP BY 1) ORDER BY CASE g WHEN 'Open' THEN 0 WHEN 'Done' THEN 1 ELSE 2 END"),
    case("case-insensitive string filter", "users", &["users.count"], &[("users.country_any_case", "us,f%")], &[],
        "SELECT COUNT(*) FROM users WHERE country IN ('US', 'FR')"),
    case("case-sensitive string filter by default", "users", &["users.count"], &[("users.country", "US,f%")], &[],
        "SELECT COUNT(*) FROM users WHERE country = 'US'"),
    case("order_by_field sorts by the other field", "orders", &["orders.status_sorted", "orders.count"], &[], &["orders.status_sorted desc"],
        "SELECT status, COUNT(*) FROM orders GROUP BY 1 ORDER BY CASE status WHEN 'pending' THEN 1 WHEN 'complete' THEN 2 ELSE 3 END DESC"),
    case("order_by_field under a running total", "orders", &["orders.status_sorted", "orders.running_count"], &[], &["orders.status_sorted"],
        "SELECT status, SUM(COUNT(*)) OVER (ORDER BY CASE status WHEN 'pending' THEN 1 WHEN 'complete' THEN 2 ELSE 3 END) FROM orders GROUP BY 1 ORDER BY CASE status WHEN 'pending' THEN 1 WHEN 'complete' THEN 2 ELSE 3 END"),
    case("case filter", "orders", &["orders.count"], &[("orders.status_group", "Stopped")], &[],
        "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'"),
    case("duration in days", "orders", &["orders.days_since_signup", "orders.count"], &[("orders.days_since_signup", "[150,200]")], &["orders.days_since_signup"],
        "SELECT date_diff('day', u.created_at::DATE, o.created_at::DATE), COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE date_diff('day', u.created_at::DATE, o.created_at::DATE) BETWEEN 150 AND 200 GROUP BY 1 ORDER BY 1"),
    case("duration in complete months", "orders", &["orders.months_since_signup", "orders.count"], &[], &["orders.months_since_signup"],
        "SELECT date_sub('month', u.created_at::DATE, o.created_at::DATE), COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1"),
    case("duration in hours", "orders", &["orders.hours_since_signup"], &[("orders.id", "<=20")], &["orders.hours_since_signup"],
        "SELECT floor((epoch(o.created_at) - epoch(u.created_at)) / 3600)::BIGINT FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE o.id <= 20 GROUP BY 1 ORDER BY 1"),
    // Refinements and extends.
    case("refined dimension sql", "users", &["users.name"], &[("users.id", "<=3")], &["users.name"],
        "SELECT UPPER(name) FROM users WHERE id <= 3 ORDER BY 1"),
    case("refinement adds a yesno", "orders", &["orders.big", "orders.count"], &[], &["orders.big"],
        "SELECT CASE WHEN ROUND(amount, 2) >= 100 THEN 'Yes' ELSE 'No' END, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("extended fields", "users", &["users.country", "users.count", "users.total_age"], &[], &["users.country"],
        "SELECT country, COUNT(*), COALESCE(SUM(age), 0) FROM users GROUP BY 1 ORDER BY 1 NULLS LAST"),
    // Explore parameters.
    case("a join's sql_table_name replaces its view's table", "us_orders", &["users.country", "us_orders.count"], &[], &["users.country"],
        "SELECT u.country, COUNT(*) FROM orders o JOIN users u ON o.user_id = u.id WHERE u.country = 'US' GROUP BY 1 ORDER BY 1"),
    case("cancel_grouping_fields: rows as the table has them", "order_rows", &["order_rows.id", "order_rows.status", "users.country"], &[("order_rows.amount", ">=140")], &["order_rows.id"],
        "SELECT o.id, o.status, u.country FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE o.amount >= 140 ORDER BY 1"),
    case("a join's sql_where applies only when the join is used: unused", "adult_orders", &["adult_orders.status", "adult_orders.count"], &[], &["adult_orders.status"],
        "SELECT status, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    case("a join's sql_where applies only when the join is used: used", "adult_orders", &["users.country", "adult_orders.count"], &[], &["users.country"],
        "SELECT u.country, COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE u.age >= 30 GROUP BY 1 ORDER BY 1"),
    case("sql_always_where, sql_always_having and always_filter", "completed_orders", &["completed_orders.user_id", "completed_orders.count"], &[], &["completed_orders.user_id"],
        "SELECT user_id, COUNT(*) FROM orders WHERE status = 'complete' AND created_at >= '2024-01-01' AND created_at < '2025-01-01' GROUP BY 1 HAVING COUNT(*) > 1 ORDER BY 1"),
    case("always_filter value replaced by the query's", "completed_orders", &["completed_orders.count"], &[("completed_orders.created_year", "2023")], &[],
        "SELECT COUNT(*) FROM orders WHERE status = 'complete' AND year(created_at) = 2023 HAVING COUNT(*) > 1"),
    case("conditionally_filter applies by default", "conditional_orders", &["conditional_orders.count"], &[], &[],
        "SELECT COUNT(*) FROM orders WHERE status = 'pending'"),
    case("conditionally_filter lifted by an unless field", "conditional_orders", &["conditional_orders.count"], &[("conditional_orders.id", "<=100")], &[],
        "SELECT COUNT(*) FROM orders WHERE id <= 100"),
    case("foreign_key join", "orders", &["users.country", "orders.count"], &[], &["users.country"],
        "SELECT u.country, COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1 NULLS LAST"),
    case("required_joins pull the path in", "order_items", &["users.country", "order_items.count"], &[], &["users.country"],
        "SELECT u.country, COUNT(*) FROM order_items i LEFT JOIN orders o ON i.order_id = o.id LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1 NULLS LAST"),
    case("derived table with a filtered count", "customers", &["customer_summary.customers", "customer_summary.big_customers", "customer_summary.total_amount"], &[], &[],
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE orders >= 3), SUM(amount) FROM (SELECT user_id, COUNT(*) AS orders, SUM(amount) AS amount FROM orders GROUP BY 1)"),
    // Native derived tables compile the query of another explore.
    case("native derived table", "users", &["user_facts.lifetime_orders", "user_facts.users", "user_facts.total_lifetime_amount"], &[], &["user_facts.lifetime_orders"],
        "SELECT f.n, COUNT(f.user_id), COALESCE(SUM(f.a), 0) FROM users u LEFT JOIN (SELECT user_id, COUNT(*) AS n, SUM(amount) AS a FROM orders WHERE status <> 'cancelled' GROUP BY 1) f ON u.id = f.user_id GROUP BY 1 ORDER BY 1"),
    case("native derived table's derived column", "users", &["users.id", "user_facts.average_order"], &[("users.id", "<=5")], &["users.id"],
        "SELECT u.id, f.a / f.n FROM users u LEFT JOIN (SELECT user_id, COUNT(*) AS n, SUM(amount) AS a FROM orders WHERE status <> 'cancelled' GROUP BY 1) f ON u.id = f.user_id WHERE u.id <= 5 ORDER BY 1"),
    case("bind_all_filters passes the outer filters in", "orders", &["user_order_counts.orders_per_user", "orders.count"], &[("orders.status", "complete")], &["user_order_counts.orders_per_user"],
        "SELECT c.n, COUNT(*) FROM orders o LEFT JOIN (SELECT user_id, COUNT(*) AS n FROM orders WHERE status = 'complete' GROUP BY 1) c ON o.user_id = c.user_id WHERE o.status = 'complete' GROUP BY 1 ORDER BY 1"),
    case("distance in kilometres and miles, filtered and sorted", "users", &["users.id", "users.km_from_origin", "users.miles_from_origin"], &[("users.km_from_origin", ">5000"), ("users.id", "<=30")], &["users.km_from_origin desc"],
        "SELECT id, d, d / 1.609344 FROM (SELECT id, 2 * 6371.0088 * asin(sqrt(pow(sin(radians(age) / 2), 2) + cos(radians(age)) * pow(sin(radians(id) / 2), 2))) AS d FROM users) WHERE d > 5000 AND id <= 30 ORDER BY d DESC"),
    case("location dimension", "users", &["users.home"], &[("users.id", "<=3")], &["users.home"],
        "SELECT CAST(age AS VARCHAR) || ',' || CAST(id AS VARCHAR) FROM users WHERE id <= 3 ORDER BY 1"),
    case("SQL derived table over another view's table", "status_counts", &["status_counts.status", "status_counts.n"], &[], &["status_counts.status"],
        "SELECT status, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1"),
    // Liquid: templated filters, parameters, `_filters`, `_is_selected`.
    case("templated filter in a derived table", "filtered_status_counts", &["filtered_status_counts.total"], &[("filtered_status_counts.status_filter", "complete,pending")], &[],
        "SELECT COUNT(*) FROM orders WHERE status IN ('complete', 'pending')"),
    case("templated filter without a value is 1=1", "filtered_status_counts", &["filtered_status_counts.total"], &[], &[],
        "SELECT COUNT(*) FROM orders"),
    case("unquoted parameter by default", "orders", &["orders.total_chosen"], &[], &[],
        "SELECT SUM(amount) FROM orders"),
    case("unquoted parameter chosen by label", "orders", &["orders.total_chosen"], &[("orders.amount_unit", "Identifier")], &[],
        "SELECT SUM(id) FROM orders"),
    case("number parameter", "orders", &["orders.status", "orders.total_over_min"], &[("orders.min_amount", "100")], &["orders.status"],
        "SELECT status, SUM(CASE WHEN amount >= 100 THEN amount END) FROM orders GROUP BY 1 ORDER BY 1"),
    case("filter field with sql", "orders", &["orders.count"], &[("orders.status_select", "cancelled")], &[],
        "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'"),
    case("_filters through sql_quote", "orders", &["orders.echo_status_filter", "orders.count"], &[("orders.status", "pending")], &["orders.echo_status_filter"],
        "SELECT 'pending', COUNT(*) FROM orders WHERE status = 'pending'"),
    case("_is_selected", "orders", &["orders.status_or_all", "orders.count"], &[], &["orders.status_or_all"],
        "SELECT 'all', COUNT(*) FROM orders"),
    // String filter forms.
    // `users.name` is refined to UPPER(name).
    case("string: starts with", "users", &["users.count"], &[("users.name", "USER1%")], &[], "SELECT COUNT(*) FROM users WHERE UPPER(name) LIKE 'USER1%'"),
    case("string: ends with", "users", &["users.count"], &[("users.name", "%5")], &[], "SELECT COUNT(*) FROM users WHERE name LIKE '%5'"),
    case("string: contains", "users", &["users.count"], &[("users.name", "%2%")], &[], "SELECT COUNT(*) FROM users WHERE name LIKE '%2%'"),
    case("string: not contains", "users", &["users.count"], &[("users.name", "-%2%")], &[], "SELECT COUNT(*) FROM users WHERE name NOT LIKE '%2%'"),
    case("string: several values", "users", &["users.count"], &[("users.country", "US,FR")], &[], "SELECT COUNT(*) FROM users WHERE country IN ('US', 'FR')"),
    case("string: not one of, nulls kept", "users", &["users.count"], &[("users.country", "-US")], &[], "SELECT COUNT(*) FROM users WHERE country <> 'US' OR country IS NULL"),
    case("string: NULL", "users", &["users.count"], &[("users.country", "NULL")], &[], "SELECT COUNT(*) FROM users WHERE country IS NULL"),
    case("string: not NULL", "users", &["users.count"], &[("users.country", "-NULL")], &[], "SELECT COUNT(*) FROM users WHERE country IS NOT NULL"),
    case("string: EMPTY", "users", &["users.count"], &[("users.country", "EMPTY")], &[], "SELECT COUNT(*) FROM users WHERE country IS NULL OR country = ''"),
    case("string: pattern and exclusion", "users", &["users.count"], &[("users.name", "USER1%,-USER10")], &[], "SELECT COUNT(*) FROM users WHERE UPPER(name) LIKE 'USER1%' AND UPPER(name) <> 'USER10'"),
    case("string: underscore matches one character", "users", &["users.count"], &[("users.name", "USER_1")], &[], "SELECT COUNT(*) FROM users WHERE UPPER(name) LIKE 'USER_1'"),
    case("string: filter on a joined view", "orders", &["orders.count"], &[("users.country", "FR")], &[], "SELECT COUNT(*) FROM orders o JOIN users u ON o.user_id = u.id WHERE u.country = 'FR'"),
    // Number filter forms.
    case("number: equals", "users", &["users.count"], &[("users.age", "22")], &[], "SELECT COUNT(*) FROM users WHERE age = 22"),
    case("number: list", "users", &["users.count"], &[("users.age", "22,29,36")], &[], "SELECT COUNT(*) FROM users WHERE age IN (22, 29, 36)"),
    case("number: not", "users", &["users.count"], &[("users.age", "NOT 22")], &[], "SELECT COUNT(*) FROM users WHERE age <> 22 OR age IS NULL"),
    case("number: greater or equal", "users", &["users.count"], &[("users.age", ">=50")], &[], "SELECT COUNT(*) FROM users WHERE age >= 50"),
    case("number: less than", "users", &["users.count"], &[("users.age", "<30")], &[], "SELECT COUNT(*) FROM users WHERE age < 30"),
    case("number: closed interval", "users", &["users.count"], &[("users.age", "[20,40]")], &[], "SELECT COUNT(*) FROM users WHERE age BETWEEN 20 AND 40"),
    case("number: open interval", "users", &["users.count"], &[("users.age", "(20,40)")], &[], "SELECT COUNT(*) FROM users WHERE age > 20 AND age < 40"),
    case("number: half-open interval", "users", &["users.count"], &[("users.age", "[20,40)")], &[], "SELECT COUNT(*) FROM users WHERE age >= 20 AND age < 40"),
    case("number: NULL", "users", &["users.count"], &[("users.age", "NULL")], &[], "SELECT COUNT(*) FROM users WHERE age IS NULL"),
    case("number: not NULL", "users", &["users.count"], &[("users.age", "NOT NULL")], &[], "SELECT COUNT(*) FROM users WHERE age IS NOT NULL"),
    case("number: decimals on amounts", "orders", &["orders.count"], &[("orders.amount", ">=100.25")], &[], "SELECT COUNT(*) FROM orders WHERE ROUND(amount, 2) >= 100.25"),
    case("number: two ranges", "users", &["users.count"], &[("users.age", "<20,>60")], &[], "SELECT COUNT(*) FROM users WHERE age < 20 OR age > 60"),
    // Date filter forms, "now" being Monday 2024-07-15 12:00.
    case("date: a month", "orders", &["orders.count"], &[("orders.created_date", "2023-07")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-07-01' AND created_at < '2023-08-01'"),
    case("date: a quarter", "orders", &["orders.count"], &[("orders.created_date", "2023-Q3")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-07-01' AND created_at < '2023-10-01'"),
    case("date: a day", "orders", &["orders.count"], &[("orders.created_date", "2023/07/04")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-07-04' AND created_at < '2023-07-05'"),
    case("date: a range", "orders", &["orders.count"], &[("orders.created_date", "2023-07-01 to 2023-07-15")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-07-01' AND created_at < '2023-07-15'"),
    case("date: for n days", "orders", &["orders.count"], &[("orders.created_date", "2024-01-01 for 10 days")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-01-01' AND created_at < '2024-01-11'"),
    case("date: before", "orders", &["orders.count"], &[("orders.created_date", "before 2023-09-01")], &[], "SELECT COUNT(*) FROM orders WHERE created_at < '2023-09-01'"),
    case("date: after", "orders", &["orders.count"], &[("orders.created_date", "after 2024-06-01")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-06-01'"),
    case("date: last n days", "orders", &["orders.count"], &[("orders.created_date", "last 30 days")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-06-16' AND created_at < '2024-07-16'"),
    case("date: n months ago", "orders", &["orders.count"], &[("orders.created_date", "3 months ago")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-04-01' AND created_at < '2024-05-01'"),
    case("date: last month", "orders", &["orders.count"], &[("orders.created_date", "last month")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-06-01' AND created_at < '2024-07-01'"),
    case("date: this year", "orders", &["orders.count"], &[("orders.created_date", "this year")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-01-01' AND created_at < '2025-01-01'"),
    case("date: this year to second", "orders", &["orders.count"], &[("orders.created_date", "this year to second")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2024-01-01' AND created_at < '2024-07-15 12:00:00'"),
    case("date: before n months ago", "orders", &["orders.count"], &[("orders.created_date", "before 6 months ago")], &[], "SELECT COUNT(*) FROM orders WHERE created_at < '2024-01-01'"),
    case("date: ago for", "orders", &["orders.count"], &[("orders.created_date", "12 months ago for 3 months")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-07-01' AND created_at < '2023-10-01'"),
    case("date: several terms", "orders", &["orders.count"], &[("orders.created_date", "2023-07, 2024-02")], &[], "SELECT COUNT(*) FROM orders WHERE (created_at >= '2023-07-01' AND created_at < '2023-08-01') OR (created_at >= '2024-02-01' AND created_at < '2024-03-01')"),
    case("date: NULL on an epoch column", "orders", &["orders.count"], &[("orders.shipped_date", "NULL")], &[], "SELECT COUNT(*) FROM orders WHERE shipped_epoch IS NULL"),
    case("date: a minute", "orders", &["orders.count"], &[("orders.created_time", "2023-06-02 00:00 to 2023-06-10 00:00")], &[], "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-06-02' AND created_at < '2023-06-10'"),
    case("date: filter on a joined view's timeframe", "orders", &["orders.count"], &[("users.created_month", "2023-02")], &[], "SELECT COUNT(*) FROM orders o JOIN users u ON o.user_id = u.id WHERE u.created_at >= '2023-02-01' AND u.created_at < '2023-03-01'"),
    // Yes/no filters.
    case("yesno: yes", "orders", &["orders.count"], &[("orders.big", "yes")], &[], "SELECT COUNT(*) FROM orders WHERE ROUND(amount, 2) >= 100"),
    case("yesno: no", "orders", &["orders.count"], &[("orders.big", "No")], &[], "SELECT COUNT(*) FROM orders WHERE NOT (ROUND(amount, 2) >= 100)"),
    // Measures, joins and fan-out.
    case("min, max and average", "orders", &["orders.status", "orders.average_amount"], &[], &["orders.status"], "SELECT status, AVG(amount) FROM orders GROUP BY 1 ORDER BY 1"),
    case("joined count is distinct", "orders", &["users.country", "users.count", "orders.count"], &[], &["users.country"], "SELECT u.country, COUNT(DISTINCT u.id), COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1 NULLS LAST"),
    case("joined average is per user", "orders", &["orders.status", "users.average_age"], &[], &["orders.status"], "SELECT o.status, (SELECT AVG(u.age) FROM users u WHERE u.id IN (SELECT user_id FROM orders o2 WHERE o2.status = o.status)) FROM orders o GROUP BY 1 ORDER BY 1"),
    case("joined sum is per user", "orders", &["orders.status", "users.total_age"], &[], &["orders.status"], "SELECT o.status, (SELECT COALESCE(SUM(u.age), 0) FROM users u WHERE u.id IN (SELECT user_id FROM orders o2 WHERE o2.status = o.status)) FROM orders o GROUP BY 1 ORDER BY 1"),
    case("many side sums stay plain", "orders", &["orders.status", "order_items.total_sale_price", "order_items.count"], &[], &["orders.status"], "SELECT o.status, SUM(i.sale_price), COUNT(i.id) FROM orders o LEFT JOIN order_items i ON i.order_id = o.id GROUP BY 1 ORDER BY 1"),
    case("count over the one side of a one_to_many", "orders", &["orders.status", "orders.count", "order_items.count"], &[], &["orders.status"], "SELECT o.status, COUNT(DISTINCT o.id), COUNT(i.id) FROM orders o LEFT JOIN order_items i ON i.order_id = o.id GROUP BY 1 ORDER BY 1"),
    case("measure filter and a having filter together", "orders", &["orders.user_id", "orders.complete_count"], &[("orders.complete_count", ">=2")], &["orders.user_id"], "SELECT user_id, COUNT(*) FILTER (WHERE status = 'complete') AS c FROM orders GROUP BY 1 HAVING c >= 2 ORDER BY 1"),
    // Sorts and limits.
    case("sort by a measure descending", "orders", &["orders.status", "orders.total_amount"], &[], &["orders.total_amount desc"], "SELECT status, SUM(amount) FROM orders GROUP BY 1 ORDER BY 2 DESC"),
    case("two sorts", "orders", &["orders.created_year", "orders.status", "orders.count"], &[], &["orders.created_year desc", "orders.status"], "SELECT year(created_at), status, COUNT(*) FROM orders GROUP BY 1, 2 ORDER BY 1 DESC, 2"),
    case("default sort: time descending", "orders", &["orders.created_month", "orders.count"], &[], &[], "SELECT strftime(created_at, '%Y-%m'), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1 DESC"),
    case("default sort: first measure descending", "orders", &["orders.user_id", "orders.total_amount"], &[("orders.user_id", "<=10")], &[], "SELECT user_id, SUM(amount) FROM orders WHERE user_id <= 10 GROUP BY 1 ORDER BY 2 DESC"),
    case("timeframe of a joined view", "orders", &["users.created_month", "orders.count"], &[], &["users.created_month"], "SELECT strftime(u.created_at, '%Y-%m'), COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1 NULLS LAST"),
    case("tier filter by label", "orders", &["orders.count"], &[("orders.amount_tier", "10 to 49,100 or Above")], &[], "SELECT COUNT(*) FROM orders WHERE (amount >= 10 AND amount < 50) OR amount >= 100"),
    // Post-query measures run over the returned rows in the query's order (after the limit).
    case("running total, percent of total, percent of previous", "orders",
        &["orders.created_month", "orders.count", "orders.running_count", "orders.share_of_orders", "orders.growth"], &[("orders.created_year", "2024")], &["orders.created_month"],
        "SELECT m, c, SUM(c) OVER (ORDER BY m), 100.0 * c / SUM(c) OVER (), 100.0 * (c - LAG(c) OVER (ORDER BY m)) / LAG(c) OVER (ORDER BY m) FROM (SELECT strftime(created_at, '%Y-%m') AS m, COUNT(*) AS c FROM orders WHERE year(created_at) = 2024 GROUP BY 1) ORDER BY m"),
    case("running total in descending order", "orders", &["orders.status", "orders.running_amount"], &[], &["orders.status desc"],
        "SELECT status, SUM(SUM(amount)) OVER (ORDER BY status DESC) FROM orders GROUP BY 1 ORDER BY 1 DESC"),
    case("percent of total over the returned rows only", "orders", &["orders.user_id", "orders.share_of_orders"], &[], &["orders.user_id"],
        "SELECT user_id, 100.0 * c / SUM(c) OVER () FROM (SELECT user_id, COUNT(*) AS c FROM orders GROUP BY 1 ORDER BY 1 LIMIT 10) ORDER BY 1"),
    // (the case above runs with a limit of 10: see `limited`)
    case("percent of total over a derived table", "customers", &["customer_summary.orders", "customer_summary.amount_share"], &[], &["customer_summary.orders"],
        "SELECT orders, 100.0 * a / SUM(a) OVER () FROM (SELECT orders, SUM(amount) AS a FROM (SELECT user_id, COUNT(*) AS orders, SUM(amount) AS amount FROM orders GROUP BY 1) GROUP BY 1) ORDER BY 1"),
    // query_timezone: values converted from UTC, filters evaluated in the query's zone.
    Case { zone: Some("America/Los_Angeles"), ..case("time zone: dates in the query's zone", "orders", &["orders.created_date", "orders.count"], &[], &["orders.created_date"],
        "SELECT CAST(timezone('America/Los_Angeles', timezone('UTC', created_at)) AS DATE), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1") },
    Case { zone: Some("Asia/Kolkata"), ..case("time zone: a date filter in the query's zone", "orders", &["orders.created_hour_of_day", "orders.count"], &[("orders.created_date", "2024-01-01 to 2024-02-01")], &["orders.created_hour_of_day"],
        "SELECT hour(l), COUNT(*) FROM (SELECT timezone('Asia/Kolkata', timezone('UTC', created_at)) AS l FROM orders) WHERE l >= '2024-01-01' AND l < '2024-02-01' GROUP BY 1 ORDER BY 1") },
    Case { zone: Some("America/Los_Angeles"), ..case("time zone: raw is never converted", "orders", &["orders.created_raw"], &[("orders.id", "<=3")], &["orders.created_raw"],
        "SELECT created_at FROM orders WHERE id <= 3 ORDER BY 1") },
    // The second model: weeks from Sunday, fiscal year from April.
    Case { name: "week starting sunday", model: "shop_fiscal", explore: "orders", fields: &["orders.created_week", "orders.count"], filters: &[], sorts: &["orders.created_week"],
        expected: "SELECT (created_at::DATE - (dayofweek(created_at)) * INTERVAL 1 DAY)::DATE, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1", limit: None, zone: None },
    Case { name: "day_of_week_index from sunday", model: "shop_fiscal", explore: "orders", fields: &["orders.created_day_of_week_index", "orders.count"], filters: &[], sorts: &["orders.created_day_of_week_index"],
        expected: "SELECT dayofweek(created_at), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1", limit: None, zone: None },
    Case { name: "fiscal year from april", model: "shop_fiscal", explore: "orders", fields: &["orders.created_fiscal_year", "orders.count"], filters: &[], sorts: &["orders.created_fiscal_year"],
        expected: "SELECT CASE WHEN month(created_at) >= 4 THEN year(created_at) ELSE year(created_at) - 1 END, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1", limit: None, zone: None },
    Case { name: "fiscal quarter from april", model: "shop_fiscal", explore: "orders", fields: &["orders.created_fiscal_quarter", "orders.count"], filters: &[], sorts: &["orders.created_fiscal_quarter"],
        expected: "SELECT printf('%d-Q%d', CASE WHEN month(created_at) >= 4 THEN year(created_at) ELSE year(created_at) - 1 END, (month(created_at) + 8) % 12 // 3 + 1), COUNT(*) FROM orders GROUP BY 1 ORDER BY 1", limit: None, zone: None },
    Case { name: "fiscal year filter", model: "shop_fiscal", explore: "orders", fields: &["orders.count"], filters: &[("orders.created_date", "FY2023")], sorts: &[],
        expected: "SELECT COUNT(*) FROM orders WHERE created_at >= '2023-04-01' AND created_at < '2024-04-01'", limit: None, zone: None },
    Case { name: "weekday filter", model: "shop", explore: "orders", fields: &["orders.count"], filters: &[("orders.created_date", "last 30 weeks, saturday")], sorts: &[],
        expected: "SELECT COUNT(*) FROM orders WHERE created_at >= DATE '2024-07-15' - INTERVAL 29 WEEK OR (created_at >= '2024-07-13' AND created_at < '2024-07-14')", limit: None, zone: None },
    Case { name: "fiscal month number", model: "shop_fiscal", explore: "orders", fields: &["orders.created_fiscal_month_num", "orders.count"], filters: &[], sorts: &["orders.created_fiscal_month_num"],
        expected: "SELECT (month(created_at) + 8) % 12 + 1, COUNT(*) FROM orders GROUP BY 1 ORDER BY 1", limit: None, zone: None },
];

fn catalog() -> Catalog {
    let root = corpus_root();
    let (project, mut diagnostics) = lookml::load_project(&root);
    let (catalog, more) = semantic::build_catalog(&project);
    diagnostics.extend(more);
    let rendered: Vec<String> = diagnostics.iter().map(|d| d.render(&project.sources)).collect();
    assert!(rendered.is_empty(), "the corpus project must load cleanly:\n{}", rendered.join("\n"));
    // As `sightline validate` does: every field of every explore compiles on its own.
    for model in catalog.models.values() {
        let problems = sql::check_fields(model, &DuckDb, date(2024, 7, 15).at(12, 0, 0, 0));
        assert!(problems.is_empty(), "{problems:#?}");
    }
    catalog
}

fn corpus_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/shop")
}

/// The corpus data in an in-memory DuckDB: the reference every database is compared with.
fn reference() -> DuckDbConnection {
    let db = DuckDbConnection::open(":memory:").unwrap();
    db.execute_batch(&std::fs::read_to_string(corpus_root().join("seed.sql")).unwrap()).unwrap();
    db
}

/// A cell as text; numbers are compared with a tolerance (see `same`).
fn rows(result: &ResultSet, width: usize) -> Vec<Vec<String>> {
    (0..result.row_count())
        .map(|r| {
            (0..width)
                .map(|c| match result.value(c, r) {
                    Value::Null => "∅".to_string(),
                    v => match v.as_f64() {
                        Some(f) if !matches!(v, Value::Text(_) | Value::Date(_) | Value::DateTime(_)) => format!("{f:.6}"),
                        _ => v.to_text().unwrap_or_default(),
                    },
                })
                .collect()
        })
        .collect()
}

/// Equal cells; numbers within 1e-4 relative (MySQL divides decimals to four places).
fn same(a: &[Vec<String>], b: &[Vec<String>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| match (p.parse::<f64>(), q.parse::<f64>()) {
                    (Ok(p), Ok(q)) => (p - q).abs() <= 1e-4 * p.abs().max(q.abs()).max(1.0),
                    _ => p == q,
                })
        })
}

fn spec(case: &Case) -> QuerySpec {
    QuerySpec {
        model: case.model.into(),
        view: case.explore.into(),
        fields: case.fields.iter().map(|f| f.to_string()).collect(),
        filters: case.filters.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect(),
        sorts: case.sorts.iter().map(|s| s.to_string()).collect(),
        limit: case.limit.map(Limit::Rows).unwrap_or(Limit::All),
        time_zones: case.zone.map(utc_to),
        ..Default::default()
    }
}

/// The corpus data is stored in UTC.
fn utc_to(zone: &str) -> sql::TimeZones {
    sql::TimeZones { database: "UTC".into(), query: zone.into() }
}

fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = CASES.iter().filter(|c| !c.name.ends_with("returned rows only")).map(|c| Case { ..*c }).collect();
    cases.push(Case {
        limit: Some(5),
        ..case(
            "limit with a total sort",
            "orders",
            &["orders.user_id", "orders.total_amount"],
            &[],
            &["orders.total_amount desc", "orders.user_id"],
            "SELECT user_id, SUM(amount) AS s FROM orders GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
        )
    });
    cases.push(Case {
        limit: Some(10),
        ..case("percent of total over the returned rows only", "orders", &["orders.user_id", "orders.share_of_orders"], &[], &["orders.user_id"],
            "SELECT user_id, 100.0 * c / SUM(c) OVER () FROM (SELECT user_id, COUNT(*) AS c FROM orders GROUP BY 1 ORDER BY 1 LIMIT 10) ORDER BY 1")
    });
    cases
}

/// Runs every case on `db` with `dialect` and compares with the hand-written SQL run on the
/// DuckDB reference. Rows compare in order on DuckDB; elsewhere as sorted sets (NULLs sort
/// differently in MySQL), which still checks post-query measures since their values carry the order.
fn check(dialect: &dyn Dialect, db: &dyn Connection, refused: &[&str], unlike_looker_elsewhere: &[&str]) {
    let catalog = catalog();
    let reference = reference();
    let now = date(2024, 7, 15).at(12, 0, 0, 0);
    let cases = cases();
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| !unlike_looker_elsewhere.contains(&c.name)) {
        let compiled = match compile(&catalog.models[case.model], &spec(case), dialect, now) {
            Ok(c) => c,
            Err(e) if refused.iter().any(|r| case.name.starts_with(r)) => {
                if !e.to_string().contains("not supported") && !e.to_string().contains("has no") {
                    failures.push(format!("{}: refused without saying why: {e}", case.name));
                }
                continue;
            }
            Err(e) => {
                failures.push(format!("{}: does not compile: {e}", case.name));
                continue;
            }
        };
        if refused.iter().any(|r| case.name.starts_with(r)) {
            failures.push(format!("{}: expected a refusal on {}", case.name, dialect.name()));
            continue;
        }
        let width = compiled.columns.len();
        let mut ours = match db.query(&compiled.sql, compiled.columns.clone()) {
            Ok(r) => rows(&r, width),
            Err(e) => {
                failures.push(format!("{}: {e}\n{}", case.name, compiled.sql));
                continue;
            }
        };
        let columns = (0..width).map(|i| ColumnInfo::plain(&format!("c{i}"), ValueType::String)).collect();
        let mut theirs =
            rows(&reference.query(case.expected, columns).unwrap_or_else(|e| panic!("{}: hand-written SQL fails: {e}", case.name)), width);
        if dialect.name() != "duckdb" {
            ours.sort();
            theirs.sort();
        }
        if ours.is_empty() {
            failures.push(format!("{}: no rows (a corpus query must return data)", case.name));
        } else if !same(&ours, &theirs) {
            failures.push(format!(
                "{}: differs\nours:   {:?}\ntheirs: {:?}\n{}",
                case.name,
                &ours[..ours.len().min(8)],
                &theirs[..theirs.len().min(8)],
                compiled.sql
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {} corpus queries failed:\n\n{}",
        dialect.name(),
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The reference tables copied into another database, with that database's column types.
fn copy_corpus(db: &dyn Connection, datetime: &str) {
    let reference = reference();
    let tables: [(&str, &[&str]); 3] = [
        ("users", &["id BIGINT", "name VARCHAR(50)", "age INTEGER", "country VARCHAR(10)", "created_at DATETIME"]),
        (
            "orders",
            &[
                "id BIGINT",
                "user_id BIGINT",
                "status VARCHAR(20)",
                "amount DECIMAL(10,2)",
                "created_at DATETIME",
                "shipped_epoch BIGINT",
                "booked_ymd INTEGER",
            ],
        ),
        ("order_items", &["id BIGINT", "order_id BIGINT", "order_amount DECIMAL(10,2)", "sale_price DECIMAL(10,2)"]),
    ];
    for (table, columns) in tables {
        db.execute_batch(&format!("CREATE TABLE main.{table} ({})", columns.join(", ").replace("DATETIME", datetime))).unwrap();
        let width = columns.len();
        let infos = (0..width).map(|i| ColumnInfo::plain(&format!("c{i}"), ValueType::String)).collect();
        let data = reference.query(&format!("SELECT * FROM {table} ORDER BY id"), infos).unwrap();
        for chunk in (0..data.row_count()).collect::<Vec<_>>().chunks(200) {
            let values: Vec<String> = chunk
                .iter()
                .map(|&r| {
                    let cells: Vec<String> = (0..width)
                        .map(|c| match data.value(c, r) {
                            Value::Null => "NULL".into(),
                            Value::Int(i) => i.to_string(),
                            Value::Float(f) => f.to_string(),
                            Value::Decimal(d) => d.clone(),
                            Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
                            Value::Date(d) => format!("'{d}'"),
                            Value::DateTime(t) => format!("'{}'", t.strftime("%Y-%m-%d %H:%M:%S")),
                            Value::Bool(b) => b.to_string(),
                        })
                        .collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            db.execute_batch(&format!("INSERT INTO main.{table} VALUES {}", values.join(", "))).unwrap();
        }
    }
}

/// A pivoted or totalled query: its long rows (the fields, then the pivot column's rank) and its
/// companion queries, each against hand-written SQL.
struct ShapeCase {
    name: &'static str,
    fields: &'static [&'static str],
    filters: &'static [(&'static str, &'static str)],
    sorts: &'static [&'static str],
    pivots: &'static [&'static str],
    column_limit: u64,
    limit: Option<u64>,
    total: bool,
    row_total: bool,
    fill_fields: &'static [&'static str],
    /// `dynamic_fields` as Looker sends it (a JSON array).
    dynamic_fields: &'static str,
    filter_expression: Option<&'static str>,
    expected: &'static str,
    /// `expected` reads the [`CELLS`] CTEs.
    over_cells: bool,
    expected_totals: Option<&'static str>,
    expected_row_totals: Option<&'static str>,
}

const SHAPE: ShapeCase = ShapeCase {
    name: "",
    fields: &["users.country", "orders.status", "orders.count"],
    filters: &[],
    sorts: &["users.country", "orders.status"],
    pivots: &["orders.status"],
    column_limit: 50,
    limit: None,
    total: false,
    row_total: false,
    fill_fields: &[],
    dynamic_fields: "",
    filter_expression: None,
    expected: "",
    over_cells: false,
    expected_totals: None,
    expected_row_totals: None,
};

/// Orders with their users, and the status columns ranked, for the pivot cases.
const CELLS: &str = "WITH cells AS (SELECT u.country, o.status, COUNT(*) AS c FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2), \
    ranked AS (SELECT *, DENSE_RANK() OVER (ORDER BY status) AS pc FROM cells) ";

fn shape_cases() -> Vec<ShapeCase> {
    vec![
        ShapeCase {
            name: "custom measure: distinct values of a joined dimension, filtered",
            fields: &["orders.status", "distinct_countries"],
            sorts: &["orders.status"],
            pivots: &[],
            dynamic_fields: r#"[{"category":"measure","measure":"distinct_countries","label":"Countries","based_on":"users.country","type":"count_distinct","filters":{"orders.amount":">50"},"_kind_hint":"measure","_type_hint":"number"}]"#,
            expected: "SELECT o.status, COUNT(DISTINCT CASE WHEN o.amount > 50 THEN u.country END) FROM orders o LEFT JOIN users u ON o.user_id = u.id GROUP BY 1 ORDER BY 1",
            ..SHAPE
        },
        ShapeCase {
            name: "custom measure: a sum over a view the join repeats counts each row once",
            fields: &["orders.status", "total_user_age"],
            sorts: &["orders.status"],
            pivots: &[],
            dynamic_fields: r#"[{"category":"measure","measure":"total_user_age","based_on":"users.age","type":"sum"}]"#,
            expected: "SELECT status, COALESCE(SUM(age), 0) FROM (SELECT DISTINCT o.status, u.id, u.age FROM orders o JOIN users u ON o.user_id = u.id) GROUP BY 1 ORDER BY 1",
            ..SHAPE
        },
        ShapeCase {
            name: "custom dimension and custom measure expressions",
            fields: &["size", "label", "orders.count", "amount_per_order"],
            sorts: &["label"],
            pivots: &[],
            dynamic_fields: r#"[{"category":"dimension","dimension":"size","label":"Size","expression":"if(${orders.amount} > 100, \"big\", \"small\")"},
                {"category":"dimension","dimension":"label","expression":"concat(upper(${orders.status}), \"/\", ${size})"},
                {"category":"measure","measure":"amount_per_order","expression":"round(${orders.total_amount} / ${orders.count}, 2)"},
                {"category":"measure","measure":"unused","expression":"1","is_disabled":true}]"#,
            expected: "SELECT s, upper(status) || '/' || s AS l, COUNT(*), ROUND(SUM(amount) / COUNT(*), 2) \
                FROM (SELECT *, CASE WHEN amount > 100 THEN 'big' ELSE 'small' END AS s FROM orders) GROUP BY 1, 2 ORDER BY 2",
            ..SHAPE
        },
        ShapeCase {
            name: "custom dimensions with date functions: extract, trunc, add, diff",
            fields: &["created_year", "month_start", "week_later_month", "orders.count"],
            sorts: &["month_start", "week_later_month"],
            pivots: &[],
            dynamic_fields: r#"[{"category":"dimension","dimension":"created_year","expression":"extract_years(${orders.created_raw})"},
                {"category":"dimension","dimension":"month_start","expression":"trunc_months(${orders.created_raw})"},
                {"category":"dimension","dimension":"week_later_month","expression":"extract_months(add_days(7, ${orders.created_date}))"}]"#,
            filter_expression: Some("diff_days(${orders.created_date}, add_months(1, ${orders.created_date})) >= 30"),
            // The filter keeps orders whose next month is 30 days or more away (not January's
            // 31st, nor any of February 2024).
            expected: "SELECT YEAR(created_at), DATE_TRUNC('month', created_at), MONTH(created_at + INTERVAL 7 DAY), COUNT(*) \
                FROM orders WHERE DATE_DIFF('day', CAST(created_at AS DATE), CAST(created_at + INTERVAL 1 MONTH AS DATE)) >= 30 \
                GROUP BY 1, 2, 3 ORDER BY 2, 3",
            ..SHAPE
        },
        ShapeCase {
            name: "filter_expression on dimensions, with matches_filter",
            fields: &["users.country", "orders.count"],
            sorts: &["users.country"],
            pivots: &[],
            filter_expression: Some("(${orders.amount} >= 100 OR ${users.country} = \"US\") AND matches_filter(${orders.created_date}, `2023`) AND NOT is_null(${users.country})"),
            expected: "SELECT u.country, COUNT(*) FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE (o.amount >= 100 OR u.country = 'US') AND o.created_at >= '2023-01-01' AND o.created_at < '2024-01-01' AND u.country IS NOT NULL GROUP BY 1 ORDER BY 1",
            ..SHAPE
        },
        ShapeCase {
            name: "filter_expression on measures",
            fields: &["orders.user_id", "orders.count"],
            sorts: &["orders.user_id"],
            pivots: &[],
            filter_expression: Some("${orders.count} >= 4 AND ${orders.total_amount} > 250"),
            expected: "SELECT user_id, COUNT(*) FROM orders GROUP BY 1 HAVING COUNT(*) >= 4 AND SUM(amount) > 250 ORDER BY 1",
            ..SHAPE
        },
        ShapeCase {
            name: "fill: every day between the first and the last",
            fields: &["orders.created_date", "orders.count"],
            filters: &[("orders.amount", ">=148")],
            sorts: &["orders.created_date"],
            pivots: &[],
            fill_fields: &["orders.created_date"],
            expected: "WITH c AS (SELECT created_at::DATE AS d, COUNT(*) AS n FROM orders WHERE amount >= 148 GROUP BY 1), \
                days AS (SELECT range::DATE AS d FROM range((SELECT MIN(d) FROM c), (SELECT MAX(d) FROM c) + INTERVAL 1 DAY, INTERVAL 1 DAY)) \
                SELECT days.d, c.n FROM days LEFT JOIN c USING (d) ORDER BY 1",
            ..SHAPE
        },
        ShapeCase {
            name: "fill: every month for every status, with two dimensions, in the sorted order",
            fields: &["orders.status", "orders.created_month", "orders.count"],
            filters: &[("orders.amount", ">=140"), ("orders.created_year", "2024")],
            sorts: &["orders.status desc", "orders.created_month"],
            pivots: &[],
            fill_fields: &["orders.created_month"],
            expected: "WITH kept AS (SELECT * FROM orders WHERE amount >= 140 AND year(created_at) = 2024), \
                c AS (SELECT status, strftime(created_at, '%Y-%m') AS m, COUNT(*) AS n FROM kept GROUP BY 1, 2), \
                months AS (SELECT strftime(range, '%Y-%m') AS m FROM range((SELECT date_trunc('month', MIN(created_at)) FROM kept), (SELECT MAX(created_at) FROM kept), INTERVAL 1 MONTH)), \
                statuses AS (SELECT DISTINCT status FROM c) \
                SELECT s.status, months.m, c.n FROM statuses s CROSS JOIN months LEFT JOIN c ON c.status = s.status AND c.m = months.m ORDER BY 1 DESC, 2",
            ..SHAPE
        },
        ShapeCase {
            name: "fill: every tier, in tier order, descending",
            fields: &["orders.amount_tier", "orders.count"],
            filters: &[("orders.amount", ">=60")],
            sorts: &["orders.amount_tier desc"],
            pivots: &[],
            fill_fields: &["orders.amount_tier"],
            expected: "SELECT t.label, c.n FROM (VALUES (0, 'Below 10'), (1, '10 to 49'), (2, '50 to 99'), (3, '100 or Above')) t(i, label) \
                LEFT JOIN (SELECT CASE WHEN amount < 100 THEN '50 to 99' ELSE '100 or Above' END AS label, COUNT(*) AS n FROM orders WHERE amount >= 60 GROUP BY 1) c \
                USING (label) ORDER BY t.i DESC",
            ..SHAPE
        },
        ShapeCase {
            name: "fill: every case label, after the returned rows when sorted by a measure",
            fields: &["orders.status_group", "orders.count"],
            filters: &[("orders.status", "complete")],
            sorts: &["orders.count desc"],
            pivots: &[],
            fill_fields: &["orders.status_group"],
            expected: "SELECT * FROM (SELECT 'Done', COUNT(*) FROM orders WHERE status = 'complete' UNION ALL SELECT 'Open', NULL UNION ALL SELECT 'Stopped', NULL) ORDER BY 2 DESC NULLS LAST, 1",
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: status columns, country rows",
            filters: &[("users.country", "-NULL")],
            expected: "SELECT country, status, c, pc FROM ranked ORDER BY country, pc",
            over_cells: true,
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: column_limit keeps the first pivot values",
            filters: &[("users.country", "-NULL")],
            column_limit: 2,
            expected: "SELECT country, status, c, pc FROM ranked WHERE pc <= 2 ORDER BY country, pc",
            over_cells: true,
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: pivot sorted descending, row limit counts pivoted rows",
            filters: &[("users.country", "-NULL")],
            sorts: &["users.country desc", "orders.status desc"],
            limit: Some(1),
            expected: "WITH cells AS (SELECT u.country, o.status, COUNT(*) AS c FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2), \
                ranked AS (SELECT *, DENSE_RANK() OVER (ORDER BY status DESC) AS pc FROM cells) \
                SELECT country, status, c, pc FROM ranked WHERE country = (SELECT MAX(country) FROM cells) ORDER BY pc",
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: rows sorted by a measure rank by their best cell",
            filters: &[("users.country", "-NULL")],
            fields: &["users.country", "orders.status", "orders.total_amount"],
            sorts: &["orders.total_amount desc"],
            limit: Some(1),
            expected: "WITH cells AS (SELECT u.country, o.status, SUM(o.amount) AS a FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2), \
                ranked AS (SELECT *, DENSE_RANK() OVER (ORDER BY status) AS pc FROM cells) \
                SELECT country, status, a, pc FROM ranked WHERE country = (SELECT country FROM cells ORDER BY a DESC LIMIT 1) ORDER BY pc",
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: rows sorted by a measure in one pivot column, rows without a value last",
            filters: &[("users.country", "-NULL")],
            fields: &["orders.user_id", "orders.status", "orders.count"],
            sorts: &["orders.count desc 1"],
            limit: Some(4),
            expected: "WITH cells AS (SELECT user_id, status, COUNT(*) AS c FROM orders o JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2), \
                ranked AS (SELECT *, DENSE_RANK() OVER (ORDER BY status) AS pc FROM cells), \
                keyed AS (SELECT *, MAX(CASE WHEN pc = 2 THEN c END) OVER (PARTITION BY user_id) AS k FROM ranked), \
                rows AS (SELECT user_id, ROW_NUMBER() OVER (ORDER BY k IS NULL, k DESC, user_id) AS r FROM (SELECT DISTINCT user_id, k FROM keyed)) \
                SELECT keyed.user_id, status, c, pc FROM keyed JOIN rows USING (user_id) WHERE r <= 4 ORDER BY r, pc",
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: fanned-out sums stay exact, with totals and row totals",
            fields: &["orders.status", "users.country", "orders.total_amount", "order_items.count"],
            filters: &[("users.country", "-NULL")],
            sorts: &["orders.status"],
            pivots: &["users.country"],
            total: true,
            row_total: true,
            expected: "WITH o AS (SELECT o.status, u.country, SUM(o.amount) AS a FROM orders o JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2), \
                i AS (SELECT o.status, u.country, COUNT(*) AS n FROM order_items i JOIN orders o ON i.order_id = o.id JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2) \
                SELECT o.status, o.country, o.a, i.n, DENSE_RANK() OVER (ORDER BY o.country) FROM o JOIN i USING (status, country) ORDER BY o.status, o.country",
            expected_totals: Some("WITH o AS (SELECT u.country, SUM(o.amount) AS a FROM orders o JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1), \
                i AS (SELECT u.country, COUNT(*) AS n FROM order_items i JOIN orders o ON i.order_id = o.id JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1) \
                SELECT o.country, o.a, i.n FROM o JOIN i USING (country) ORDER BY 1"),
            expected_row_totals: Some("WITH o AS (SELECT o.status, SUM(o.amount) AS a FROM orders o JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1), \
                i AS (SELECT o.status, COUNT(*) AS n FROM order_items i JOIN orders o ON i.order_id = o.id JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1) \
                SELECT o.status, o.a, i.n FROM o JOIN i USING (status) ORDER BY 1"),
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: post-query measures run across each row's pivot columns by default",
            filters: &[("users.country", "-NULL")],
            fields: &["users.country", "orders.status", "orders.count", "orders.running_count", "orders.share_of_orders", "orders.growth"],
            // A missing cell leaves the next one without a previous value.
            expected: "SELECT country, status, c, SUM(c) OVER (PARTITION BY country ORDER BY pc), 100.0 * c / SUM(c) OVER (PARTITION BY country), \
                CASE WHEN LAG(pc) OVER w = pc - 1 THEN 100.0 * (c - LAG(c) OVER w) / LAG(c) OVER w END, pc \
                FROM ranked WINDOW w AS (PARTITION BY country ORDER BY pc) ORDER BY country, pc",
            over_cells: true,
            ..SHAPE
        },
        ShapeCase {
            name: "pivot: a post-query measure with direction column runs down each pivot column, over the returned rows",
            filters: &[("users.country", "-NULL")],
            fields: &["users.country", "orders.status", "orders.running_amount"],
            sorts: &["users.country desc"],
            limit: Some(2),
            expected: "WITH cells AS (SELECT u.country, o.status, SUM(o.amount) AS a FROM orders o LEFT JOIN users u ON o.user_id = u.id WHERE u.country IS NOT NULL GROUP BY 1, 2), \
                ranked AS (SELECT *, DENSE_RANK() OVER (ORDER BY status) AS pc, DENSE_RANK() OVER (ORDER BY country DESC) AS pr FROM cells) \
                SELECT country, status, SUM(a) OVER (PARTITION BY pc ORDER BY pr), pc FROM ranked WHERE pr <= 2 ORDER BY pr, pc",
            ..SHAPE
        },
        ShapeCase {
            name: "totals: over every row, ignoring the row limit and measure filters",
            fields: &["orders.status", "orders.count", "orders.average_amount", "users.count"],
            filters: &[("orders.count", ">100")],
            sorts: &["orders.status"],
            pivots: &[],
            limit: Some(1),
            total: true,
            expected: "SELECT status, COUNT(*), AVG(amount), COUNT(DISTINCT user_id) FROM orders GROUP BY 1 HAVING COUNT(*) > 100 ORDER BY 1 LIMIT 1",
            expected_totals: Some("SELECT COUNT(*), AVG(amount), COUNT(DISTINCT user_id) FROM orders"),
            ..SHAPE
        },
    ]
}

/// Runs every shape case on `db` with `dialect`: long rows, totals and row totals against the
/// hand-written SQL on the DuckDB reference.
fn check_shapes(dialect: &dyn Dialect, db: &dyn Connection) {
    let catalog = catalog();
    let reference = reference();
    let now = date(2024, 7, 15).at(12, 0, 0, 0);
    let mut failures = Vec::new();
    for case in shape_cases() {
        let expected = if case.over_cells { format!("{CELLS}{}", case.expected) } else { case.expected.to_string() };
        let spec = QuerySpec {
            model: "shop".into(),
            view: "orders".into(),
            fields: case.fields.iter().map(|f| f.to_string()).collect(),
            filters: case.filters.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect(),
            sorts: case.sorts.iter().map(|s| s.to_string()).collect(),
            limit: case.limit.map(Limit::Rows).unwrap_or(Limit::All),
            pivots: case.pivots.iter().map(|p| p.to_string()).collect(),
            column_limit: case.column_limit,
            total: case.total,
            row_total: case.row_total,
            fill_fields: case.fill_fields.iter().map(|f| f.to_string()).collect(),
            custom_fields: sightline_engine::QueryBody { dynamic_fields: Some(case.dynamic_fields.to_string()), ..Default::default() }
                .custom_fields()
                .unwrap_or_else(|e| panic!("{}: {e}", case.name)),
            filter_expression: case.filter_expression.map(str::to_string),
            ..Default::default()
        };
        let compiled = match compile(&catalog.models["shop"], &spec, dialect, now) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{}: does not compile: {e}", case.name));
                continue;
            }
        };
        let mut columns = compiled.columns.clone();
        if !compiled.pivots.is_empty() {
            columns.push(ColumnInfo::plain(sql::PIVOT_COLUMN, ValueType::Number));
        }
        if !case.fill_fields.is_empty() {
            // Filled on the returned rows, as the engine does.
            let width = compiled.columns.len();
            let plain = (0..width).map(|i| ColumnInfo::plain(&format!("c{i}"), ValueType::String)).collect();
            let theirs =
                rows(&reference.query(&expected, plain).unwrap_or_else(|e| panic!("{}: hand-written SQL fails: {e}", case.name)), width);
            match sightline_engine::run_compiled(db, &compiled, &connect::Cancel::new(), None) {
                Ok(result) if same(&rows(&result.table, width), &theirs) => {}
                Ok(result) => {
                    failures.push(format!("{}: differs\nours:   {:?}\ntheirs: {theirs:?}", case.name, rows(&result.table, width)))
                }
                Err(e) => failures.push(format!("{}: {e}\n{}", case.name, compiled.sql)),
            }
            continue;
        }
        let mut runs = vec![("rows", compiled.sql.clone(), columns, expected)];
        for (what, companion, hand) in
            [("totals", &compiled.totals, case.expected_totals), ("row totals", &compiled.row_totals, case.expected_row_totals)]
        {
            match (companion, hand) {
                (Some(c), Some(hand)) => runs.push((what, c.sql.clone(), c.columns.clone(), hand.to_string())),
                (None, None) => {}
                (Some(_), None) => failures.push(format!("{}: unexpected {what} query", case.name)),
                (None, Some(_)) => failures.push(format!("{}: no {what} query", case.name)),
            }
        }
        for (what, sql, columns, hand) in runs {
            let width = columns.len();
            let mut ours = match db.query(&sql, columns) {
                Ok(r) => rows(&r, width),
                Err(e) => {
                    failures.push(format!("{} ({what}): {e}\n{sql}", case.name));
                    continue;
                }
            };
            let plain = (0..width).map(|i| ColumnInfo::plain(&format!("c{i}"), ValueType::String)).collect();
            let mut theirs = rows(
                &reference.query(&hand, plain).unwrap_or_else(|e| panic!("{} ({what}): hand-written SQL fails: {e}", case.name)),
                width,
            );
            if what != "rows" {
                ours.sort();
                theirs.sort();
            }
            if ours.is_empty() {
                failures.push(format!("{} ({what}): no rows", case.name));
            } else if !same(&ours, &theirs) {
                failures.push(format!("{} ({what}): differs\nours:   {ours:?}\ntheirs: {theirs:?}\n{sql}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}: shape cases failed:\n\n{}", dialect.name(), failures.join("\n\n"));
}

/// A server the test needs: absent outside CI, the test says so loudly and passes; in CI it fails.
fn server<T>(what: &str, connect: impl FnOnce() -> Result<T, connect::ConnectError>) -> Option<T> {
    match connect() {
        Ok(c) => Some(c),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("\n!!! SKIPPED: no {what} ({e}); CI runs this test against a real server !!!\n");
            None
        }
        Err(e) => panic!("{what} is required in CI: {e}"),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

#[test]
fn every_corpus_query_matches_hand_written_sql_on_duckdb() {
    let db = reference();
    check(&DuckDb, &db, &[], &["approximate count_distinct"]);
    check_shapes(&DuckDb, &db);
}

#[test]
fn approximate_distinct_counts_are_estimates_on_duckdb() {
    let db = reference();
    let case = cases().into_iter().find(|c| c.name == "approximate count_distinct").unwrap();
    let compiled = compile(&catalog().models[case.model], &spec(&case), &DuckDb, date(2024, 7, 15).at(12, 0, 0, 0)).unwrap();
    assert!(compiled.sql.contains("approx_count_distinct("), "{}", compiled.sql);
    let ours = rows(&db.query(&compiled.sql, compiled.columns.clone()).unwrap(), 2);
    let exact = rows(&db.query(case.expected, compiled.columns.clone()).unwrap(), 2);
    assert_eq!(ours.len(), exact.len());
    for (estimate, count) in ours.iter().zip(&exact) {
        assert_eq!(estimate[0], count[0]);
        let (e, c): (f64, f64) = (estimate[1].parse().unwrap(), count[1].parse().unwrap());
        // HyperLogLog's error on a few dozen values (DuckDB's sketch is small): within a quarter.
        assert!((e - c).abs() <= c * 0.25, "{estimate:?} against {count:?}");
    }
}

#[test]
fn every_corpus_query_matches_on_postgresql() {
    let target = |database: &str| ServerTarget {
        host: env_or("SIGHTLINE_TEST_PG_HOST", "127.0.0.1"),
        port: env_or("SIGHTLINE_TEST_PG_PORT", "5432").parse().unwrap(),
        database: database.into(),
        schema: None,
        user: env_or("SIGHTLINE_TEST_PG_USER", "postgres"),
        password: std::env::var("SIGHTLINE_TEST_PG_PASSWORD").ok(),
        pool_size: 2,
        tls: connect::Tls::Prefer,
        tls_ca_file: None,
        query_timeout: None,
    };
    let Some(admin) = server("PostgreSQL", || PostgresConnection::connect(&target(&env_or("SIGHTLINE_TEST_PG_DATABASE", "postgres"))))
    else {
        return;
    };
    let database = format!("sightline_corpus_{}", std::process::id());
    admin.execute_batch(&format!("DROP DATABASE IF EXISTS {database}")).unwrap();
    admin.execute_batch(&format!("CREATE DATABASE {database}")).unwrap();
    let result = std::panic::catch_unwind(|| {
        let db = PostgresConnection::connect(&target(&database)).unwrap();
        db.execute_batch("CREATE SCHEMA main").unwrap();
        copy_corpus(&db, "TIMESTAMP");
        check(&Postgres, &db, &[], &[]);
        check_shapes(&Postgres, &db);
    });
    admin.execute_batch(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn every_corpus_query_matches_on_mariadb() {
    let target = |database: &str| ServerTarget {
        host: env_or("SIGHTLINE_TEST_MYSQL_HOST", "127.0.0.1"),
        port: env_or("SIGHTLINE_TEST_MYSQL_PORT", "3306").parse().unwrap(),
        database: database.into(),
        schema: None,
        user: env_or("SIGHTLINE_TEST_MYSQL_USER", "root"),
        password: std::env::var("SIGHTLINE_TEST_MYSQL_PASSWORD").ok(),
        pool_size: 2,
        tls: connect::Tls::Prefer,
        tls_ca_file: None,
        query_timeout: None,
    };
    let Some(admin) = server("MariaDB/MySQL", || MySqlConnection::connect(&target(&env_or("SIGHTLINE_TEST_MYSQL_DATABASE", "test"))))
    else {
        return;
    };
    // The corpus names its tables `main.…`: in MySQL a schema is a database.
    admin.execute_batch("DROP DATABASE IF EXISTS main; CREATE DATABASE main").unwrap();
    let db = MySqlConnection::connect(&target("main")).unwrap();
    copy_corpus(&db, "DATETIME");
    // MySQL compares strings without case under its default collation, as Looker documents for
    // the dialect (`case_sensitive` has no effect there), so "US" also matches "us".
    check(
        &MySql,
        &db,
        &["median", "percentile", "median_distinct", "time zone: dates", "time zone: a date"],
        &["case-sensitive string filter by default"],
    );
    check_shapes(&MySql, &db);
}

/// `cancel_grouping_fields`: a query with one of them has no GROUP BY (its rows are the
/// table's), one without it is grouped as ever, and one with a measure is refused by name.
#[test]
fn cancel_grouping_fields_drop_the_group_by_and_refuse_measures() {
    let catalog = catalog();
    let now = date(2024, 7, 15).at(12, 0, 0, 0);
    let spec = |fields: &[&str]| QuerySpec {
        model: "shop".into(),
        view: "order_rows".into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        ..Default::default()
    };
    let sql = |fields: &[&str]| compile(&catalog.models["shop"], &spec(fields), &DuckDb, now).map(|c| c.sql);
    let rows = sql(&["order_rows.id", "users.country"]).unwrap();
    assert!(!rows.contains("GROUP BY"), "{rows}");
    let grouped = sql(&["order_rows.status", "users.country"]).unwrap();
    assert!(grouped.contains("GROUP BY"), "{grouped}");
    match sql(&["order_rows.id", "order_rows.count"]) {
        Err(e @ CompileError::Ungrouped { .. }) => assert!(e.to_string().contains("order_rows.count"), "{e}"),
        other => panic!("expected the measure refused, got {other:?}"),
    }
}
