//! How long each phase of one run took: what `GET /metrics` sums over all runs, kept for one
//! query task and shown on it (`phases`, beside Looker's fields), so that a slow task says where
//! its time went — its place in the queue, the compiler, the result cache, its turn on the
//! connection, the database, or the formatter.

use std::fmt::Write;

use crate::metrics::Phase;

/// Seconds by phase; a phase the run did not go through has none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings([Option<f64>; Phase::ALL.len()]);

impl Timings {
    pub(crate) fn set(&mut self, phase: Phase, seconds: f64) {
        self.0[phase as usize] = Some(seconds.max(0.0));
    }

    /// Takes the phases `other` has (a shared run's, say) and this one does not.
    pub(crate) fn add(&mut self, other: &Timings) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine = mine.or(theirs);
        }
    }

    /// A JSON object of seconds (to the microsecond) by phase name, in the order phases happen.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for phase in Phase::ALL {
            if let Some(seconds) = self.0[phase as usize] {
                if out.len() > 1 {
                    out.push(',');
                }
                let _ = write!(out, "\"{}\":{:.6}", phase.name(), seconds);
            }
        }
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_written_in_order_and_merged() {
        let mut t = Timings::default();
        assert_eq!(t.to_json(), "{}");
        t.set(Phase::Database, 0.25);
        t.set(Phase::Queue, 0.0000014);
        let mut shared = Timings::default();
        shared.set(Phase::Database, 9.0);
        shared.set(Phase::Format, 0.5);
        t.add(&shared);
        assert_eq!(t.to_json(), r#"{"queue":0.000001,"database":0.250000,"format":0.500000}"#);
        let parsed: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(parsed["format"], 0.5);
        assert_eq!(parsed["nope"], serde_json::Value::Null);
        assert_eq!(parsed["database"], 0.25);
    }
}
