//! `fields=` on every route: `id,name,explores(name,label)` keeps those properties of the response
//! (of each element when it is an array), recursing into the parenthesised lists. Parsing is one
//! pass over the string and bounded in depth, so a hostile list costs time linear in its length.

use std::collections::HashMap;

use serde_json::Value;

/// Deepest nesting accepted: Looker's schemas are nowhere near it.
const MAX_DEPTH: usize = 16;

/// A parsed `fields=` list: property name → what to keep of its value (`None`: all of it).
#[derive(Debug, Default, PartialEq)]
pub struct FieldSelection(HashMap<String, Option<FieldSelection>>);

#[derive(Debug, PartialEq, Eq)]
pub struct FieldsError(pub String);

impl std::fmt::Display for FieldsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FieldSelection {
    /// Parses `a,b(c,d(e)),f`. Blank names are skipped, as Looker skips them.
    pub fn parse(text: &str) -> Result<FieldSelection, FieldsError> {
        let mut chars = text.char_indices().peekable();
        let selection = parse_list(text, &mut chars, 0)?;
        match chars.next() {
            None => Ok(selection),
            Some((at, c)) => Err(FieldsError(format!("unexpected `{c}` at position {at} of fields"))),
        }
    }

    /// Keeps only the selected properties of `value` (of each element of an array).
    pub fn apply(&self, value: &mut Value) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| self.apply(item)),
            Value::Object(map) => {
                map.retain(|key, _| self.0.contains_key(key));
                for (key, inner) in map.iter_mut() {
                    if let Some(Some(selection)) = self.0.get(key) {
                        selection.apply(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn parse_list(text: &str, chars: &mut Chars<'_>, depth: usize) -> Result<FieldSelection, FieldsError> {
    if depth > MAX_DEPTH {
        return Err(FieldsError(format!("fields are nested deeper than {MAX_DEPTH} levels")));
    }
    let mut out = HashMap::new();
    loop {
        let mut name = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if matches!(c, ',' | '(' | ')') {
                break;
            }
            name.push(c);
            chars.next();
        }
        let name = name.trim().to_string();
        let nested = match chars.peek() {
            Some(&(_, '(')) => {
                chars.next();
                let inner = parse_list(text, chars, depth + 1)?;
                match chars.next() {
                    Some((_, ')')) => Some(inner),
                    _ => return Err(FieldsError(format!("unbalanced parentheses in fields `{}`", clip(text)))),
                }
            }
            _ => None,
        };
        if !name.is_empty() {
            out.insert(name, nested);
        }
        match chars.peek() {
            Some(&(_, ',')) => {
                chars.next();
            }
            _ => return Ok(FieldSelection(out)),
        }
    }
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(80) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keeps_listed_properties_and_nested_ones() {
        let selection = FieldSelection::parse("name, explores(name),can").unwrap();
        let mut v = json!([{"name": "m", "label": "M", "explores": [{"name": "e", "label": "E"}], "can": {}}]);
        selection.apply(&mut v);
        assert_eq!(v, json!([{"name": "m", "explores": [{"name": "e"}], "can": {}}]));
    }

    #[test]
    fn rejects_unbalanced_and_deep_lists() {
        assert!(FieldSelection::parse("a(b").is_err());
        assert!(FieldSelection::parse("a)b").is_err());
        let deep = "a(".repeat(1000) + &")".repeat(1000);
        assert!(FieldSelection::parse(&deep).is_err());
        assert!(FieldSelection::parse(&"a,".repeat(100_000)).is_ok());
    }
}
