//! `yes` / `no` on a yesno field: the field's condition, or its negation including NULL.

pub fn to_sql(value: &str, condition: &str) -> Result<String, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" => Ok(format!("({condition})")),
        "no" => Ok(format!("(NOT ({condition}) OR ({condition}) IS NULL)")),
        _ => Err(format!("`{}` is not a yes/no filter: use `yes` or `no`", value.trim())),
    }
}
