//! A small dialect-neutral SQL tree: what the planner builds and the printer writes per dialect.
//!
//! The statement's structure (CTEs, select items, joins, filters, grouping, order, limit,
//! subqueries and window functions) is a tree, so totals, row totals and pivots are derived from
//! the planned query by editing the tree, never the text. Expressions that LookML writes (a
//! field's `sql:` after `${…}` expansion) or that a dialect renders (a timeframe, a symmetric
//! aggregate) are kept as [`Expr::Sql`] fragments: they are SQL by nature, and everything the
//! user supplies at query time reached them only as dialect-quoted literals.
//!
//! Names the planner invents or that come from LookML are [`Name`]s, quoted by the dialect.

mod print;

pub use print::{name, print, relation};

/// `WITH … SELECT …`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub ctes: Vec<Cte>,
    pub body: Select,
}

/// `name AS (…)`: a derived table's own SQL, or a compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    pub name: Name,
    pub body: Relation,
}

/// What a FROM, JOIN or CTE reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// A table as LookML names it (`sql_table_name`, Liquid rendered).
    Table(String),
    /// A CTE.
    Named(Name),
    /// SQL written in LookML (a derived table's `sql:`), printed in parentheses where it is read.
    Sql(String),
    Query(Box<Statement>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub items: Vec<Item>,
    pub from: From,
    pub joins: Vec<Join>,
    /// Conditions joined with AND.
    pub wheres: Vec<Expr>,
    /// Conditions joined with AND.
    pub havings: Vec<Expr>,
    pub order_by: Vec<Order>,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct From {
    pub relation: Relation,
    pub alias: Name,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// `LEFT JOIN`, `INNER JOIN`, `FULL OUTER JOIN`, `CROSS JOIN`.
    pub keyword: &'static str,
    pub relation: Relation,
    pub alias: Name,
    pub on: Option<Expr>,
}

/// `expr AS alias`; `grouped` items make up the GROUP BY (printed as ordinals).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub expr: Expr,
    pub alias: Name,
    pub grouped: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub key: SortKey,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// A select item by its alias, printed as its position.
    Item(Name),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Name {
    /// A name Looker spells with dots or capitals (`orders.count`): always quoted.
    Quoted(String),
    /// A LookML name (`orders`, `lifetime_orders`): bare when the dialect reads it as written,
    /// quoted otherwise.
    Plain(String),
}

impl Name {
    pub fn quoted(s: impl Into<String>) -> Name {
        Name::Quoted(s.into())
    }
    pub fn plain(s: impl Into<String>) -> Name {
        Name::Plain(s.into())
    }
    pub fn as_str(&self) -> &str {
        match self {
            Name::Quoted(s) | Name::Plain(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A complete SQL fragment from LookML or a dialect.
    Sql(String),
    /// `table.name` or `name`.
    Column {
        table: Option<Name>,
        name: Name,
    },
    /// `*` or `table.*`.
    Star(Option<Name>),
    Integer(i64),
    /// `NAME(args)` / `NAME(DISTINCT args)`.
    Call {
        name: &'static str,
        distinct: bool,
        args: Vec<Expr>,
    },
    /// `call OVER (PARTITION BY … ORDER BY … frame)`.
    Window {
        call: Box<Expr>,
        partition_by: Vec<Expr>,
        order_by: Vec<(Expr, bool)>,
        frame: Option<&'static str>,
    },
    /// `left op right`.
    Binary {
        left: Box<Expr>,
        op: &'static str,
        right: Box<Expr>,
    },
    /// `(expr)`.
    Nested(Box<Expr>),
    /// `CASE WHEN c THEN v … END` (NULL otherwise).
    Case(Vec<(Expr, Expr)>),
}

impl Expr {
    pub fn sql(s: impl Into<String>) -> Expr {
        Expr::Sql(s.into())
    }
    pub fn column(table: Name, name: Name) -> Expr {
        Expr::Column { table: Some(table), name }
    }
    pub fn call(name: &'static str, args: Vec<Expr>) -> Expr {
        Expr::Call { name, distinct: false, args }
    }
    pub fn binary(left: Expr, op: &'static str, right: Expr) -> Expr {
        Expr::Binary { left: Box::new(left), op, right: Box::new(right) }
    }
    pub fn nested(self) -> Expr {
        Expr::Nested(Box::new(self))
    }
    pub fn window(call: Expr, partition_by: Vec<Expr>, order_by: Vec<(Expr, bool)>) -> Expr {
        Expr::Window { call: Box::new(call), partition_by, order_by, frame: None }
    }
}

impl Select {
    /// `SELECT items FROM relation AS alias` with nothing else.
    pub fn from(relation: Relation, alias: Name, items: Vec<Item>) -> Select {
        Select {
            items,
            from: From { relation, alias },
            joins: Vec::new(),
            wheres: Vec::new(),
            havings: Vec::new(),
            order_by: Vec::new(),
            limit: None,
        }
    }

    /// The position (from 1) of the item with this alias.
    pub fn position(&self, alias: &Name) -> Option<usize> {
        self.items.iter().position(|i| i.alias.as_str() == alias.as_str()).map(|p| p + 1)
    }
}

impl Item {
    pub fn new(expr: Expr, alias: Name) -> Item {
        Item { expr, alias, grouped: false }
    }
    pub fn grouped(expr: Expr, alias: Name) -> Item {
        Item { expr, alias, grouped: true }
    }
}
