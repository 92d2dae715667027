//! Builds the [`Catalog`] from a loaded [`Project`], collecting every problem as a diagnostic.

use std::collections::{BTreeMap, HashSet};

use lookml::{Diagnostic, ListItem, Pair, Project, Span, ValueKind};

use crate::model::*;
use crate::references::{parse_references, ReferenceKind};

/// Builds every model of the project. Models with errors are still returned (as far as they go),
/// so a validator can report everything; a server should refuse to start when any diagnostic is
/// an error.
pub fn build_catalog(project: &Project) -> (Catalog, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut catalog = Catalog::default();
    for source in &project.models {
        let Some(model_doc) = project.document(source.file) else { continue };
        let mut b = Builder { diagnostics: &mut diagnostics };
        let mut connection = None;
        let mut label = title_case(&source.name);
        let mut views: BTreeMap<String, View> = BTreeMap::new();
        let mut explores: BTreeMap<String, Explore> = BTreeMap::new();
        let model_span = Span::new(source.file, 0, 0);
        for pair in &model_doc.items {
            match pair.key.as_str() {
                "connection" => connection = b.text(pair),
                "label" => label = b.text(pair).unwrap_or(label),
                _ => {}
            }
        }
        for file in std::iter::once(source.file).chain(source.includes.iter().copied()) {
            let Some(doc) = project.document(file) else { continue };
            for pair in &doc.items {
                match pair.key.as_str() {
                    "view" => {
                        if let Some(view) = b.view(pair) {
                            if let Some(previous) = views.get(&view.name) {
                                let at = project.sources.locate(previous.span);
                                b.error(pair.key_span, format!("view `{}` is defined twice (first at {at})", view.name));
                            } else {
                                views.insert(view.name.clone(), view);
                            }
                        }
                    }
                    "explore" => {
                        if let Some(explore) = b.explore(pair) {
                            if explores.contains_key(&explore.name) {
                                b.error(pair.key_span, format!("explore `{}` is defined twice in model `{}`", explore.name, source.name));
                            } else {
                                explores.insert(explore.name.clone(), explore);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let connection = match connection {
            Some(c) => c,
            None => {
                b.error(model_span, format!("model `{}` has no `connection:`", source.name));
                String::new()
            }
        };
        let model = Model { name: source.name.clone(), label, connection, explores, views };
        validate(&model, &mut diagnostics);
        catalog.models.insert(model.name.clone(), model);
    }
    (catalog, diagnostics)
}

struct Builder<'a> {
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Builder<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    /// The text of a scalar or SQL value; anything else is reported.
    fn text(&mut self, pair: &Pair) -> Option<String> {
        match pair.value.as_text() {
            Some(t) => Some(t.to_string()),
            None => {
                self.error(pair.value.span, format!("`{}` takes a single value, not {}", pair.key, pair.value.kind_name()));
                None
            }
        }
    }

    fn yes_no(&mut self, pair: &Pair) -> Option<bool> {
        match self.text(pair)?.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            other => {
                self.error(pair.value.span, format!("`{}` must be `yes` or `no`, not `{other}`", pair.key));
                None
            }
        }
    }

    /// The name and items of `key: name { … }`; reports a missing name or a non-block value.
    fn named_block<'p>(&mut self, pair: &'p Pair) -> Option<(&'p str, &'p [Pair])> {
        match &pair.value.kind {
            ValueKind::Block { name: Some(name), items, .. } => Some((name.as_str(), items.as_slice())),
            ValueKind::Block { name: None, .. } => {
                self.error(pair.key_span, format!("`{}:` needs a name, as in `{}: name {{ … }}`", pair.key, pair.key));
                None
            }
            _ => {
                self.error(pair.value.span, format!("`{}:` needs a block, as in `{}: name {{ … }}`", pair.key, pair.key));
                None
            }
        }
    }

    fn view(&mut self, pair: &Pair) -> Option<View> {
        let (name, items) = self.named_block(pair)?;
        if name.starts_with('+') {
            self.error(pair.key_span, format!("refinements (`view: {name}`) are not supported yet"));
            return None;
        }
        let mut label = title_case(name);
        let mut source = ViewSource::Table(name.to_string());
        let mut fields: Vec<Field> = Vec::new();
        for item in items {
            match item.key.as_str() {
                "label" => label = self.text(item).unwrap_or(label),
                "sql_table_name" => {
                    if let Some(t) = self.text(item) {
                        source = ViewSource::Table(t);
                    }
                }
                "derived_table" => match item.value.as_block() {
                    Some((_, dt)) => match dt.iter().find(|p| p.key == "sql") {
                        Some(sql) => {
                            if let Some(sql) = self.text(sql) {
                                source = ViewSource::DerivedSql(sql);
                            }
                        }
                        None => self.error(item.key_span, "only `derived_table: { sql: … ;; }` is supported so far"),
                    },
                    None => self.error(item.value.span, "`derived_table:` needs a block"),
                },
                "dimension" => fields.extend(self.dimension(name, item)),
                "dimension_group" => fields.extend(self.dimension_group(name, item)),
                "measure" => fields.extend(self.measure(name, item)),
                _ => {}
            }
        }
        let mut seen = HashSet::new();
        for f in &fields {
            if !seen.insert(f.name.clone()) {
                self.error(f.span, format!("field `{name}.{}` is defined twice", f.name));
            }
        }
        Some(View { name: name.to_string(), label, source, fields, span: pair.value.span })
    }

    /// Parameters every field kind shares.
    fn common(&mut self, view: &str, name: &str, pair: &Pair, items: &[Pair], kind: FieldKind) -> Field {
        let mut field = Field {
            view: view.to_string(),
            name: name.to_string(),
            kind,
            sql: None,
            label: title_case(name),
            description: None,
            primary_key: false,
            hidden: false,
            group: None,
            span: pair.key_span,
        };
        for item in items {
            match item.key.as_str() {
                "sql" => field.sql = self.text(item),
                "label" => field.label = self.text(item).unwrap_or(field.label.clone()),
                "description" => field.description = self.text(item),
                "primary_key" => field.primary_key = self.yes_no(item).unwrap_or(false),
                "hidden" => field.hidden = self.yes_no(item).unwrap_or(false),
                _ => {}
            }
        }
        field
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
        let kind = match self.type_of(items) {
            None => DimensionType::String,
            Some(("string" | "zipcode", _)) => DimensionType::String,
            Some(("number", _)) => DimensionType::Number,
            Some(("yesno", _)) => DimensionType::YesNo,
            Some(("date", _)) => DimensionType::Time(Timeframe::Date),
            Some(("date_time", _)) => DimensionType::Time(Timeframe::Time),
            Some((other, span)) => {
                self.error(
                    span,
                    format!("dimension type `{other}` is not supported yet (supported: string, number, yesno, date, date_time, zipcode)"),
                );
                return None;
            }
        };
        Some(self.common(view, name, pair, items, FieldKind::Dimension(kind)))
    }

    fn dimension_group(&mut self, view: &str, pair: &Pair) -> Vec<Field> {
        let Some((name, items)) = self.named_block(pair) else { return Vec::new() };
        match self.type_of(items) {
            Some(("time", _)) => {}
            Some((other, span)) => {
                self.error(span, format!("dimension_group type `{other}` is not supported yet (supported: time)"));
                return Vec::new();
            }
            None => {
                self.error(pair.key_span, format!("dimension_group `{name}` needs `type: time`"));
                return Vec::new();
            }
        }
        let mut timeframes = Timeframe::ALL.to_vec();
        if let Some(list_pair) = items.iter().find(|p| p.key == "timeframes") {
            match list_pair.value.as_list() {
                Some(list) => {
                    timeframes.clear();
                    for item in list {
                        let ListItem::Value(v) = item else {
                            self.error(list_pair.value.span, "`timeframes` lists names, not pairs");
                            continue;
                        };
                        let text = v.as_text().unwrap_or_default();
                        match Timeframe::parse(text) {
                            Some(tf) => timeframes.push(tf),
                            None => self.error(
                                v.span,
                                format!("timeframe `{text}` is not supported yet (supported: raw, time, date, week, month, quarter, year)"),
                            ),
                        }
                    }
                }
                None => self.error(list_pair.value.span, "`timeframes` takes a list, as in `timeframes: [date, month]`"),
            }
        }
        let group_label =
            items.iter().find(|p| p.key == "label").and_then(|p| p.value.as_text()).map(str::to_string).unwrap_or_else(|| title_case(name));
        timeframes
            .into_iter()
            .map(|tf| {
                let mut field =
                    self.common(view, &format!("{name}_{}", tf.name()), pair, items, FieldKind::Dimension(DimensionType::Time(tf)));
                field.label = format!("{group_label} {}", title_case(tf.name()));
                field.group = Some(name.to_string());
                field.hidden = field.hidden || tf == Timeframe::Raw;
                field
            })
            .collect()
    }

    fn measure(&mut self, view: &str, pair: &Pair) -> Option<Field> {
        let (name, items) = self.named_block(pair)?;
        let kind = match self.type_of(items) {
            Some(("count", _)) => MeasureType::Count,
            Some(("count_distinct", _)) => MeasureType::CountDistinct,
            Some(("sum", _)) => MeasureType::Sum,
            Some(("average", _)) => MeasureType::Average,
            Some(("min", _)) => MeasureType::Min,
            Some(("max", _)) => MeasureType::Max,
            Some(("number", _)) => MeasureType::Number,
            Some((other, span)) => {
                self.error(
                    span,
                    format!(
                        "measure type `{other}` is not supported yet (supported: count, count_distinct, sum, average, min, max, number)"
                    ),
                );
                return None;
            }
            None => {
                self.error(pair.key_span, format!("measure `{name}` needs a `type:`"));
                return None;
            }
        };
        let field = self.common(view, name, pair, items, FieldKind::Measure(kind));
        if field.sql.is_none() && kind != MeasureType::Count {
            self.error(pair.key_span, format!("measure `{name}` of type {} needs `sql:`", kind.name()));
        }
        Some(field)
    }

    fn explore(&mut self, pair: &Pair) -> Option<Explore> {
        let (name, items) = self.named_block(pair)?;
        if name.starts_with('+') {
            self.error(pair.key_span, format!("refinements (`explore: {name}`) are not supported yet"));
            return None;
        }
        let mut explore = Explore {
            name: name.to_string(),
            label: title_case(name),
            description: None,
            base_view: name.to_string(),
            hidden: false,
            joins: Vec::new(),
            span: pair.key_span,
        };
        for item in items {
            match item.key.as_str() {
                "from" | "view_name" => explore.base_view = self.text(item).unwrap_or(explore.base_view.clone()),
                "label" => explore.label = self.text(item).unwrap_or(explore.label.clone()),
                "description" => explore.description = self.text(item),
                "hidden" => explore.hidden = self.yes_no(item).unwrap_or(false),
                "join" => {
                    if let Some(join) = self.join(item) {
                        if join.name == explore.name || explore.join(&join.name).is_some() {
                            self.error(item.key_span, format!("join `{}` appears twice in explore `{name}`", join.name));
                        } else {
                            explore.joins.push(join);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(explore)
    }

    fn join(&mut self, pair: &Pair) -> Option<Join> {
        let (name, items) = self.named_block(pair)?;
        let mut join = Join {
            name: name.to_string(),
            view: name.to_string(),
            join_type: JoinType::LeftOuter,
            relationship: Relationship::ManyToOne,
            sql_on: None,
            span: pair.key_span,
        };
        for item in items {
            match item.key.as_str() {
                "from" => join.view = self.text(item).unwrap_or(join.view.clone()),
                "sql_on" => join.sql_on = self.text(item),
                "type" => match self.text(item).as_deref() {
                    Some("left_outer") => join.join_type = JoinType::LeftOuter,
                    Some("inner") => join.join_type = JoinType::Inner,
                    Some("full_outer") => join.join_type = JoinType::FullOuter,
                    Some("cross") => join.join_type = JoinType::Cross,
                    Some(other) => {
                        self.error(item.value.span, format!("join type `{other}` is not one of left_outer, inner, full_outer, cross"))
                    }
                    None => {}
                },
                "relationship" => match self.text(item).as_deref() {
                    Some("many_to_one") => join.relationship = Relationship::ManyToOne,
                    Some("one_to_one") => join.relationship = Relationship::OneToOne,
                    Some("one_to_many") => join.relationship = Relationship::OneToMany,
                    Some("many_to_many") => join.relationship = Relationship::ManyToMany,
                    Some(other) => self.error(
                        item.value.span,
                        format!("relationship `{other}` is not one of many_to_one, one_to_one, one_to_many, many_to_many"),
                    ),
                    None => {}
                },
                _ => {}
            }
        }
        if join.sql_on.is_none() && join.join_type != JoinType::Cross {
            self.error(pair.key_span, format!("join `{name}` needs `sql_on:`"));
        }
        Some(join)
    }
}

/// Checks every cross-reference: explores to views, joins to views, `${…}` to fields.
fn validate(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    for explore in model.explores.values() {
        if !model.views.contains_key(&explore.base_view) {
            diagnostics.push(Diagnostic::error(
                explore.span,
                format!("explore `{}` refers to view `{}`, which model `{}` does not include", explore.name, explore.base_view, model.name),
            ));
        }
        for join in &explore.joins {
            if !model.views.contains_key(&join.view) {
                diagnostics.push(Diagnostic::error(
                    join.span,
                    format!("join `{}` refers to view `{}`, which model `{}` does not include", join.name, join.view, model.name),
                ));
                continue;
            }
            if let Some(sql_on) = &join.sql_on {
                check_references(model, sql_on, join.span, None, Some(explore), &format!("join `{}`", join.name), diagnostics);
            }
        }
    }
    for view in model.views.values() {
        for field in &view.fields {
            if let Some(sql) = &field.sql {
                check_references(model, sql, field.span, Some(view), None, &format!("field `{}.{}`", view.name, field.name), diagnostics);
            }
        }
    }
}

fn check_references(
    model: &Model,
    sql: &str,
    span: Span,
    own_view: Option<&View>,
    explore: Option<&Explore>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let refs = match parse_references(sql) {
        Ok(r) => r,
        Err(_) => {
            diagnostics.push(Diagnostic::error(span, format!("{what}: `${{` is never closed with `}}`")));
            return;
        }
    };
    for r in refs {
        let (view_name, field_name) = match r.kind {
            ReferenceKind::Table | ReferenceKind::SqlTableName(_) => continue,
            ReferenceKind::Field { view: None, field } => match own_view {
                Some(v) => (v.name.clone(), field),
                None => {
                    diagnostics
                        .push(Diagnostic::error(span, format!("{what}: `${{{field}}}` must name a view, as in `${{view.{field}}}`")));
                    continue;
                }
            },
            ReferenceKind::Field { view: Some(alias), field } => {
                let resolved = explore
                    .and_then(|e| e.view_for_alias(&alias))
                    .map(str::to_string)
                    .or_else(|| model.explores.values().find_map(|e| e.view_for_alias(&alias).map(str::to_string)))
                    .or_else(|| model.views.contains_key(&alias).then(|| alias.clone()));
                match resolved {
                    Some(v) => (v, field),
                    None => {
                        diagnostics.push(Diagnostic::error(
                            span,
                            format!("{what} refers to `${{{alias}.{field}}}`, but there is no view or join named `{alias}`"),
                        ));
                        continue;
                    }
                }
            }
        };
        let Some(view) = model.views.get(&view_name) else { continue };
        if view.field(&field_name).is_none() {
            let hint = if view.fields.iter().any(|f| f.group.as_deref() == Some(field_name.as_str())) {
                format!(" (`{field_name}` is a dimension group: name a timeframe, such as `{field_name}_date`)")
            } else {
                String::new()
            };
            diagnostics.push(Diagnostic::error(span, format!("{what} refers to `{view_name}.{field_name}`, which does not exist{hint}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookml::{parse, FileId, ModelSource, SourceMap};

    fn catalog(model: &str, views: &str) -> (Catalog, Vec<String>) {
        let mut project = Project::default();
        let m = project.sources.add("m.model.lkml".into(), model.into());
        let v = project.sources.add("v.view.lkml".into(), views.into());
        project.documents.insert(m, parse(m, model).unwrap());
        project.documents.insert(v, parse(v, views).unwrap());
        project.models.push(ModelSource { name: "m".into(), file: m, includes: vec![v] });
        let (c, d) = build_catalog(&project);
        let rendered = d.iter().map(|d| d.render(&project.sources)).collect();
        let _: (&SourceMap, FileId) = (&project.sources, m);
        (c, rendered)
    }

    const VIEWS: &str = r#"
view: orders {
  sql_table_name: main.orders ;;
  dimension: id { primary_key: yes type: number }
  dimension: user_id { type: number }
  dimension_group: created { type: time timeframes: [date, month] sql: ${TABLE}.created_at ;; }
  measure: count { type: count }
  measure: total { type: sum sql: ${TABLE}.amount ;; }
}
view: users {
  dimension: id { primary_key: yes }
  dimension: name {}
}
"#;

    #[test]
    fn builds_explores_joins_and_expanded_timeframes() {
        let (c, d) = catalog("connection: \"db\"\nexplore: orders { join: users { sql_on: ${orders.user_id} = ${users.id} ;; } }", VIEWS);
        assert!(d.is_empty(), "{d:?}");
        let m = &c.models["m"];
        assert_eq!(m.connection, "db");
        let orders = &m.views["orders"];
        assert_eq!(orders.source, ViewSource::Table("main.orders".into()));
        let month = orders.field("created_month").unwrap();
        assert_eq!(month.kind, FieldKind::Dimension(DimensionType::Time(Timeframe::Month)));
        assert_eq!(month.label, "Created Month");
        assert!(orders.field("created_week").is_none());
        assert_eq!(m.explores["orders"].joins[0].relationship, Relationship::ManyToOne);
    }

    #[test]
    fn reports_every_problem_with_its_location() {
        let (_, d) = catalog(
            "explore: orders { join: customers { sql_on: ${orders.nope} = ${customers.id} ;; } }\nexplore: ghosts {}",
            "view: orders {\n  dimension: id { type: tier }\n  measure: total { type: sum }\n  dimension: x { sql: ${created} ;; }\n}",
        );
        assert!(d.contains(&"m.model.lkml:1:1: model `m` has no `connection:`".to_string()), "{d:#?}");
        assert!(d.contains(&"v.view.lkml:2:25: dimension type `tier` is not supported yet (supported: string, number, yesno, date, date_time, zipcode)".to_string()), "{d:#?}");
        assert!(d.contains(&"v.view.lkml:3:3: measure `total` of type sum needs `sql:`".to_string()), "{d:#?}");
        assert!(d.iter().any(|m| m.starts_with("m.model.lkml:1:19: join `customers` refers to view `customers`")), "{d:#?}");
        assert!(d.iter().any(|m| m.starts_with("m.model.lkml:2:1: explore `ghosts` refers to view `ghosts`")), "{d:#?}");
        assert!(d.iter().any(|m| m.contains("refers to `orders.created`, which does not exist")), "{d:#?}");
    }

    #[test]
    fn duplicate_views_name_the_first_definition() {
        let (_, d) = catalog("connection: \"db\"", "view: a {}\nview: a {}");
        assert_eq!(d, vec!["v.view.lkml:2:1: view `a` is defined twice (first at v.view.lkml:1:7)".to_string()]);
    }
}
