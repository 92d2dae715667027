//! Problems found in LookML, as values: a validator reports all of them at once.

use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where the problem is; `None` for project-level problems (no model file, unreadable folder).
    pub span: Option<Span>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, span: Some(span), message: message.into() }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, span: Some(span), message: message.into() }
    }

    pub fn project(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, span: None, message: message.into() }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col: message` (warnings say so).
    pub fn render(&self, sources: &SourceMap) -> String {
        let level = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        match self.span {
            Some(span) => format!("{}: {}{}", sources.locate(span), level, self.message),
            None => format!("{}{}", level, self.message),
        }
    }
}
