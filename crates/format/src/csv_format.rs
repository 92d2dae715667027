//! `csv`: a header of field labels (`Orders Count`), then one line per row; NULL is empty.

use std::io::Write;

use result::ResultSet;

use crate::FormatError;

pub fn write_csv(result: &ResultSet, out: &mut impl Write) -> Result<(), FormatError> {
    let mut writer = csv::Writer::from_writer(out);
    let to_io = |e: csv::Error| FormatError::Io(std::io::Error::other(e));
    writer.write_record(result.columns.iter().map(|c| c.label.as_str())).map_err(to_io)?;
    for row in 0..result.row_count() {
        let record: Vec<String> = (0..result.columns.len()).map(|c| result.value(c, row).to_text().unwrap_or_default()).collect();
        writer.write_record(&record).map_err(to_io)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use result::{ColumnInfo, Value, ValueType};

    #[test]
    fn header_is_labels_and_values_are_quoted_when_needed() {
        let col = |name: &str, label: &str| ColumnInfo::plain(name, ValueType::String).labelled(label);
        let mut r = ResultSet::new(vec![col("users.city", "Users City"), col("orders.count", "Orders Count")]);
        r.push_row(vec![Value::Text("Santa Cruz, CA".into()), Value::Int(3)]);
        r.push_row(vec![Value::Null, Value::Float(2.0)]);
        let mut out = Vec::new();
        write_csv(&r, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Users City,Orders Count\n\"Santa Cruz, CA\",3\n,2\n");
    }
}
