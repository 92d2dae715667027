//! Any filter expression through every grammar and every dialect, with "now" near the edges of
//! the calendar: an error or SQL, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sql::filter::{condition, FilterGrammar};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let nows = [jiff::civil::date(2024, 5, 17).at(15, 30, 0, 0), jiff::civil::date(9999, 12, 31).at(23, 59, 59, 0), jiff::civil::date(-9999, 1, 1).at(0, 0, 0, 0)];
    for dialect in sql::DIALECTS.iter().filter_map(|d| sql::dialect_for(d)) {
        for grammar in [FilterGrammar::String, FilterGrammar::StringIgnoringCase, FilterGrammar::Number, FilterGrammar::YesNo, FilterGrammar::Date] {
            for now in nows {
                let _ = condition(grammar, "x", text, dialect, now);
            }
        }
    }
});
