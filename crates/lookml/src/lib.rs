//! LookML text → typed syntax tree with spans, plus project loading (`include:` resolution).
//!
//! This crate knows LookML's *syntax* only: it does not know what a `dimension` means. The
//! semantic crate gives meaning to the tree. Nothing here panics on input: every problem becomes
//! a [`Diagnostic`] that names file, line and column.

pub mod ast;
pub mod dashboard;
pub mod diagnostic;
pub mod include_pattern;
pub mod lexer;
pub mod manifest;
pub mod parser;
pub mod project;
pub mod source;

pub use ast::{Document, ListItem, Pair, Value, ValueKind};
pub use dashboard::{DashboardElement, DashboardFilter, DashboardLayout, LookmlDashboard};
pub use diagnostic::{Diagnostic, Severity};
pub use manifest::Manifest;
pub use parser::parse;
pub use project::{load_project, ModelSource, Project};
pub use source::{FileId, SourceMap, Span};
