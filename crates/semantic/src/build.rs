//! Builds the [`Catalog`] from a loaded [`Project`], collecting every problem as a diagnostic.
//!
//! Per model: the model file's own parameters, then every view and explore of its files in
//! include order, with refinements and `extends` merged first ([`crate::merge`]), then each
//! structure read key by key. A key the builder does not interpret goes to [`crate::params`],
//! so it is accepted (presentation only), refused ("not supported yet") or warned about (unknown).

use std::collections::BTreeMap;

use lookml::{Diagnostic, ListItem, Pair, Project, Span, ValueKind};

use crate::cache_policy::Persist;
use crate::merge::{definitions, Definition};
use crate::model::*;
use crate::params::{support, Structure, Support};
use crate::validate::validate;

/// Builds every model of the project. Models with errors are still returned (as far as they go),
/// so a validator can report everything; a server should refuse to start when any diagnostic is
/// an error.
pub fn build_catalog(project: &Project) -> (Catalog, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut catalog = Catalog::default();
    let locate = |span: Span| project.sources.locate(span);
    for source in &project.models {
        let Some(model_doc) = project.document(source.file) else { continue };
        let mut b = Builder { diagnostics: &mut diagnostics };
        let mut model = Model {
            name: source.name.clone(),
            label: title_case(&source.name),
            connection: String::new(),
            explores: BTreeMap::new(),
            views: BTreeMap::new(),
            week_start_day: 0,
            fiscal_month_offset: 0,
            case_sensitive: None,
            dashboards: BTreeMap::new(),
            datagroups: BTreeMap::new(),
            persist: None,
            named_value_formats: BTreeMap::new(),
            reads_user_attributes: false,
            access_grants: BTreeMap::new(),
        };
        let mut connection = None;
        // Each `persist_with` and where it is written, checked once every datagroup is read.
        let mut persist_with = Vec::new();
        for pair in &model_doc.items {
            match pair.key.as_str() {
                "connection" => connection = b.text(pair),
                "label" => model.label = b.text(pair).unwrap_or(model.label),
                "week_start_day" => {
                    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
                    match b.text(pair).and_then(|d| DAYS.iter().position(|x| *x == d)) {
                        Some(i) => model.week_start_day = i as u8,
                        None => b.error(pair.value.span, "`week_start_day` must be a weekday such as `monday`"),
                    }
                }
                "fiscal_month_offset" => match b.text(pair).and_then(|t| t.parse::<i32>().ok()) {
                    Some(n) if (-11..=11).contains(&n) => model.fiscal_month_offset = n,
                    _ => b.error(pair.value.span, "`fiscal_month_offset` must be a whole number of months from -11 to 11"),
                },
                "case_sensitive" => model.case_sensitive = b.yes_no(pair),
                "persist_for" | "persist_with" => {
                    model.persist = b.persist(pair);
                    if let Some(Persist::With(name)) = &model.persist {
                        persist_with.push((Some(name.clone()), pair.value.span));
                    }
                }
                "datagroup" => b.datagroup(pair, &mut model.datagroups),
                "named_value_format" => b.named_value_format(pair, &mut model.named_value_formats),
                "access_grant" => b.access_grant(pair, &mut model.access_grants),
                "include" | "view" | "explore" => {}
                _ => b.other(Structure::Model, pair),
            }
        }
        let files: Vec<_> = std::iter::once(source.file).chain(source.includes.iter().copied()).collect();
        model.reads_user_attributes = files.iter().any(|f| project.sources.file(*f).text.contains("_user_attributes"));
        let top_level = || files.iter().filter_map(|f| project.document(*f)).flat_map(|d| d.items.iter());
        // Included files hold views, explores and includes; anything else there is what a model
        // file could hold (datagroups, access grants, tests …).
        for pair in files.iter().skip(1).filter_map(|f| project.document(*f)).flat_map(|d| d.items.iter()) {
            match pair.key.as_str() {
                "view" | "explore" | "include" => {}
                "datagroup" => b.datagroup(pair, &mut model.datagroups),
                "named_value_format" => b.named_value_format(pair, &mut model.named_value_formats),
                "access_grant" => b.access_grant(pair, &mut model.access_grants),
                _ => b.other(Structure::Model, pair),
            }
        }
        let views = definitions("view", top_level().filter(|p| p.key == "view"), &locate, b.diagnostics);
        let explores = definitions("explore", top_level().filter(|p| p.key == "explore"), &locate, b.diagnostics);
        for def in views.values() {
            if let Some(view) = b.view(def) {
                model.views.insert(view.name.clone(), view);
            }
        }
        for def in explores.values() {
            if def.is_extension() {
                continue;
            }
            if let Some(explore) = b.explore(def) {
                if let Some(Persist::With(name)) = &explore.persist {
                    persist_with.push((Some(name.clone()), explore.span));
                }
                model.explores.insert(explore.name.clone(), explore);
            }
        }
        for file in &files {
            for dashboard in project.dashboards.get(file).into_iter().flatten() {
                model.dashboards.insert(dashboard.dashboard.clone(), dashboard.clone());
            }
        }
        model.connection = match connection {
            Some(c) => c,
            None => {
                b.error(Span::new(source.file, 0, 0), format!("model `{}` has no `connection:`", source.name));
                String::new()
            }
        };
        b.check_persist_with(&model, &persist_with);
        // Extension views stay out of the model: they exist only to be extended.
        model.views.retain(|name, _| !views.get(name).is_some_and(Definition::is_extension));
        crate::value_formats::resolve_value_formats(&mut model, &mut diagnostics);
        validate(&mut model, &mut diagnostics);
        crate::access_grants::check_names(&model, &mut diagnostics);
        model.reads_user_attributes |= !model.access_grants.is_empty() || model.explores.values().any(|e| !e.access_filters.is_empty());
        catalog.models.insert(model.name.clone(), model);
    }
    (catalog, diagnostics)
}

pub(crate) struct Builder<'a> {
    pub(crate) diagnostics: &'a mut Vec<Diagnostic>,
}

impl Builder<'_> {
    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    /// A key the caller does not interpret: accepted, refused or unknown (see [`crate::params`]).
    pub(crate) fn other(&mut self, structure: Structure, pair: &Pair) {
        match support(structure, &pair.key) {
            Some(Support::Accepted) => {}
            Some(Support::NotYet) => {
                self.error(pair.key_span, format!("`{}` ({} parameter) is not supported yet", pair.key, structure.name()));
            }
            None => self
                .diagnostics
                .push(Diagnostic::warning(pair.key_span, format!("unknown {} parameter `{}`; it is ignored", structure.name(), pair.key))),
        }
    }

    /// The text of a scalar or SQL value; anything else is reported.
    pub(crate) fn text(&mut self, pair: &Pair) -> Option<String> {
        match pair.value.as_text() {
            Some(t) => Some(t.to_string()),
            None => {
                self.error(pair.value.span, format!("`{}` takes a single value, not {}", pair.key, pair.value.kind_name()));
                None
            }
        }
    }

    pub(crate) fn yes_no(&mut self, pair: &Pair) -> Option<bool> {
        match self.text(pair)?.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            other => {
                self.error(pair.value.span, format!("`{}` must be `yes` or `no`, not `{other}`", pair.key));
                None
            }
        }
    }

    /// The values of a list such as `fields: [a, b]`.
    pub(crate) fn list(&mut self, pair: &Pair) -> Vec<String> {
        match pair.value.as_list() {
            Some(items) => items
                .iter()
                .filter_map(|i| match i {
                    ListItem::Value(v) => v.as_text().map(str::to_string),
                    ListItem::Pair(p) => {
                        self.error(p.key_span, format!("`{}` lists names, not `name: value` pairs", pair.key));
                        None
                    }
                })
                .collect(),
            None => {
                self.error(pair.value.span, format!("`{}` takes a list, as in `{}: [a, b]`", pair.key, pair.key));
                Vec::new()
            }
        }
    }

    /// `filters: [a: "x", b: "y"]`, or the legacy `filters: { field: a value: "x" }` blocks.
    pub(crate) fn filter_pairs(&mut self, pair: &Pair) -> Vec<(String, String, Span)> {
        match &pair.value.kind {
            ValueKind::List(items) => items
                .iter()
                .filter_map(|i| match i {
                    ListItem::Pair(p) => match p.value.as_text() {
                        Some(v) => Some((p.key.clone(), v.to_string(), p.key_span)),
                        None => {
                            self.error(p.value.span, "a filter value must be a single expression");
                            None
                        }
                    },
                    ListItem::Value(v) => {
                        self.error(v.span, "`filters` lists `field: \"expression\"` pairs");
                        None
                    }
                })
                .collect(),
            ValueKind::Block { name: None, items, .. } => {
                let field = items.iter().find(|p| p.key == "field").and_then(|p| p.value.as_text());
                let value = items.iter().find(|p| p.key == "value").and_then(|p| p.value.as_text());
                match (field, value) {
                    (Some(f), Some(v)) => vec![(f.to_string(), v.to_string(), pair.key_span)],
                    _ => {
                        self.error(pair.value.span, "`filters: { … }` needs `field:` and `value:`");
                        Vec::new()
                    }
                }
            }
            _ => {
                self.error(pair.value.span, "`filters` takes a list, as in `filters: [view.field: \"value\"]`");
                Vec::new()
            }
        }
    }

    /// The name and items of `key: name { … }`; reports a missing name or a non-block value.
    pub(crate) fn named_block<'p>(&mut self, pair: &'p Pair) -> Option<(&'p str, &'p [Pair])> {
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

    fn explore(&mut self, def: &Definition) -> Option<Explore> {
        let name = def.name.as_str();
        let mut explore = Explore {
            name: name.to_string(),
            label: title_case(name),
            description: None,
            base_view: name.to_string(),
            base_alias: name.to_string(),
            hidden: false,
            group_label: None,
            tags: Vec::new(),
            joins: Vec::new(),
            fields: None,
            sql_always_where: None,
            sql_always_having: None,
            always_filter: Vec::new(),
            conditionally_filter: Vec::new(),
            conditionally_filter_unless: Vec::new(),
            access_filters: Vec::new(),
            required_access_grants: Vec::new(),
            always_join: Vec::new(),
            case_sensitive: None,
            persist: None,
            aggregate_tables: Vec::new(),
            sql_preamble: None,
            cancel_grouping_fields: Vec::new(),
            span: def.key_span,
        };
        let mut fields_written = None;
        // `from` names the view; `view_name` names the alias (and the view, without `from`).
        let (mut from, mut view_name) = (None, None);
        for item in &def.items {
            match item.key.as_str() {
                "from" => from = self.text(item),
                "view_name" => view_name = self.text(item),
                "label" => explore.label = self.text(item).unwrap_or(explore.label.clone()),
                "description" => explore.description = self.text(item),
                "group_label" => explore.group_label = self.text(item),
                "tags" => explore.tags = self.list(item),
                "hidden" => explore.hidden = self.yes_no(item).unwrap_or(false),
                "extension" | "extends" => {}
                "fields" => fields_written = Some(self.list(item)),
                "sql_always_where" => {
                    explore.sql_always_where = self.text(item);
                    self.check_liquid(item, explore.sql_always_where.as_deref().unwrap_or_default());
                }
                "sql_always_having" => {
                    explore.sql_always_having = self.text(item);
                    self.check_liquid(item, explore.sql_always_having.as_deref().unwrap_or_default());
                }
                "cancel_grouping_fields" => {
                    explore.cancel_grouping_fields = self.list(item);
                    if let Some(bare) = explore.cancel_grouping_fields.iter().find(|f| !f.contains('.')) {
                        self.error(
                            item.value.span,
                            format!("cancel_grouping_fields names `{bare}`: each field must be fully scoped, as view_name.field_name"),
                        );
                    }
                }
                "sql_preamble" => {
                    explore.sql_preamble = self.text(item);
                    let text = explore.sql_preamble.as_deref().unwrap_or_default();
                    if text.contains("{%") || text.contains("{{") {
                        self.error(item.value.span, "Liquid in `sql_preamble` is not supported yet");
                    }
                }
                "always_join" => explore.always_join = self.list(item),
                "case_sensitive" => explore.case_sensitive = self.yes_no(item),
                "required_access_grants" => explore.required_access_grants = self.list(item),
                "persist_for" | "persist_with" => explore.persist = self.persist(item),
                // Row-level security by user attribute, applied when a query runs for a user.
                "access_filter" => {
                    let Some((_, items)) = item.value.as_block() else {
                        self.error(item.value.span, "`access_filter` takes a block with `field` and `user_attribute`");
                        continue;
                    };
                    let (mut field, mut attribute) = (None, None);
                    for inner in items {
                        match inner.key.as_str() {
                            "field" => field = self.text(inner),
                            "user_attribute" => attribute = self.text(inner),
                            other => self.error(inner.key_span, format!("`{other}` is not a parameter of `access_filter`")),
                        }
                    }
                    match (field, attribute) {
                        (Some(f), Some(a)) => explore.access_filters.push((f, a)),
                        _ => self.error(item.key_span, "`access_filter` needs both `field` and `user_attribute`"),
                    }
                }
                "always_filter" | "conditionally_filter" => {
                    let Some((_, items)) = item.value.as_block() else {
                        self.error(item.value.span, format!("`{}` takes a block with `filters: [...]`", item.key));
                        continue;
                    };
                    for inner in items {
                        match inner.key.as_str() {
                            "filters" => {
                                let pairs: Vec<(String, String)> = self.filter_pairs(inner).into_iter().map(|(f, v, _)| (f, v)).collect();
                                if item.key == "always_filter" {
                                    explore.always_filter.extend(pairs);
                                } else {
                                    explore.conditionally_filter.extend(pairs);
                                }
                            }
                            "unless" if item.key == "conditionally_filter" => explore.conditionally_filter_unless = self.list(inner),
                            other => self.error(inner.key_span, format!("`{other}` is not a parameter of `{}`", item.key)),
                        }
                    }
                }
                "aggregate_table" => {
                    if let Some(table) = self.aggregate_table(item) {
                        if explore.aggregate_tables.iter().any(|t| t.name == table.name) {
                            self.error(item.key_span, format!("aggregate_table `{}` appears twice in explore `{name}`", table.name));
                        } else {
                            explore.aggregate_tables.push(table);
                        }
                    }
                }
                "join" => {
                    if let Some(join) = self.join(item) {
                        if join.name == explore.base_alias || explore.join(&join.name).is_some() {
                            self.error(item.key_span, format!("join `{}` appears twice in explore `{name}`", join.name));
                        } else {
                            explore.joins.push(join);
                        }
                    }
                }
                _ => self.other(Structure::Explore, item),
            }
        }
        // Resolved (sets, ALL_FIELDS*, exclusions) once the views are known: see validate.
        explore.fields = fields_written;
        if let Some(alias) = &view_name {
            explore.base_alias = alias.clone();
        }
        if let Some(view) = from.or(view_name) {
            explore.base_view = view;
        }
        Some(explore)
    }

    /// `aggregate_table: name { query: {…} materialization: {…} }`: read and checked, each key
    /// named when it is not one Looker documents there.
    fn aggregate_table(&mut self, pair: &Pair) -> Option<AggregateTable> {
        let (name, items) = self.named_block(pair)?;
        let mut table = AggregateTable {
            name: name.to_string(),
            dimensions: Vec::new(),
            measures: Vec::new(),
            filters: Vec::new(),
            span: pair.key_span,
        };
        let (mut query, mut materialization) = (false, false);
        for item in items {
            let Some((_, inner)) = item.value.as_block().filter(|_| matches!(item.key.as_str(), "query" | "materialization")) else {
                match item.key.as_str() {
                    "query" | "materialization" => self.error(item.value.span, format!("`{}` takes a block", item.key)),
                    other => {
                        self.error(item.key_span, format!("`{other}` is not a parameter of `aggregate_table` (query, materialization)"))
                    }
                }
                continue;
            };
            for p in inner {
                match (item.key.as_str(), p.key.as_str()) {
                    ("query", "dimensions") => table.dimensions = self.list(p),
                    ("query", "measures") => table.measures = self.list(p),
                    ("query", "filters") => table.filters = self.filter_pairs(p).into_iter().map(|(f, v, _)| (f, v)).collect(),
                    ("query", "timezone") => {
                        self.text(p);
                    }
                    ("materialization", "datagroup_trigger" | "sql_trigger_value" | "persist_for") => {
                        self.persistence(p);
                    }
                    (
                        "materialization",
                        "increment_key" | "increment_offset" | "publish_as_db_view" | "indexes" | "distribution" | "distribution_style"
                        | "sortkeys" | "cluster_keys" | "partition_keys",
                    ) => {}
                    (block, other) => self.error(p.key_span, format!("`{other}` is not a parameter of an aggregate table's `{block}`")),
                }
            }
            query |= item.key == "query";
            materialization |= item.key == "materialization";
        }
        if !query {
            self.error(pair.key_span, format!("aggregate_table `{name}` needs a `query`"));
        }
        if !materialization {
            self.error(pair.key_span, format!("aggregate_table `{name}` needs a `materialization`"));
        }
        if table.dimensions.is_empty() && table.measures.is_empty() {
            self.error(pair.key_span, format!("aggregate_table `{name}`: its query names no dimensions or measures"));
        }
        self.diagnostics.push(Diagnostic::warning(
            pair.key_span,
            format!(
                "aggregate_table `{name}`: queries read the explore's own tables (aggregate awareness is not implemented yet; \
                 the numbers are the same, the rollup is not built or used)"
            ),
        ));
        Some(table)
    }

    fn join(&mut self, pair: &Pair) -> Option<Join> {
        let (name, items) = self.named_block(pair)?;
        let mut join = Join {
            name: name.to_string(),
            view: name.to_string(),
            join_type: JoinType::LeftOuter,
            relationship: Relationship::ManyToOne,
            sql_on: None,
            sql_where: None,
            sql_table_name: None,
            fields: None,
            required_joins: Vec::new(),
            required_access_grants: Vec::new(),
            view_label: None,
            span: pair.key_span,
        };
        let mut foreign_key = None;
        for item in items {
            match item.key.as_str() {
                "from" => join.view = self.text(item).unwrap_or(join.view.clone()),
                "sql_on" => {
                    join.sql_on = self.text(item);
                    self.check_liquid(item, join.sql_on.as_deref().unwrap_or_default());
                }
                "sql_where" => {
                    join.sql_where = self.text(item);
                    self.check_liquid(item, join.sql_where.as_deref().unwrap_or_default());
                }
                "sql_table_name" => {
                    join.sql_table_name = self.text(item);
                    self.check_liquid(item, join.sql_table_name.as_deref().unwrap_or_default());
                }
                "foreign_key" => foreign_key = self.text(item),
                "fields" => join.fields = Some(self.list(item)),
                "required_joins" => join.required_joins = self.list(item),
                "required_access_grants" => join.required_access_grants = self.list(item),
                "view_label" => join.view_label = self.text(item),
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
                _ => self.other(Structure::Join, item),
            }
        }
        if let Some(fk) = foreign_key {
            if join.sql_on.is_some() {
                self.error(pair.key_span, format!("join `{name}` has both `sql_on` and `foreign_key`; keep one"));
            }
            // `${alias.fk} = ${join.pk}`: the primary key is filled in by validate, once views are known.
            join.sql_on = Some(format!("{}{}", FOREIGN_KEY_MARK, fk));
        }
        if join.sql_on.is_none() && join.join_type != JoinType::Cross {
            self.error(pair.key_span, format!("join `{name}` needs `sql_on:` or `foreign_key:`"));
        }
        Some(join)
    }
}

/// Marks a join condition still to be written from `foreign_key:` (see validate).
pub(crate) const FOREIGN_KEY_MARK: &str = "\u{0}foreign_key:";
