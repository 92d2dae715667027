//! Writes a [`Statement`] as one dialect's SQL text. Layout is Looker's: one select item per
//! line, GROUP BY and ORDER BY by position, CTEs hoisted to the top.

use std::fmt::Write;

use super::{Expr, Join, Name, Order, Relation, Select, SortKey, Statement};
use crate::dialect::Dialect;

/// The statement as `dialect` reads it.
pub fn print(statement: &Statement, dialect: &dyn Dialect) -> String {
    let mut out = String::new();
    Printer { dialect, out: &mut out }.statement(statement);
    out
}

/// A FROM or JOIN relation as `dialect` reads it (a subquery in parentheses).
pub fn relation(relation: &Relation, dialect: &dyn Dialect) -> String {
    let mut out = String::new();
    Printer { dialect, out: &mut out }.relation(relation);
    out
}

/// A name as `dialect` reads it: LookML names bare when that is safe, everything else quoted.
pub fn name(name: &Name, dialect: &dyn Dialect) -> String {
    match name {
        Name::Plain(s) if is_bare(s) => s.clone(),
        Name::Plain(s) | Name::Quoted(s) => dialect.quote_alias(s),
    }
}

/// A lowercase identifier that no dialect reserves (LookML names nearly always are).
fn is_bare(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok && s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') && !is_reserved(s)
}

/// Words reserved in at least one supported dialect that a view or column could be named,
/// sorted (searched by bisection).
const RESERVED: [&str; 84] = [
    "all",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "inner",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "over",
    "partition",
    "primary",
    "range",
    "references",
    "right",
    "row",
    "rows",
    "select",
    "some",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "when",
    "where",
    "window",
    "with",
];

fn is_reserved(s: &str) -> bool {
    RESERVED.binary_search(&s).is_ok()
}

struct Printer<'a> {
    dialect: &'a dyn Dialect,
    out: &'a mut String,
}

impl Printer<'_> {
    fn name(&mut self, n: &Name) {
        match n {
            Name::Plain(s) if is_bare(s) => self.out.push_str(s),
            Name::Plain(s) | Name::Quoted(s) => self.out.push_str(&self.dialect.quote_alias(s)),
        }
    }

    fn statement(&mut self, s: &Statement) {
        if !s.ctes.is_empty() {
            self.out.push_str("WITH ");
            for (i, cte) in s.ctes.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(",\n");
                }
                self.name(&cte.name);
                self.out.push_str(" AS (");
                match &cte.body {
                    Relation::Table(t) => {
                        let _ = write!(self.out, "SELECT * FROM {t}");
                    }
                    Relation::Named(n) => {
                        self.out.push_str("SELECT * FROM ");
                        self.name(n);
                    }
                    Relation::Sql(sql) => self.out.push_str(sql),
                    Relation::Query(q) => self.statement(q),
                }
                self.out.push(')');
            }
            self.out.push('\n');
        }
        self.select(&s.body);
    }

    fn relation(&mut self, r: &Relation) {
        match r {
            Relation::Table(t) => self.out.push_str(t),
            Relation::Named(n) => self.name(n),
            Relation::Sql(sql) => {
                let _ = write!(self.out, "({sql})");
            }
            Relation::Query(q) => {
                self.out.push_str("(\n");
                self.statement(q);
                self.out.push_str("\n)");
            }
        }
    }

    fn select(&mut self, s: &Select) {
        self.out.push_str("SELECT\n");
        for (i, item) in s.items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(",\n");
            }
            self.out.push_str("    ");
            self.expr(&item.expr);
            self.out.push_str(" AS ");
            self.name(&item.alias);
        }
        self.out.push_str("\nFROM ");
        self.relation(&s.from.relation);
        self.out.push_str(" AS ");
        self.name(&s.from.alias);
        for join in &s.joins {
            self.join(join);
        }
        self.conditions("WHERE", &s.wheres);
        let grouped: Vec<String> = s.items.iter().enumerate().filter(|(_, i)| i.grouped).map(|(p, _)| (p + 1).to_string()).collect();
        if !grouped.is_empty() {
            let _ = write!(self.out, "\nGROUP BY {}", grouped.join(", "));
        }
        self.conditions("HAVING", &s.havings);
        if !s.order_by.is_empty() {
            self.out.push_str("\nORDER BY ");
            for (i, order) in s.order_by.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.order(s, order);
            }
        }
        if let Some(n) = s.limit {
            let _ = write!(self.out, "\nLIMIT {n}");
        }
    }

    fn join(&mut self, j: &Join) {
        let _ = write!(self.out, "\n{} ", j.keyword);
        self.relation(&j.relation);
        self.out.push_str(" AS ");
        self.name(&j.alias);
        if let Some(on) = &j.on {
            self.out.push_str(" ON ");
            self.expr(on);
        }
    }

    fn conditions(&mut self, keyword: &str, conditions: &[Expr]) {
        for (i, c) in conditions.iter().enumerate() {
            self.out.push_str(if i == 0 { "\n" } else { "\n  AND " });
            if i == 0 {
                self.out.push_str(keyword);
                self.out.push(' ');
            }
            self.expr(c);
        }
    }

    fn order(&mut self, s: &Select, order: &Order) {
        match &order.key {
            // A key that names no item is a planner bug; the alias itself is still valid SQL.
            SortKey::Item(alias) => match s.position(alias) {
                Some(p) => {
                    let _ = write!(self.out, "{p}");
                }
                None => self.name(alias),
            },
            SortKey::Expr(e) => self.expr(e),
        }
        if order.desc {
            self.out.push_str(" DESC");
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Sql(sql) => self.out.push_str(sql),
            Expr::Column { table, name } => {
                if let Some(t) = table {
                    self.name(t);
                    self.out.push('.');
                }
                self.name(name);
            }
            Expr::Star(table) => {
                if let Some(t) = table {
                    self.name(t);
                    self.out.push('.');
                }
                self.out.push('*');
            }
            Expr::Integer(n) => {
                let _ = write!(self.out, "{n}");
            }
            Expr::Call { name, distinct, args } => {
                self.out.push_str(name);
                self.out.push('(');
                if *distinct {
                    self.out.push_str("DISTINCT ");
                }
                self.list(args);
                self.out.push(')');
            }
            Expr::Window { call, partition_by, order_by, frame } => {
                self.expr(call);
                self.out.push_str(" OVER (");
                let mut first = true;
                if !partition_by.is_empty() {
                    self.out.push_str("PARTITION BY ");
                    self.list(partition_by);
                    first = false;
                }
                if !order_by.is_empty() {
                    if !first {
                        self.out.push(' ');
                    }
                    self.out.push_str("ORDER BY ");
                    for (i, (key, desc)) in order_by.iter().enumerate() {
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        self.expr(key);
                        if *desc {
                            self.out.push_str(" DESC");
                        }
                    }
                    first = false;
                }
                if let Some(frame) = frame {
                    if !first {
                        self.out.push(' ');
                    }
                    self.out.push_str(frame);
                }
                self.out.push(')');
            }
            Expr::Binary { left, op, right } => {
                self.expr(left);
                let _ = write!(self.out, " {op} ");
                self.expr(right);
            }
            Expr::Case(whens) => {
                self.out.push_str("CASE");
                for (condition, value) in whens {
                    self.out.push_str(" WHEN ");
                    self.expr(condition);
                    self.out.push_str(" THEN ");
                    self.expr(value);
                }
                self.out.push_str(" END");
            }
            Expr::Nested(inner) => {
                self.out.push('(');
                self.expr(inner);
                self.out.push(')');
            }
        }
    }

    fn list(&mut self, items: &[Expr]) {
        for (i, e) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{DuckDb, MySql};
    use crate::tree::{Cte, Item};

    fn sample() -> Statement {
        let mut body = Select::from(
            Relation::Table("public.orders".into()),
            Name::plain("orders"),
            vec![
                Item::grouped(Expr::sql("orders.status"), Name::quoted("orders.status")),
                Item::new(Expr::sql("COUNT(*)"), Name::quoted("orders.count")),
            ],
        );
        body.joins.push(Join {
            keyword: "LEFT JOIN",
            relation: Relation::Table("users_cte".into()),
            alias: Name::plain("user"),
            on: Some(Expr::sql("orders.user_id = user.id")),
        });
        body.wheres = vec![Expr::sql("a = 1"), Expr::sql("b = 2")];
        body.order_by = vec![Order { key: SortKey::Item(Name::quoted("orders.count")), desc: true }];
        body.limit = Some(10);
        Statement { ctes: vec![Cte { name: Name::plain("users_cte"), body: Relation::Sql("SELECT 1".into()) }], body }
    }

    #[test]
    fn prints_looker_layout_per_dialect() {
        let duck = print(&sample(), &DuckDb);
        assert_eq!(
            duck,
            "WITH users_cte AS (SELECT 1)\nSELECT\n    orders.status AS \"orders.status\",\n    COUNT(*) AS \"orders.count\"\nFROM public.orders AS orders\nLEFT JOIN users_cte AS \"user\" ON orders.user_id = user.id\nWHERE a = 1\n  AND b = 2\nGROUP BY 1\nORDER BY 2 DESC\nLIMIT 10"
        );
        let my = print(&sample(), &MySql);
        assert!(my.contains("AS `orders.count`") && my.contains("AS `user` ON"), "{my}");
    }

    #[test]
    fn reserved_words_are_sorted_for_bisection() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(name(&Name::plain("user"), &DuckDb), "\"user\"");
    }

    #[test]
    fn hostile_names_are_quoted() {
        let d = &DuckDb;
        assert_eq!(name(&Name::plain("orders"), d), "orders");
        assert_eq!(name(&Name::plain("Orders"), d), "\"Orders\"");
        assert_eq!(name(&Name::plain("a\"; DROP TABLE x; --"), d), "\"a\"\"; DROP TABLE x; --\"");
        assert_eq!(name(&Name::quoted("orders"), d), "\"orders\"");
    }

    #[test]
    fn windows_and_calls() {
        let e = Expr::window(
            Expr::call("SUM", vec![Expr::column(Name::plain("q"), Name::quoted("x"))]),
            vec![Expr::Integer(1)],
            vec![(Expr::sql("y"), true)],
        );
        let mut s = String::new();
        Printer { dialect: &DuckDb, out: &mut s }.expr(&e);
        assert_eq!(s, "SUM(q.\"x\") OVER (PARTITION BY 1 ORDER BY y DESC)");
    }
}
