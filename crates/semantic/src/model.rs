//! The semantic model's types. Names follow the LookML terms a Looker user knows.

use std::collections::BTreeMap;

use lookml::Span;

pub use crate::timeframe::{Interval, Timeframe};

/// Every model of a project, by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub models: BTreeMap<String, Model>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub label: String,
    pub connection: String,
    pub explores: BTreeMap<String, Explore>,
    pub views: BTreeMap<String, View>,
    /// `week_start_day`, as days after Monday (0 = Monday … 6 = Sunday).
    pub week_start_day: u8,
    /// `fiscal_month_offset`: months after January the fiscal year starts.
    pub fiscal_month_offset: i32,
    /// `case_sensitive`: whether string filters match case (explores and fields may override).
    pub case_sensitive: Option<bool>,
    /// LookML dashboards of the model's files (`*.dashboard.lookml`), by name.
    pub dashboards: BTreeMap<String, lookml::LookmlDashboard>,
    /// `datagroup:`s, by name.
    pub datagroups: BTreeMap<String, crate::Datagroup>,
    /// The model's `persist_for` or `persist_with`: how long its explores' results are cached.
    pub persist: Option<crate::Persist>,
    /// `named_value_format`s, by name (fields' `value_format_name`s are resolved against them).
    pub named_value_formats: BTreeMap<String, crate::NamedValueFormat>,
    /// Whether its queries read the attributes of the user they run for: an explore has access
    /// filters, or one of the model's files mentions `_user_attributes` (Liquid).
    pub reads_user_attributes: bool,
    /// `access_grant`s, by name.
    pub access_grants: BTreeMap<String, crate::AccessGrant>,
}

impl Model {
    pub fn explore(&self, name: &str) -> Option<&Explore> {
        self.explores.get(name)
    }
}

#[derive(Debug, Clone)]
pub struct Explore {
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    /// The view the explore starts from (`from:`, `view_name:` or the explore's own name).
    pub base_view: String,
    /// The name its fields are addressed by: `view_name:` when given, else the explore's name
    /// (`from:` changes the view, not the name).
    pub base_alias: String,
    pub hidden: bool,
    pub group_label: Option<String>,
    pub tags: Vec<String>,
    pub joins: Vec<Join>,
    /// `fields:`, resolved to `alias.field` names; `None` means every field.
    pub fields: Option<Vec<String>>,
    pub sql_always_where: Option<String>,
    pub sql_always_having: Option<String>,
    /// `always_filter`: filters every query gets, with these defaults unless it sets them.
    pub always_filter: Vec<(String, String)>,
    /// `conditionally_filter`: applied unless the query filters one of `unless`.
    pub conditionally_filter: Vec<(String, String)>,
    pub conditionally_filter_unless: Vec<String>,
    /// `always_join`: joins every query includes.
    pub always_join: Vec<String>,
    /// `access_filter: { field user_attribute }`: (field, attribute), applied to every query of
    /// the explore with the value of the attribute for the user it runs for.
    pub access_filters: Vec<(String, String)>,
    /// `required_access_grants`: a user needs every one of them to query the explore.
    pub required_access_grants: Vec<String>,
    pub case_sensitive: Option<bool>,
    /// `persist_for` or `persist_with`, over the model's.
    pub persist: Option<crate::Persist>,
    /// `aggregate_table`s, checked against the explore's fields. Queries read the explore's own
    /// tables (the answer an aggregate table gives is the same, by Looker's definition of one);
    /// the loader warns so that nobody expects the rollup to be used.
    pub aggregate_tables: Vec<AggregateTable>,
    /// `sql_preamble`: statements run on the query's session before each of its statements.
    pub sql_preamble: Option<String>,
    /// `cancel_grouping_fields`: a query with any of them (`view.field`) has no GROUP BY.
    pub cancel_grouping_fields: Vec<String>,
    pub span: Span,
}

/// An explore's `aggregate_table`: the query its rollup would hold.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateTable {
    pub name: String,
    /// Field names as written (unqualified ones name the explore's base view).
    pub dimensions: Vec<String>,
    pub measures: Vec<String>,
    /// `filters: [field: "expression"]`.
    pub filters: Vec<(String, String)>,
    pub span: Span,
}

impl Explore {
    /// The join whose alias is `alias`.
    pub fn join(&self, alias: &str) -> Option<&Join> {
        self.joins.iter().find(|j| j.name == alias)
    }

    /// The view behind an alias usable in this explore (the explore's own name or a join name).
    pub fn view_for_alias(&self, alias: &str) -> Option<&str> {
        if alias == self.base_alias {
            return Some(&self.base_view);
        }
        self.join(alias).map(|j| j.view.as_str())
    }

    /// Whether `alias.field` may be used in queries of this explore (`fields:` of the explore
    /// and of the join).
    pub fn exposes(&self, alias: &str, field: &str) -> bool {
        let qualified = || format!("{alias}.{field}");
        if let Some(list) = &self.fields {
            if !list.contains(&qualified()) {
                return false;
            }
        }
        match self.join(alias).and_then(|j| j.fields.as_ref()) {
            Some(list) => list.contains(&qualified()),
            None => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    LeftOuter,
    Inner,
    FullOuter,
    Cross,
}

impl JoinType {
    /// The spelling of Looker's API and LookML.
    pub fn name(self) -> &'static str {
        match self {
            JoinType::LeftOuter => "left_outer",
            JoinType::Inner => "inner",
            JoinType::FullOuter => "full_outer",
            JoinType::Cross => "cross",
        }
    }

    pub fn sql_keyword(self) -> &'static str {
        match self {
            JoinType::LeftOuter => "LEFT JOIN",
            JoinType::Inner => "INNER JOIN",
            JoinType::FullOuter => "FULL OUTER JOIN",
            JoinType::Cross => "CROSS JOIN",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    ManyToOne,
    OneToOne,
    OneToMany,
    ManyToMany,
}

impl Relationship {
    pub fn name(self) -> &'static str {
        match self {
            Relationship::ManyToOne => "many_to_one",
            Relationship::OneToOne => "one_to_one",
            Relationship::OneToMany => "one_to_many",
            Relationship::ManyToMany => "many_to_many",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Join {
    /// The alias fields are addressed by (`users.id`).
    pub name: String,
    /// The view joined (`from:`, else the join's name).
    pub view: String,
    pub join_type: JoinType,
    pub relationship: Relationship,
    /// `sql_on:`, or the condition written for `foreign_key:`.
    pub sql_on: Option<String>,
    /// `sql_where:`: a condition added to the query's WHERE whenever the join is used.
    pub sql_where: Option<String>,
    /// `sql_table_name:`: the table the join reads instead of its view's.
    pub sql_table_name: Option<String>,
    /// `fields:` of the join, resolved to `alias.field` names; `None` means every field.
    pub fields: Option<Vec<String>>,
    /// `required_joins:`: joins this one needs beyond what its `sql_on` mentions.
    pub required_joins: Vec<String>,
    /// `required_access_grants`: the joined view's fields need every one of them.
    pub required_access_grants: Vec<String>,
    pub view_label: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewSource {
    /// `sql_table_name`, or the view's name when neither is given.
    Table(String),
    /// `derived_table: { sql: … }`.
    DerivedSql(String),
    /// `derived_table: { explore_source: … }`: a query of another explore.
    Native(NativeSource),
}

/// A native derived table: the query whose rows the view reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeSource {
    pub explore: String,
    /// Column name → the explore's field.
    pub columns: Vec<(String, String)>,
    /// Column name → SQL over the other columns.
    pub derived_columns: Vec<(String, String)>,
    pub filters: Vec<(String, String)>,
    pub sorts: Vec<String>,
    pub limit: Option<String>,
    pub timezone: Option<String>,
    /// `bind_all_filters: yes`: the outer query's filters apply inside.
    pub bind_all_filters: bool,
    /// `bind_filters: { from_field to_field }`: an outer filter applied to an inner field.
    pub bind_filters: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub label: String,
    pub source: ViewSource,
    /// A derived table's persistence (`datagroup_trigger`, `sql_trigger_value`, `persist_for`,
    /// `interval_trigger`): it is a persistent derived table, built into the connection's scratch
    /// schema when it has one.
    pub persistence: Option<crate::cache_policy::Persistence>,
    /// Fields in declaration order; dimension groups are expanded to one field per timeframe.
    pub fields: Vec<Field>,
    /// `set: name { fields: [...] }`, as written (may name other sets with `name*`).
    pub sets: BTreeMap<String, Vec<String>>,
    pub drill_fields: Vec<String>,
    /// `required_access_grants`: every field of the view needs them.
    pub required_access_grants: Vec<String>,
    pub span: Span,
}

impl View {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn primary_key(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.primary_key)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DimensionType {
    String,
    Number,
    YesNo,
    Zipcode,
    /// One timeframe of a `dimension_group` of `type: time`, or a `type: date`/`date_time` dimension.
    Time(Timeframe),
    /// `type: tier`: numeric buckets at `tiers`, labelled by `style`.
    Tier {
        tiers: Vec<f64>,
        style: TierStyle,
    },
    /// `case: { when: {sql label} … else }`: the label of the first condition that holds.
    /// Values sort in declaration order unless `alpha_sort: yes`.
    Case {
        whens: Vec<(String, String)>,
        otherwise: Option<String>,
        alpha_sort: bool,
    },
    /// One interval of a `dimension_group` of `type: duration` (`sql_start` → `sql_end`).
    Duration(Interval),
    /// `type: location`: `sql_latitude` and `sql_longitude`, shown as `lat,long`.
    Location {
        latitude: String,
        longitude: String,
    },
    /// `type: distance`: the great-circle distance between two `type: location` dimensions
    /// (`start_location_field`, `end_location_field`, as written: `field` or `view.field`).
    Distance {
        start: String,
        end: String,
        units: DistanceUnit,
    },
}

/// `units:` of a distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistanceUnit {
    Feet,
    Kilometers,
    Meters,
    Miles,
    NauticalMiles,
    Yards,
}

impl DistanceUnit {
    pub fn parse(name: &str) -> Option<DistanceUnit> {
        Some(match name {
            "feet" => DistanceUnit::Feet,
            "kilometers" => DistanceUnit::Kilometers,
            "meters" => DistanceUnit::Meters,
            "miles" => DistanceUnit::Miles,
            "nautical_miles" => DistanceUnit::NauticalMiles,
            "yards" => DistanceUnit::Yards,
            _ => return None,
        })
    }

    /// How many of the unit make a kilometre.
    pub fn per_kilometer(self) -> f64 {
        match self {
            DistanceUnit::Feet => 1000.0 / 0.3048,
            DistanceUnit::Kilometers => 1.0,
            DistanceUnit::Meters => 1000.0,
            DistanceUnit::Miles => 1.0 / 1.609_344,
            DistanceUnit::NauticalMiles => 1.0 / 1.852,
            DistanceUnit::Yards => 1000.0 / 0.9144,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierStyle {
    Classic,
    Interval,
    Integer,
    Relational,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeasureType {
    Count,
    CountDistinct,
    Sum,
    SumDistinct,
    Average,
    AverageDistinct,
    Min,
    Max,
    Median,
    MedianDistinct,
    /// `percentile: p` (0–100).
    Percentile(f64),
    PercentileDistinct(f64),
    /// Distinct values of `list_field` in one comma-separated cell.
    List,
    /// `type: number`: SQL over other measures, not aggregated again.
    Number,
    /// Non-aggregating types whose SQL aggregates by itself: shaped as a date, string or yes/no.
    Date,
    String,
    YesNo,
    /// Computed over the returned rows, in the query's order, from the measure its `sql` names.
    RunningTotal,
    PercentOfTotal,
    PercentOfPrevious,
}

impl MeasureType {
    pub fn name(self) -> &'static str {
        match self {
            MeasureType::Count => "count",
            MeasureType::CountDistinct => "count_distinct",
            MeasureType::Sum => "sum",
            MeasureType::SumDistinct => "sum_distinct",
            MeasureType::Average => "average",
            MeasureType::AverageDistinct => "average_distinct",
            MeasureType::Min => "min",
            MeasureType::Max => "max",
            MeasureType::Median => "median",
            MeasureType::MedianDistinct => "median_distinct",
            MeasureType::Percentile(_) => "percentile",
            MeasureType::PercentileDistinct(_) => "percentile_distinct",
            MeasureType::List => "list",
            MeasureType::Number => "number",
            MeasureType::Date => "date",
            MeasureType::String => "string",
            MeasureType::YesNo => "yesno",
            MeasureType::RunningTotal => "running_total",
            MeasureType::PercentOfTotal => "percent_of_total",
            MeasureType::PercentOfPrevious => "percent_of_previous",
        }
    }

    /// Types computed after the query over the returned rows (Looker's post-SQL measures).
    pub fn is_post_query(self) -> bool {
        matches!(self, MeasureType::RunningTotal | MeasureType::PercentOfTotal | MeasureType::PercentOfPrevious)
    }

    /// Types whose `sql` refers to other measures and is not aggregated again.
    pub fn is_non_aggregate(self) -> bool {
        matches!(
            self,
            MeasureType::Number
                | MeasureType::Date
                | MeasureType::String
                | MeasureType::YesNo
                | MeasureType::RunningTotal
                | MeasureType::PercentOfTotal
                | MeasureType::PercentOfPrevious
        )
    }

    /// Types that take `sql_distinct_key` and de-duplicate by it.
    pub fn is_distinct_keyed(self) -> bool {
        matches!(
            self,
            MeasureType::SumDistinct | MeasureType::AverageDistinct | MeasureType::MedianDistinct | MeasureType::PercentileDistinct(_)
        )
    }
}

/// A measure's `filters: [field: "expression"]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureFilter {
    /// As written: `status` or `users.country`.
    pub field: String,
    pub value: String,
    pub span: Span,
}

/// What a field shows besides its value, kept for the API and the formatters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldDisplay {
    pub group_label: Option<String>,
    pub group_item_label: Option<String>,
    pub view_label: Option<String>,
    pub value_format: Option<String>,
    pub value_format_name: Option<String>,
    pub html: Option<String>,
    pub drill_fields: Vec<String>,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
    pub suggest_dimension: Option<String>,
    pub suggest_explore: Option<String>,
    pub can_filter: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Link {
    pub label: String,
    pub url: String,
    pub icon_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Dimension(DimensionType),
    Measure(MeasureType),
    /// `filter:` — a filter-only field, applied through its `sql` or `{% condition %}`.
    Filter(FilterType),
    /// `parameter:` — a single value the query chooses, read by `{% parameter %}`.
    Parameter(ParameterType),
}

/// The filter grammar of a `filter:` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterType {
    String,
    Number,
    Date,
    YesNo,
}

/// How a `parameter:` value is written into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterType {
    /// A quoted string literal.
    String,
    /// Written as it is: letters, digits, `_`, `.` and `$` only.
    Unquoted,
    Number,
    Date,
    YesNo,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The view the field is declared in.
    pub view: String,
    /// Short name within the view (`created_date` for a dimension group's timeframe).
    pub name: String,
    pub kind: FieldKind,
    /// The field's SQL as written; `None` means the LookML default (`${TABLE}.name`, or none for count).
    pub sql: Option<String>,
    pub label: String,
    pub description: Option<String>,
    pub primary_key: bool,
    pub hidden: bool,
    /// For timeframes and duration intervals: the dimension group's name.
    pub group: Option<String>,
    /// Measures: `filters:`.
    pub filters: Vec<MeasureFilter>,
    /// Measures of the `*_distinct` types: `sql_distinct_key` (else the view's primary key).
    pub sql_distinct_key: Option<String>,
    /// `type: list`: the dimension listed.
    pub list_field: Option<String>,
    /// `approximate: yes` on a count or count_distinct: the dialect's distinct-count estimator.
    pub approximate: bool,
    /// Post-query measures of pivoted queries: `direction: "column"` runs them down each pivot
    /// column; the default (`"row"`) runs them across the row's pivot columns.
    pub down_columns: bool,
    /// Durations: the two ends.
    pub sql_start: Option<String>,
    pub sql_end: Option<String>,
    /// Time fields: `convert_tz` (default yes) and `datatype`.
    pub convert_tz: bool,
    /// `allow_fill` (default yes): whether queries may fill in missing values (`fill_fields`).
    pub allow_fill: bool,
    pub datatype: Datatype,
    /// `case_sensitive` for string filters on this field.
    pub case_sensitive: Option<bool>,
    /// `required_access_grants`: a user needs every one of them to use the field.
    pub required_access_grants: Vec<String>,
    /// `order_by_field`: sorting on this field sorts on that one (same view, or `view.field`).
    pub order_by_field: Option<String>,
    /// Filter and parameter fields: `default_value`.
    pub default_value: Option<String>,
    /// Parameter fields: `allowed_value: { label value }`, as (label, value).
    pub allowed_values: Vec<(String, String)>,
    pub display: FieldDisplay,
    pub span: Span,
}

impl Field {
    /// A field with LookML's defaults (labelled from its name, `convert_tz` and `allow_fill` on).
    pub fn new(view: &str, name: &str, span: Span, kind: FieldKind) -> Field {
        Field {
            view: view.to_string(),
            name: name.to_string(),
            kind,
            sql: None,
            label: title_case(name),
            description: None,
            primary_key: false,
            hidden: false,
            group: None,
            filters: Vec::new(),
            sql_distinct_key: None,
            approximate: false,
            down_columns: false,
            list_field: None,
            sql_start: None,
            sql_end: None,
            convert_tz: true,
            allow_fill: true,
            datatype: Datatype::Timestamp,
            case_sensitive: None,
            order_by_field: None,
            required_access_grants: Vec::new(),
            default_value: None,
            allowed_values: Vec::new(),
            display: FieldDisplay { can_filter: true, ..Default::default() },
            span,
        }
    }
}

/// How a time column is stored (`datatype:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Datatype {
    #[default]
    Timestamp,
    Datetime,
    Date,
    /// Seconds since 1970-01-01.
    Epoch,
    /// An integer such as 20240131.
    Yyyymmdd,
}

impl Field {
    pub fn is_measure(&self) -> bool {
        matches!(self.kind, FieldKind::Measure(_))
    }

    /// `filter:` and `parameter:` fields: they can be filtered on, never selected.
    pub fn is_filter_only(&self) -> bool {
        matches!(self.kind, FieldKind::Filter(_) | FieldKind::Parameter(_))
    }

    /// The type name Looker reports in explore metadata (`string`, `date_month`, `count`, …).
    pub fn type_name(&self) -> String {
        match &self.kind {
            FieldKind::Dimension(DimensionType::String | DimensionType::Case { .. }) => "string".into(),
            FieldKind::Dimension(DimensionType::Number) => "number".into(),
            FieldKind::Dimension(DimensionType::YesNo) => "yesno".into(),
            FieldKind::Dimension(DimensionType::Zipcode) => "zipcode".into(),
            FieldKind::Dimension(DimensionType::Location { .. }) => "location".into(),
            FieldKind::Dimension(DimensionType::Distance { .. }) => "distance".into(),
            FieldKind::Dimension(DimensionType::Tier { .. }) => "tier".into(),
            FieldKind::Dimension(DimensionType::Duration(i)) => format!("duration_{}", i.name()),
            FieldKind::Dimension(DimensionType::Time(Timeframe::Time)) => "date_time".into(),
            FieldKind::Dimension(DimensionType::Time(tf)) => format!("date_{}", tf.name()),
            FieldKind::Measure(m) => m.name().into(),
            FieldKind::Filter(FilterType::String) | FieldKind::Parameter(ParameterType::String | ParameterType::Unquoted) => {
                "string".into()
            }
            FieldKind::Filter(FilterType::Number) | FieldKind::Parameter(ParameterType::Number) => "number".into(),
            FieldKind::Filter(FilterType::Date) | FieldKind::Parameter(ParameterType::Date) => "date".into(),
            FieldKind::Filter(FilterType::YesNo) | FieldKind::Parameter(ParameterType::YesNo) => "yesno".into(),
        }
    }

    /// The measure type, for measures.
    pub fn measure_type(&self) -> Option<MeasureType> {
        match self.kind {
            FieldKind::Measure(m) => Some(m),
            _ => None,
        }
    }

    /// Every SQL snippet the field is written with (`sql`, duration ends, `sql_distinct_key`,
    /// `case` conditions, location parts): what its `${…}` references are read from.
    pub fn sql_snippets(&self) -> Vec<&str> {
        let mut snippets: Vec<&str> =
            [&self.sql, &self.sql_start, &self.sql_end, &self.sql_distinct_key].into_iter().flatten().map(String::as_str).collect();
        match &self.kind {
            FieldKind::Dimension(DimensionType::Case { whens, .. }) => snippets.extend(whens.iter().map(|(w, _)| w.as_str())),
            FieldKind::Dimension(DimensionType::Location { latitude, longitude }) => {
                snippets.extend([latitude.as_str(), longitude.as_str()])
            }
            _ => {}
        }
        snippets
    }
}

/// `Title Case` of a snake_case name, as Looker derives default labels.
pub fn title_case(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
