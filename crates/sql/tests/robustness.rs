//! Generated input through the parsers and filter grammars in every CI run: errors, never a
//! panic or a hang. (The cargo-fuzz targets in `fuzz/` search the same entry points further.)

use sightline_sql::filter::{condition, FilterGrammar};
use sightline_sql::{dialect_for, DIALECTS};

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const FILTER_WORDS: &[&str] = &[
    "20000",
    "years",
    "ago",
    "-99999999999",
    "99999999999999999999",
    "last",
    "this",
    "next",
    "to",
    "for",
    "from",
    "now",
    "today",
    "yesterday",
    "tomorrow",
    "before",
    "after",
    "week",
    "month",
    "quarter",
    "fiscal",
    "monday",
    "1",
    "0",
    "-",
    ",",
    "^",
    "%",
    "_",
    "[",
    "]",
    "(",
    ")",
    "NULL",
    "EMPTY",
    "NOT",
    "2024-02-30",
    "2024-13",
    "9999-12-31",
    "0000-01-01",
    "23:59:60",
    "Q5",
    "FY2024",
    "1e308",
    "NaN",
    "inf",
    "\"",
    "'",
    "\\",
    "\0",
    "é",
    "🙂",
    " ",
    "days",
    "hours",
    "minutes",
    "seconds",
    "-5",
    ".5",
    "yes",
    "no",
];

const LOOKML_WORDS: &[&str] = &[
    "view:",
    "explore:",
    "dimension:",
    "measure:",
    "sql:",
    ";;",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "#",
    "\n",
    "name",
    "type: number",
    "include:",
    "\"*.view\"",
    "${TABLE}",
    "${a.b}",
    "{%",
    "%}",
    "{{",
    "}}",
    "if",
    "endif",
    "condition",
    "endcondition",
    "- dashboard: x",
    "elements:",
    "  - name: y",
    "!!null ''",
    "@{",
    "+orders",
    "\\",
    "é",
    "\0",
];

fn phrase(rng: &mut Rng, words: &[&str], max: u64) -> String {
    let n = rng.next() % max;
    let mut out = String::new();
    for _ in 0..n {
        out.push_str(rng.pick(words));
        if rng.next().is_multiple_of(3) {
            out.push(' ');
        }
    }
    out
}

#[test]
fn filter_grammars_never_panic() {
    let mut rng = Rng(0x5EED_1234_ABCD);
    let nows = [
        jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0),
        jiff::civil::date(9999, 12, 31).at(23, 59, 59, 0),
        jiff::civil::date(-9999, 1, 1).at(0, 0, 0, 0),
    ];
    let grammars =
        [FilterGrammar::String, FilterGrammar::StringIgnoringCase, FilterGrammar::Number, FilterGrammar::YesNo, FilterGrammar::Date];
    for known in ["20000 years ago", "last 99999999999 days", "9999-12-31 for 5 years", "-99999999999 to 99999999999999999999"] {
        for now in nows {
            let _ = condition(FilterGrammar::Date, "x", known, dialect_for("duckdb").unwrap(), now);
        }
    }
    for _ in 0..4000 {
        let text = phrase(&mut rng, FILTER_WORDS, 8);
        for name in DIALECTS {
            let dialect = dialect_for(name).unwrap();
            for grammar in grammars {
                for now in nows {
                    let _ = condition(grammar, "x", &text, dialect, now);
                }
            }
        }
    }
}

#[test]
fn lookml_dashboards_and_liquid_never_panic() {
    let mut rng = Rng(0xC0FF_EE00_1111);
    for _ in 0..4000 {
        let text = phrase(&mut rng, LOOKML_WORDS, 30);
        let _ = lookml::parse(lookml::FileId(0), &text);
        let _ = lookml::dashboard::parse_dashboards(lookml::FileId(0), &text);
        let _ = semantic::liquid::parse_liquid(&text);
        let _ = lookml::include_pattern::IncludePattern::new(&text, "a/b").map(|p| p.matches("a/b/c.view.lkml"));
    }
}

const EXPRESSION_WORDS: &[&str] = &[
    "${users.age}",
    "${users.state}",
    "${order_items.count}",
    "${nope.x}",
    "${",
    "}",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "=",
    "!=",
    ">=",
    "<",
    "AND",
    "OR",
    "NOT",
    "yes",
    "no",
    "null",
    "1",
    "2.5",
    "\"a\"",
    "\"",
    "`7 days`",
    "`",
    "if",
    "case",
    "when",
    "coalesce",
    "is_null",
    "concat",
    "contains",
    "round",
    "matches_filter",
    "now",
    "#",
    "\n",
    "{{",
    "{%",
    "é",
];

/// Generated Looker expressions as filter expressions and custom dimensions, in every dialect.
#[test]
fn expressions_never_panic() {
    use std::path::Path;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/thelook");
    let (project, _) = lookml::load_project(&root);
    let catalog = semantic::build_catalog(&project).0;
    let model = &catalog.models["thelook"];
    let now = jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0);
    let mut rng = Rng(0x005e_ed0f_e7e5);
    for _ in 0..3_000 {
        let text = phrase(&mut rng, EXPRESSION_WORDS, 14);
        for name in DIALECTS {
            let Some(dialect) = dialect_for(name) else { continue };
            let spec = sightline_sql::QuerySpec {
                model: "thelook".into(),
                view: "order_items".into(),
                fields: vec!["users.state".into(), "custom".into(), "order_items.count".into()],
                filter_expression: Some(text.clone()),
                custom_fields: vec![sightline_sql::CustomField {
                    name: "custom".into(),
                    label: "Custom".into(),
                    kind: sightline_sql::CustomKind::Dimension { expression: text.clone() },
                    value_format: None,
                    value_format_name: None,
                }],
                ..Default::default()
            };
            let _ = sightline_sql::compile(model, &spec, dialect, now);
        }
    }
}
