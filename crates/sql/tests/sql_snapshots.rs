//! The SQL generated for the demo project's explores, one snapshot per behaviour. Review
//! changes with `cargo insta review`.

use std::path::Path;
use std::sync::OnceLock;

use semantic::Catalog;
use sightline_sql::{compile, CompileError, DuckDb, Limit, QuerySpec};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook");
        let (project, diagnostics) = lookml::load_project(&root);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let (catalog, diagnostics) = semantic::build_catalog(&project);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        catalog
    })
}

fn spec(explore: &str, fields: &[&str], filters: &[(&str, &str)], sorts: &[&str]) -> QuerySpec {
    QuerySpec {
        model: "thelook".into(),
        view: explore.into(),
        fields: fields.iter().map(|s| s.to_string()).collect(),
        filters: filters.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        sorts: sorts.iter().map(|s| s.to_string()).collect(),
        limit: Limit::default(),
        time_zones: None,
        ..Default::default()
    }
}

fn sql_for(q: &QuerySpec) -> Result<String, CompileError> {
    let now = jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0);
    compile(&catalog().models["thelook"], q, &DuckDb, now).map(|c| c.sql)
}

#[test]
fn only_the_needed_joins_are_emitted() {
    insta::assert_snapshot!(sql_for(&spec("order_items", &["order_items.status", "order_items.count"], &[], &[])).unwrap());
}

#[test]
fn joins_needed_by_other_joins_come_along() {
    insta::assert_snapshot!(
        sql_for(&spec("order_items", &["distribution_centers.name", "order_items.total_sale_price"], &[], &[])).unwrap()
    );
}

#[test]
fn fanned_out_measures_use_distinct_keys() {
    insta::assert_snapshot!(sql_for(&spec(
        "order_items",
        &["orders.status", "users.count", "users.average_age", "users.total_age", "order_items.count"],
        &[],
        &["orders.status"]
    ))
    .unwrap());
}

#[test]
fn one_to_many_join_protects_the_base_view() {
    insta::assert_snapshot!(sql_for(&spec("users", &["users.state", "users.count", "orders.count"], &[], &["users.count desc"])).unwrap());
}

#[test]
fn timeframes_and_default_sort_on_time() {
    insta::assert_snapshot!(sql_for(&spec(
        "order_items",
        &["order_items.created_month", "order_items.created_year", "order_items.created_week", "order_items.count"],
        &[],
        &[]
    ))
    .unwrap());
}

#[test]
fn filters_go_to_where_and_having() {
    insta::assert_snapshot!(sql_for(&spec(
        "order_items",
        &["users.state", "order_items.total_sale_price"],
        &[
            ("users.state", "California,New York"),
            ("users.age", ">=21"),
            ("order_items.is_returned", "no"),
            ("order_items.total_sale_price", ">1000")
        ],
        &[],
    ))
    .unwrap());
}

#[test]
fn relative_date_filter_last_7_days() {
    insta::assert_snapshot!(sql_for(&spec(
        "order_items",
        &["order_items.created_date", "order_items.count"],
        &[("order_items.created_date", "last 7 days")],
        &[]
    ))
    .unwrap());
}

#[test]
fn absolute_date_range_filter() {
    insta::assert_snapshot!(sql_for(&spec(
        "order_items",
        &["order_items.count"],
        &[("order_items.created_date", "2023-01-01 to 2023-04-01")],
        &[]
    ))
    .unwrap());
}

#[test]
fn yesno_dimension_selects_yes_or_no() {
    insta::assert_snapshot!(sql_for(&spec("users", &["users.is_adult", "users.count"], &[], &[])).unwrap());
}

#[test]
fn number_measure_over_measures() {
    insta::assert_snapshot!(
        sql_for(&spec("order_items", &["order_items.status", "order_items.average_spend_per_order"], &[], &[])).unwrap()
    );
}

#[test]
fn string_filter_values_are_escaped() {
    insta::assert_snapshot!(sql_for(&spec("users", &["users.city"], &[("users.city", "O'Brien'); DROP TABLE users; --")], &[])).unwrap());
}

#[test]
fn unknown_fields_and_bad_filters_are_named() {
    let e = sql_for(&spec("order_items", &["orders.nope"], &[], &[])).unwrap_err();
    assert_eq!(e.to_string(), "field `orders.nope` does not exist in explore `order_items`");
    let e = sql_for(&spec("order_items", &["orders.status"], &[("users.age", "old")], &[])).unwrap_err();
    assert_eq!(e.request_field(), "filters");
    let e = sql_for(&spec("order_items", &["orders.status"], &[], &["users.age"])).unwrap_err();
    assert_eq!(e.to_string(), "sort `users.age`: `users.age` is not one of the query's fields");
    let e = sql_for(&spec("nope", &["orders.status"], &[], &[])).unwrap_err();
    assert_eq!(e.request_field(), "view");
}

/// One query exercising what differs between dialects — identifier and literal quoting, LIKE
/// escaping, timeframes, relative dates, symmetric aggregates, a filtered measure — pinned for
/// every dialect (BigQuery has no driver yet: this golden SQL is its test).
fn golden(dialect: &dyn sightline_sql::Dialect) -> String {
    let now = jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0);
    let q = spec(
        "order_items",
        &["orders.created_month", "users.state", "users.average_age", "order_items.total_sale_price"],
        &[("users.state", "O'Brien\\,%50^%%"), ("orders.created_date", "last 7 days")],
        &["orders.created_month desc"],
    );
    compile(&catalog().models["thelook"], &q, dialect, now).map(|c| c.sql).unwrap()
}

#[test]
fn golden_sql_duckdb() {
    insta::assert_snapshot!(golden(&DuckDb));
}

#[test]
fn golden_sql_postgres() {
    insta::assert_snapshot!(golden(&sightline_sql::Postgres));
}

#[test]
fn golden_sql_mysql() {
    insta::assert_snapshot!(golden(&sightline_sql::MySql));
}

#[test]
fn golden_sql_bigquery() {
    insta::assert_snapshot!(golden(&sightline_sql::BigQuery));
}

#[test]
fn golden_sql_snowflake() {
    insta::assert_snapshot!(golden(&sightline_sql::Snowflake));
}

#[test]
fn golden_sql_redshift() {
    insta::assert_snapshot!(golden(&sightline_sql::Redshift));
}

#[test]
fn golden_sql_trino() {
    insta::assert_snapshot!(golden(&sightline_sql::Trino));
}

#[test]
fn golden_sql_clickhouse() {
    insta::assert_snapshot!(golden(&sightline_sql::ClickHouse));
}

#[test]
fn subtotals_sort_by_their_dimensions_first_and_regroup_the_measures() {
    let q = QuerySpec {
        subtotals: vec!["users.gender".into()],
        ..spec("order_items", &["users.gender", "order_items.status", "order_items.count", "users.count"], &[], &["order_items.count desc"])
    };
    let compiled = compile(&catalog().models["thelook"], &q, &DuckDb, jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0)).unwrap();
    assert_eq!(compiled.subtotals.len(), 1);
    let level = &compiled.subtotals[0];
    assert_eq!((level.depth, level.grouped.as_slice()), (1, &[0usize][..]));
    insta::assert_snapshot!(format!("{}\n\n-- subtotals, depth 1\n{}", compiled.sql, level.companion.sql));
}

#[test]
fn subtotals_are_refused_where_looker_refuses_them() {
    let refused = |q: QuerySpec| match sql_for(&q) {
        Err(CompileError::InvalidSubtotal { message, .. }) => message,
        other => panic!("expected a subtotal error, got {other:?}"),
    };
    let fields = ["users.gender", "order_items.status", "order_items.count"];
    let with = |subtotals: &[&str], filters: &[(&str, &str)]| QuerySpec {
        subtotals: subtotals.iter().map(|s| s.to_string()).collect(),
        ..spec("order_items", &fields, filters, &[])
    };
    assert!(refused(with(&["order_items.status"], &[])).contains("last unpivoted dimension"));
    assert!(refused(with(&["order_items.count"], &[])).contains("only dimensions"));
    assert!(refused(with(&["users.state"], &[])).contains("one of the query's dimensions"));
    assert!(refused(with(&["users.gender"], &[("order_items.count", ">5")])).contains("measure filters"));
}

#[test]
fn approximate_distinct_counts_use_each_dialects_estimator() {
    let q = spec("events", &["events.browser", "events.approximate_session_count"], &[], &[]);
    let now = jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0);
    let expected: [(&dyn sightline_sql::Dialect, &str); 8] = [
        (&DuckDb, "approx_count_distinct((events.session_id))"),
        (&sightline_sql::BigQuery, "APPROX_COUNT_DISTINCT((events.session_id))"),
        (&sightline_sql::Snowflake, "APPROX_COUNT_DISTINCT((events.session_id))"),
        (&sightline_sql::Redshift, "APPROXIMATE COUNT(DISTINCT (events.session_id))"),
        (&sightline_sql::Trino, "approx_distinct((events.session_id))"),
        (&sightline_sql::ClickHouse, "uniq((events.session_id))"),
        // No estimator: the exact count, within any estimate's error.
        (&sightline_sql::Postgres, "COUNT(DISTINCT (events.session_id))"),
        (&sightline_sql::MySql, "COUNT(DISTINCT (events.session_id))"),
    ];
    for (dialect, aggregate) in expected {
        let sql = compile(&catalog().models["thelook"], &q, dialect, now).unwrap().sql;
        assert!(sql.contains(aggregate), "{}: {sql}", dialect.name());
    }
}

/// Looker's date functions in a custom dimension and a filter expression, as each dialect
/// writes them (DuckDB, PostgreSQL and MariaDB run them in the semantic corpus).
#[test]
fn date_functions_in_custom_fields_per_dialect() {
    use sightline_sql::{CustomField, CustomKind};
    let now = jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0);
    let dialects: [&dyn sightline_sql::Dialect; 8] = [
        &DuckDb,
        &sightline_sql::Postgres,
        &sightline_sql::MySql,
        &sightline_sql::BigQuery,
        &sightline_sql::Snowflake,
        &sightline_sql::Redshift,
        &sightline_sql::Trino,
        &sightline_sql::ClickHouse,
    ];
    let mut out = String::new();
    for dialect in dialects {
        let mut q = spec("order_items", &["month_start", "order_items.count"], &[], &[]);
        q.custom_fields = vec![CustomField {
            name: "month_start".into(),
            label: "Month start".into(),
            kind: CustomKind::Dimension { expression: "trunc_months(add_days(extract_days(now()), ${orders.created_raw}))".into() },
            value_format: None,
            value_format_name: None,
        }];
        q.filter_expression = Some("diff_months(${orders.created_date}, now()) < 6".into());
        let sql = compile(&catalog().models["thelook"], &q, dialect, now).map(|c| c.sql).unwrap();
        out.push_str(&format!("-- {}\n{sql}\n\n", dialect.name()));
    }
    insta::assert_snapshot!(out);
}
