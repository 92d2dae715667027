//! Refinements (`view: +orders`) and `extends`, applied to the syntax tree before any meaning is
//! given to it, as Looker describes them: the written LookML of the base is deep-merged under the
//! refining or extending object, which wins on conflicts; named blocks (`dimension: x`,
//! `join: y`) merge by name; additive parameters (`link`, `allowed_value`, `access_filter`, …)
//! accumulate; `${EXTENDED}` in SQL and `EXTENDED*` in lists stand for the base's value.
//!
//! Refinements apply in include order, then `extends` resolve (chains included, cycles reported).

use std::collections::{BTreeMap, HashSet};

use lookml::{Diagnostic, ListItem, Pair, Span, Value, ValueKind};

/// One view or explore definition after merging: its items and where it was first defined.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub key_span: Span,
    pub name_span: Span,
    pub span: Span,
    pub items: Vec<Pair>,
}

impl Definition {
    pub fn get(&self, key: &str) -> Option<&Pair> {
        self.items.iter().find(|p| p.key == key)
    }

    /// `extension: required`: only a base for others, never queried itself.
    pub fn is_extension(&self) -> bool {
        self.get("extension").and_then(|p| p.value.as_text()) == Some("required")
    }
}

/// Parameters whose values accumulate across refinements and extends instead of replacing.
const ADDITIVE: &[&str] = &["link", "action", "allowed_value", "access_filter", "aggregate_table", "query", "extends", "when"];

/// Collects the definitions of one kind (`view` or `explore`) from `pairs` in include order,
/// applies refinements, then resolves `extends`.
pub fn definitions<'a>(
    kind: &str,
    pairs: impl Iterator<Item = &'a Pair>,
    locate: &dyn Fn(Span) -> String,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Definition> {
    let mut defs: BTreeMap<String, Definition> = BTreeMap::new();
    let mut refinements: Vec<&Pair> = Vec::new();
    for pair in pairs {
        let ValueKind::Block { name: Some(name), name_span, items } = &pair.value.kind else {
            diagnostics.push(Diagnostic::error(pair.key_span, format!("`{kind}:` needs a name and a block, as in `{kind}: name {{ … }}`")));
            continue;
        };
        if name.starts_with('+') {
            refinements.push(pair);
            continue;
        }
        if let Some(first) = defs.get(name) {
            diagnostics.push(Diagnostic::error(
                pair.key_span,
                format!(
                    "{kind} `{name}` is defined twice (first at {}; refine it with `{kind}: +{name}` instead)",
                    locate(first.name_span)
                ),
            ));
            continue;
        }
        defs.insert(
            name.clone(),
            Definition {
                name: name.clone(),
                key_span: pair.key_span,
                name_span: name_span.unwrap_or(pair.key_span),
                span: pair.value.span,
                items: items.clone(),
            },
        );
    }
    let mut finals: HashSet<String> = HashSet::new();
    for pair in refinements {
        let ValueKind::Block { name: Some(name), items, .. } = &pair.value.kind else { continue };
        let target = name.trim_start_matches('+').trim();
        let Some(def) = defs.get_mut(target) else {
            diagnostics
                .push(Diagnostic::error(pair.key_span, format!("refinement `{kind}: {name}` refines `{target}`, which is not defined")));
            continue;
        };
        if finals.contains(target) {
            diagnostics.push(Diagnostic::error(
                pair.key_span,
                format!("`{kind}: {target}` was refined with `final: yes`; it cannot be refined again"),
            ));
            continue;
        }
        if items.iter().any(|p| p.key == "final" && p.value.as_text() == Some("yes")) {
            finals.insert(target.to_string());
        }
        let refining: Vec<Pair> = items.iter().filter(|p| p.key != "final").cloned().collect();
        def.items = merge_items(&def.items, &refining);
    }
    resolve_extends(kind, &mut defs, diagnostics);
    defs
}

/// Replaces each definition that has `extends:` by its bases merged under it.
fn resolve_extends(kind: &str, defs: &mut BTreeMap<String, Definition>, diagnostics: &mut Vec<Diagnostic>) {
    let names: Vec<String> = defs.keys().cloned().collect();
    let mut done: HashSet<String> = HashSet::new();
    for name in names {
        let mut stack = Vec::new();
        resolve_one(kind, &name, defs, &mut done, &mut stack, diagnostics);
    }
}

fn resolve_one(
    kind: &str,
    name: &str,
    defs: &mut BTreeMap<String, Definition>,
    done: &mut HashSet<String>,
    stack: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if done.contains(name) {
        return;
    }
    let Some(def) = defs.get(name).cloned() else { return };
    if stack.iter().any(|s| s == name) {
        diagnostics.push(Diagnostic::error(def.key_span, format!("{kind} `{name}` extends itself through {} → {name}", stack.join(" → "))));
        done.insert(name.to_string());
        return;
    }
    let bases: Vec<(String, Span)> = def
        .items
        .iter()
        .filter(|p| p.key == "extends")
        .flat_map(|p| match &p.value.kind {
            ValueKind::List(items) => items
                .iter()
                .filter_map(|i| match i {
                    ListItem::Value(v) => v.as_text().map(|t| (t.to_string(), v.span)),
                    ListItem::Pair(_) => None,
                })
                .collect::<Vec<_>>(),
            ValueKind::Scalar { text, .. } => vec![(text.clone(), p.value.span)],
            _ => Vec::new(),
        })
        .collect();
    if bases.is_empty() {
        done.insert(name.to_string());
        return;
    }
    stack.push(name.to_string());
    let mut merged: Vec<Pair> = Vec::new();
    for (base, span) in &bases {
        resolve_one(kind, base, defs, done, stack, diagnostics);
        match defs.get(base) {
            Some(b) => {
                // The base's own `extension: required` does not pass on.
                let written: Vec<Pair> = b.items.iter().filter(|p| p.key != "extension" && p.key != "extends").cloned().collect();
                merged = merge_items(&merged, &written);
            }
            None => diagnostics.push(Diagnostic::error(*span, format!("{kind} `{name}` extends `{base}`, which is not defined"))),
        }
    }
    stack.pop();
    let own: Vec<Pair> = def.items.iter().filter(|p| p.key != "extends").cloned().collect();
    let merged = merge_items(&merged, &own);
    if let Some(d) = defs.get_mut(name) {
        d.items = merged;
    }
    done.insert(name.to_string());
}

/// `overlay` merged over `base`: the overlay wins, named blocks merge by name, anonymous blocks
/// merge recursively, additive parameters accumulate.
pub fn merge_items(base: &[Pair], overlay: &[Pair]) -> Vec<Pair> {
    let mut out: Vec<Pair> = base.to_vec();
    for pair in overlay {
        if ADDITIVE.contains(&pair.key.as_str()) && !matches!(pair.value.kind, ValueKind::Block { name: Some(_), .. }) {
            out.push(pair.clone());
            continue;
        }
        let position = out.iter().position(|p| p.key == pair.key && same_block_name(p, pair));
        match position {
            None => out.push(pair.clone()),
            Some(i) => out[i] = merge_pair(&out[i], pair),
        }
    }
    out
}

fn same_block_name(a: &Pair, b: &Pair) -> bool {
    a.block_name() == b.block_name()
}

fn merge_pair(base: &Pair, overlay: &Pair) -> Pair {
    let value = match (&base.value.kind, &overlay.value.kind) {
        (ValueKind::Block { items: b, .. }, ValueKind::Block { name, name_span, items: o }) => Value {
            kind: ValueKind::Block { name: name.clone(), name_span: *name_span, items: merge_items(b, o) },
            span: overlay.value.span,
        },
        (ValueKind::Expr(b), ValueKind::Expr(o)) if o.contains("${EXTENDED}") => {
            Value { kind: ValueKind::Expr(o.replace("${EXTENDED}", &format!("({b})"))), span: overlay.value.span }
        }
        (ValueKind::List(b), ValueKind::List(o)) if o.iter().any(is_extended_star) => {
            let mut items = Vec::new();
            for item in o {
                if is_extended_star(item) {
                    items.extend(b.iter().cloned());
                } else {
                    items.push(item.clone());
                }
            }
            Value { kind: ValueKind::List(items), span: overlay.value.span }
        }
        _ => overlay.value.clone(),
    };
    Pair { key: overlay.key.clone(), key_span: overlay.key_span, value }
}

fn is_extended_star(item: &ListItem) -> bool {
    matches!(item, ListItem::Value(v) if v.as_text() == Some("EXTENDED*"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lookml::{parse, FileId};

    fn defs(text: &str) -> (BTreeMap<String, Definition>, Vec<String>) {
        let doc = parse(FileId(0), text).unwrap();
        let mut d = Vec::new();
        let defs = definitions("view", doc.items.iter().filter(|p| p.key == "view"), &|_| "here".into(), &mut d);
        (defs, d.into_iter().map(|d| d.message).collect())
    }

    fn dim_sql<'a>(def: &'a Definition, name: &str) -> Option<&'a str> {
        def.items
            .iter()
            .find(|p| p.key == "dimension" && p.block_name() == Some(name))?
            .value
            .as_block()?
            .1
            .iter()
            .find(|p| p.key == "sql")?
            .value
            .as_text()
    }

    #[test]
    fn refinements_merge_by_name_and_override() {
        let (d, e) = defs("view: a { sql_table_name: t ;; dimension: x { sql: 1 ;; label: \"X\" } }\nview: +a { dimension: x { sql: 2 ;; } dimension: y {} }\nview: +a { sql_table_name: u ;; }");
        assert!(e.is_empty(), "{e:?}");
        let a = &d["a"];
        assert_eq!(a.get("sql_table_name").unwrap().value.as_text(), Some("u"));
        assert_eq!(dim_sql(a, "x"), Some("2"));
        let x = a.items.iter().find(|p| p.block_name() == Some("x")).unwrap().value.as_block().unwrap().1;
        assert!(x.iter().any(|p| p.key == "label"));
        assert!(a.items.iter().any(|p| p.block_name() == Some("y")));
    }

    #[test]
    fn extends_copy_bases_in_order_and_expand_extended() {
        let (d, e) = defs(
            "view: base { extension: required sql_table_name: t ;; dimension: x { sql: ${TABLE}.x ;; } set: s { fields: [x] } }\n\
             view: child { extends: [base] dimension: x { sql: UPPER(${EXTENDED}) ;; } set: s { fields: [EXTENDED*, y] } }",
        );
        assert!(e.is_empty(), "{e:?}");
        let child = &d["child"];
        assert!(!child.is_extension());
        assert!(d["base"].is_extension());
        assert_eq!(dim_sql(child, "x"), Some("UPPER((${TABLE}.x))"));
        let set = child.items.iter().find(|p| p.key == "set").unwrap().value.as_block().unwrap().1;
        assert_eq!(set[0].value.as_list().unwrap().len(), 2);
    }

    #[test]
    fn extends_cycles_and_missing_bases_are_errors() {
        let (_, e) = defs("view: a { extends: [b] }\nview: b { extends: [a] }\nview: c { extends: [nope] }");
        assert!(e.iter().any(|m| m.contains("extends itself")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("`nope`, which is not defined")), "{e:?}");
    }

    #[test]
    fn final_refinements_cannot_be_refined_again() {
        let (_, e) = defs("view: a {}\nview: +a { final: yes }\nview: +a { label: \"x\" }");
        assert!(e.iter().any(|m| m.contains("cannot be refined again")), "{e:?}");
    }
}
