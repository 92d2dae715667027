//! What the validator says about a project: every problem located as `file:line:col`, unknown
//! parameters warned about, unimplemented ones refused by name, nothing dropped in silence.

use std::path::PathBuf;

use sightline_semantic::{build_catalog, Catalog, DimensionType, FieldKind, MeasureType, Timeframe};

struct TempProject(PathBuf);

impl Drop for TempProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load(files: &[(&str, &str)]) -> (Catalog, Vec<String>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("semantic-diag-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let project = TempProject(dir.clone());
    for (path, text) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let (loaded, mut diagnostics) = lookml::load_project(&project.0);
    let (catalog, more) = build_catalog(&loaded);
    diagnostics.extend(more);
    (catalog, diagnostics.iter().map(|d| d.render(&loaded.sources)).collect())
}

const MODEL: &str = "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {}\n";

#[test]
fn unknown_parameters_are_located_warnings() {
    let (_, d) = load(&[("m.model.lkml", MODEL), ("o.view.lkml", "view: orders {\n  dimension: id {\n    bogus_param: yes\n  }\n}")]);
    assert_eq!(d, vec!["o.view.lkml:3:5: warning: unknown dimension parameter `bogus_param`; it is ignored"]);
}

#[test]
fn result_changing_parameters_are_refused_by_name() {
    let (c, d) = load(&[
        (
            "m.model.lkml",
            "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {\n  access_filter: { field: orders.id user_attribute: x }\n}",
        ),
        ("o.view.lkml", "view: orders {\n  dimension: id { bins: [1, 2] }\n  measure: r { type: period_over_period sql: ${id} ;; }\n}"),
    ]);
    // Enforced per user when queries run, so nothing to say at load; its model's queries read
    // user attributes.
    assert!(!d.iter().any(|m| m.contains("access_filter")), "{d:#?}");
    assert_eq!(c.models["m"].explores["orders"].access_filters, vec![("orders.id".to_string(), "x".to_string())]);
    assert!(c.models["m"].reads_user_attributes);
    assert!(d.contains(&"o.view.lkml:2:19: `bins` (dimension parameter) is not supported yet".to_string()), "{d:#?}");
    assert!(d.iter().any(|m| m.starts_with("o.view.lkml:3:22: measure type `period_over_period` is not supported yet")), "{d:#?}");
}

#[test]
fn presentation_parameters_are_accepted_and_kept() {
    let (c, d) = load(&[
        ("m.model.lkml", MODEL),
        (
            "o.view.lkml",
            "view: orders {\n  dimension: amount {\n    type: number\n    value_format_name: usd\n    group_label: \"Money\"\n    tags: [\"a\"]\n    link: { label: \"Go\" url: \"https://x/{{ value }}\" }\n    html: <b>{{ value }}</b> ;;\n  }\n}",
        ),
    ]);
    assert!(d.is_empty(), "{d:#?}");
    let f = c.models["m"].views["orders"].field("amount").unwrap().clone();
    assert_eq!(f.display.value_format_name.as_deref(), Some("usd"));
    assert_eq!(f.display.group_label.as_deref(), Some("Money"));
    assert_eq!(f.display.links[0].label, "Go");
    assert!(f.display.html.is_some());
}

#[test]
fn measure_filters_must_name_dimensions_that_exist() {
    let (_, d) = load(&[
        ("m.model.lkml", MODEL),
        (
            "o.view.lkml",
            "view: orders {\n  dimension: status {}\n  measure: count { type: count }\n  measure: a { type: count filters: [nope: \"x\"] }\n  measure: b { type: count filters: [count: \">1\"] }\n  measure: c { type: number sql: ${count} ;; filters: [status: \"x\"] }\n}",
        ),
    ]);
    assert!(d.iter().any(|m| m.starts_with("o.view.lkml:4:38: field `orders.a` filters on `nope`, which does not exist")), "{d:#?}");
    assert!(d.iter().any(|m| m.contains("filters on the measure `count`")), "{d:#?}");
    assert!(d.iter().any(|m| m.contains("a measure of type number cannot have `filters`")), "{d:#?}");
}

#[test]
fn every_timeframe_and_measure_type_builds() {
    let (c, d) = load(&[
        ("m.model.lkml", MODEL),
        (
            "o.view.lkml",
            "view: orders {\n  dimension: id { primary_key: yes }\n  dimension_group: created { type: time timeframes: [raw, hour3, minute30, fiscal_quarter, day_of_week_index, yesno] sql: ${TABLE}.t ;; }\n  dimension_group: open { type: duration sql_start: ${TABLE}.a ;; sql_end: ${TABLE}.b ;; }\n  measure: a { type: sum_distinct sql: ${TABLE}.x ;; sql_distinct_key: ${id} ;; }\n  measure: b { type: percentile percentile: 75 sql: ${TABLE}.x ;; }\n  measure: l { type: list list_field: id }\n}",
        ),
    ]);
    assert!(d.is_empty(), "{d:#?}");
    let v = &c.models["m"].views["orders"];
    assert_eq!(v.field("created_hour3").unwrap().kind, FieldKind::Dimension(DimensionType::Time(Timeframe::HourN(3))));
    assert!(v.field("created").is_some(), "the yesno timeframe is named after the group");
    assert!(v.field("days_open").is_some() && v.field("years_open").is_some());
    assert_eq!(v.field("b").unwrap().kind, FieldKind::Measure(MeasureType::Percentile(75.0)));
}

#[test]
fn unsupported_liquid_is_located_not_sent_to_the_database() {
    let (_, d) = load(&[
        ("m.model.lkml", MODEL),
        ("o.view.lkml", "view: orders {\n  dimension: x {\n    sql: 1 + {% for x in y %}1{% endfor %} ;;\n  }\n  dimension: y { sql: {% if a %}1{% else %}2{% endif %} ;; }\n}"),
    ]);
    assert_eq!(d, vec!["o.view.lkml:3:14: Liquid in `sql`: the Liquid tag `{% for %}` is not supported yet".to_string()]);
}

#[test]
fn sets_and_fields_lists_restrict_an_explore() {
    let (c, d) = load(&[
        (
            "m.model.lkml",
            "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {\n  fields: [ALL_FIELDS*, -orders.secret, -users.private*]\n  join: users { sql_on: ${orders.uid} = ${users.id} ;; fields: [users.public*] }\n}",
        ),
        (
            "o.view.lkml",
            "view: orders {\n  dimension: uid {}\n  dimension: secret {}\n}\nview: users {\n  dimension: id { primary_key: yes }\n  dimension: name {}\n  dimension: ssn {}\n  set: public { fields: [id, name] }\n  set: private { fields: [ssn] }\n}",
        ),
    ]);
    assert!(d.is_empty(), "{d:#?}");
    let e = &c.models["m"].explores["orders"];
    assert!(e.exposes("orders", "uid"));
    assert!(!e.exposes("orders", "secret"));
    assert!(e.exposes("users", "name"));
    assert!(!e.exposes("users", "ssn"));
}

#[test]
fn refinement_of_a_missing_view_and_duplicate_views_are_errors() {
    let (_, d) = load(&[("m.model.lkml", MODEL), ("o.view.lkml", "view: orders {}\nview: orders {}\nview: +ghost {}")]);
    assert!(
        d.contains(
            &"o.view.lkml:2:1: view `orders` is defined twice (first at o.view.lkml:1:7; refine it with `view: +orders` instead)"
                .to_string()
        ),
        "{d:#?}"
    );
    assert!(d.iter().any(|m| m.starts_with("o.view.lkml:3:1: refinement `view: +ghost` refines `ghost`, which is not defined")), "{d:#?}");
}

#[test]
fn foreign_key_joins_need_a_primary_key() {
    let (c, d) = load(&[
        ("m.model.lkml", "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {\n  join: users { foreign_key: user_id }\n  join: things { foreign_key: thing_id }\n}"),
        ("o.view.lkml", "view: orders { dimension: user_id {} dimension: thing_id {} }\nview: users { dimension: id { primary_key: yes } }\nview: things { dimension: x {} }"),
    ]);
    assert_eq!(c.models["m"].explores["orders"].joins[0].sql_on.as_deref(), Some("${orders.user_id} = ${users.id}"));
    assert!(
        d.iter().any(|m| m.starts_with("m.model.lkml:5:3: join `things` uses `foreign_key`, but view `things` has no `primary_key: yes`")),
        "{d:#?}"
    );
}

#[test]
fn a_model_names_its_dashboards() {
    let (c, d) = load(&[
        ("m.model.lkml", "connection: \"db\"\ninclude: \"*.dashboard\"\n"),
        ("sales.dashboard.lookml", "- dashboard: sales\n  title: Sales\n  layout: newspaper\n  elements: []\n"),
    ]);
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(c.models["m"].dashboards["sales"].title.as_deref(), Some("Sales"));
}

#[test]
fn cache_policies_come_from_datagroups_and_persist_parameters() {
    use sightline_semantic::{Persist, DEFAULT_CACHE_AGE};
    use std::time::Duration;
    let model = "connection: \"db\"\ninclude: \"*.view\"\npersist_with: nightly\n\
                 datagroup: nightly {\n  sql_trigger: SELECT MAX(id) FROM etl_log ;;\n  max_cache_age: \"24 hours\"\n}\n\
                 explore: orders {}\nexplore: quick { from: orders persist_for: \"5 minutes\" }\n\
                 explore: broken { from: orders persist_with: nope }\n";
    let (c, d) = load(&[
        ("m.model.lkml", model),
        ("o.view.lkml", "view: orders {\n  dimension: id {}\n}\ndatagroup: hourly { interval_trigger: \"1 hour\" }\n"),
    ]);
    assert_eq!(d, vec!["m.model.lkml:10:1: `persist_with: nope` names no datagroup of model `m`"], "{d:#?}");
    let m = &c.models["m"];
    assert_eq!(m.persist, Some(Persist::With("nightly".into())));
    let orders = m.cache_policy(&m.explores["orders"]);
    assert_eq!(orders.max_age, Some(Duration::from_secs(86_400)));
    assert_eq!(orders.datagroup.and_then(|g| g.sql_trigger).as_deref(), Some("SELECT MAX(id) FROM etl_log"));
    assert_eq!(m.cache_policy(&m.explores["quick"]).max_age, Some(Duration::from_secs(300)));
    assert_eq!(m.datagroups["hourly"].interval_trigger, Some(Duration::from_secs(3600)), "datagroups of included files count");
    assert_eq!(m.cache_policy(&m.explores["broken"]).max_age, Some(Duration::ZERO), "nothing cached under an unknown datagroup");

    let (c, d) = load(&[
        ("m.model.lkml", "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {}\npersist_for: \"soon\"\ndatagroup: x { sql_trigger: SELECT 1 ;; interval_trigger: \"1 hour\" bogus: 1 }\n"),
        ("o.view.lkml", "view: orders {\n  dimension: id {}\n}"),
    ]);
    assert!(
        d.contains(
            &"m.model.lkml:4:14: `persist_for` takes a duration such as \"2 hours\" (seconds, minutes, hours or days), not `soon`"
                .to_string()
        ),
        "{d:#?}"
    );
    assert!(d.iter().any(|m| m.contains("`bogus` is not a parameter of `datagroup`")), "{d:#?}");
    assert!(d.iter().any(|m| m.contains("has both `sql_trigger` and `interval_trigger`")), "{d:#?}");
    assert_eq!(c.models["m"].cache_policy(&c.models["m"].explores["orders"]).max_age, Some(DEFAULT_CACHE_AGE), "Looker's default hour");
}

#[test]
fn value_format_names_resolve_to_format_strings() {
    let (c, d) = load(&[
        (
            "m.model.lkml",
            "connection: \"db\"\ninclude: \"*.view\"\nnamed_value_format: k { value_format: \"0.0,\\\"K\\\"\" strict_value_format: yes }\nexplore: orders {}\n",
        ),
        (
            "o.view.lkml",
            "view: orders {\n  measure: a { type: count value_format_name: usd }\n  measure: b { type: count value_format_name: k }\n  \
             measure: c { type: count value_format_name: nope }\n  measure: d { type: count value_format: \"0.0\" }\n}",
        ),
    ]);
    let fields = &c.models["m"].views["orders"].fields;
    let format = |name: &str| fields.iter().find(|f| f.name == name).and_then(|f| f.display.value_format.clone());
    assert_eq!(format("a").as_deref(), Some("$#,##0.00"));
    assert_eq!(format("b").as_deref(), Some("0.0,\"K\""));
    assert_eq!(format("d").as_deref(), Some("0.0"));
    assert!(c.models["m"].named_value_formats["k"].strict);
    assert_eq!(
        d,
        vec!["o.view.lkml:4:3: field `orders.c`: `value_format_name: nope` is neither a built-in format nor a named_value_format of model `m`"]
    );
}

#[test]
fn approximate_applies_to_distinct_counts_only() {
    let (c, d) = load(&[
        ("m.model.lkml", MODEL),
        (
            "o.view.lkml",
            "view: orders {\n  dimension: id { primary_key: yes }\n  measure: users { type: count_distinct approximate: yes sql: ${id} ;; }\n  measure: total { type: sum approximate: yes sql: ${id} ;; }\n}",
        ),
    ]);
    assert!(c.models["m"].views["orders"].field("users").unwrap().approximate);
    assert_eq!(d, vec!["o.view.lkml:4:30: `approximate` applies to count and count_distinct measures, not sum"]);
}

#[test]
fn access_grants_are_read_and_the_names_required_exist() {
    let (c, d) = load(&[
        (
            "m.model.lkml",
            "connection: \"db\"\ninclude: \"*.view\"\naccess_grant: finance { user_attribute: department allowed_values: [\"finance\"] }\naccess_grant: broken { user_attribute: x }\nexplore: orders { required_access_grants: [finance, nope] }\nexplore: other { from: orders access_filter: { field: other.nope user_attribute: x } }",
        ),
        ("o.view.lkml", "view: orders {\n  dimension: id { required_access_grants: [finance] }\n  dimension: owner { required_access_grants: [missing] }\n}"),
    ]);
    let grant = &c.models["m"].access_grants["finance"];
    assert_eq!((grant.user_attribute.as_str(), grant.allowed_values.as_slice()), ("department", &["finance".to_string()][..]));
    assert!(grant.allows(Some("sales, finance")) && !grant.allows(Some("sales")) && !grant.allows(None));
    assert!(c.models["m"].reads_user_attributes);
    assert_eq!(c.models["m"].views["orders"].field("id").unwrap().required_access_grants, ["finance"]);
    assert!(d.contains(&"m.model.lkml:4:1: access_grant `broken` needs `user_attribute` and `allowed_values`".to_string()), "{d:#?}");
    assert!(
        d.contains(&"m.model.lkml:5:1: explore `orders` requires the access grant `nope`, which the model does not define".to_string()),
        "{d:#?}"
    );
    assert!(
        d.contains(
            &"o.view.lkml:3:3: field `orders.owner` requires the access grant `missing`, which the model does not define".to_string()
        ),
        "{d:#?}"
    );
    assert!(
        d.contains(
            &"m.model.lkml:6:1: explore `other`: the access_filter field `other.nope` is not a field of the explore (`view.field`)"
                .to_string()
        ),
        "{d:#?}"
    );
    assert_eq!(d.len(), 4, "{d:#?}");
}

#[test]
fn aggregate_tables_are_checked_and_announced_as_unused() {
    let model = "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {\n  aggregate_table: daily {\n    query: {\n      dimensions: [created_date, orders.status]\n      measures: [count]\n      filters: [orders.status: \"-cancelled\"]\n      timezone: \"UTC\"\n    }\n    materialization: { datagroup_trigger: nightly }\n  }\n  aggregate_table: broken {\n    query: { dimensions: [nope, count] measures: [status] bogus: yes }\n  }\n}\ndatagroup: nightly { sql_trigger: SELECT 1 ;; }\n";
    let (c, d) = load(&[
        ("m.model.lkml", model),
        ("o.view.lkml", "view: orders {\n  dimension: status {}\n  dimension_group: created { type: time timeframes: [date] sql: ${TABLE}.c ;; }\n  measure: count { type: count }\n}"),
    ]);
    let tables = &c.models["m"].explores["orders"].aggregate_tables;
    assert_eq!(tables[0].dimensions, vec!["created_date", "orders.status"]);
    assert_eq!(tables[0].filters, vec![("orders.status".to_string(), "-cancelled".to_string())]);
    assert_eq!(
        d,
        vec![
            "m.model.lkml:4:3: warning: aggregate_table `daily`: queries read the explore's own tables (aggregate awareness is not implemented yet; the numbers are the same, the rollup is not built or used)",
            "m.model.lkml:14:59: `bogus` is not a parameter of an aggregate table's `query`",
            "m.model.lkml:13:3: aggregate_table `broken` needs a `materialization`",
            "m.model.lkml:13:3: warning: aggregate_table `broken`: queries read the explore's own tables (aggregate awareness is not implemented yet; the numbers are the same, the rollup is not built or used)",
            "m.model.lkml:13:3: aggregate_table `broken` names `nope`, which is not a field of explore `orders`",
            "m.model.lkml:13:3: aggregate_table `broken` lists `count` as a dimension; it is a measure",
            "m.model.lkml:13:3: aggregate_table `broken` lists `status` as a measure; it is a dimension",
        ],
    );
}

#[test]
fn a_preamble_is_kept_and_liquid_in_it_refused() {
    let model = "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {\n  sql_preamble: SET x = 1; ;;\n}\nexplore: other {\n  from: orders\n  sql_preamble: SET x = {{ _user_attributes['x'] }}; ;;\n}\n";
    let (c, d) = load(&[("m.model.lkml", model), ("o.view.lkml", "view: orders {\n  dimension: id {}\n}")]);
    assert_eq!(c.models["m"].explores["orders"].sql_preamble.as_deref(), Some("SET x = 1;"));
    assert_eq!(d, vec!["m.model.lkml:8:17: Liquid in `sql_preamble` is not supported yet"]);
}

#[test]
fn cancel_grouping_fields_are_fully_scoped_dimensions_without_repeating_joins() {
    let model = "connection: \"db\"\ninclude: \"*.view\"\nexplore: orders {\n  cancel_grouping_fields: [orders.id, id, orders.count, orders.nope]\n  join: items {\n    sql_on: ${items.order_id} = ${orders.id} ;;\n    relationship: one_to_many\n  }\n}\n";
    let view = "view: orders {\n  dimension: id { primary_key: yes }\n  measure: count { type: count }\n}\nview: items {\n  dimension: id { primary_key: yes }\n  dimension: order_id {}\n}";
    let (c, d) = load(&[("m.model.lkml", model), ("o.view.lkml", view)]);
    assert_eq!(c.models["m"].explores["orders"].cancel_grouping_fields, ["orders.id", "id", "orders.count", "orders.nope"]);
    assert_eq!(
        d,
        vec![
            "m.model.lkml:4:27: cancel_grouping_fields names `id`: each field must be fully scoped, as view_name.field_name",
            "m.model.lkml:3:1: cancel_grouping_fields names the measure `orders.count`; it lists dimensions",
            "m.model.lkml:3:1: cancel_grouping_fields names `orders.nope`, which is not a field of explore `orders`",
            "m.model.lkml:3:1: explore `orders` has cancel_grouping_fields and a join (`items`) that repeats rows: Looker's cancel_grouping_fields does not work with one_to_many or many_to_many joins",
        ]
    );
}
