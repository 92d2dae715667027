//! Looker expressions (custom dimensions and measures, `filter_expression`): parsed into a
//! syntax tree and translated to SQL for a dialect, with field references left for the
//! compiler to expand.

mod translate;

pub use expression::{parse, Ast, ParseError, MAX_LENGTH};
pub use translate::{translate, FieldType, Translated, Type, CUSTOM_SCOPE, MATCHES_SCOPE};
