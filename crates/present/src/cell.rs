//! One column's cells as Looker renders them (`rendered` in json_detail, every cell of csv, txt,
//! html, md and xlsx under `apply_formatting`): numbers through the field's value format, or
//! grouped by thousands without one; numeric timeframes (`2024` of a `_year`) as they are;
//! yes/no as `Yes`/`No`; dates in their timeframe's form.

use result::{ColumnInfo, Value, ValueType};

use crate::value_format::default_text;
use crate::{Number, ValueFormat, ValueFormatError};

/// Renders the cells of one column, its value format parsed once.
#[derive(Debug, Clone)]
pub struct CellRenderer {
    format: Option<ValueFormat>,
    /// Numbers shown as they are: numeric timeframes.
    plain_numbers: bool,
}

impl CellRenderer {
    /// The column's renderer; an unusable `value_format` is an error naming it.
    pub fn for_column(column: &ColumnInfo) -> Result<CellRenderer, ValueFormatError> {
        let format = column.value_format.as_deref().map(ValueFormat::parse).transpose()?;
        let plain_numbers = column.type_name.starts_with("date_") || column.value_type != ValueType::Number;
        Ok(CellRenderer { format, plain_numbers })
    }

    /// The cell's text; `None` for NULL.
    pub fn render(&self, value: &Value) -> Option<String> {
        let number = match value {
            Value::Int(i) => Number::from_i64(*i),
            Value::Float(f) => Number::from_f64(*f)?,
            Value::Decimal(d) => match Number::parse(d) {
                Some(n) => n,
                None => return value.to_text(),
            },
            other => return other.to_text(),
        };
        Some(match (&self.format, self.plain_numbers) {
            (Some(format), _) => format.format(&number),
            (None, true) => number.to_string(),
            (None, false) => default_text(&number),
        })
    }

    /// Whether the column has a value format of its own.
    pub fn has_format(&self) -> bool {
        self.format.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(type_name: &str, value_type: ValueType, format: Option<&str>) -> ColumnInfo {
        let mut c = ColumnInfo::plain("v.f", value_type);
        c.type_name = type_name.into();
        c.value_format = format.map(str::to_string);
        c
    }

    #[test]
    fn numbers_group_unless_they_are_timeframes() {
        let sum = CellRenderer::for_column(&column("sum", ValueType::Number, None)).unwrap();
        assert_eq!(sum.render(&Value::Float(1337843.09)).unwrap(), "1,337,843.09");
        assert_eq!(sum.render(&Value::Null), None);
        let year = CellRenderer::for_column(&column("date_year", ValueType::Number, None)).unwrap();
        assert_eq!(year.render(&Value::Int(2024)).unwrap(), "2024");
        let usd = CellRenderer::for_column(&column("sum", ValueType::Number, Some("$#,##0.00"))).unwrap();
        assert_eq!(usd.render(&Value::Decimal("1234.5".into())).unwrap(), "$1,234.50");
        assert_eq!(usd.render(&Value::Float(f64::NAN)), None);
        let flag = CellRenderer::for_column(&column("yesno", ValueType::String, None)).unwrap();
        assert_eq!(flag.render(&Value::Bool(true)).unwrap(), "Yes");
    }

    #[test]
    fn an_unusable_format_is_an_error() {
        let e = CellRenderer::for_column(&column("sum", ValueType::Number, Some("yyyy"))).unwrap_err();
        assert_eq!(e.format, "yyyy");
    }
}
