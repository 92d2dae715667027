//! LookML syntax tree → semantic model: models, explores, joins, views and their fields.
//!
//! The model is dialect-neutral: field SQL is kept as written (with `${…}` references unexpanded);
//! the SQL crate expands and compiles it. Building a model never stops at the first problem:
//! every unknown parameter value, dangling reference or duplicate comes back as a diagnostic.

mod access_grants;
mod build;
mod cache_policy;
mod fields;
pub mod liquid;
pub mod merge;
pub mod model;
pub mod params;
mod references;
mod timeframe;
mod validate;
mod value_formats;

pub use access_grants::{first_lacking, AccessGrant};
pub use build::build_catalog;
pub use cache_policy::{parse_duration, CachePolicy, Datagroup, Persist, Persistence, DEFAULT_CACHE_AGE};
pub use lookml::Span;
pub use model::*;
pub use references::{parse_references, Reference, ReferenceKind};
pub use value_formats::{builtin_value_format, NamedValueFormat, BUILTIN_VALUE_FORMATS};
