//! `include:` patterns as Looker reads them, matched against the project's file list.
//!
//! Looker's wildcards are not shell globs: `*` matches any characters within one path segment,
//! and `**` matches any characters across segments, so `/views/**.view.lkml` (found in Looker's own
//! blocks) means "any `.view.lkml` file anywhere under `views/`", and `/**/x.view` also matches a
//! `x.view.lkml` at the root. Patterns are normalised lexically (`a/../b` is `b`) before matching,
//! so one file is never taken for two, and a pattern that climbs above the project root is refused.

use std::path::Path;

/// A normalised, root-relative pattern such as `views/**/*.view.lkml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludePattern {
    /// The pattern with `/` separators, no leading `/`, no `.` or `..` segments.
    pattern: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    /// `..` segments climb above the project root.
    OutsideProject,
    Empty,
    /// `//other_project/…`: files of an imported project.
    ImportedProject,
}

impl IncludePattern {
    /// `raw` as written in `include:`; `dir` is the including file's folder relative to the root
    /// (`/`-separated, empty for the root).
    pub fn new(raw: &str, dir: &str) -> Result<IncludePattern, PatternError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PatternError::Empty);
        }
        if raw.starts_with("//") {
            return Err(PatternError::ImportedProject);
        }
        let joined = match raw.strip_prefix('/') {
            Some(rest) => rest.to_string(),
            None if dir.is_empty() => raw.to_string(),
            None => format!("{dir}/{raw}"),
        };
        let mut segments: Vec<&str> = Vec::new();
        for segment in joined.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    if segments.pop().is_none() {
                        return Err(PatternError::OutsideProject);
                    }
                }
                s => segments.push(s),
            }
        }
        if segments.is_empty() {
            return Err(PatternError::Empty);
        }
        Ok(IncludePattern { pattern: segments.join("/") })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The characters before the first wildcard: every match starts with them.
    pub fn literal_prefix(&self) -> &str {
        let end = self.pattern.find('*').unwrap_or(self.pattern.len());
        &self.pattern[..end]
    }

    /// Whether `path` (root-relative, `/`-separated) matches. The file extension may be left
    /// out of the pattern: `orders.view` matches `orders.view.lkml`, `*.dashboard` matches
    /// `x.dashboard.lookml`.
    pub fn matches(&self, path: &str) -> bool {
        let p = self.pattern.as_bytes();
        if wildcard_match(p, path.as_bytes()) {
            return true;
        }
        for ext in [".lkml", ".lookml"] {
            if let Some(stem) = path.strip_suffix(ext) {
                if !self.pattern.ends_with(ext) && wildcard_match(p, stem.as_bytes()) {
                    return true;
                }
            }
        }
        false
    }
}

/// Matches with `*` (no `/`) and `**` (anything, and `**/` may match nothing). Iterative with
/// a table of reachable states, so the cost is at most pattern length × path length.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    // reachable[j]: the pattern prefix read so far can match text[..j].
    let mut reachable = vec![false; text.len() + 1];
    reachable[0] = true;
    let mut i = 0;
    while i < pattern.len() {
        let mut next = vec![false; text.len() + 1];
        if pattern[i] == b'*' {
            let double = pattern.get(i + 1) == Some(&b'*');
            let mut carried = false;
            for j in 0..=text.len() {
                if reachable[j] {
                    carried = true;
                }
                if carried {
                    next[j] = true;
                }
                // `*` stops at `/`; `**` does not.
                if j < text.len() && text[j] == b'/' && !double {
                    carried = false;
                }
            }
            i += if double { 2 } else { 1 };
            if double && pattern.get(i) == Some(&b'/') {
                // `**/` may also match no folder at all: keep the states before the `/` too.
                let mut after = vec![false; text.len() + 1];
                for j in 0..=text.len() {
                    if next[j] && j > 0 && text[j - 1] == b'/' {
                        after[j] = true;
                    }
                    if reachable[j] {
                        after[j] = true;
                    }
                }
                next = after;
                i += 1;
            }
        } else {
            for j in 0..text.len() {
                if reachable[j] && text[j] == pattern[i] {
                    next[j + 1] = true;
                }
            }
            i += 1;
        }
        reachable = next;
        if !reachable.contains(&true) {
            return false;
        }
    }
    reachable[text.len()]
}

/// A root-relative path as `/`-separated text, the form patterns match against.
pub fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, dir: &str, path: &str) -> bool {
        IncludePattern::new(pattern, dir).unwrap().matches(path)
    }

    #[test]
    fn single_star_stays_in_one_segment() {
        assert!(m("/views/*.view", "", "views/orders.view.lkml"));
        assert!(!m("/views/*.view", "", "views/deep/orders.view.lkml"));
        assert!(m("*base.view", "views", "views/order_base.view.lkml"));
    }

    #[test]
    fn double_star_crosses_segments_and_may_match_none() {
        assert!(m("/views/**.view.lkml", "", "views/a/b/orders.view.lkml"));
        assert!(m("/views/**.view.lkml", "", "views/orders.view.lkml"));
        assert!(m("/**/*.view", "", "orders.view.lkml"));
        assert!(m("/**/*.view", "", "a/b/orders.view.lkml"));
        assert!(m("explores/**/*.explore.lkml", "", "explores/deep/x.explore.lkml"));
        assert!(!m("/views/**.view.lkml", "", "other/orders.view.lkml"));
    }

    #[test]
    fn extensions_may_be_left_out() {
        assert!(m("/dashboards/*.dashboard", "", "dashboards/x.dashboard.lookml"));
        assert!(m("orders.view", "", "orders.view.lkml"));
        assert!(!m("orders.view.lkml", "", "orders.view.lkml.lkml"));
    }

    #[test]
    fn relative_patterns_are_normalised() {
        assert_eq!(IncludePattern::new("../b/c/y.view", "a").unwrap().as_str(), "b/c/y.view");
        assert_eq!(IncludePattern::new("../../a/x.view", "b/c").unwrap().as_str(), "a/x.view");
        assert_eq!(IncludePattern::new("./x.view", "a").unwrap().as_str(), "a/x.view");
        assert_eq!(IncludePattern::new("../../x", "a"), Err(PatternError::OutsideProject));
        assert_eq!(IncludePattern::new("//dep/views/*.view", ""), Err(PatternError::ImportedProject));
    }

    #[test]
    fn long_patterns_match_in_bounded_time() {
        let pattern = "*a".repeat(200);
        let text = "a".repeat(199);
        assert!(!wildcard_match(pattern.as_bytes(), text.as_bytes()));
    }

    #[test]
    fn literal_prefix_stops_at_the_first_wildcard() {
        assert_eq!(IncludePattern::new("/views/*.view", "").unwrap().literal_prefix(), "views/");
    }
}
