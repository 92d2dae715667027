//! Any text through the LookML lexer and parser, then dashboards' YAML: no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lookml::parse(lookml::FileId(0), text);
        let _ = lookml::dashboard::parse_dashboards(lookml::FileId(0), text);
        let _ = lookml::include_pattern::IncludePattern::new(text, "views").map(|p| p.matches("views/a/b.view.lkml"));
    }
});
