//! `${…}` references inside field SQL: `${TABLE}`, `${field}`, `${view.field}`.

/// One reference found in a SQL snippet, with its byte range in that snippet (including `${` `}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub start: usize,
    pub end: usize,
    pub kind: ReferenceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceKind {
    Table,
    /// `${view.SQL_TABLE_NAME}`.
    SqlTableName(String),
    /// `${field}` (view `None`) or `${view.field}`.
    Field {
        view: Option<String>,
        field: String,
    },
}

/// Finds every `${…}` in `sql`. An unclosed `${` is returned as an error with its offset.
pub fn parse_references(sql: &str) -> Result<Vec<Reference>, usize> {
    let mut out = Vec::new();
    let mut rest = 0;
    let bytes = sql.as_bytes();
    while let Some(found) = bytes[rest..].windows(2).position(|w| w == b"${") {
        let start = rest + found;
        let Some(close) = sql[start..].find('}') else { return Err(start) };
        let end = start + close + 1;
        let inner = sql[start + 2..end - 1].trim();
        // `${field::date}` style casts: the type suffix does not change which field is meant.
        let inner = inner.split("::").next().unwrap_or(inner);
        let kind = match inner.split_once('.') {
            None if inner == "TABLE" => ReferenceKind::Table,
            None => ReferenceKind::Field { view: None, field: inner.to_string() },
            Some((view, "SQL_TABLE_NAME")) => ReferenceKind::SqlTableName(view.to_string()),
            Some((view, field)) => ReferenceKind::Field { view: Some(view.to_string()), field: field.to_string() },
        };
        out.push(Reference { start, end, kind });
        rest = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_table_field_and_qualified_references() {
        let refs = parse_references("${TABLE}.a + ${b} - ${users.age::number}").unwrap();
        let kinds: Vec<_> = refs.into_iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ReferenceKind::Table,
                ReferenceKind::Field { view: None, field: "b".into() },
                ReferenceKind::Field { view: Some("users".into()), field: "age".into() },
            ]
        );
    }

    #[test]
    fn unclosed_reference_is_reported_with_its_offset() {
        assert_eq!(parse_references("a + ${b"), Err(4));
    }
}
