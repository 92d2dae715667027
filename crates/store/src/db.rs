//! The metadata database behind the store: SQLite (one file beside the data, the default) or
//! PostgreSQL (shared by several servers). Statements are written once, with `?` placeholders
//! and SQL both databases accept; [`on_pool!`] runs one on whichever pool the store has,
//! numbering the placeholders (`$1`, `$2`…) for PostgreSQL. Where the two must differ (the
//! claim of a task, where results live) the code matches on [`Pool`] itself.
//!
//! Rows are read through [`Columns`], so that one function turns either database's row into
//! the store's types.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{PgPool, Row, SqlitePool};

use crate::StoreError;

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's concrete pool and `$sql` to the statement as
/// that database wants it (placeholders numbered for PostgreSQL).
macro_rules! on_pool {
    ($store:expr, $statement:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match &$store.pool {
            $crate::db::Pool::Sqlite($pool) => {
                let $sql: &str = &$statement;
                $body
            }
            $crate::db::Pool::Postgres($pool) => {
                let numbered = $crate::db::numbered(&$statement);
                let $sql: &str = &numbered;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// `statement` with each `?` placeholder numbered (`$1`, `$2`…), as PostgreSQL wants them. The
/// store's statements hold no `?` in literals or identifiers (values are always bound).
pub(crate) fn numbered(statement: &str) -> String {
    let mut out = String::with_capacity(statement.len() + 8);
    let mut n = 0;
    for c in statement.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A row of either database, read by column name.
pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn text_or_null(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn int_or_null(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn real_or_null(&self, column: &str) -> Result<Option<f64>, StoreError>;
    /// A BOOLEAN on PostgreSQL, 0 or 1 on SQLite.
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
}

macro_rules! columns_of {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, column: &str) -> Result<String, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn text_or_null(&self, column: &str) -> Result<Option<String>, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn int_or_null(&self, column: &str) -> Result<Option<i64>, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn real_or_null(&self, column: &str) -> Result<Option<f64>, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn flag(&self, column: &str) -> Result<bool, StoreError> {
                Ok(self.try_get(column)?)
            }
        }
    };
}
columns_of!(SqliteRow);
columns_of!(PgRow);

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(super::numbered("UPDATE t SET a = ?, b = ? WHERE c = ?"), "UPDATE t SET a = $1, b = $2 WHERE c = $3");
        assert_eq!(super::numbered("SELECT 1"), "SELECT 1");
    }
}
