//! Loads a LookML project folder: finds the `*.model.lkml` files, parses them, and follows their
//! `include:` patterns (globs with `*` and `**`, relative or from the project root) transitively.
//!
//! Every file is parsed once however many models include it. Include patterns may not reach
//! outside the project folder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::ast::{Document, ValueKind};
use crate::diagnostic::Diagnostic;
use crate::parser::parse;
use crate::source::{FileId, SourceMap, Span};

/// One model: its file and every file it includes, transitively, in include order.
#[derive(Debug, Clone)]
pub struct ModelSource {
    pub name: String,
    pub file: FileId,
    pub includes: Vec<FileId>,
}

#[derive(Debug, Default)]
pub struct Project {
    pub root: PathBuf,
    pub sources: SourceMap,
    pub documents: HashMap<FileId, Document>,
    pub models: Vec<ModelSource>,
}

impl Project {
    pub fn document(&self, id: FileId) -> Option<&Document> {
        self.documents.get(&id)
    }
}

/// Reads every model in `root` and what it includes. Problems come back as diagnostics beside
/// whatever could be loaded.
pub fn load_project(root: &Path) -> (Project, Vec<Diagnostic>) {
    let mut loader =
        Loader { project: Project { root: root.to_path_buf(), ..Default::default() }, diagnostics: Vec::new(), canonical_root: None };
    loader.canonical_root = match root.canonicalize() {
        Ok(p) => Some(p),
        Err(e) => {
            loader.diagnostics.push(Diagnostic::project(format!("cannot read the LookML project folder {}: {e}", root.display())));
            return (loader.project, loader.diagnostics);
        }
    };
    let mut model_paths = Vec::new();
    walk(root, &mut model_paths, &mut loader.diagnostics);
    model_paths.retain(|p| p.to_string_lossy().ends_with(".model.lkml"));
    model_paths.sort();
    if model_paths.is_empty() {
        loader.diagnostics.push(Diagnostic::project(format!("no *.model.lkml file in {}", root.display())));
    }
    for path in model_paths {
        let Some(file) = loader.load(&path) else { continue };
        let name = path.file_name().map(|n| n.to_string_lossy().trim_end_matches(".model.lkml").to_string()).unwrap_or_default();
        let mut includes = Vec::new();
        let mut seen = HashSet::from([file]);
        loader.follow_includes(file, &mut includes, &mut seen);
        loader.project.models.push(ModelSource { name, file, includes });
    }
    (loader.project, loader.diagnostics)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diagnostics.push(Diagnostic::project(format!("cannot read {}: {e}", dir.display())));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out, diagnostics);
        } else {
            out.push(path);
        }
    }
}

struct Loader {
    project: Project,
    diagnostics: Vec<Diagnostic>,
    canonical_root: Option<PathBuf>,
}

impl Loader {
    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.project.root).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
    }

    /// Parses a file once; later calls return the same id.
    fn load(&mut self, path: &Path) -> Option<FileId> {
        let shown = self.relative(path);
        if let Some(id) = self.project.sources.find(&shown) {
            return Some(id);
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.diagnostics.push(Diagnostic::project(format!("{}: cannot read: {e}", shown.display())));
                return None;
            }
        };
        let id = self.project.sources.add(shown, text);
        match parse(id, &self.project.sources.file(id).text) {
            Ok(doc) => {
                self.project.documents.insert(id, doc);
            }
            Err(d) => self.diagnostics.push(d),
        }
        Some(id)
    }

    fn follow_includes(&mut self, file: FileId, out: &mut Vec<FileId>, seen: &mut HashSet<FileId>) {
        let patterns: Vec<(String, Span)> = match self.project.documents.get(&file) {
            Some(doc) => doc
                .items
                .iter()
                .filter(|p| p.key == "include")
                .filter_map(|p| match &p.value.kind {
                    ValueKind::Scalar { text, .. } => Some((text.clone(), p.value.span)),
                    _ => None,
                })
                .collect(),
            None => return,
        };
        let dir = self.project.root.join(self.project.sources.file(file).path.parent().unwrap_or(Path::new("")));
        for (pattern, span) in patterns {
            let matches = self.resolve(&pattern, &dir, span);
            for path in matches {
                if path.to_string_lossy().ends_with(".model.lkml") {
                    self.diagnostics.push(Diagnostic::error(
                        span,
                        format!(
                            "`include: \"{pattern}\"` matches the model file {}; a model cannot include another model",
                            self.relative(&path).display()
                        ),
                    ));
                    continue;
                }
                let Some(id) = self.load(&path) else { continue };
                if seen.insert(id) {
                    out.push(id);
                    self.follow_includes(id, out, seen);
                }
            }
        }
    }

    fn resolve(&mut self, pattern: &str, dir: &Path, span: Span) -> Vec<PathBuf> {
        let mut full = match pattern.strip_prefix('/') {
            Some(rest) => self.project.root.join(rest),
            None => dir.join(pattern.strip_prefix("./").unwrap_or(pattern)),
        }
        .to_string_lossy()
        .into_owned();
        if !(full.ends_with(".lkml") || full.ends_with(".lookml")) {
            full.push_str(".lkml");
        }
        let paths = match glob::glob(&full) {
            Ok(paths) => paths,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(span, format!("`include: \"{pattern}\"` is not a valid pattern: {e}")));
                return Vec::new();
            }
        };
        let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).filter(|p| p.is_file()).collect();
        found.sort();
        let root = self.canonical_root.clone();
        let before = found.len();
        found.retain(|p| match (&root, p.canonicalize()) {
            (Some(root), Ok(c)) => c.starts_with(root),
            _ => false,
        });
        if found.len() < before {
            self.diagnostics.push(Diagnostic::error(span, format!("`include: \"{pattern}\"` reaches outside the project folder")));
        }
        if found.is_empty() && before == 0 {
            self.diagnostics.push(Diagnostic::warning(span, format!("`include: \"{pattern}\"` matches no file")));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> (Project, Vec<Diagnostic>, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        for (path, text) in files {
            let full = dir.path.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        let (p, d) = load_project(&dir.path);
        (p, d, dir)
    }

    mod tempdir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!("lookml-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
                std::fs::create_dir_all(&path).unwrap();
                Dir { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[test]
    fn includes_follow_globs_relative_and_from_root() {
        let (p, d, _dir) = project(&[
            ("shop.model.lkml", "include: \"/views/*.view\"\ninclude: \"explores/**/*.explore.lkml\""),
            ("views/a.view.lkml", "view: a {}"),
            ("views/b.view.lkml", "include: \"c.view\"\nview: b {}"),
            ("views/c.view.lkml", "view: c {}"),
            ("explores/deep/x.explore.lkml", "explore: a {}"),
        ]);
        assert!(d.is_empty(), "{d:?}");
        let names: Vec<String> = p.models[0].includes.iter().map(|id| p.sources.file(*id).path.display().to_string()).collect();
        assert_eq!(names, ["views/a.view.lkml", "views/b.view.lkml", "views/c.view.lkml", "explores/deep/x.explore.lkml"]);
    }

    #[test]
    fn a_file_included_twice_is_parsed_once() {
        let (p, _, _dir) = project(&[("m.model.lkml", "include: \"*.view\"\ninclude: \"a.view.lkml\""), ("a.view.lkml", "view: a {}")]);
        assert_eq!(p.models[0].includes.len(), 1);
        assert_eq!(p.documents.len(), 2);
    }

    #[test]
    fn a_pattern_matching_nothing_is_a_located_warning() {
        let (p, d, _dir) = project(&[("m.model.lkml", "connection: \"x\"\ninclude: \"nope/*.view\"")]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].render(&p.sources), "m.model.lkml:2:10: warning: `include: \"nope/*.view\"` matches no file");
    }

    #[test]
    fn includes_cannot_escape_the_project() {
        let (_, d, _dir) = project(&[("sub/m.model.lkml", "include: \"../../**/*.view\"")]);
        assert!(d.iter().any(|d| d.message.contains("outside the project") || d.message.contains("matches no file")));
    }

    #[test]
    fn syntax_errors_in_included_files_are_located() {
        let (p, d, _dir) = project(&[("m.model.lkml", "include: \"v.view\""), ("v.view.lkml", "view: v {\n dimension: x {\n")]);
        assert_eq!(d.len(), 1);
        assert!(d[0].render(&p.sources).starts_with("v.view.lkml:3:1:"));
    }
}
