//! Views and their fields: dimensions (every type), dimension groups (time and duration),
//! measures (every aggregating and non-aggregating type, with `filters:`), sets, and the
//! presentation metadata the API and formatters report.

use std::collections::{BTreeMap, HashSet};

use lookml::{Pair, Span};

use crate::build::Builder;
use crate::liquid::{has_liquid, parse_liquid};
use crate::merge::Definition;
use crate::model::*;
use crate::params::Structure;

impl Builder<'_> {
    pub(crate) fn view(&mut self, def: &Definition) -> Option<View> {
        let name = def.name.as_str();
        let mut view = View {
            name: name.to_string(),
            label: title_case(name),
            source: ViewSource::Table(name.to_string()),
            persistence: None,
            fields: Vec::new(),
            sets: BTreeMap::new(),
            drill_fields: Vec::new(),
            required_access_grants: Vec::new(),
            span: def.span,
        };
        for item in &def.items {
            match item.key.as_str() {
                "label" => view.label = self.text(item).unwrap_or(view.label),
                "sql_table_name" => {
                    if let Some(t) = self.text(item) {
                        self.check_liquid(item, &t);
                        view.source = ViewSource::Table(t);
                    }
                }
                "derived_table" => {
                    if let Some((source, persistence)) = self.derived_table(item) {
                        view.source = source;
                        view.persistence = persistence;
                    }
                }
                "dimension" => view.fields.extend(self.dimension(name, item)),
                "dimension_group" => view.fields.extend(self.dimension_group(name, item)),
                "measure" => view.fields.extend(self.measure(name, item)),
                "filter" => view.fields.extend(self.filter_field(name, item)),
                "parameter" => view.fields.extend(self.parameter_field(name, item)),
                "set" => {
                    if let Some((set_name, items)) = self.named_block(item) {
                        let mut fields = Vec::new();
                        for inner in items {
                            match inner.key.as_str() {
                                "fields" => fields = self.list(inner),
                                other => self.error(inner.key_span, format!("`{other}` is not a parameter of `set`")),
                            }
                        }
                        view.sets.insert(set_name.to_string(), fields);
                    }
                }
                "drill_fields" => view.drill_fields = self.list(item),
                "required_access_grants" => view.required_access_grants = self.list(item),
                "extension" | "extends" => {}
                _ => self.other(Structure::View, item),
            }
        }
        let mut seen = HashSet::new();
        for f in &view.fields {
            if !seen.insert(f.name.clone()) {
                self.error(f.span, format!("field `{name}.{}` is defined twice", f.name));
            }
        }
        Some(view)
    }

    /// A derived table's source, and its persistence when it is persistent.
    fn derived_table(&mut self, item: &Pair) -> Option<(ViewSource, Option<crate::cache_policy::Persistence>)> {
        let Some((_, items)) = item.value.as_block() else {
            self.error(item.value.span, "`derived_table:` needs a block");
            return None;
        };
        let mut source = None;
        let mut persistence = None;
        for inner in items {
            match inner.key.as_str() {
                "sql" => {
                    if let Some(sql) = self.text(inner) {
                        self.check_liquid(inner, &sql);
                        source = Some(ViewSource::DerivedSql(sql));
                    }
                }
                "explore_source" => source = self.explore_source(inner).map(ViewSource::Native),
                "datagroup_trigger" | "sql_trigger_value" | "persist_for" | "interval_trigger" => {
                    if persistence.is_some() {
                        self.error(
                            inner.key_span,
                            "a derived table takes one of `datagroup_trigger`, `sql_trigger_value`, `persist_for` and `interval_trigger`",
                        );
                    }
                    persistence = self.persistence(inner);
                }
                _ => self.other(Structure::DerivedTable, inner),
            }
        }
        if source.is_none() && !items.iter().any(|p| p.key == "explore_source") {
            self.error(item.key_span, "`derived_table` needs `sql:` or `explore_source:`");
        }
        source.map(|s| (s, persistence))
    }

    fn explore_source(&mut self, pair: &Pair) -> Option<NativeSource> {
        let (explore, items) = self.named_block(pair)?;
        let mut native = NativeSource {
            explore: explore.to_string(),
            columns: Vec::new(),
            derived_columns: Vec::new(),
            filters: Vec::new(),
            sorts: Vec::new(),
            limit: None,
            timezone: None,
            bind_all_filters: false,
            bind_filters: Vec::new(),
        };
        for item in items {
            match item.key.as_str() {
                "column" => {
                    let Some((name, parts)) = self.named_block(item) else { continue };
                    let field = parts.iter().find(|p| p.key == "field").and_then(|p| p.value.as_text());
                    for p in parts.iter().filter(|p| p.key != "field") {
                        self.error(p.key_span, format!("`{}` in an `explore_source` column is not supported yet", p.key));
                    }
                    native.columns.push((name.to_string(), field.map(str::to_string).unwrap_or_else(|| format!("{explore}.{name}"))));
                }
                "derived_column" => {
                    let Some((name, parts)) = self.named_block(item) else { continue };
                    match parts.iter().find(|p| p.key == "sql").and_then(|p| p.value.as_text()) {
                        Some(sql) => native.derived_columns.push((name.to_string(), sql.to_string())),
                        None => self.error(item.key_span, format!("derived_column `{name}` needs `sql:`")),
                    }
                }
                "filters" => native.filters.extend(self.filter_pairs(item).into_iter().map(|(f, v, _)| (f, v))),
                "sorts" => match item.value.as_list() {
                    Some(list) => {
                        for entry in list {
                            match entry {
                                lookml::ListItem::Pair(p) => {
                                    let direction = p.value.as_text().unwrap_or("asc");
                                    native.sorts.push(format!("{} {direction}", p.key));
                                }
                                lookml::ListItem::Value(v) => native.sorts.push(v.as_text().unwrap_or_default().to_string()),
                            }
                        }
                    }
                    None => self.error(item.value.span, "`sorts` takes a list, as in `sorts: [revenue: desc]`"),
                },
                "limit" => native.limit = self.text(item),
                "timezone" => native.timezone = self.text(item),
                "bind_all_filters" => native.bind_all_filters = self.yes_no(item).unwrap_or(false),
                "bind_filters" => {
                    let Some((_, parts)) = item.value.as_block() else {
                        self.error(item.value.span, "`bind_filters` takes a block with `from_field:` and `to_field:`");
                        continue;
                    };
                    let get = |k: &str| parts.iter().find(|p| p.key == k).and_then(|p| p.value.as_text()).map(str::to_string);
                    match (get("from_field"), get("to_field")) {
                        (Some(from), Some(to)) => native.bind_filters.push((from, to)),
                        _ => self.error(item.key_span, "`bind_filters` needs `from_field:` and `to_field:`"),
                    }
                }
                // The legacy form of `sorts`: `sort: { field: x desc: yes }`.
                "sort" => {
                    let Some((_, parts)) = item.value.as_block() else {
                        self.error(item.value.span, "`sort` takes a block with `field:` and `desc:`");
                        continue;
                    };
                    let field = parts.iter().find(|p| p.key == "field").and_then(|p| p.value.as_text());
                    let desc = parts.iter().any(|p| p.key == "desc" && p.value.as_text() == Some("yes"));
                    match field {
                        Some(f) => native.sorts.push(format!("{f} {}", if desc { "desc" } else { "asc" })),
                        None => self.error(item.key_span, "`sort` needs `field:`"),
                    }
                }
                "expression_custom_filter" => {
                    self.error(item.key_span, "`expression_custom_filter` in `explore_source` is not supported yet")
                }
                other => self
                    .diagnostics
                    .push(lookml::Diagnostic::warning(item.key_span, format!("unknown explore_source parameter `{other}`; it is ignored"))),
            }
        }
        if native.columns.is_empty() {
            self.error(pair.key_span, "`explore_source` needs at least one `column:`");
        }
        Some(native)
    }

    /// Liquid in SQL is parsed now, so that what Sightline cannot render is a located error here
    /// rather than text sent to the database later.
    pub(crate) fn check_liquid(&mut self, pair: &Pair, text: &str) {
        if !has_liquid(text) {
            return;
        }
        if let Err(e) = parse_liquid(text) {
            let span = pair.value.span;
            let at = (span.start as usize + e.offset).min(span.end as usize);
            self.error(Span::new(span.file, at, at), format!("Liquid in `{}`: {}", pair.key, e.message));
        }
    }

    fn filter_field(&mut self, view: &str, pair: &Pair) -> Option<Field> {
        let (name, items) = self.named_block(pair)?;
        let kind = match self.type_of(items) {
            None | Some(("string" | "zipcode", _)) => FilterType::String,
            Some(("number", _)) => FilterType::Number,
            Some(("date" | "date_time", _)) => FilterType::Date,
            Some(("yesno", _)) => FilterType::YesNo,
            Some((other, span)) => {
                self.error(
                    span,
                    format!("filter type `{other}` is not supported yet (supported: string, number, date, date_time, yesno, zipcode)"),
                );
                return None;
            }
        };
        let mut field = self.new_field(view, name, pair.key_span, FieldKind::Filter(kind));
        for item in items {
            if item.key == "default_value" {
                field.default_value = self.text(item);
            }
        }
        self.common(&mut field, items, Structure::FilterField, &["default_value"]);
        Some(field)
    }

    fn parameter_field(&mut self, view: &str, pair: &Pair) -> Option<Field> {
        let (name, items) = self.named_block(pair)?;
        let kind = match self.type_of(items) {
            None | Some(("string", _)) => ParameterType::String,
            Some(("unquoted", _)) => ParameterType::Unquoted,
            Some(("number", _)) => ParameterType::Number,
            Some(("date" | "date_time", _)) => ParameterType::Date,
            Some(("yesno", _)) => ParameterType::YesNo,
            Some((other, span)) => {
                self.error(
                    span,
                    format!("parameter type `{other}` is not supported yet (supported: string, unquoted, number, date, date_time, yesno)"),
                );
                return None;
            }
        };
        let mut field = self.new_field(view, name, pair.key_span, FieldKind::Parameter(kind));
        for item in items {
            match item.key.as_str() {
                "default_value" => field.default_value = self.text(item),
                "allowed_value" => {
                    let Some((_, parts)) = item.value.as_block() else {
                        self.error(item.value.span, "`allowed_value` takes a block with `label:` and `value:`");
                        continue;
                    };
                    let value = parts.iter().find(|p| p.key == "value").and_then(|p| p.value.as_text());
                    let label = parts.iter().find(|p| p.key == "label").and_then(|p| p.value.as_text());
                    match value {
                        Some(v) => field.allowed_values.push((label.unwrap_or(v).to_string(), v.to_string())),
                        None => self.error(item.key_span, "`allowed_value` needs `value:`"),
                    }
                }
                _ => {}
            }
        }
        if field.sql.is_some() {
            self.error(pair.key_span, "a `parameter` has no `sql:`; read its value with `{% parameter name %}`");
        }
        self.common(&mut field, items, Structure::ParameterField, &["default_value", "allowed_value"]);
        Some(field)
    }

    fn new_field(&self, view: &str, name: &str, span: Span, kind: FieldKind) -> Field {
        Field::new(view, name, span, kind)
    }

    /// Parameters every field structure shares; `handled` lists the keys the caller reads.
    fn common(&mut self, field: &mut Field, items: &[Pair], structure: Structure, handled: &[&str]) {
        for item in items {
            let key = item.key.as_str();
            if handled.contains(&key) || key == "type" {
                continue;
            }
            match key {
                "sql" => {
                    field.sql = self.text(item);
                    if let Some(sql) = &field.sql {
                        let sql = sql.clone();
                        self.check_liquid(item, &sql);
                    }
                }
                "label" => field.label = self.text(item).unwrap_or(field.label.clone()),
                "description" => field.description = self.text(item),
                "primary_key" => field.primary_key = self.yes_no(item).unwrap_or(false),
                "hidden" => field.hidden = self.yes_no(item).unwrap_or(false),
                "group_label" => field.display.group_label = self.text(item),
                "group_item_label" => field.display.group_item_label = self.text(item),
                "view_label" => field.display.view_label = self.text(item),
                "value_format" => field.display.value_format = self.text(item),
                "value_format_name" => field.display.value_format_name = self.text(item),
                "html" => field.display.html = self.text(item),
                "drill_fields" => field.display.drill_fields = self.list(item),
                "tags" => field.display.tags = self.list(item),
                "suggest_dimension" => field.display.suggest_dimension = self.text(item),
                "suggest_explore" => field.display.suggest_explore = self.text(item),
                "can_filter" => field.display.can_filter = self.yes_no(item).unwrap_or(true),
                "link" => {
                    if let Some(link) = self.link(item) {
                        field.display.links.push(link);
                    }
                }
                "convert_tz" => field.convert_tz = self.yes_no(item).unwrap_or(true),
                "allow_fill" => field.allow_fill = self.yes_no(item).unwrap_or(true),
                "case_sensitive" => field.case_sensitive = self.yes_no(item),
                "order_by_field" => field.order_by_field = self.text(item),
                "required_access_grants" => field.required_access_grants = self.list(item),
                "datatype" => match self.text(item).as_deref() {
                    Some("timestamp") => field.datatype = Datatype::Timestamp,
                    Some("datetime") => field.datatype = Datatype::Datetime,
                    Some("date") => field.datatype = Datatype::Date,
                    Some("epoch") => field.datatype = Datatype::Epoch,
                    Some("yyyymmdd") => field.datatype = Datatype::Yyyymmdd,
                    Some(other) => {
                        self.error(item.value.span, format!("datatype `{other}` is not one of timestamp, datetime, date, epoch, yyyymmdd"))
                    }
                    None => {}
                },
                _ => self.other(structure, item),
            }
        }
    }

    fn link(&mut self, item: &Pair) -> Option<Link> {
        let Some((_, items)) = item.value.as_block() else {
            self.error(item.value.span, "`link` takes a block with `label:` and `url:`");
            return None;
        };
        let mut link = Link::default();
        for inner in items {
            match inner.key.as_str() {
                "label" => link.label = self.text(inner).unwrap_or_default(),
                "url" => link.url = self.text(inner).unwrap_or_default(),
                "icon_url" => link.icon_url = self.text(inner),
                other => self.error(inner.key_span, format!("`{other}` is not a parameter of `link`")),
            }
        }
        Some(link)
    }

    fn type_of<'p>(&mut self, items: &'p [Pair]) -> Option<(&'p str, Span)> {
        let pair = items.iter().find(|p| p.key == "type")?;
        match pair.value.as_text() {
            Some(t) => Some((t, pair.value.span)),
            None => {
                self.error(pair.value.span, "`type` takes a single value");
                None
            }
        }
    }

    fn dimension(&mut self, view: &str, pair: &Pair) -> Option<Field> {
        let (name, items) = self.named_block(pair)?;
        let mut handled: Vec<&str> = Vec::new();
        let kind = match self.type_of(items) {
            None if items.iter().any(|p| p.key == "case") => {
                handled.extend(["case", "alpha_sort"]);
                self.case(items)?
            }
            None | Some(("string", _)) => {
                if items.iter().any(|p| p.key == "case") {
                    handled.extend(["case", "alpha_sort"]);
                    self.case(items)?
                } else {
                    DimensionType::String
                }
            }
            Some(("number", _)) => DimensionType::Number,
            Some(("yesno", _)) => DimensionType::YesNo,
            Some(("zipcode", _)) => DimensionType::Zipcode,
            Some(("date", _)) => DimensionType::Time(Timeframe::Date),
            Some(("date_time" | "time", _)) => DimensionType::Time(Timeframe::Time),
            Some(("tier", span)) => {
                handled.extend(["tiers", "style"]);
                self.tier(items, span, "tier")?
            }
            // `type: bin` (Looker 21.14) is a tier by another name, its limits in `bins`.
            Some(("bin", span)) => {
                handled.extend(["bins", "style"]);
                self.tier(items, span, "bin")?
            }
            Some((t, span)) if t.starts_with("date_") || t.starts_with("duration_") => {
                if let Some(tf) = t.strip_prefix("date_").and_then(Timeframe::parse) {
                    DimensionType::Time(tf)
                } else if let Some(interval) = t.strip_prefix("duration_").and_then(Interval::parse) {
                    handled.extend(["sql_start", "sql_end"]);
                    let mut field = self.new_field(view, name, pair.key_span, FieldKind::Dimension(DimensionType::Duration(interval)));
                    self.duration_ends(&mut field, pair, items);
                    self.common(&mut field, items, Structure::Dimension, &handled);
                    return Some(field);
                } else {
                    self.error(span, format!("dimension type `{t}` is not a Looker timeframe or duration"));
                    return None;
                }
            }
            Some(("location", span)) => {
                handled.extend(["sql_latitude", "sql_longitude"]);
                let get = |k: &str| items.iter().find(|p| p.key == k).and_then(|p| p.value.as_text()).map(str::to_string);
                match (get("sql_latitude"), get("sql_longitude")) {
                    (Some(latitude), Some(longitude)) => DimensionType::Location { latitude, longitude },
                    _ => {
                        self.error(span, "a `type: location` dimension needs `sql_latitude` and `sql_longitude`");
                        return None;
                    }
                }
            }
            Some(("distance", span)) => {
                handled.extend(["start_location_field", "end_location_field", "units"]);
                let get = |k: &str| items.iter().find(|p| p.key == k).and_then(|p| p.value.as_text()).map(str::to_string);
                let units = get("units");
                match (get("start_location_field"), get("end_location_field"), units.as_deref().map(DistanceUnit::parse)) {
                    (Some(start), Some(end), Some(Some(units))) => DimensionType::Distance { start, end, units },
                    (_, _, Some(None)) => {
                        self.error(
                            span,
                            format!(
                                "`units: {}` is not one of feet, kilometers, meters, miles, nautical_miles, yards",
                                units.unwrap_or_default()
                            ),
                        );
                        return None;
                    }
                    _ => {
                        self.error(span, "a `type: distance` dimension needs `start_location_field`, `end_location_field` and `units`");
                        return None;
                    }
                }
            }

            Some((other, span)) => {
                self.error(span, format!("`{other}` is not a dimension type"));
                return None;
            }
        };
        let mut field = self.new_field(view, name, pair.key_span, FieldKind::Dimension(kind));
        self.common(&mut field, items, Structure::Dimension, &handled);
        Some(field)
    }

    fn case(&mut self, items: &[Pair]) -> Option<DimensionType> {
        let case = items.iter().find(|p| p.key == "case")?;
        let Some((_, entries)) = case.value.as_block() else {
            self.error(case.value.span, "`case` takes a block of `when: { sql: … ;; label: \"…\" }` and `else: \"…\"`");
            return None;
        };
        let mut whens = Vec::new();
        let mut otherwise = None;
        for entry in entries {
            match entry.key.as_str() {
                "when" => {
                    let Some((_, parts)) = entry.value.as_block() else {
                        self.error(entry.value.span, "`when` takes a block with `sql:` and `label:`");
                        continue;
                    };
                    let sql = parts.iter().find(|p| p.key == "sql").and_then(|p| p.value.as_text());
                    let label = parts.iter().find(|p| p.key == "label").and_then(|p| p.value.as_text());
                    if let Some(p) = parts.iter().find(|p| p.key == "sql") {
                        self.check_liquid(p, sql.unwrap_or_default());
                    }
                    match (sql, label) {
                        (Some(s), Some(l)) => whens.push((s.to_string(), l.to_string())),
                        _ => self.error(entry.key_span, "`when` needs both `sql:` and `label:`"),
                    }
                }
                "else" => otherwise = self.text(entry),
                other => self.error(entry.key_span, format!("`{other}` is not a parameter of `case`")),
            }
        }
        let alpha_sort = items.iter().any(|p| p.key == "alpha_sort" && p.value.as_text() == Some("yes"));
        Some(DimensionType::Case { whens, otherwise, alpha_sort })
    }

    /// A `type: tier` dimension (limits in `tiers`) or `type: bin` (limits in `bins`).
    fn tier(&mut self, items: &[Pair], span: Span, kind: &str) -> Option<DimensionType> {
        let list = if kind == "bin" { "bins" } else { "tiers" };
        let Some(tiers_pair) = items.iter().find(|p| p.key == list) else {
            self.error(span, format!("a `type: {kind}` dimension needs `{list}: [...]`"));
            return None;
        };
        let mut tiers = Vec::new();
        for t in self.list(tiers_pair) {
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() => tiers.push(v),
                _ => self.error(tiers_pair.value.span, format!("tier `{t}` is not a number")),
            }
        }
        if tiers.windows(2).any(|w| w[0] >= w[1]) {
            self.error(tiers_pair.value.span, format!("`{list}` must increase"));
        }
        let style = match items.iter().find(|p| p.key == "style").and_then(|p| p.value.as_text()) {
            None | Some("classic") => TierStyle::Classic,
            Some("interval") => TierStyle::Interval,
            Some("integer") => TierStyle::Integer,
            Some("relational") => TierStyle::Relational,
            Some(other) => {
                self.error(span, format!("tier style `{other}` is not one of classic, interval, integer, relational"));
                TierStyle::Classic
            }
        };
        Some(DimensionType::Tier { tiers, style })
    }

    fn duration_ends(&mut self, field: &mut Field, pair: &Pair, items: &[Pair]) {
        for item in items {
            match item.key.as_str() {
                "sql_start" => {
                    field.sql_start = self.text(item);
                    self.check_liquid(item, field.sql_start.as_deref().unwrap_or_default());
                }
                "sql_end" => {
                    field.sql_end = self.text(item);
                    self.check_liquid(item, field.sql_end.as_deref().unwrap_or_default());
                }
                _ => {}
            }
        }
        if field.sql_start.is_none() || field.sql_end.is_none() {
            self.error(pair.key_span, "a duration needs both `sql_start:` and `sql_end:`");
        }
    }

    fn dimension_group(&mut self, view: &str, pair: &Pair) -> Vec<Field> {
        let Some((name, items)) = self.named_block(pair) else { return Vec::new() };
        let group_label =
            items.iter().find(|p| p.key == "label").and_then(|p| p.value.as_text()).map(str::to_string).unwrap_or_else(|| title_case(name));
        match self.type_of(items) {
            Some(("time", _)) => {}
            Some(("duration", _)) => return self.duration_group(view, name, pair, items, &group_label),
            Some((other, span)) => {
                self.error(span, format!("dimension_group type `{other}` is not one of time, duration"));
                return Vec::new();
            }
            None => {
                self.error(pair.key_span, format!("dimension_group `{name}` needs `type: time` or `type: duration`"));
                return Vec::new();
            }
        }
        let mut timeframes = Timeframe::DEFAULT.to_vec();
        if let Some(list_pair) = items.iter().find(|p| p.key == "timeframes") {
            timeframes.clear();
            for text in self.list(list_pair) {
                match Timeframe::parse(&text) {
                    Some(tf) => timeframes.push(tf),
                    None => self.error(list_pair.value.span, format!("`{text}` is not a Looker timeframe")),
                }
            }
        }
        timeframes
            .into_iter()
            .map(|tf| {
                let field_name = if tf == Timeframe::YesNo { name.to_string() } else { format!("{name}_{}", tf.name()) };
                let kind = if tf == Timeframe::YesNo { DimensionType::Time(Timeframe::YesNo) } else { DimensionType::Time(tf) };
                let mut field = self.new_field(view, &field_name, pair.key_span, FieldKind::Dimension(kind));
                self.common(&mut field, items, Structure::DimensionGroup, &["timeframes"]);
                field.label =
                    if tf == Timeframe::YesNo { group_label.clone() } else { format!("{group_label} {}", title_case(&tf.name())) };
                field.group = Some(name.to_string());
                field.hidden = field.hidden || tf == Timeframe::Raw;
                field
            })
            .collect()
    }

    fn duration_group(&mut self, view: &str, name: &str, pair: &Pair, items: &[Pair], group_label: &str) -> Vec<Field> {
        let mut intervals = Interval::ALL.to_vec();
        if let Some(list_pair) = items.iter().find(|p| p.key == "intervals") {
            intervals.clear();
            for text in self.list(list_pair) {
                match Interval::parse(&text) {
                    Some(i) => intervals.push(i),
                    None => self.error(list_pair.value.span, format!("`{text}` is not a duration interval")),
                }
            }
        }
        intervals
            .into_iter()
            .map(|interval| {
                let field_name = format!("{}s_{name}", interval.name());
                let mut field = self.new_field(view, &field_name, pair.key_span, FieldKind::Dimension(DimensionType::Duration(interval)));
                self.duration_ends(&mut field, pair, items);
                self.common(&mut field, items, Structure::DimensionGroup, &["intervals", "sql_start", "sql_end"]);
                field.label = format!("{} {group_label}", title_case(&format!("{}s", interval.name())));
                field.group = Some(name.to_string());
                field
            })
            .collect()
    }

    fn measure(&mut self, view: &str, pair: &Pair) -> Option<Field> {
        let (name, items) = self.named_block(pair)?;
        let percentile = || -> Result<f64, String> {
            let p = items.iter().find(|p| p.key == "percentile").and_then(|p| p.value.as_text()).ok_or("needs `percentile:`")?;
            p.parse::<f64>()
                .ok()
                .filter(|v| (0.0..=100.0).contains(v))
                .ok_or_else(|| format!("percentile `{p}` must be a number from 0 to 100"))
        };
        let kind = match self.type_of(items) {
            Some(("count", _)) => MeasureType::Count,
            Some(("count_distinct", _)) => MeasureType::CountDistinct,
            Some(("sum", _)) => MeasureType::Sum,
            Some(("sum_distinct", _)) => MeasureType::SumDistinct,
            Some(("average", _)) => MeasureType::Average,
            Some(("average_distinct", _)) => MeasureType::AverageDistinct,
            Some(("min", _)) => MeasureType::Min,
            Some(("max", _)) => MeasureType::Max,
            Some(("median", _)) => MeasureType::Median,
            Some(("median_distinct", _)) => MeasureType::MedianDistinct,
            Some((t @ ("percentile" | "percentile_distinct"), span)) => match percentile() {
                Ok(p) if t == "percentile" => MeasureType::Percentile(p),
                Ok(p) => MeasureType::PercentileDistinct(p),
                Err(e) => {
                    self.error(span, format!("measure `{name}` of type {t} {e}"));
                    return None;
                }
            },
            Some(("list", _)) => MeasureType::List,
            Some(("number" | "int", _)) => MeasureType::Number,
            Some(("date", _)) => MeasureType::Date,
            Some(("string", _)) => MeasureType::String,
            Some(("yesno", _)) => MeasureType::YesNo,
            Some(("running_total", _)) => MeasureType::RunningTotal,
            Some(("percent_of_total", _)) => MeasureType::PercentOfTotal,
            Some(("percent_of_previous", _)) => MeasureType::PercentOfPrevious,
            Some(("period_over_period", span)) => {
                self.error(span, "measure type `period_over_period` is not supported yet");
                return None;
            }
            Some((other, span)) => {
                self.error(span, format!("`{other}` is not a measure type"));
                return None;
            }
            None => {
                self.error(pair.key_span, format!("measure `{name}` needs a `type:`"));
                return None;
            }
        };
        let mut field = self.new_field(view, name, pair.key_span, FieldKind::Measure(kind));
        let handled = ["filters", "sql_distinct_key", "list_field", "percentile", "approximate", "direction"];
        for item in items {
            match item.key.as_str() {
                "filters" => {
                    if kind.is_non_aggregate() {
                        self.error(
                            item.key_span,
                            format!("a measure of type {} cannot have `filters` (only aggregating types can)", kind.name()),
                        );
                    }
                    for (f, v, span) in self.filter_pairs(item) {
                        field.filters.push(MeasureFilter { field: f, value: v, span });
                    }
                }
                "sql_distinct_key" => {
                    field.sql_distinct_key = self.text(item);
                    if !kind.is_distinct_keyed() {
                        self.error(
                            item.key_span,
                            format!("`sql_distinct_key` applies to the *_distinct measure types, not {}", kind.name()),
                        );
                    }
                }
                "list_field" => field.list_field = self.text(item),
                "approximate" => {
                    field.approximate = self.yes_no(item).unwrap_or(false);
                    if field.approximate && !matches!(kind, MeasureType::Count | MeasureType::CountDistinct) {
                        self.error(
                            item.key_span,
                            format!("`approximate` applies to count and count_distinct measures, not {}", kind.name()),
                        );
                    }
                }
                "direction" => match self.text(item).as_deref() {
                    Some("row") => field.down_columns = false,
                    Some("column") => field.down_columns = true,
                    _ => self.error(item.key_span, "`direction` is \"row\" or \"column\""),
                },
                "percentile" if !matches!(kind, MeasureType::Percentile(_) | MeasureType::PercentileDistinct(_)) => {
                    self.error(item.key_span, "`percentile` applies to the percentile measure types");
                }
                _ => {}
            }
        }
        self.common(&mut field, items, Structure::Measure, &handled);
        match kind {
            MeasureType::Count => {}
            MeasureType::List if field.list_field.is_none() => {
                self.error(pair.key_span, format!("measure `{name}` of type list needs `list_field:`"))
            }
            MeasureType::List => {}
            _ if field.sql.is_none() => self.error(pair.key_span, format!("measure `{name}` of type {} needs `sql:`", kind.name())),
            _ => {}
        }
        Some(field)
    }
}

/// The names a `fields:` list or set selects: `name`, `view.name`, `set*`, `view.set*`,
/// `ALL_FIELDS*`, and `-view.name` exclusions. `resolve_set` expands `view.set*` to qualified
/// names (or `None` when there is no such set).
pub(crate) fn expand_field_list(
    list: &[String],
    all: &[String],
    resolve_set: &mut dyn FnMut(&str) -> Option<Vec<String>>,
) -> Result<Vec<String>, String> {
    let mut included: Vec<String> = Vec::new();
    let mut excluded: Vec<String> = Vec::new();
    for item in list {
        let item = item.trim();
        if let Some(rest) = item.strip_prefix('-') {
            match rest.strip_suffix('*') {
                Some(set) => excluded.extend(resolve_set(set).ok_or_else(|| format!("no set `{set}`"))?),
                None => excluded.push(rest.to_string()),
            }
        } else if item == "ALL_FIELDS*" {
            included.extend(all.iter().cloned());
        } else if let Some(set) = item.strip_suffix('*') {
            included.extend(resolve_set(set).ok_or_else(|| format!("no set `{set}`"))?);
        } else {
            included.push(item.to_string());
        }
    }
    let mut seen = HashSet::new();
    Ok(included.into_iter().filter(|f| !excluded.contains(f) && seen.insert(f.clone())).collect())
}
