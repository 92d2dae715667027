//! Query + semantic model → SQL text for one dialect.
//!
//! Pure: no I/O, no clock (the caller passes "now" in the query's time zone, so relative date
//! filters are reproducible in tests). Every dialect difference goes through [`Dialect`]; filter
//! values reach SQL only through the dialect's literal quoting or after being parsed as numbers
//! and dates.

mod check;
mod compile;
mod custom;
pub mod dialect;
mod error;
pub mod expression;
pub mod filter;
mod liquid;
mod query;
pub mod tree;

pub use check::{check_fields, FieldProblem};
pub use compile::{
    compile, derived_table_sql, derived_tables_read, Companion, CompiledQuery, FillOrder, FillPlan, SubtotalPlan, PIVOT_COLUMN, PIVOT_COUNT,
};
pub use custom::{CustomField, CustomKind};
pub use dialect::{dialect_for, BigQuery, ClickHouse, Dialect, DuckDb, MySql, Postgres, Redshift, Snowflake, Trino, DIALECTS};
pub use error::CompileError;
pub use query::{Limit, QuerySpec, SortDirection, TimeZones, DEFAULT_COLUMN_LIMIT, DEFAULT_LIMIT, MAX_COLUMN_LIMIT, MAX_LIMIT};
pub use result::{ColumnInfo, ValueType};
