//! Custom fields (`dynamic_fields` dimensions and measures) and `filter_expression`, made into
//! LookML fields for the query: a custom measure is an aggregate of the dimension it is based
//! on, in that dimension's view (so fan-out and filters work as for LookML measures); a custom
//! dimension and a filter expression are Looker expressions translated to SQL that refers to
//! fields as `${view.field}`, expanded like any field's SQL.

use jiff::civil::DateTime;
use lookml::{FileId, Span};
use semantic::{DimensionType, Field, FieldKind, MeasureFilter, MeasureType, Timeframe};

use crate::dialect::Dialect;
use crate::error::CompileError;
use crate::expression::{parse, translate, FieldType, Type, CUSTOM_SCOPE};

/// A custom field of a query, referred to by its bare name.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
    pub name: String,
    pub label: String,
    pub kind: CustomKind,
    /// `value_format` (Excel-style), or `value_format_name` (built-in or the model's named).
    pub value_format: Option<String>,
    pub value_format_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CustomKind {
    /// A dimension computed by a Looker expression.
    Dimension { expression: String },
    /// An aggregate (`count_distinct`, `sum` …) of a dimension, optionally filtered.
    Measure { based_on: String, measure_type: String, filters: Vec<(String, String)> },
    /// A measure computed by a Looker expression over measures.
    Expression { expression: String },
}

/// The name a query's `filter_expression` is compiled under.
pub const FILTER_EXPRESSION: &str = "__filter_expression";

/// A custom field as a LookML field of the view (alias) it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub alias: String,
    pub label: String,
    pub field: Field,
}

/// The query's custom fields, its filter expression, and their `matches_filter` calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Customs {
    pub entries: Vec<Entry>,
    /// (field, filter expression), by number (`${__matches.mN}`).
    pub matches: Vec<(String, String)>,
}

impl Customs {
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.field.name == name)
    }
}

/// What the custom fields need of the model: a field's view alias, type and kind.
pub(crate) trait Lookup {
    /// (alias, view name, the field) for `view.field`.
    fn lookup(&self, name: &str) -> Result<(String, String, &Field), String>;
    /// The format string a `value_format_name` stands for in the model.
    fn value_format_named(&self, name: &str) -> Option<String>;
}

fn span() -> Span {
    Span::new(FileId(0), 0, 0)
}

/// The expression type of a LookML field's value.
pub(crate) fn type_of(field: &Field) -> Type {
    match &field.kind {
        FieldKind::Dimension(DimensionType::Number | DimensionType::Duration(_) | DimensionType::Distance { .. }) => Type::Number,
        FieldKind::Dimension(DimensionType::YesNo | DimensionType::Time(Timeframe::YesNo)) => Type::YesNo,
        FieldKind::Dimension(DimensionType::Time(tf)) if tf.value_is_number() => Type::Number,
        FieldKind::Dimension(DimensionType::Time(
            Timeframe::Raw
            | Timeframe::Time
            | Timeframe::Date
            | Timeframe::Week
            | Timeframe::Second
            | Timeframe::Millisecond
            | Timeframe::Microsecond,
        )) => Type::Date,
        FieldKind::Dimension(_) => Type::String,
        FieldKind::Measure(MeasureType::String | MeasureType::List) => Type::String,
        FieldKind::Measure(MeasureType::YesNo) => Type::YesNo,
        FieldKind::Measure(MeasureType::Date) => Type::Date,
        FieldKind::Measure(_) => Type::Number,
        FieldKind::Filter(_) | FieldKind::Parameter(_) => Type::Any,
    }
}

fn invalid(name: &str, message: impl Into<String>) -> CompileError {
    CompileError::InvalidCustomField { field: name.to_string(), message: message.into() }
}

/// Builds the query's custom fields (each may use the ones before it) and its filter
/// expression over `base_alias` (the explore's base view).
pub(crate) fn build(
    customs: &[CustomField],
    filter_expression: Option<&str>,
    lookup: &dyn Lookup,
    base: (&str, &str),
    dialect: &dyn Dialect,
    now: DateTime,
) -> Result<Customs, CompileError> {
    let mut out = Customs::default();
    for custom in customs {
        let name = custom.name.as_str();
        let valid = !name.is_empty() && name.len() <= 255 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid || name.starts_with("__") {
            return Err(invalid(name, "a custom field's name is letters, digits and `_` (not starting with `__`)"));
        }
        if out.entry(name).is_some() {
            return Err(invalid(name, "two custom fields have this name"));
        }
        let entry = match &custom.kind {
            CustomKind::Measure { based_on, measure_type, filters } => {
                let (alias, view, dimension) = lookup.lookup(based_on).map_err(|m| invalid(name, m))?;
                if dimension.is_measure() || dimension.is_filter_only() {
                    return Err(invalid(name, format!("a custom measure is based on a dimension; `{based_on}` is not one")));
                }
                let kind = match measure_type.as_str() {
                    "count" => MeasureType::Count,
                    "count_distinct" => MeasureType::CountDistinct,
                    "sum" => MeasureType::Sum,
                    "sum_distinct" => MeasureType::SumDistinct,
                    "average" => MeasureType::Average,
                    "average_distinct" => MeasureType::AverageDistinct,
                    "min" => MeasureType::Min,
                    "max" => MeasureType::Max,
                    "median" => MeasureType::Median,
                    "list" => MeasureType::List,
                    other => return Err(invalid(name, format!("custom measures of type `{other}` are not supported yet"))),
                };
                let mut field = Field::new(&view, name, span(), FieldKind::Measure(kind));
                let short = based_on.rsplit('.').next().unwrap_or(based_on);
                if kind == MeasureType::List {
                    field.list_field = Some(short.to_string());
                } else if kind != MeasureType::Count {
                    field.sql = Some(format!("${{{short}}}"));
                }
                for (f, value) in filters {
                    lookup.lookup(f).map_err(|m| invalid(name, format!("filter on `{f}`: {m}")))?;
                    field.filters.push(MeasureFilter { field: f.clone(), value: value.clone(), span: span() });
                }
                Entry { alias, label: custom.label.clone(), field }
            }
            CustomKind::Dimension { expression } | CustomKind::Expression { expression } => {
                let measure = matches!(custom.kind, CustomKind::Expression { .. });
                let t = expression_sql(name, expression, lookup, &out, dialect, now)?;
                if !measure && t.refers_to_measure {
                    return Err(invalid(name, "a custom dimension cannot refer to measures"));
                }
                if measure && t.refers_to_dimension {
                    return Err(invalid(name, "a custom measure's expression can refer only to measures"));
                }
                let kind = match (measure, t.ty) {
                    (false, Type::Number) => FieldKind::Dimension(DimensionType::Number),
                    (false, Type::YesNo) => FieldKind::Dimension(DimensionType::YesNo),
                    (false, Type::String | Type::Any) => FieldKind::Dimension(DimensionType::String),
                    (true, Type::YesNo) => FieldKind::Measure(MeasureType::YesNo),
                    (true, Type::String) => FieldKind::Measure(MeasureType::String),
                    (true, Type::Number | Type::Any) => FieldKind::Measure(MeasureType::Number),
                    // A time as the expression computes it (its references are already in the
                    // query's zone): filtered as a date, shown as a timestamp.
                    (false, Type::Date) => FieldKind::Dimension(DimensionType::Time(Timeframe::Raw)),
                    (true, Type::Date) => FieldKind::Measure(MeasureType::Date),
                };
                let mut field = Field::new(base.1, name, span(), kind);
                field.sql = Some(t.sql);
                out.matches.extend(t.matches);
                Entry { alias: base.0.to_string(), label: custom.label.clone(), field }
            }
        };
        let mut entry = entry;
        entry.field.display.value_format_name = custom.value_format_name.clone();
        entry.field.display.value_format = match (&custom.value_format, &custom.value_format_name) {
            (Some(format), _) => Some(format.clone()),
            (None, Some(named)) => Some(lookup.value_format_named(named).ok_or_else(|| {
                invalid(name, format!("`value_format_name: {named}` is neither a built-in format nor a named_value_format of the model"))
            })?),
            (None, None) => None,
        };
        if let Some(format) = &entry.field.display.value_format {
            present::ValueFormat::parse(format).map_err(|e| invalid(name, e.to_string()))?;
        }
        out.entries.push(entry);
    }
    if let Some(expression) = filter_expression.map(str::trim).filter(|e| !e.is_empty()) {
        let t = expression_sql(FILTER_EXPRESSION, expression, lookup, &out, dialect, now)
            .map_err(|e| CompileError::InvalidFilterExpression { message: e.to_string() })?;
        let refuse = |message: &str| CompileError::InvalidFilterExpression { message: message.into() };
        if t.ty != Type::YesNo && t.ty != Type::Any {
            return Err(refuse("a filter expression must be yes or no (a comparison, matches_filter(…), AND/OR …)"));
        }
        if t.refers_to_measure && t.refers_to_dimension {
            return Err(refuse("a filter expression cannot mix dimensions and measures yet: filter each on its own"));
        }
        let kind = if t.refers_to_measure { FieldKind::Measure(MeasureType::YesNo) } else { FieldKind::Dimension(DimensionType::YesNo) };
        let mut field = Field::new(base.1, FILTER_EXPRESSION, span(), kind);
        field.sql = Some(t.sql);
        out.matches.extend(t.matches);
        out.entries.push(Entry { alias: base.0.to_string(), label: "Filter expression".into(), field });
    }
    Ok(out)
}

fn expression_sql(
    name: &str,
    expression: &str,
    lookup: &dyn Lookup,
    earlier: &Customs,
    dialect: &dyn Dialect,
    now: DateTime,
) -> Result<crate::expression::Translated, CompileError> {
    let ast = parse(expression).map_err(|e| invalid(name, format!("{} (at byte {})", e.message, e.at)))?;
    let field_type = |reference: &str| -> Result<FieldType, String> {
        if reference.contains('.') {
            let (_, _, f) = lookup.lookup(reference)?;
            if f.is_filter_only() {
                return Err(format!("`{reference}` is a filter-only field"));
            }
            return Ok(FieldType { ty: type_of(f), is_measure: f.is_measure() });
        }
        let entry = earlier.entry(reference).ok_or_else(|| format!("`{reference}` is not a field or an earlier custom field"))?;
        Ok(FieldType { ty: type_of(&entry.field), is_measure: entry.field.is_measure() })
    };
    translate(&ast, dialect, now, &field_type, earlier.matches.len()).map_err(|m| invalid(name, m))
}

/// Whether a `${scope.name}` reference names a custom field.
pub(crate) fn is_custom_scope(scope: &str) -> bool {
    scope == CUSTOM_SCOPE
}
