//! Rows a server printed (PostgreSQL and MySQL send text), typed by their columns' database
//! types, → Arrow record batches: integers, floats, exact decimals (128 or 256 bits, at the
//! batch's largest scale), booleans, dates, timestamps, and text for the rest. A value its
//! column's type cannot hold is an error naming both, never a NULL or a silent string.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, Decimal128Array, Decimal256Array, RecordBatch};
use arrow_buffer::i256;
use arrow_schema::{Field, Schema};
use jiff::civil::Date;
use result::Value;

use crate::ConnectError;

/// Rows per batch.
pub const BATCH_ROWS: usize = 4096;

/// How a database type's values are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Decimal,
    Bool,
    Date,
    Timestamp,
    Text,
}

/// The kind of a type as PostgreSQL or MySQL names it.
pub fn kind(type_name: &str) -> Kind {
    let upper = type_name.to_ascii_uppercase();
    match upper.split(['(', ' ']).next().unwrap_or("") {
        "INT2" | "INT4" | "INT8" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "MEDIUMINT" | "TINYINT" | "YEAR" | "OID" => Kind::Int,
        "FLOAT4" | "FLOAT8" | "FLOAT" | "DOUBLE" | "REAL" => Kind::Float,
        "NUMERIC" | "DECIMAL" => Kind::Decimal,
        "BOOL" | "BOOLEAN" => Kind::Bool,
        "DATE" => Kind::Date,
        "TIMESTAMP" | "DATETIME" | "TIMESTAMPTZ" => Kind::Timestamp,
        _ => Kind::Text,
    }
}

fn unreadable(name: &str, kind: Kind, value: &Value) -> ConnectError {
    ConnectError::Sql(format!("column `{name}` ({kind:?}): the value {value:?} cannot be carried as one"))
}

const EPOCH: Date = Date::constant(1970, 1, 1);

fn days(date: Date) -> Option<i32> {
    Some(date.since(EPOCH).ok()?.get_days())
}

/// `-12.5` at scale 3 → `-12500`.
fn scaled(text: &str, scale: usize) -> String {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    format!("{whole}{fraction}{}", "0".repeat(scale - fraction.len()))
}

fn decimals(name: &str, values: &[Value]) -> Result<ArrayRef, ConnectError> {
    let owned: Vec<Option<String>> = values
        .iter()
        .map(|v| match v {
            Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(i.to_string())),
            Value::Decimal(d) | Value::Text(d) if is_decimal(d) => Ok(Some(d.clone())),
            other => Err(unreadable(name, Kind::Decimal, other)),
        })
        .collect::<Result<_, _>>()?;
    let texts: Vec<Option<&str>> = owned.iter().map(Option::as_deref).collect();
    let scale = texts.iter().flatten().map(|t| t.split_once('.').map_or(0, |(_, f)| f.len())).max().unwrap_or(0);
    let digits =
        texts.iter().flatten().map(|t| t.trim_start_matches('-').replace('.', "").trim_start_matches('0').len()).max().unwrap_or(0);
    let integer_digits = texts.iter().flatten().map(|t| t.trim_start_matches('-').split('.').next().unwrap_or("").len()).max().unwrap_or(0);
    let precision = (integer_digits + scale).max(digits).max(1);
    if precision <= 38 {
        let parsed: Vec<Option<i128>> = texts
            .iter()
            .map(|t| {
                t.map(|t| {
                    scaled(t, scale).parse::<i128>().map_err(|_| ConnectError::Sql(format!("column `{name}`: `{t}` is not a decimal")))
                })
                .transpose()
            })
            .collect::<Result<_, _>>()?;
        let array =
            Decimal128Array::from(parsed).with_precision_and_scale(38, scale as i8).map_err(|e| ConnectError::Sql(e.to_string()))?;
        return Ok(Arc::new(array));
    }
    if precision <= 76 {
        let parsed: Vec<Option<i256>> = texts
            .iter()
            .map(|t| {
                t.map(|t| {
                    i256::from_string(&scaled(t, scale))
                        .ok_or_else(|| ConnectError::Sql(format!("column `{name}`: `{t}` is not a decimal")))
                })
                .transpose()
            })
            .collect::<Result<_, _>>()?;
        let array =
            Decimal256Array::from(parsed).with_precision_and_scale(76, scale as i8).map_err(|e| ConnectError::Sql(e.to_string()))?;
        return Ok(Arc::new(array));
    }
    Err(ConnectError::Sql(format!("column `{name}`: a decimal of {precision} digits is more than the 76 Sightline carries exactly")))
}

/// Plain decimal digits (`-12.50`).
pub fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().filter(|b| *b == b'.').count() <= 1
}

/// One column of a batch.
fn column(name: &str, kind: Kind, values: &[Value]) -> Result<ArrayRef, ConnectError> {
    let wrong = |v: &Value| unreadable(name, kind, v);
    Ok(match kind {
        // Integers too large for 64 bits (MySQL's unsigned BIGINT) go as exact decimals.
        Kind::Int if values.iter().any(|v| matches!(v, Value::Decimal(_))) => decimals(name, values)?,
        Kind::Int => {
            let mut b = Int64Builder::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Int(i) => b.append_value(*i),
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(b.finish())
        }
        Kind::Decimal if values.iter().all(|v| matches!(v, Value::Null | Value::Decimal(_))) => decimals(name, values)?,
        // NaN and infinities have no decimal form: the column is carried as floats.
        Kind::Float | Kind::Decimal => {
            let mut b = Float64Builder::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Float(f) => b.append_value(*f),
                    Value::Int(i) => b.append_value(*i as f64),
                    Value::Decimal(d) => b.append_value(d.parse().map_err(|_| wrong(v))?),
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(b.finish())
        }
        Kind::Bool => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Bool(x) => b.append_value(*x),
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(b.finish())
        }
        Kind::Date => {
            let mut b = Date32Builder::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Date(d) => b.append_value(days(*d).ok_or_else(|| wrong(v))?),
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(b.finish())
        }
        Kind::Timestamp => {
            let mut b = TimestampMicrosecondBuilder::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::DateTime(t) => {
                        let day = i64::from(days(t.date()).ok_or_else(|| wrong(v))?);
                        let in_day = i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second());
                        b.append_value((day * 86_400 + in_day) * 1_000_000 + i64::from(t.subsec_nanosecond()) / 1000);
                    }
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(b.finish())
        }
        Kind::Text => {
            let mut b = StringBuilder::with_capacity(values.len(), values.len() * 8);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    other => b.append_value(other.to_text().unwrap_or_default()),
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// A batch from columns of typed values (`columns[i]` named `names[i]`, of kind `kinds[i]`).
pub fn batch(names: &[String], kinds: &[Kind], columns: &[Vec<Value>]) -> Result<RecordBatch, ConnectError> {
    let arrays: Vec<ArrayRef> =
        names.iter().zip(kinds).zip(columns).map(|((n, k), values)| column(n, *k, values)).collect::<Result<_, _>>()?;
    let fields: Vec<Field> = names.iter().zip(&arrays).map(|(n, a)| Field::new(n, a.data_type().clone(), true)).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| ConnectError::Sql(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::DataType;
    use result::{ColumnInfo, ResultSet, ValueType};

    fn round_trip(kind: Kind, values: Vec<Value>) -> (DataType, Vec<Value>) {
        let b = batch(&["c".into()], &[kind], std::slice::from_ref(&values)).unwrap();
        let mut r = ResultSet::new(vec![ColumnInfo::plain("c", ValueType::String)]);
        result::arrow::append(&mut r, &b).unwrap();
        (b.column(0).data_type().clone(), r.data.remove(0))
    }

    #[test]
    fn decimals_stay_exact_at_any_size() {
        let small = vec![Value::Decimal("12.5".into()), Value::Decimal("-0.125".into()), Value::Null];
        let (ty, back) = round_trip(Kind::Decimal, small);
        assert_eq!(ty, DataType::Decimal128(38, 3));
        assert_eq!(back, vec![Value::Decimal("12.500".into()), Value::Decimal("-0.125".into()), Value::Null]);
        let big = "123456789012345678901234567890123456789012.5";
        let (ty, back) = round_trip(Kind::Decimal, vec![Value::Decimal(big.into())]);
        assert_eq!(ty, DataType::Decimal256(76, 1));
        assert_eq!(back, vec![Value::Decimal(big.into())]);
        let huge = "9".repeat(80);
        assert!(batch(&["c".into()], &[Kind::Decimal], &[vec![Value::Decimal(huge)]]).is_err());
        let (_, back) = round_trip(Kind::Int, vec![Value::Int(1), Value::Decimal("18446744073709551615".into())]);
        assert_eq!(back, vec![Value::Int(1), Value::Decimal("18446744073709551615".into())]);
    }

    #[test]
    fn typed_values_round_trip_and_strays_are_errors() {
        let t = jiff::civil::date(1969, 12, 31).at(23, 59, 59, 500_000_000);
        let (ty, back) = round_trip(Kind::Timestamp, vec![Value::DateTime(t), Value::Null]);
        assert!(matches!(ty, DataType::Timestamp(_, None)));
        assert_eq!(back, vec![Value::DateTime(t), Value::Null]);
        let (_, back) = round_trip(Kind::Date, vec![Value::Date(jiff::civil::date(2024, 2, 29))]);
        assert_eq!(back, vec![Value::Date(jiff::civil::date(2024, 2, 29))]);
        let (_, back) = round_trip(Kind::Decimal, vec![Value::Float(f64::INFINITY), Value::Decimal("1.5".into())]);
        assert_eq!(back, vec![Value::Float(f64::INFINITY), Value::Float(1.5)]);
        let e = batch(&["d".into()], &[Kind::Date], &[vec![Value::Text("infinity".into())]]).unwrap_err();
        assert!(e.to_string().contains("`d`") && e.to_string().contains("infinity"), "{e}");
    }
}
