//! Why a query could not be compiled. Each variant names the culprit so the API can answer 422
//! with the offending field.

use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum CompileError {
    #[error("explore `{explore}` does not exist in model `{model}`")]
    UnknownExplore { model: String, explore: String },
    #[error("field `{field}` does not exist in explore `{explore}`")]
    UnknownField { field: String, explore: String },
    #[error("field name `{field}` must have the form `view.field`")]
    MalformedFieldName { field: String },
    #[error("filter on `{field}`: {message}")]
    InvalidFilter { field: String, message: String },
    #[error("sort `{sort}`: {message}")]
    InvalidSort { sort: String, message: String },
    #[error("limit `{limit}` must be a whole number of rows, or -1 for all rows")]
    InvalidLimit { limit: String },
    #[error("a query needs at least one field")]
    NoFields,
    #[error("`{field}` is a filter-only field (`filter:` or `parameter:`): filter on it, it cannot be selected")]
    NotSelectable { field: String },
    #[error("pivot `{field}`: {message}")]
    InvalidPivot { field: String, message: String },
    #[error("fill_fields `{field}`: {message}")]
    InvalidFill { field: String, message: String },
    #[error("subtotals `{field}`: {message}")]
    InvalidSubtotal { field: String, message: String },
    #[error("custom field `{field}`: {message}")]
    InvalidCustomField { field: String, message: String },
    #[error("filter_expression: {message}")]
    InvalidFilterExpression { message: String },
    #[error("`{field}` is one of the explore's cancel_grouping_fields: a query with it is not grouped, so it cannot have the measure `{measure}`")]
    Ungrouped { field: String, measure: String },
    #[error("{what}: {message}")]
    Model { what: String, message: String },
    /// The user the query runs for lacks what the explore asks of them (an access filter's
    /// attribute value).
    #[error("{message}")]
    Access { message: String },
}

impl CompileError {
    /// The request field the error is about, for Looker's 422 `errors[].field`.
    pub fn request_field(&self) -> &'static str {
        match self {
            CompileError::UnknownExplore { .. } => "view",
            CompileError::UnknownField { .. }
            | CompileError::MalformedFieldName { .. }
            | CompileError::NoFields
            | CompileError::NotSelectable { .. }
            | CompileError::Ungrouped { .. } => "fields",
            CompileError::InvalidFilter { .. } => "filters",
            CompileError::InvalidSort { .. } => "sorts",
            CompileError::InvalidLimit { .. } => "limit",
            CompileError::InvalidPivot { .. } => "pivots",
            CompileError::InvalidFill { .. } => "fill_fields",
            CompileError::InvalidSubtotal { .. } => "subtotals",
            CompileError::InvalidCustomField { .. } => "dynamic_fields",
            CompileError::InvalidFilterExpression { .. } => "filter_expression",
            CompileError::Model { .. } => "model",
            CompileError::Access { .. } => "view",
        }
    }
}
