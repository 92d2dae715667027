//! `fields=` on every route: `id,name,explores(name,label)` keeps those properties of the response
//! (of each element when it is an array), recursing into the parenthesised lists. Read leniently,
//! as a list of wanted names: an unmatched `)` is skipped and an unclosed `(` ends with the text.
//! One pass over the string, bounded in depth, so a hostile list costs time linear in its length.

use std::collections::HashMap;

use serde_json::Value;

/// Deepest nesting honoured; deeper lists keep the whole value. Looker's schemas are nowhere
/// near it.
const MAX_DEPTH: usize = 16;

/// A parsed `fields=` list: property name → what to keep of its value (`None`: all of it).
#[derive(Debug, Default, PartialEq)]
pub struct FieldSelection(HashMap<String, Option<FieldSelection>>);

impl FieldSelection {
    /// Parses `a,b(c,d(e)),f`. Blank names are skipped.
    pub fn parse(text: &str) -> FieldSelection {
        let mut chars = text.chars().peekable();
        let mut selection = parse_list(&mut chars, 0);
        // Text after an unmatched `)`: more names of the top level.
        while chars.next().is_some() {
            selection.0.extend(parse_list(&mut chars, 0).0);
        }
        selection
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

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Reads names up to the `)` closing this level (left for the caller) or the end.
fn parse_list(chars: &mut Chars<'_>, depth: usize) -> FieldSelection {
    let mut out = HashMap::new();
    loop {
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if matches!(c, ',' | '(' | ')') {
                break;
            }
            name.push(c);
            chars.next();
        }
        let name = name.trim().to_string();
        let nested = match chars.peek() {
            Some('(') if depth < MAX_DEPTH => {
                chars.next();
                let inner = parse_list(chars, depth + 1);
                if chars.peek() == Some(&')') {
                    chars.next();
                }
                Some(inner)
            }
            Some('(') => {
                // Too deep to honour: skip the nested list without recursing, keep the value.
                let mut level = 0usize;
                for c in chars.by_ref() {
                    match c {
                        '(' => level += 1,
                        ')' => level -= 1,
                        _ => {}
                    }
                    if level == 0 {
                        break;
                    }
                }
                None
            }
            _ => None,
        };
        if !name.is_empty() {
            out.insert(name, nested);
        }
        match chars.peek() {
            Some(',') => {
                chars.next();
            }
            _ => return FieldSelection(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keeps_listed_properties_and_nested_ones() {
        let selection = FieldSelection::parse("name, explores(name),can");
        let mut v = json!([{"name": "m", "label": "M", "explores": [{"name": "e", "label": "E"}], "can": {}}]);
        selection.apply(&mut v);
        assert_eq!(v, json!([{"name": "m", "explores": [{"name": "e"}], "can": {}}]));
    }

    #[test]
    fn malformed_lists_are_read_leniently_and_in_linear_time() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "d": 3, "e": 4});
        FieldSelection::parse("a(b").apply(&mut v);
        assert_eq!(v, json!({"a": {"b": 1}}));
        let mut v = json!({"a": 1, "b": 2, "c": 3});
        FieldSelection::parse("a)b").apply(&mut v);
        assert_eq!(v, json!({"a": 1, "b": 2}));
        let deep = "a(".repeat(100_000) + &")".repeat(100_000);
        let mut v = json!({"a": {"a": 1}});
        FieldSelection::parse(&deep).apply(&mut v);
        assert_eq!(v, json!({"a": {"a": 1}}));
        let _ = FieldSelection::parse(&"a,".repeat(100_000));
    }
}
