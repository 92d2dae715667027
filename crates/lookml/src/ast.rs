//! The LookML syntax tree: a document is a list of `key: value` pairs; values are scalars,
//! `;;`-terminated expression blocks, lists, or (named) blocks of further pairs.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub items: Vec<Pair>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub key: String,
    pub key_span: Span,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// A bare literal (`yes`, `500`, `orders.id`) or a quoted string; quoting does not change meaning.
    Scalar {
        text: String,
        quoted: bool,
    },
    /// The raw text of `sql: … ;;` and its kin, trimmed.
    Expr(String),
    List(Vec<ListItem>),
    /// `view: orders { … }` has `name: Some("orders")`; `derived_table: { … }` has none.
    Block {
        name: Option<String>,
        name_span: Option<Span>,
        items: Vec<Pair>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ListItem {
    Value(Value),
    Pair(Pair),
}

impl Value {
    /// The text of a scalar or expression value.
    pub fn as_text(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Scalar { text, .. } | ValueKind::Expr(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_block(&self) -> Option<(Option<&str>, &[Pair])> {
        match &self.kind {
            ValueKind::Block { name, items, .. } => Some((name.as_deref(), items)),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[ListItem]> {
        match &self.kind {
            ValueKind::List(items) => Some(items),
            _ => None,
        }
    }

    /// A short human word for the kind of value, for diagnostics.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            ValueKind::Scalar { .. } => "a value",
            ValueKind::Expr(_) => "a SQL block",
            ValueKind::List(_) => "a list",
            ValueKind::Block { .. } => "a block",
        }
    }
}

impl Pair {
    /// The block name of `key: name { … }`.
    pub fn block_name(&self) -> Option<&str> {
        match &self.value.kind {
            ValueKind::Block { name, .. } => name.as_deref(),
            _ => None,
        }
    }
}
