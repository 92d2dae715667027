//! `manifest.lkml`: the project's name, its constants (`@{NAME}`), and its imports.
//!
//! Constants are substituted into every value of every LookML file (and into dashboard YAML)
//! before anything gives them meaning, as Looker does. Imported projects (`local_dependency`,
//! `remote_dependency`) are not supported yet and are reported by name rather than skipped: a
//! model that includes `//other_project/…` files would otherwise silently lose views.

use std::collections::HashMap;

use crate::ast::{Document, ListItem, Pair, Value, ValueKind};
use crate::diagnostic::Diagnostic;
use crate::source::Span;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    pub project_name: Option<String>,
    /// Constant name → value.
    pub constants: HashMap<String, String>,
}

/// Reads a parsed `manifest.lkml`; problems are returned beside what could be read.
pub fn read_manifest(doc: &Document) -> (Manifest, Vec<Diagnostic>) {
    let mut manifest = Manifest::default();
    let mut diagnostics = Vec::new();
    for pair in &doc.items {
        match pair.key.as_str() {
            "project_name" => manifest.project_name = pair.value.as_text().map(str::to_string),
            "constant" => read_constant(pair, &mut manifest, &mut diagnostics),
            "local_dependency" | "remote_dependency" => {
                let what = pair
                    .block_name()
                    .map(str::to_string)
                    .or_else(|| block_text(pair, "project"))
                    .or_else(|| block_text(pair, "url"))
                    .unwrap_or_else(|| "an unnamed project".into());
                diagnostics.push(Diagnostic::error(
                    pair.key_span,
                    format!("`{}` ({what}) is not supported yet: imported projects cannot be loaded, so files included from `//{what}/…` would be missing", pair.key),
                ));
            }
            // Extension, custom visualization and localisation settings do not change queries.
            "application" | "visualization" | "localization_settings" | "new_lookml_runtime" | "override_constant" => {}
            other => diagnostics.push(Diagnostic::warning(pair.key_span, format!("unknown manifest parameter `{other}`"))),
        }
    }
    (manifest, diagnostics)
}

fn block_text(pair: &Pair, key: &str) -> Option<String> {
    let (_, items) = pair.value.as_block()?;
    items.iter().find(|p| p.key == key).and_then(|p| p.value.as_text()).map(str::to_string)
}

fn read_constant(pair: &Pair, manifest: &mut Manifest, diagnostics: &mut Vec<Diagnostic>) {
    let Some((Some(name), items)) = pair.value.as_block() else {
        diagnostics
            .push(Diagnostic::error(pair.key_span, "`constant:` needs a name and a block, as in `constant: schema { value: \"x\" }`"));
        return;
    };
    let mut value = None;
    for item in items {
        match item.key.as_str() {
            "value" => value = item.value.as_text().map(str::to_string),
            "export" => match item.value.as_text() {
                Some("none" | "override_optional" | "override_required") => {}
                _ => diagnostics
                    .push(Diagnostic::error(item.value.span, "`export` must be one of none, override_optional, override_required")),
            },
            other => diagnostics.push(Diagnostic::warning(item.key_span, format!("unknown constant parameter `{other}`"))),
        }
    }
    match value {
        Some(v) => {
            if manifest.constants.insert(name.to_string(), v).is_some() {
                diagnostics.push(Diagnostic::error(pair.key_span, format!("constant `{name}` is defined twice")));
            }
        }
        None => diagnostics.push(Diagnostic::error(pair.key_span, format!("constant `{name}` needs a `value:`"))),
    }
}

/// Replaces every `@{NAME}` in the document's values. An unknown name is a located error and
/// stays as written.
pub fn substitute_constants(doc: &mut Document, constants: &HashMap<String, String>, diagnostics: &mut Vec<Diagnostic>) {
    for pair in &mut doc.items {
        substitute_pair(pair, constants, diagnostics);
    }
}

fn substitute_pair(pair: &mut Pair, constants: &HashMap<String, String>, diagnostics: &mut Vec<Diagnostic>) {
    substitute_value(&mut pair.value, constants, diagnostics);
}

fn substitute_value(value: &mut Value, constants: &HashMap<String, String>, diagnostics: &mut Vec<Diagnostic>) {
    let span = value.span;
    match &mut value.kind {
        ValueKind::Scalar { text, .. } | ValueKind::Expr(text) => {
            if let Some(replaced) = substitute_text(text, constants, span, diagnostics) {
                *text = replaced;
            }
        }
        ValueKind::List(items) => {
            for item in items {
                match item {
                    ListItem::Value(v) => substitute_value(v, constants, diagnostics),
                    ListItem::Pair(p) => substitute_pair(p, constants, diagnostics),
                }
            }
        }
        ValueKind::Block { name, items, .. } => {
            if let Some(n) = name {
                if let Some(replaced) = substitute_text(n, constants, span, diagnostics) {
                    *n = replaced;
                }
            }
            for item in items {
                substitute_pair(item, constants, diagnostics);
            }
        }
    }
}

/// `text` with its constants replaced, or `None` when it has none.
pub fn substitute_text(text: &str, constants: &HashMap<String, String>, span: Span, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    if !text.contains("@{") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("@{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(close) = after.find('}') else {
            diagnostics.push(Diagnostic::error(span, "`@{` is never closed with `}`"));
            out.push_str(&rest[at..]);
            return Some(out);
        };
        let name = after[..close].trim();
        match constants.get(name) {
            Some(v) => out.push_str(v),
            None => {
                diagnostics.push(Diagnostic::error(span, format!("constant `@{{{name}}}` is not defined in manifest.lkml")));
                out.push_str(&rest[at..at + 2 + close + 1]);
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;
    use crate::source::FileId;

    #[test]
    fn constants_substitute_everywhere_and_unknown_ones_are_located() {
        let manifest = parse(FileId(0), "project_name: \"p\"\nconstant: schema { value: \"prod\" export: override_optional }").unwrap();
        let (m, d) = read_manifest(&manifest);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.project_name.as_deref(), Some("p"));
        let mut doc =
            parse(FileId(1), "connection: \"@{schema}_db\"\nview: v { sql_table_name: @{schema}.orders ;; label: \"@{nope}\" }").unwrap();
        let mut diagnostics = Vec::new();
        substitute_constants(&mut doc, &m.constants, &mut diagnostics);
        assert_eq!(doc.items[0].value.as_text(), Some("prod_db"));
        let (_, items) = doc.items[1].value.as_block().unwrap();
        assert_eq!(items[0].value.as_text(), Some("prod.orders"));
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("`@{nope}` is not defined"));
    }

    #[test]
    fn dependencies_are_refused_by_name() {
        let manifest =
            parse(FileId(0), "local_dependency: { project: \"shared\" }\nremote_dependency: ga { url: \"x\" ref: \"y\" }").unwrap();
        let (_, d) = read_manifest(&manifest);
        assert_eq!(d.len(), 2);
        assert!(d[0].message.contains("`local_dependency` (shared) is not supported yet"));
        assert!(d[1].message.contains("(ga)"));
    }
}
