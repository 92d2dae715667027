//! Loads a LookML project folder: lists its files once, reads `manifest.lkml`, finds the
//! `*.model.lkml` files, parses them, and follows their `include:` patterns transitively.
//!
//! Files are identified by their canonical path, so `a/../b/x.view` and `b/x.view` are one file,
//! parsed once however many models include it, and include cycles end. Include patterns are
//! matched against the file list (see [`crate::include_pattern`]), never reach outside the
//! project folder, and a symbolic-link loop is an error rather than a hang. `*.dashboard.lookml`
//! files are YAML and are read as LookML dashboards.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::ast::{Document, ValueKind};
use crate::dashboard::{parse_dashboards, LookmlDashboard};
use crate::diagnostic::Diagnostic;
use crate::include_pattern::{slash_path, IncludePattern, PatternError};
use crate::manifest::{read_manifest, substitute_constants, Manifest};
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
    /// LookML dashboards by the file that defines them.
    pub dashboards: HashMap<FileId, Vec<LookmlDashboard>>,
    pub manifest: Manifest,
    pub models: Vec<ModelSource>,
}

impl Project {
    pub fn document(&self, id: FileId) -> Option<&Document> {
        self.documents.get(&id)
    }
}

/// A file of the project folder: its root-relative `/`-separated path and its canonical path.
struct ProjectFile {
    relative: String,
    canonical: PathBuf,
}

/// Reads every model in `root` and what it includes. Problems come back as diagnostics beside
/// whatever could be loaded.
pub fn load_project(root: &Path) -> (Project, Vec<Diagnostic>) {
    let mut loader = Loader {
        project: Project { root: root.to_path_buf(), ..Default::default() },
        diagnostics: Vec::new(),
        files: Vec::new(),
        by_canonical: HashMap::new(),
    };
    let canonical_root = match root.canonicalize() {
        Ok(p) => p,
        Err(e) => {
            loader.diagnostics.push(Diagnostic::project(format!("cannot read the LookML project folder {}: {e}", root.display())));
            return (loader.project, loader.diagnostics);
        }
    };
    let mut visited = HashSet::from([canonical_root.clone()]);
    walk(root, &canonical_root, Path::new(""), &mut visited, &mut loader.files, &mut loader.diagnostics);
    loader.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    loader.read_manifest();
    let models: Vec<usize> = (0..loader.files.len()).filter(|&i| loader.files[i].relative.ends_with(".model.lkml")).collect();
    if models.is_empty() {
        loader.diagnostics.push(Diagnostic::project(format!("no *.model.lkml file in {}", root.display())));
    }
    for i in models {
        let Some(file) = loader.read(i) else { continue };
        let relative = &loader.files[i].relative;
        let base = relative.rsplit('/').next().unwrap_or(relative);
        let name = base.trim_end_matches(".model.lkml").to_string();
        let mut includes = Vec::new();
        let mut seen = HashSet::from([file]);
        loader.follow_includes(file, &mut includes, &mut seen);
        loader.project.models.push(ModelSource { name, file, includes });
    }
    for f in &loader.files {
        if f.relative.ends_with(".lookml") && !f.relative.ends_with(".dashboard.lookml") {
            loader.diagnostics.push(Diagnostic::project(format!(
                "{}: YAML LookML (`.lookml` files other than dashboards, Looker's retired first LookML) is not supported; convert it to `.lkml`",
                f.relative
            )));
        }
    }
    (loader.project, loader.diagnostics)
}

/// Lists the files under `dir` (hidden entries skipped), following symbolic links that stay
/// inside the project and reporting loops.
fn walk(
    dir: &Path,
    canonical_root: &Path,
    relative: &Path,
    visited: &mut HashSet<PathBuf>,
    out: &mut Vec<ProjectFile>,
    diagnostics: &mut Vec<Diagnostic>,
) {
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
        let Some(name) = path.file_name() else { continue };
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let shown = relative.join(name);
        let canonical = match path.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                diagnostics.push(Diagnostic::project(format!("{}: cannot resolve: {e}", shown.display())));
                continue;
            }
        };
        if !canonical.starts_with(canonical_root) {
            continue; // a link out of the project: its files are not the project's
        }
        if canonical.is_dir() {
            if !visited.insert(canonical.clone()) {
                diagnostics
                    .push(Diagnostic::project(format!("{}: symbolic link loop (it leads back to a folder already read)", shown.display())));
                continue;
            }
            walk(&path, canonical_root, &shown, visited, out, diagnostics);
        } else {
            out.push(ProjectFile { relative: slash_path(&shown), canonical });
        }
    }
}

struct Loader {
    project: Project,
    diagnostics: Vec<Diagnostic>,
    /// Every file of the folder, sorted by relative path.
    files: Vec<ProjectFile>,
    by_canonical: HashMap<PathBuf, FileId>,
}

impl Loader {
    fn read_manifest(&mut self) {
        let Some(i) = self.files.iter().position(|f| f.relative == "manifest.lkml") else { return };
        let Some(id) = self.read(i) else { return };
        let Some(doc) = self.project.documents.get(&id) else { return };
        let (manifest, diagnostics) = read_manifest(doc);
        self.project.manifest = manifest;
        self.diagnostics.extend(diagnostics);
    }

    /// Reads and parses `files[i]` once; later calls return the same id.
    fn read(&mut self, i: usize) -> Option<FileId> {
        let file = &self.files[i];
        if let Some(id) = self.by_canonical.get(&file.canonical) {
            return Some(*id);
        }
        let shown = PathBuf::from(&file.relative);
        let text = match std::fs::read_to_string(&file.canonical) {
            Ok(t) => t,
            Err(e) => {
                self.diagnostics.push(Diagnostic::project(format!("{}: cannot read: {e}", shown.display())));
                return None;
            }
        };
        let is_dashboard = file.relative.ends_with(".dashboard.lookml");
        let canonical = file.canonical.clone();
        let constants = &self.project.manifest.constants;
        let text = if is_dashboard && text.contains("@{") {
            let span = Span::new(FileId(self.project.sources.len() as u32), 0, 0);
            crate::manifest::substitute_text(&text, constants, span, &mut self.diagnostics).unwrap_or(text)
        } else {
            text
        };
        let id = self.project.sources.add(shown, text);
        self.by_canonical.insert(canonical, id);
        let text = &self.project.sources.file(id).text;
        if is_dashboard {
            match parse_dashboards(id, text) {
                Ok(d) => {
                    self.project.dashboards.insert(id, d);
                }
                Err(d) => self.diagnostics.push(d),
            }
        } else {
            match parse(id, text) {
                Ok(mut doc) => {
                    substitute_constants(&mut doc, &self.project.manifest.constants, &mut self.diagnostics);
                    self.project.documents.insert(id, doc);
                }
                Err(d) => self.diagnostics.push(d),
            }
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
        let path = slash_path(&self.project.sources.file(file).path);
        let dir = path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        for (pattern, span) in patterns {
            for i in self.resolve(&pattern, &dir, span) {
                if self.files[i].relative.ends_with(".model.lkml") {
                    let shown = self.files[i].relative.clone();
                    self.diagnostics.push(Diagnostic::error(
                        span,
                        format!("`include: \"{pattern}\"` matches the model file {shown}; a model cannot include another model"),
                    ));
                    continue;
                }
                let Some(id) = self.read(i) else { continue };
                if seen.insert(id) {
                    out.push(id);
                    self.follow_includes(id, out, seen);
                }
            }
        }
    }

    /// Indexes into `files` of the files `pattern` matches, in path order.
    fn resolve(&mut self, raw: &str, dir: &str, span: Span) -> Vec<usize> {
        let pattern = match IncludePattern::new(raw, dir) {
            Ok(p) => p,
            Err(PatternError::OutsideProject) => {
                self.diagnostics.push(Diagnostic::error(span, format!("`include: \"{raw}\"` reaches outside the project folder")));
                return Vec::new();
            }
            Err(PatternError::Empty) => {
                self.diagnostics.push(Diagnostic::error(span, "`include:` needs a file pattern"));
                return Vec::new();
            }
            Err(PatternError::ImportedProject) => {
                self.diagnostics.push(Diagnostic::error(
                    span,
                    format!("`include: \"{raw}\"` names an imported project; imported projects are not supported yet"),
                ));
                return Vec::new();
            }
        };
        let prefix = pattern.literal_prefix();
        let start = self.files.partition_point(|f| f.relative.as_str() < prefix);
        let found: Vec<usize> = (start..self.files.len())
            .take_while(|&i| self.files[i].relative.starts_with(prefix))
            .filter(|&i| {
                let r = &self.files[i].relative;
                (r.ends_with(".lkml") || r.ends_with(".lookml")) && pattern.matches(r)
            })
            .collect();
        if found.is_empty() {
            self.diagnostics.push(Diagnostic::warning(span, format!("`include: \"{raw}\"` matches no file")));
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
        assert!(d.iter().any(|d| d.message.contains("outside the project")), "{d:?}");
    }

    #[test]
    fn mutual_includes_across_folders_are_one_file_each() {
        let (p, d, _dir) = project(&[
            ("m.model.lkml", "include: \"a/x.view\""),
            ("a/x.view.lkml", "include: \"../b/c/y.view\"\nview: x {}"),
            ("b/c/y.view.lkml", "include: \"../../a/x.view\"\nview: y {}"),
        ]);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(p.models[0].includes.len(), 2);
        assert_eq!(p.sources.len(), 3);
    }

    #[test]
    fn looker_double_star_patterns_and_dashboards_load() {
        let (p, d, _dir) = project(&[
            ("m.model.lkml", "include: \"/views/**.view.lkml\"\ninclude: \"/dashboards/*.dashboard\""),
            ("views/deep/er/a.view.lkml", "view: a {}"),
            ("dashboards/x.dashboard.lookml", "- dashboard: x\n  title: X\n"),
        ]);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(p.models[0].includes.len(), 2);
        assert_eq!(p.dashboards.values().next().unwrap()[0].dashboard, "x");
    }

    #[test]
    fn manifest_constants_reach_models_and_dashboards() {
        let (p, d, _dir) = project(&[
            ("manifest.lkml", "constant: CONN { value: \"warehouse\" }"),
            ("m.model.lkml", "connection: \"@{CONN}\"\ninclude: \"*.dashboard\""),
            ("x.dashboard.lookml", "- dashboard: x\n  title: \"@{CONN}\"\n"),
        ]);
        assert!(d.is_empty(), "{d:?}");
        let model = p.document(p.models[0].file).unwrap();
        assert_eq!(model.items[0].value.as_text(), Some("warehouse"));
        assert_eq!(p.dashboards.values().next().unwrap()[0].title.as_deref(), Some("warehouse"));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_an_error_not_a_hang() {
        let (_, _, dir) = project(&[("m.model.lkml", "include: \"/**/*.view\""), ("views/a.view.lkml", "view: a {}")]);
        std::os::unix::fs::symlink(dir.path.join("views"), dir.path.join("views/again")).unwrap();
        let (p, d) = load_project(&dir.path);
        assert!(d.iter().any(|d| d.message.contains("symbolic link loop")), "{d:?}");
        assert_eq!(p.models[0].includes.len(), 1);
    }

    #[test]
    fn syntax_errors_in_included_files_are_located() {
        let (p, d, _dir) = project(&[("m.model.lkml", "include: \"v.view\""), ("v.view.lkml", "view: v {\n dimension: x {\n")]);
        assert_eq!(d.len(), 1);
        assert!(d[0].render(&p.sources).starts_with("v.view.lkml:3:1:"));
    }
}
