//! The semantic model's types. Names follow the LookML terms a Looker user knows.

use std::collections::BTreeMap;

use lookml::Span;

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
    pub hidden: bool,
    pub joins: Vec<Join>,
    pub span: Span,
}

impl Explore {
    /// The join whose alias is `alias`.
    pub fn join(&self, alias: &str) -> Option<&Join> {
        self.joins.iter().find(|j| j.name == alias)
    }

    /// The view behind an alias usable in this explore (the explore's own name or a join name).
    pub fn view_for_alias(&self, alias: &str) -> Option<&str> {
        if alias == self.name {
            return Some(&self.base_view);
        }
        self.join(alias).map(|j| j.view.as_str())
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

#[derive(Debug, Clone)]
pub struct Join {
    /// The alias fields are addressed by (`users.id`).
    pub name: String,
    /// The view joined (`from:`, else the join's name).
    pub view: String,
    pub join_type: JoinType,
    pub relationship: Relationship,
    pub sql_on: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewSource {
    /// `sql_table_name`, or the view's name when neither is given.
    Table(String),
    /// `derived_table: { sql: … }`.
    DerivedSql(String),
}

#[derive(Debug, Clone)]
pub struct View {
    pub name: String,
    pub label: String,
    pub source: ViewSource,
    /// Fields in declaration order; dimension groups are expanded to one field per timeframe.
    pub fields: Vec<Field>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeframe {
    Raw,
    Time,
    Date,
    Week,
    Month,
    Quarter,
    Year,
}

impl Timeframe {
    pub const ALL: [Timeframe; 7] =
        [Timeframe::Raw, Timeframe::Time, Timeframe::Date, Timeframe::Week, Timeframe::Month, Timeframe::Quarter, Timeframe::Year];

    pub fn name(self) -> &'static str {
        match self {
            Timeframe::Raw => "raw",
            Timeframe::Time => "time",
            Timeframe::Date => "date",
            Timeframe::Week => "week",
            Timeframe::Month => "month",
            Timeframe::Quarter => "quarter",
            Timeframe::Year => "year",
        }
    }

    pub fn parse(name: &str) -> Option<Timeframe> {
        Timeframe::ALL.into_iter().find(|t| t.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimensionType {
    String,
    Number,
    YesNo,
    /// One timeframe of a `dimension_group` of `type: time`, or a `type: date`/`date_time` dimension.
    Time(Timeframe),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureType {
    Count,
    CountDistinct,
    Sum,
    Average,
    Min,
    Max,
    /// `type: number`: SQL over other measures, not aggregated again.
    Number,
}

impl MeasureType {
    pub fn name(self) -> &'static str {
        match self {
            MeasureType::Count => "count",
            MeasureType::CountDistinct => "count_distinct",
            MeasureType::Sum => "sum",
            MeasureType::Average => "average",
            MeasureType::Min => "min",
            MeasureType::Max => "max",
            MeasureType::Number => "number",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Dimension(DimensionType),
    Measure(MeasureType),
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
    /// For timeframes: the dimension group's name.
    pub group: Option<String>,
    pub span: Span,
}

impl Field {
    pub fn is_measure(&self) -> bool {
        matches!(self.kind, FieldKind::Measure(_))
    }

    /// The type name Looker reports in explore metadata (`string`, `date_month`, `count`, …).
    pub fn type_name(&self) -> String {
        match self.kind {
            FieldKind::Dimension(DimensionType::String) => "string".into(),
            FieldKind::Dimension(DimensionType::Number) => "number".into(),
            FieldKind::Dimension(DimensionType::YesNo) => "yesno".into(),
            FieldKind::Dimension(DimensionType::Time(Timeframe::Time)) => "date_time".into(),
            FieldKind::Dimension(DimensionType::Time(tf)) => format!("date_{}", tf.name()),
            FieldKind::Measure(m) => m.name().into(),
        }
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
