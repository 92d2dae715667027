//! What a user sees of a result, computed from its values and its fields' metadata, apart from
//! any output format: Looker's value formats (`value_format`, `value_format_name`) applied to
//! cells (`rendered`), so every writer (json_detail, csv, xlsx, html, charts) renders a number
//! the same way; table calculations, evaluated over the returned rows; and the `vis_config`
//! options that change a table (`apply_vis`). Writers call
//! [`CellRenderer`]; nothing here writes bytes.

mod cell;
mod number;
pub mod table_calc;
pub mod value_format;
mod vis;

pub use cell::CellRenderer;
pub use number::Number;
pub use table_calc::{TableCalc, TableCalcError};
pub use value_format::{ValueFormat, ValueFormatError};
pub use vis::VisOptions;
