//! `LookmlModel`, `LookmlModelExplore`, its fields and joins, filled from the semantic model.
//! What Sightline does not have (LookML links into an IDE, usage counts, map layers) is left
//! out rather than made up.

use std::collections::BTreeMap;

use semantic::{DimensionType, Explore, Field, FieldKind, FilterType, MeasureType, Model, ParameterType, Timeframe, View, ViewSource};
use wire::schemas::{
    LookmlFieldLink, LookmlModel, LookmlModelExplore, LookmlModelExploreAccessFilter, LookmlModelExploreAlwaysFilter,
    LookmlModelExploreConditionallyFilter, LookmlModelExploreField, LookmlModelExploreFieldAlign, LookmlModelExploreFieldCategory,
    LookmlModelExploreFieldEnumeration, LookmlModelExploreFieldFillStyle, LookmlModelExploreFieldMeasureFilters,
    LookmlModelExploreFieldSqlCase, LookmlModelExploreFieldTimeInterval, LookmlModelExploreFieldTimeIntervalName,
    LookmlModelExploreFieldWeekStartDay, LookmlModelExploreFieldset, LookmlModelExploreJoins, LookmlModelExploreSet,
    LookmlModelExploreSupportedMeasureType, LookmlModelNavExplore,
};

use super::{can, some_text, some_vec};

/// The model as a user with `attributes` sees it: the explores their access grants allow.
pub fn lookml_model(m: &Model, attributes: &BTreeMap<String, String>) -> LookmlModel {
    let explores = m
        .explores
        .values()
        .filter(|e| semantic::first_lacking(m, attributes, &e.required_access_grants).is_none())
        .map(|e| LookmlModelNavExplore {
            name: Some(e.name.clone()),
            label: Some(e.label.clone()),
            description: e.description.clone(),
            hidden: Some(e.hidden),
            group_label: Some(e.group_label.clone().unwrap_or_else(|| m.label.clone())),
        })
        .collect();
    LookmlModel {
        name: Some(m.name.clone()),
        label: Some(m.label.clone()),
        project_name: Some(m.name.clone()),
        allowed_db_connection_names: Some(vec![m.connection.clone()]),
        unlimited_db_connections: Some(false),
        has_content: Some(!m.explores.is_empty()),
        explores: Some(explores),
        can: Some(can(&[("index", true), ("show", true)])),
    }
}

/// Looker's dialect name for the explore's connection, given by the caller (it knows the
/// connections). The fields are those a user with `attributes` may use (their view's, their
/// join's and their own access grants).
pub fn lookml_explore(
    model: &Model,
    explore: &Explore,
    dialect_name: Option<String>,
    attributes: &BTreeMap<String, String>,
) -> LookmlModelExplore {
    let allowed = |grants: &[String]| semantic::first_lacking(model, attributes, grants).is_none();
    let mut fieldset =
        LookmlModelExploreFieldset { dimensions: Some(vec![]), measures: Some(vec![]), filters: Some(vec![]), parameters: Some(vec![]) };
    let mut sets = Vec::new();
    let mut scopes = Vec::new();
    for (alias, view_name) in aliases(explore) {
        let Some(view) = model.views.get(view_name) else { continue };
        let join = explore.join(alias).filter(|_| alias != explore.base_alias);
        if !allowed(&view.required_access_grants) || join.is_some_and(|j| !allowed(&j.required_access_grants)) {
            continue;
        }
        scopes.push(alias.to_string());
        for (name, members) in &view.sets {
            sets.push(LookmlModelExploreSet { name: Some(format!("{alias}.{name}")), value: Some(members.clone()) });
        }
        for f in view.fields.iter().filter(|f| explore.exposes(alias, &f.name) && allowed(&f.required_access_grants)) {
            let field = explore_field(model, explore, alias, view, f);
            let list = match f.kind {
                FieldKind::Measure(_) => &mut fieldset.measures,
                FieldKind::Filter(_) => &mut fieldset.filters,
                FieldKind::Parameter(_) => &mut fieldset.parameters,
                FieldKind::Dimension(_) => &mut fieldset.dimensions,
            };
            list.get_or_insert_with(Vec::new).push(field);
        }
    }
    let joins = explore.joins.iter().map(|j| join(model, j)).collect();
    LookmlModelExplore {
        id: Some(format!("{}::{}", model.name, explore.name)),
        name: Some(explore.name.clone()),
        description: explore.description.clone(),
        label: Some(explore.label.clone()),
        title: Some(explore.label.clone()),
        scopes: Some(scopes),
        can_total: Some(true),
        can_develop: Some(false),
        can_see_lookml: Some(false),
        can_save: Some(true),
        can_explain: Some(false),
        can_pivot_in_db: Some(true),
        can_subtotal: Some(true),
        has_timezone_support: Some(true),
        supports_cost_estimate: Some(false),
        connection_name: Some(model.connection.clone()),
        dialect_name,
        project_name: Some(model.name.clone()),
        model_name: Some(model.name.clone()),
        view_name: Some(explore.base_view.clone()),
        hidden: Some(explore.hidden),
        sql_table_name: model.views.get(&explore.base_view).and_then(table_name),
        always_filter: Some(
            explore
                .always_filter
                .iter()
                .map(|(f, v)| LookmlModelExploreAlwaysFilter { name: Some(f.clone()), value: Some(v.clone()) })
                .collect(),
        ),
        conditionally_filter: Some(
            explore
                .conditionally_filter
                .iter()
                .map(|(f, v)| LookmlModelExploreConditionallyFilter { name: Some(f.clone()), value: Some(v.clone()) })
                .collect(),
        ),
        sets: Some(sets),
        tags: Some(explore.tags.clone()),
        errors: Some(vec![]),
        fields: Some(Box::new(fieldset)),
        joins: Some(joins),
        group_label: Some(explore.group_label.clone().unwrap_or_else(|| model.label.clone())),
        supported_measure_types: Some(supported_measure_types()),
        always_join: Some(explore.always_join.clone()),
        access_filter_fields: Some(explore.access_filters.iter().map(|(f, _)| f.clone()).collect()),
        access_filters: Some(
            explore
                .access_filters
                .iter()
                .map(|(f, a)| LookmlModelExploreAccessFilter { field: Some(f.clone()), user_attribute: Some(a.clone()) })
                .collect(),
        ),
        ..Default::default()
    }
}

fn aliases(explore: &Explore) -> impl Iterator<Item = (&str, &str)> {
    std::iter::once((explore.base_alias.as_str(), explore.base_view.as_str()))
        .chain(explore.joins.iter().map(|j| (j.name.as_str(), j.view.as_str())))
}

fn table_name(view: &View) -> Option<String> {
    match &view.source {
        ViewSource::Table(t) => Some(t.clone()),
        _ => None,
    }
}

fn join(model: &Model, j: &semantic::Join) -> LookmlModelExploreJoins {
    LookmlModelExploreJoins {
        name: Some(j.name.clone()),
        from: Some(j.view.clone()),
        fields: j.fields.clone(),
        outer_only: Some(false),
        relationship: Some(j.relationship.name().to_string()),
        required_joins: Some(j.required_joins.clone()),
        sql_on: j.sql_on.clone(),
        sql_table_name: model.views.get(&j.view).and_then(table_name),
        r#type: Some(j.join_type.name().to_string()),
        view_label: j.view_label.clone(),
        ..Default::default()
    }
}

/// The measure types a custom measure may have over each dimension type (those the custom-field
/// compiler implements).
fn supported_measure_types() -> Vec<LookmlModelExploreSupportedMeasureType> {
    let numeric = ["average", "average_distinct", "count_distinct", "list", "max", "median", "min", "sum", "sum_distinct"];
    let other = ["count_distinct", "list"];
    [("number", &numeric[..]), ("string", &other[..]), ("yesno", &other[..]), ("zipcode", &other[..]), ("date", &other[..])]
        .into_iter()
        .map(|(dimension_type, types)| LookmlModelExploreSupportedMeasureType {
            dimension_type: Some(dimension_type.into()),
            measure_types: Some(types.iter().map(|t| t.to_string()).collect()),
        })
        .collect()
}

fn is_numeric(f: &Field) -> bool {
    match &f.kind {
        FieldKind::Measure(m) => !matches!(m, MeasureType::String | MeasureType::List | MeasureType::Date | MeasureType::YesNo),
        FieldKind::Dimension(d) => match d {
            DimensionType::Number | DimensionType::Duration(_) | DimensionType::Distance { .. } => true,
            DimensionType::Time(tf) => tf.value_is_number(),
            _ => false,
        },
        FieldKind::Filter(t) => matches!(t, FilterType::Number),
        FieldKind::Parameter(t) => matches!(t, ParameterType::Number),
    }
}

fn timeframe(f: &Field) -> Option<Timeframe> {
    match &f.kind {
        FieldKind::Dimension(DimensionType::Time(tf)) => Some(*tf),
        _ => None,
    }
}

/// The interval one value of a timeframe spans, for timeframes that are spans of time.
fn time_interval(tf: Timeframe) -> Option<LookmlModelExploreFieldTimeInterval> {
    use LookmlModelExploreFieldTimeIntervalName as N;
    let (name, count) = match tf {
        Timeframe::Date => (N::Day, 1),
        Timeframe::Week => (N::Week, 1),
        Timeframe::Month => (N::Month, 1),
        Timeframe::Quarter | Timeframe::FiscalQuarter => (N::Quarter, 1),
        Timeframe::Year | Timeframe::FiscalYear => (N::Year, 1),
        Timeframe::Hour => (N::Hour, 1),
        Timeframe::HourN(n) => (N::Hour, i64::from(n)),
        Timeframe::Minute => (N::Minute, 1),
        Timeframe::MinuteN(n) => (N::Minute, i64::from(n)),
        Timeframe::Second | Timeframe::Time => (N::Second, 1),
        Timeframe::Millisecond => (N::Millisecond, 1),
        Timeframe::Microsecond => (N::Microsecond, 1),
        _ => return None,
    };
    Some(LookmlModelExploreFieldTimeInterval { name: Some(name), count: Some(count) })
}

fn fill_style(f: &Field) -> Option<LookmlModelExploreFieldFillStyle> {
    if !f.allow_fill {
        return None;
    }
    match &f.kind {
        FieldKind::Dimension(DimensionType::Time(tf)) if time_interval(*tf).is_some() && !matches!(tf, Timeframe::Time) => {
            Some(LookmlModelExploreFieldFillStyle::Range)
        }
        FieldKind::Dimension(DimensionType::Time(
            Timeframe::DayOfWeek
            | Timeframe::DayOfWeekIndex
            | Timeframe::MonthName
            | Timeframe::MonthNum
            | Timeframe::HourOfDay
            | Timeframe::QuarterOfYear,
        ))
        | FieldKind::Dimension(DimensionType::YesNo | DimensionType::Tier { .. } | DimensionType::Case { .. }) => {
            Some(LookmlModelExploreFieldFillStyle::Enumeration)
        }
        _ => None,
    }
}

fn week_start_day(index: u8) -> LookmlModelExploreFieldWeekStartDay {
    use LookmlModelExploreFieldWeekStartDay as D;
    [D::Monday, D::Tuesday, D::Wednesday, D::Thursday, D::Friday, D::Saturday, D::Sunday][usize::from(index % 7)]
}

fn datatype(d: semantic::Datatype) -> &'static str {
    match d {
        semantic::Datatype::Timestamp => "timestamp",
        semantic::Datatype::Datetime => "datetime",
        semantic::Datatype::Date => "date",
        semantic::Datatype::Epoch => "epoch",
        semantic::Datatype::Yyyymmdd => "yyyymmdd",
    }
}

fn explore_field(model: &Model, explore: &Explore, alias: &str, view: &View, f: &Field) -> LookmlModelExploreField {
    let view_label =
        f.display.view_label.clone().unwrap_or_else(|| if alias == view.name { view.label.clone() } else { semantic::title_case(alias) });
    let category = match f.kind {
        FieldKind::Measure(_) => LookmlModelExploreFieldCategory::Measure,
        FieldKind::Filter(_) => LookmlModelExploreFieldCategory::Filter,
        FieldKind::Parameter(_) => LookmlModelExploreFieldCategory::Parameter,
        FieldKind::Dimension(_) => LookmlModelExploreFieldCategory::Dimension,
    };
    let numeric = is_numeric(f);
    let tf = timeframe(f);
    let is_dimension = matches!(f.kind, FieldKind::Dimension(_));
    let is_filterable_text =
        matches!(f.kind, FieldKind::Dimension(DimensionType::String | DimensionType::Zipcode | DimensionType::Case { .. }))
            || matches!(f.kind, FieldKind::Filter(FilterType::String));
    let name = format!("{alias}.{}", f.name);
    let sql_case = match &f.kind {
        FieldKind::Dimension(DimensionType::Case { whens, otherwise, .. }) => Some(
            whens
                .iter()
                .map(|(condition, value)| LookmlModelExploreFieldSqlCase { condition: Some(condition.clone()), value: Some(value.clone()) })
                .chain(otherwise.iter().map(|v| LookmlModelExploreFieldSqlCase { condition: Some("else".into()), value: Some(v.clone()) }))
                .collect(),
        ),
        _ => None,
    };
    LookmlModelExploreField {
        align: Some(if numeric { LookmlModelExploreFieldAlign::Right } else { LookmlModelExploreFieldAlign::Left }),
        can_filter: Some(f.display.can_filter),
        category: Some(category),
        default_filter_value: f.default_value.clone(),
        description: f.description.clone(),
        dimension_group: f.group.clone(),
        drill_fields: Some(f.display.drill_fields.clone()),
        enumerations: some_vec(
            f.allowed_values
                .iter()
                .map(|(label, value)| LookmlModelExploreFieldEnumeration { label: Some(label.clone()), value: Some(value.clone().into()) })
                .collect(),
        ),
        field_group_label: f.display.group_label.clone(),
        field_group_variant: f.display.group_label.as_ref().map(|_| f.display.group_item_label.clone().unwrap_or_else(|| f.label.clone())),
        fill_style: fill_style(f),
        fiscal_month_offset: Some(i64::from(model.fiscal_month_offset)),
        has_allowed_values: Some(!f.allowed_values.is_empty()),
        has_drills_metadata: Some(false),
        hidden: Some(f.hidden),
        is_filter: Some(f.is_filter_only()),
        is_fiscal: Some(matches!(
            tf,
            Some(Timeframe::FiscalMonthNum | Timeframe::FiscalQuarter | Timeframe::FiscalQuarterOfYear | Timeframe::FiscalYear)
        )),
        is_numeric: Some(numeric),
        is_timeframe: Some(tf.is_some()),
        can_time_filter: Some(tf.is_some_and(|t| time_interval(t).is_some()) || matches!(f.kind, FieldKind::Filter(FilterType::Date))),
        time_interval: tf.and_then(time_interval).map(Box::new),
        label: Some(format!("{view_label} {}", f.label)),
        label_short: Some(f.label.clone()),
        links: some_vec(
            f.display
                .links
                .iter()
                .map(|l| LookmlFieldLink { label: Some(l.label.clone()), url: Some(l.url.clone()), icon_url: l.icon_url.clone() })
                .collect(),
        ),
        measure: Some(f.is_measure()),
        name: Some(name),
        strict_value_format: Some(false),
        parameter: Some(matches!(f.kind, FieldKind::Parameter(_))),
        primary_key: Some(f.primary_key),
        project_name: Some(model.name.clone()),
        requires_refresh_on_sort: Some(false),
        scope: Some(alias.to_string()),
        sortable: Some(!f.is_filter_only()),
        sql: f.sql.clone(),
        sql_case,
        filters: some_vec(
            f.filters
                .iter()
                .map(|mf| LookmlModelExploreFieldMeasureFilters { field: Some(mf.field.clone()), condition: Some(mf.value.clone()) })
                .collect(),
        ),
        suggest_dimension: if is_dimension {
            Some(f.display.suggest_dimension.clone().unwrap_or_else(|| format!("{alias}.{}", f.name)))
        } else {
            None
        },
        suggest_explore: if is_dimension { Some(f.display.suggest_explore.clone().unwrap_or_else(|| explore.name.clone())) } else { None },
        suggestable: Some(is_filterable_text && f.display.can_filter),
        tags: Some(f.display.tags.clone()),
        r#type: Some(f.type_name()),
        value_format: some_text(&f.display.value_format),
        value_format_name: some_text(&f.display.value_format_name),
        view: Some(alias.to_string()),
        view_label: Some(view_label),
        dynamic: Some(false),
        week_start_day: tf.map(|_| week_start_day(model.week_start_day)),
        original_view: Some(view.name.clone()),
        datatype: tf.map(|_| datatype(f.datatype).to_string()),
        convert_tz: tf.map(|_| f.convert_tz),
        ..Default::default()
    }
}
