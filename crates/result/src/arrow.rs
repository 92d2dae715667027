//! Arrow record batches → cells: how every connection's results (streamed as record batches)
//! become the [`ResultSet`] formatters read. Integers, floats, booleans, dates and timestamps
//! keep their types; decimals stay exact (their digits); nested values (lists, structs, maps,
//! unions) become JSON text; times, intervals and other types become Arrow's text for them.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, TimeUnit};

use crate::{ResultSet, Value};

/// Why a batch could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrowError(pub String);

/// Appends the batch's rows; its first columns are the result's (any after them are dropped).
pub fn append(result: &mut ResultSet, batch: &RecordBatch) -> Result<(), ArrowError> {
    let width = result.columns.len();
    if batch.num_columns() < width {
        return Err(ArrowError(format!("the query returned {} columns where {width} were expected", batch.num_columns())));
    }
    for (c, column) in result.data.iter_mut().enumerate() {
        let array = batch.column(c);
        column.reserve(array.len());
        for i in 0..array.len() {
            column.push(cell(array.as_ref(), i)?);
        }
    }
    Ok(())
}

/// Digits with the decimal point `scale` places from the right (`12345`, 2 → `123.45`).
fn decimal_text(digits: String, scale: i8) -> String {
    if scale <= 0 {
        return if scale == 0 { digits } else { format!("{digits}{}", "0".repeat(scale.unsigned_abs().into())) };
    }
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d.to_string()),
        None => ("", digits),
    };
    let scale = scale as usize;
    let padded = if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// Days since 1970-01-01 → calendar date (H. Hinnant's `civil_from_days`): integer arithmetic,
/// several times cheaper per value than going through a time zone.
pub fn civil_date(days: i64) -> Option<jiff::civil::Date> {
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    jiff::civil::Date::new(i16::try_from(year).ok()?, month as i8, day as i8).ok()
}

/// A count of `unit`s since 1970-01-01T00:00 → wall-clock time.
pub fn civil_datetime(unit: TimeUnit, n: i64) -> Option<jiff::civil::DateTime> {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let seconds = n.div_euclid(per_second);
    let nanos = n.rem_euclid(per_second) * (1_000_000_000 / per_second);
    let date = civil_date(seconds.div_euclid(86_400))?;
    let in_day = seconds.rem_euclid(86_400);
    jiff::civil::DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        (in_day / 3600) as i8,
        (in_day / 60 % 60) as i8,
        (in_day % 60) as i8,
        nanos as i32,
    )
    .ok()
}

/// Arrow's own text for a value (times, intervals, durations, binary …).
fn displayed(array: &dyn Array, i: usize) -> Result<String, ArrowError> {
    let formatter = ArrayFormatter::try_new(array, &FormatOptions::default()).map_err(|e| ArrowError(e.to_string()))?;
    Ok(formatter.value(i).to_string())
}

fn out_of_range(what: &str) -> ArrowError {
    ArrowError(format!("a {what} value is outside the calendar Sightline reads (years -9999 to 9999)"))
}

/// One value.
pub fn cell(array: &dyn Array, i: usize) -> Result<Value, ArrowError> {
    if array.is_null(i) {
        return Ok(Value::Null);
    }
    Ok(match array.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Bool(array.as_boolean().value(i)),
        DataType::Int8 => Value::Int(array.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => Value::Int(array.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => Value::Int(array.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => Value::Int(array.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => Value::Int(array.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => Value::Int(array.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => Value::Int(array.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => {
            let v = array.as_primitive::<UInt64Type>().value(i);
            i64::try_from(v).map(Value::Int).unwrap_or_else(|_| Value::Decimal(v.to_string()))
        }
        DataType::Float16 => Value::Float(array.as_primitive::<Float16Type>().value(i).to_f64()),
        DataType::Float32 => Value::Float(array.as_primitive::<Float32Type>().value(i).into()),
        DataType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(i)),
        // Whole numbers that fit stay integers (DuckDB sums integers as 128-bit).
        DataType::Decimal128(_, scale) => {
            let v = array.as_primitive::<Decimal128Type>().value(i);
            match (*scale, i64::try_from(v)) {
                (0, Ok(small)) => Value::Int(small),
                _ => Value::Decimal(decimal_text(v.to_string(), *scale)),
            }
        }
        DataType::Decimal256(_, scale) => Value::Decimal(decimal_text(array.as_primitive::<Decimal256Type>().value(i).to_string(), *scale)),
        DataType::Utf8 => Value::Text(array.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Value::Text(array.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Value::Text(array.as_string_view().value(i).to_string()),
        DataType::Date32 => {
            Value::Date(civil_date(array.as_primitive::<Date32Type>().value(i).into()).ok_or_else(|| out_of_range("date"))?)
        }
        DataType::Date64 => {
            let ms = array.as_primitive::<Date64Type>().value(i);
            Value::Date(civil_date(ms.div_euclid(86_400_000)).ok_or_else(|| out_of_range("date"))?)
        }
        DataType::Timestamp(unit, _) => {
            let n = match unit {
                TimeUnit::Second => array.as_primitive::<arrow_array::types::TimestampSecondType>().value(i),
                TimeUnit::Millisecond => array.as_primitive::<arrow_array::types::TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => array.as_primitive::<arrow_array::types::TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => array.as_primitive::<arrow_array::types::TimestampNanosecondType>().value(i),
            };
            Value::DateTime(civil_datetime(*unit, n).ok_or_else(|| out_of_range("timestamp"))?)
        }
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            let key = dictionary.normalized_keys()[i];
            return cell(dictionary.values().as_ref(), key);
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) | DataType::Struct(_) | DataType::Map(_, _) => {
            Value::Text(json(array, i)?.to_string())
        }
        DataType::Union(_, _) => {
            let union = array.as_union();
            let child = union.child(union.type_id(i));
            return cell(child.as_ref(), union.value_offset(i));
        }
        _ => Value::Text(displayed(array, i)?),
    })
}

/// A value inside a nested one, as JSON.
fn json(array: &dyn Array, i: usize) -> Result<serde_json::Value, ArrowError> {
    use serde_json::Value as J;
    if array.is_null(i) {
        return Ok(J::Null);
    }
    let items = |values: &dyn Array, start: usize, end: usize| -> Result<J, ArrowError> {
        (start..end).map(|j| json(values, j)).collect::<Result<Vec<_>, _>>().map(J::Array)
    };
    Ok(match array.data_type() {
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            items(list.values().as_ref(), offsets[i] as usize, offsets[i + 1] as usize)?
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>();
            let offsets = list.value_offsets();
            items(list.values().as_ref(), offsets[i] as usize, offsets[i + 1] as usize)?
        }
        DataType::FixedSizeList(_, n) => {
            let list = array.as_fixed_size_list();
            let n = *n as usize;
            items(list.values().as_ref(), i * n, i * n + n)?
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut object = serde_json::Map::new();
            for (f, column) in fields.iter().zip(s.columns()) {
                object.insert(f.name().clone(), json(column.as_ref(), i)?);
            }
            J::Object(object)
        }
        DataType::Map(_, _) => {
            let map = array.as_map();
            let offsets = map.value_offsets();
            let mut object = serde_json::Map::new();
            for j in offsets[i] as usize..offsets[i + 1] as usize {
                let key = match json(map.keys().as_ref(), j)? {
                    J::String(s) => s,
                    other => other.to_string(),
                };
                object.insert(key, json(map.values().as_ref(), j)?);
            }
            J::Object(object)
        }
        _ => match cell(array, i)? {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(n) => J::from(n),
            Value::Float(f) => serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null),
            other => J::String(other.to_text().unwrap_or_default()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits_are_placed_exactly() {
        assert_eq!(decimal_text("12345".into(), 2), "123.45");
        assert_eq!(decimal_text("-5".into(), 3), "-0.005");
        assert_eq!(decimal_text("7".into(), 0), "7");
        assert_eq!(decimal_text("7".into(), -2), "700");
    }

    #[test]
    fn calendar_arithmetic_matches_jiff_across_eras() {
        for days in [-800_000i64, -719_468, -1, 0, 1, 59, 60, 365, 10_957, 11_016, 19_723, 2_932_896] {
            let want = jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(days)).ok();
            assert_eq!(civil_date(days), want, "day {days}");
        }
        assert_eq!(civil_date(i64::MAX), None);
        let t = civil_datetime(TimeUnit::Microsecond, -1).unwrap();
        assert_eq!(t, jiff::civil::date(1969, 12, 31).at(23, 59, 59, 999_999_000));
    }
}
