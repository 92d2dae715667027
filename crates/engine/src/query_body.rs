//! The defining fields of Looker's `Query` object, as saved and as run.
//!
//! Read-only wire fields (`id`, `slug`, `url`, `can`…) are accepted and dropped on input, so a
//! query fetched from the API can be posted back unchanged.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::EngineError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryBody {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub view: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pivots: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorts: Option<Vec<String>>,
    /// Looker sends the limit as a string; numbers are accepted too.
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub column_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_total: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotals: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vis_config: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_ui_sections: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_fields: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_timezone: Option<String>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => return Err(serde::de::Error::custom(format!("expected a string or a number, found {other}"))),
    })
}

/// Most entries in one list of a query (fields, pivots, sorts, fill_fields, subtotals, filters):
/// far beyond any real query, and a bound on the work one request can ask for.
pub const MAX_LIST_ENTRIES: usize = 1000;
/// Longest field name, filter value, filter expression or `dynamic_fields` text, in bytes.
pub const MAX_TEXT_BYTES: usize = 100_000;

fn too_long(field: &'static str, message: String) -> EngineError {
    EngineError::Invalid { field, message }
}

/// The expression of a shortcut calculation (Looker's quick calculations: `calculation_type`
/// over the field named in `args`), as Looker's own table calculations write it.
fn shortcut_expression(name: &str, kind: &str, args: Option<&Value>) -> Result<String, EngineError> {
    let invalid = |message: String| EngineError::Invalid { field: "dynamic_fields", message };
    let field = match args {
        Some(Value::Array(args)) => match args.as_slice() {
            [Value::String(field)] => field.clone(),
            _ => return Err(invalid(format!("table calculation `{name}`: `args` names one field"))),
        },
        _ => return Err(invalid(format!("table calculation `{name}`: a shortcut calculation names its field in `args`"))),
    };
    if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        return Err(invalid(format!("table calculation `{name}`: `{field}` in `args` is not a field name")));
    }
    let f = format!("${{{field}}}");
    Ok(match kind {
        "percent_of_column_sum" => format!("{f} / sum({f})"),
        "percent_of_previous" => format!("{f} / offset({f}, -1)"),
        "percent_change_from_previous" => format!("{f} / offset({f}, -1) - 1"),
        "percent_of_previous_column" => format!("{f} / pivot_offset({f}, -1)"),
        "percent_change_from_previous_column" => format!("{f} / pivot_offset({f}, -1) - 1"),
        "percent_of_row" => format!("{f} / sum(pivot_row({f}))"),
        "rank_of_column" => format!("rank({f}, {f})"),
        "running_total" => format!("running_total({f})"),
        "running_row_total" => format!("sum(pivot_offset_list({f}, 1 - pivot_column(), pivot_column()))"),
        other => {
            return Err(EngineError::NotSupported {
                field: "dynamic_fields",
                message: format!("table calculation `{name}`: the shortcut calculation `{other}` is not supported yet"),
            })
        }
    })
}

impl QueryBody {
    /// Checks what Sightline can run so far; the rest of Looker's query is refused by name
    /// rather than silently ignored.
    pub fn check_supported(&self) -> Result<(), EngineError> {
        if self.model.is_empty() {
            return Err(EngineError::Invalid { field: "model", message: "a query needs a `model`".into() });
        }
        if self.view.is_empty() {
            return Err(EngineError::Invalid { field: "view", message: "a query needs a `view` (the explore's name)".into() });
        }
        self.check_bounds()?;
        self.custom_fields()?;
        self.table_calcs()?;
        Ok(())
    }

    /// Bounds every list and text of the query, so one request cannot ask for unbounded work.
    fn check_bounds(&self) -> Result<(), EngineError> {
        let lists = [
            ("fields", &self.fields),
            ("pivots", &self.pivots),
            ("sorts", &self.sorts),
            ("fill_fields", &self.fill_fields),
            ("subtotals", &self.subtotals),
        ];
        for (field, list) in lists {
            let list = list.as_deref().unwrap_or_default();
            if list.len() > MAX_LIST_ENTRIES {
                return Err(too_long(field, format!("`{field}` has {} entries; at most {MAX_LIST_ENTRIES}", list.len())));
            }
            if list.iter().any(|name| name.len() > MAX_TEXT_BYTES) {
                return Err(too_long(field, format!("an entry of `{field}` is longer than {MAX_TEXT_BYTES} bytes")));
            }
        }
        let filters = self.filters.as_ref().map(|f| f.len()).unwrap_or(0);
        if filters > MAX_LIST_ENTRIES {
            return Err(too_long("filters", format!("`filters` has {filters} entries; at most {MAX_LIST_ENTRIES}")));
        }
        let long_filter =
            self.filters.iter().flatten().any(|(k, v)| k.len() > MAX_TEXT_BYTES || v.as_str().is_some_and(|v| v.len() > MAX_TEXT_BYTES));
        if long_filter {
            return Err(too_long("filters", format!("a filter is longer than {MAX_TEXT_BYTES} bytes")));
        }
        for (field, text) in [("filter_expression", &self.filter_expression), ("dynamic_fields", &self.dynamic_fields)] {
            if text.as_ref().is_some_and(|t| t.len() > MAX_TEXT_BYTES) {
                return Err(too_long(field, format!("`{field}` is longer than {MAX_TEXT_BYTES} bytes")));
            }
        }
        Ok(())
    }

    /// `row_total`: `Some(true)` for Looker's `"right"`, `Some(false)` for `"left"`, `None` when
    /// not asked for.
    fn row_total(&self) -> Option<bool> {
        match self.row_total.as_deref().map(str::trim) {
            None | Some("" | "false" | "null") => None,
            Some("left") => Some(false),
            Some(_) => Some(true),
        }
    }

    /// Looker's `column_limit`: empty is the default (50), at most 200.
    fn column_limit(&self) -> Result<u64, EngineError> {
        let text = self.column_limit.as_deref().map(str::trim).unwrap_or("");
        if text.is_empty() {
            return Ok(sql::DEFAULT_COLUMN_LIMIT);
        }
        match text.parse::<u64>() {
            Ok(n) if (1..=sql::MAX_COLUMN_LIMIT).contains(&n) => Ok(n),
            _ => Err(EngineError::Invalid {
                field: "column_limit",
                message: format!("`{text}` must be a whole number of pivot columns from 1 to {}", sql::MAX_COLUMN_LIMIT),
            }),
        }
    }

    /// The enabled entries of `dynamic_fields` (a JSON array in a string).
    fn dynamic_entries(&self) -> Result<Vec<Map<String, Value>>, EngineError> {
        let text = self.dynamic_fields.as_deref().map(str::trim).unwrap_or("");
        if matches!(text, "" | "null") {
            return Ok(Vec::new());
        }
        let invalid = |message: String| EngineError::Invalid { field: "dynamic_fields", message };
        let entries: Vec<Map<String, Value>> =
            serde_json::from_str(text).map_err(|e| invalid(format!("`dynamic_fields` must be a JSON array of objects: {e}")))?;
        if entries.len() > 200 {
            return Err(invalid("at most 200 custom fields".into()));
        }
        Ok(entries.into_iter().filter(|e| e.get("is_disabled").and_then(Value::as_bool) != Some(true)).collect())
    }

    /// The table calculations of `dynamic_fields`, evaluated on the returned rows.
    pub fn table_calcs(&self) -> Result<Vec<present::TableCalc>, EngineError> {
        let invalid = |message: String| EngineError::Invalid { field: "dynamic_fields", message };
        let mut out = Vec::new();
        for entry in self.dynamic_entries()? {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string).filter(|s| !s.trim().is_empty());
            if text("category").as_deref() != Some("table_calculation") {
                continue;
            }
            let name =
                text("table_calculation").ok_or_else(|| invalid("a table calculation needs its name in `table_calculation`".into()))?;
            let expression = match text("calculation_type") {
                Some(kind) => shortcut_expression(&name, &kind, entry.get("args"))?,
                None => text("expression").ok_or_else(|| invalid(format!("table calculation `{name}` needs an `expression`")))?,
            };
            out.push(present::TableCalc {
                label: text("label").unwrap_or_else(|| name.clone()),
                expression,
                value_format: text("value_format"),
                value_format_name: text("value_format_name"),
                measure: text("_kind_hint").as_deref() != Some("dimension"),
                name,
            });
        }
        Ok(out)
    }

    /// `dynamic_fields`: custom dimensions and measures (table calculations are read by
    /// [`QueryBody::table_calcs`]); disabled entries are skipped.
    pub fn custom_fields(&self) -> Result<Vec<sql::CustomField>, EngineError> {
        let invalid = |message: String| EngineError::Invalid { field: "dynamic_fields", message };
        let mut out = Vec::new();
        for entry in self.dynamic_entries()? {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string).filter(|s| !s.trim().is_empty());
            let category = text("category").unwrap_or_default();
            let name = match category.as_str() {
                "dimension" => text("dimension"),
                "measure" => text("measure"),
                "table_calculation" => continue,
                other => {
                    return Err(invalid(format!("custom field category `{other}` is not one of dimension, measure, table_calculation")))
                }
            }
            .ok_or_else(|| invalid(format!("a custom {category} needs its name in `{category}`")))?;
            for key in ["filter_expression", "bin_type", "bin_size", "args", "calculation_type"] {
                if entry.get(key).is_some_and(|v| !v.is_null()) {
                    return Err(EngineError::NotSupported {
                        field: "dynamic_fields",
                        message: format!("custom field `{name}`: `{key}` is not supported yet"),
                    });
                }
            }
            let label = text("label").unwrap_or_else(|| name.clone());
            let kind = match (category.as_str(), text("expression"), text("based_on")) {
                ("dimension", Some(expression), _) => sql::CustomKind::Dimension { expression },
                ("dimension", None, _) => return Err(invalid(format!("custom dimension `{name}` needs an `expression`"))),
                ("measure", Some(expression), None) => sql::CustomKind::Expression { expression },
                ("measure", _, Some(based_on)) => {
                    let filters = match entry.get("filters") {
                        None | Some(Value::Null) => Vec::new(),
                        Some(Value::Object(map)) => map
                            .iter()
                            .map(|(f, v)| match v {
                                Value::String(s) => Ok((f.clone(), s.clone())),
                                _ => Err(invalid(format!("custom measure `{name}`: the filter on `{f}` must be a string"))),
                            })
                            .collect::<Result<_, _>>()?,
                        Some(_) => return Err(invalid(format!("custom measure `{name}`: `filters` must be an object"))),
                    };
                    let measure_type = text("type").ok_or_else(|| invalid(format!("custom measure `{name}` needs a `type`")))?;
                    sql::CustomKind::Measure { based_on, measure_type, filters }
                }
                _ => return Err(invalid(format!("custom measure `{name}` needs `based_on` and `type`, or an `expression`"))),
            };
            out.push(sql::CustomField {
                name,
                label,
                kind,
                value_format: text("value_format"),
                value_format_name: text("value_format_name"),
            });
        }
        Ok(out)
    }

    /// Filters as (field, expression) pairs in request order; `null` values mean no filter.
    pub fn filter_pairs(&self) -> Result<Vec<(String, String)>, EngineError> {
        let mut out = Vec::new();
        for (field, value) in self.filters.iter().flatten() {
            match value {
                Value::String(s) => out.push((field.clone(), s.clone())),
                Value::Null => {}
                Value::Number(n) => out.push((field.clone(), n.to_string())),
                Value::Bool(b) => out.push((field.clone(), if *b { "yes".into() } else { "no".into() })),
                other => {
                    return Err(EngineError::Invalid {
                        field: "filters",
                        message: format!("the filter on `{field}` must be a string, not {other}"),
                    })
                }
            }
        }
        Ok(out)
    }

    /// The compiler's view of this query; `limit` (from the request) overrides the query's own.
    pub fn spec(&self, limit: Option<&str>) -> Result<sql::QuerySpec, EngineError> {
        self.check_supported()?;
        Ok(sql::QuerySpec {
            model: self.model.clone(),
            view: self.view.clone(),
            fields: self.fields.clone().unwrap_or_default(),
            filters: self.filter_pairs()?,
            sorts: self.sorts.clone().unwrap_or_default(),
            limit: sql::Limit::parse(limit.or(self.limit.as_deref()))?,
            time_zones: None,
            pivots: self.pivots.clone().unwrap_or_default(),
            column_limit: self.column_limit()?,
            total: self.total == Some(true),
            row_total: self.row_total().is_some(),
            row_total_left: self.row_total() == Some(false),
            subtotals: self.subtotals.clone().unwrap_or_default().into_iter().filter(|s| !s.trim().is_empty()).collect(),
            fill_fields: self.fill_fields.clone().unwrap_or_default(),
            custom_fields: self.custom_fields()?,
            table_calcs: self.table_calcs()?,
            filter_expression: self.filter_expression.clone().filter(|e| !e.trim().is_empty()),
            persisted: Default::default(),
            // The engine adds the user's, when it compiles to run.
            user_attributes: None,
        })
    }

    /// The query's time zone by name, checked; `None` for none (or `user_timezone`, which is UTC
    /// until users have zones).
    pub fn zone_name(&self) -> Result<Option<String>, EngineError> {
        match self.query_timezone.as_deref().filter(|z| !z.is_empty() && *z != "user_timezone") {
            Some(name) => match jiff::tz::TimeZone::get(name) {
                Ok(_) => Ok(Some(name.to_string())),
                Err(_) => Err(EngineError::Invalid {
                    field: "query_timezone",
                    message: format!("`{name}` is not a time zone name such as `UTC` or `America/Los_Angeles`"),
                }),
            },
            None => Ok(None),
        }
    }

    /// "Now" in the query's time zone (UTC when it names none), for relative date filters.
    pub fn now(&self) -> Result<jiff::civil::DateTime, EngineError> {
        let zone = match self.zone_name()? {
            Some(name) => jiff::tz::TimeZone::get(&name).unwrap_or(jiff::tz::TimeZone::UTC),
            None => jiff::tz::TimeZone::UTC,
        };
        Ok(jiff::Timestamp::now().to_zoned(zone).datetime())
    }

    /// The compiler's view of this query for a connection whose timestamps are in `database_zone`.
    pub fn spec_for(&self, limit: Option<&str>, database_zone: &str) -> Result<sql::QuerySpec, EngineError> {
        let mut spec = self.spec(limit)?;
        spec.time_zones = self.zone_name()?.map(|query| sql::TimeZones { database: database_zone.to_string(), query });
        Ok(spec)
    }

    /// The normalised JSON saved for this query (equal queries give equal text).
    pub fn normalised_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn vis_type(&self) -> Option<&str> {
        self.vis_config.as_ref().and_then(|v| v.get("type")).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_fields_are_dropped_and_limits_may_be_numbers() {
        let q: QueryBody = serde_json::from_str(r#"{"id":"7","can":{},"model":"m","view":"v","fields":["a.b"],"limit":10}"#).unwrap();
        assert_eq!(q.limit.as_deref(), Some("10"));
        assert_eq!(q.normalised_json(), r#"{"model":"m","view":"v","fields":["a.b"],"limit":"10"}"#);
    }

    #[test]
    fn shortcut_calculations_become_their_expressions() {
        let body = |entry: &str| QueryBody {
            model: "m".into(),
            view: "v".into(),
            dynamic_fields: Some(format!("[{entry}]")),
            ..Default::default()
        };
        let q = body(
            r#"{"category":"table_calculation","table_calculation":"pct","calculation_type":"percent_of_column_sum","args":["o.count"],"value_format_name":"percent_0","_kind_hint":"measure"}"#,
        );
        let calcs = q.table_calcs().unwrap();
        assert_eq!(
            (calcs[0].expression.as_str(), calcs[0].value_format_name.as_deref()),
            ("${o.count} / sum(${o.count})", Some("percent_0"))
        );
        let q = body(r#"{"category":"table_calculation","table_calculation":"x","calculation_type":"moving_average","args":["o.count"]}"#);
        assert!(matches!(q.table_calcs(), Err(EngineError::NotSupported { .. })));
        for args in [r#"[]"#, r#"["a} + ${b"]"#, r#"[1]"#] {
            let q = body(&format!(
                r#"{{"category":"table_calculation","table_calculation":"x","calculation_type":"running_total","args":{args}}}"#
            ));
            assert!(matches!(q.table_calcs(), Err(EngineError::Invalid { .. })), "{args}");
        }
    }

    #[test]
    fn lists_and_texts_are_bounded() {
        let many: Vec<String> = (0..=MAX_LIST_ENTRIES).map(|i| format!("v.f{i}")).collect();
        let q = QueryBody { model: "m".into(), view: "v".into(), fields: Some(many.clone()), ..Default::default() };
        assert!(matches!(q.check_supported(), Err(EngineError::Invalid { field: "fields", .. })));
        let q = QueryBody { model: "m".into(), view: "v".into(), sorts: Some(many), ..Default::default() };
        assert!(matches!(q.check_supported(), Err(EngineError::Invalid { field: "sorts", .. })));
        let q = QueryBody {
            model: "m".into(),
            view: "v".into(),
            filter_expression: Some("1".repeat(MAX_TEXT_BYTES + 1)),
            ..Default::default()
        };
        assert!(matches!(q.check_supported(), Err(EngineError::Invalid { field: "filter_expression", .. })));
        let mut filters = Map::new();
        filters.insert("v.f".into(), Value::String("x".repeat(MAX_TEXT_BYTES + 1)));
        let q = QueryBody { model: "m".into(), view: "v".into(), filters: Some(filters), ..Default::default() };
        assert!(matches!(q.check_supported(), Err(EngineError::Invalid { field: "filters", .. })));
    }

    #[test]
    fn unsupported_parts_are_refused_by_name() {
        let q: QueryBody = serde_json::from_str(r#"{"model":"m","view":"v","subtotals":["a.b", ""]}"#).unwrap();
        assert_eq!(q.spec(None).unwrap().subtotals, ["a.b"]);
        let q: QueryBody = serde_json::from_str(r#"{"model":"m","view":"v","pivots":["a.b"],"row_total":"left"}"#).unwrap();
        let spec = q.spec(None).unwrap();
        assert!(spec.row_total && spec.row_total_left);
        let q: QueryBody = serde_json::from_str(r#"{"model":"m","view":"v","column_limit":"500"}"#).unwrap();
        assert!(matches!(q.spec(None), Err(EngineError::Invalid { field: "column_limit", .. })));
        let ok: QueryBody =
            serde_json::from_str(r#"{"model":"m","view":"v","pivots":["a.b"],"dynamic_fields":"[]","total":true,"row_total":"right"}"#)
                .unwrap();
        assert!(ok.check_supported().is_ok());
        let spec = ok.spec(None).unwrap();
        assert!(spec.total && spec.row_total && spec.pivots == ["a.b"] && spec.column_limit == 50);
        let q: QueryBody = serde_json::from_str(
            r#"{"model":"m","view":"v","dynamic_fields":"[{\"category\":\"table_calculation\",\"table_calculation\":\"x\",\"calculation_type\":\"moving_average\",\"args\":[\"a\"]}]"}"#,
        )
        .unwrap();
        assert!(matches!(q.check_supported(), Err(EngineError::NotSupported { field: "dynamic_fields", .. })));
        let ok: QueryBody = serde_json::from_str(r#"{"model":"m","view":"v","pivots":[],"dynamic_fields":"[]","total":false}"#).unwrap();
        assert!(ok.check_supported().is_ok());
    }
}
