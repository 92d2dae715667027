//! Hostile filter values, field names and sorts never change the structure of the SQL, in any
//! dialect: with every string literal masked, the SQL for a payload equals the SQL for a plain
//! value, and names that are not fields are refused before any SQL is written.

use std::path::Path;
use std::sync::OnceLock;

use semantic::Catalog;
use sightline_sql::{
    compile, BigQuery, ClickHouse, CompileError, Dialect, DuckDb, Limit, MySql, Postgres, QuerySpec, Redshift, Snowflake, Trino,
};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook");
        let (project, _) = lookml::load_project(&root);
        semantic::build_catalog(&project).0
    })
}

const DIALECTS: [&dyn Dialect; 8] = [&DuckDb, &Postgres, &MySql, &BigQuery, &Snowflake, &Redshift, &Trino, &ClickHouse];

const PAYLOADS: &[&str] = &[
    "x' OR '1'='1",
    "\\'; DROP TABLE users; --",
    "\\",
    "'\\''",
    "%_\\%",
    "\"; DROP TABLE users; --",
    "`users`",
    "a\nb\r\0c",
    "$$ OR 1=1 $$",
    "/* comment */ --",
    "{{ _user_attributes['x'] }}",
    "{% parameter x %}",
    "${users.id}",
    "@{constant}",
];

fn query(filters: &[(&str, &str)], fields: &[&str], sorts: &[&str]) -> QuerySpec {
    QuerySpec {
        model: "thelook".into(),
        view: "order_items".into(),
        fields: fields.iter().map(|s| s.to_string()).collect(),
        filters: filters.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        sorts: sorts.iter().map(|s| s.to_string()).collect(),
        limit: Limit::Rows(10),
        time_zones: None,
        ..Default::default()
    }
}

fn sql(dialect: &dyn Dialect, q: &QuerySpec) -> Result<String, CompileError> {
    let now = jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0);
    compile(&catalog().models["thelook"], q, dialect, now).map(|c| c.sql)
}

/// The SQL with each string literal replaced by `?`, read as `dialect` reads literals.
fn masked(dialect: &dyn Dialect, sql: &str) -> String {
    let backslash_escapes = matches!(dialect.name(), "mysql" | "bigquery" | "snowflake" | "redshift" | "clickhouse");
    let mut out = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            out.push(c);
            continue;
        }
        loop {
            match chars.next() {
                None => panic!("unterminated literal in {sql}"),
                Some('\\') if backslash_escapes => {
                    chars.next();
                }
                Some('\'') if chars.peek() == Some(&'\'') => {
                    chars.next();
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        out.push('?');
    }
    out
}

#[test]
fn hostile_filter_values_stay_inside_their_literals() {
    for dialect in DIALECTS {
        let fields = ["users.state", "order_items.count"];
        for field in ["users.state", "products.brand"] {
            let shape = |v: &str| masked(dialect, &sql(dialect, &query(&[(field, v)], &fields, &[])).unwrap());
            // The four shapes a single item can take: equal, LIKE, and their negations.
            let shapes = [shape("abc"), shape("%abc%"), shape("-abc"), shape("-%abc%")];
            for payload in PAYLOADS {
                for value in [payload.to_string(), format!("%{payload}%"), format!("-{payload}")] {
                    let got = shape(&value);
                    assert!(shapes.contains(&got), "{}: {value:?} changed the SQL's structure:\n{got}", dialect.name());
                }
            }
        }
    }
}

#[test]
fn hostile_numbers_and_dates_are_refused_or_reprinted() {
    for dialect in DIALECTS {
        let fields = ["order_items.count"];
        for payload in PAYLOADS.iter().chain(&["1; DROP TABLE users", "1 OR 1=1", "1e999999", "99999999999999999999999999"]) {
            for field in ["users.age", "orders.created_date"] {
                match sql(dialect, &query(&[(field, payload)], &fields, &[])) {
                    Err(CompileError::InvalidFilter { .. }) => {}
                    Err(e) => panic!("{}: {payload:?} on {field}: unexpected error {e}", dialect.name()),
                    Ok(text) => {
                        assert!(
                            !text.contains("DROP") && !text.contains("OR 1=1"),
                            "{}: {payload:?} reached the SQL:\n{text}",
                            dialect.name()
                        )
                    }
                }
            }
        }
    }
}

#[test]
fn hostile_field_names_and_sorts_are_refused() {
    for dialect in DIALECTS {
        for payload in PAYLOADS {
            let field = format!("users.{payload}");
            assert!(sql(dialect, &query(&[], &[&field], &[])).is_err(), "field {payload:?}");
            assert!(sql(dialect, &query(&[(&field, "x")], &["users.state"], &[])).is_err(), "filter field {payload:?}");
            let sort = format!("users.state {payload}");
            assert!(sql(dialect, &query(&[], &["users.state"], &[&sort])).is_err(), "sort {payload:?}");
        }
    }
}

/// Strings in custom fields and filter expressions are literals, whatever they hold: the SQL's
/// structure is that of a plain string, no `${`, `{{` or `{%` survives for expansion or Liquid
/// to read, and names that are not fields are refused.
#[test]
fn hostile_strings_in_custom_fields_and_filter_expressions_stay_literals() {
    use sightline_sql::{CustomField, CustomKind};
    let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    for dialect in DIALECTS {
        let custom = |text: &str, filter: &str| {
            let mut q = query(&[], &["users.state", "shout", "order_items.count"], &[]);
            q.custom_fields = vec![CustomField {
                name: "shout".into(),
                label: "Shout".into(),
                kind: CustomKind::Dimension { expression: format!("concat(${{users.state}}, \"{}\")", escape(text)) },
                value_format: None,
                value_format_name: None,
            }];
            q.filter_expression = Some(format!("${{users.city}} != \"{}\" AND matches_filter(${{users.state}}, `{filter}`)", escape(text)));
            sql(dialect, &q)
        };
        let shapes: Vec<String> = ["abc", "%abc%", "-abc", "-%abc%"].iter().map(|f| masked(dialect, &custom("abc", f).unwrap())).collect();
        for payload in PAYLOADS {
            // In a string of the expression: a literal, split so that no template survives.
            match custom(payload, "abc") {
                Ok(text) => {
                    assert!(
                        !["${", "{{", "{%"].iter().any(|s| text.contains(s)),
                        "{}: {payload:?} left a template:\n{text}",
                        dialect.name()
                    );
                    let split = ["$", "{"].iter().any(|s| payload.contains(s));
                    assert!(split || shapes.contains(&masked(dialect, &text)), "{}: {payload:?} changed the SQL:\n{text}", dialect.name());
                }
                Err(CompileError::InvalidCustomField { .. } | CompileError::InvalidFilterExpression { .. }) => {}
                Err(e) => panic!("{}: {payload:?}: unexpected error {e}", dialect.name()),
            }
            // In matches_filter: a filter value like any other (compiled once, never re-read).
            match custom("abc", &payload.replace('`', "")) {
                Ok(text) => assert!(shapes.contains(&masked(dialect, &text)), "{}: {payload:?} changed the SQL:\n{text}", dialect.name()),
                Err(CompileError::InvalidFilter { .. } | CompileError::InvalidFilterExpression { .. }) => {}
                Err(e) => panic!("{}: {payload:?}: unexpected error {e}", dialect.name()),
            }
        }
        let mut q = query(&[], &["users.state"], &[]);
        q.filter_expression = Some("${users.nope} = 1".into());
        assert!(matches!(sql(dialect, &q), Err(CompileError::InvalidFilterExpression { .. })));
        q.filter_expression = Some("${users.state} = \"a\" OR 1=1 --".into());
        assert!(sql(dialect, &q).is_err(), "trailing text must not be accepted");
    }
}
