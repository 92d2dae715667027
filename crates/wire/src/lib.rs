//! Looker API 4.0 on the wire, generated from Looker's own OpenAPI spec (`spec/`, MIT): a Rust
//! type per schema the server sends or reads ([`schemas`]), a table of every operation with its
//! parameters and body fields ([`operations`]), and the `fields=` response trimming every route
//! applies ([`fields`]). Handlers fill these types from the engine's model, so a misspelt field
//! or enum string does not compile.
//!
//! Regenerate with `cargo run -p sightline-wire-codegen`; a test fails when the checked-in files
//! are stale.

pub mod fields;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic)]
pub mod operations;
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic)]
pub mod schemas;

/// Looker's OpenAPI 4.0 spec as published (release 26.12). The served `swagger.json` is the part
/// of it this server implements.
pub const SPEC: &str = include_str!("../spec/Looker.4.0.oas.json");

/// One operation of the spec.
#[derive(Debug)]
pub struct Operation {
    /// The spec's `operationId` (the SDK method name).
    pub id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path under `/api/4.0`, with `{name}` placeholders.
    pub path: &'static str,
    pub params: &'static [Param],
    /// The response statuses the spec documents.
    pub statuses: &'static [u16],
    /// The JSON request body, when the operation takes one described by a schema.
    pub body: Option<Body>,
}

impl Operation {
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn documents(&self, status: u16) -> bool {
        self.statuses.contains(&status)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub location: Location,
    pub kind: Kind,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// A parameter's declared type, as far as parsing a query string needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    /// `int64`.
    Integer,
    Number,
    /// `true` or `false`.
    Boolean,
    /// Comma-separated strings.
    StringList,
    DateTime,
    Object,
}

/// A request body's schema and its fields, split as the spec marks them.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub schema: &'static str,
    pub writable: &'static [&'static str],
    /// Fields a client may echo back from a response; Looker ignores them in a request.
    pub read_only: &'static [&'static str],
}

/// The operation with this `operationId`.
pub fn operation(id: &str) -> Option<&'static Operation> {
    operations::ALL.iter().copied().find(|op| op.id == id)
}
