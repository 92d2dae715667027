//! Amazon Redshift: PostgreSQL's printing, with Redshift's own string escapes, aggregates and
//! no JSONB. Printed and pinned by golden tests; no driver yet.

use semantic::{Datatype, Interval, Timeframe};

use super::{hashed_keyed_aggregate, Calendar, Dialect, KeyedAggregate, Postgres, Unsupported};

#[derive(Debug, Default, Clone, Copy)]
pub struct Redshift;

impl Dialect for Redshift {
    fn name(&self) -> &'static str {
        "redshift"
    }

    /// Redshift strings treat `\` as an escape, so it is doubled along with quotes.
    fn string_literal(&self, value: &str) -> String {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    }

    /// The pattern's `\` escapes are Redshift's default LIKE escape; the literal doubles them.
    fn like(&self, expr: &str, pattern: &str) -> String {
        format!("{expr} LIKE {}", self.string_literal(pattern))
    }

    fn timeframe(&self, timeframe: Timeframe, expr: &str, calendar: Calendar) -> String {
        Postgres.timeframe(timeframe, expr, calendar)
    }

    fn to_timestamp(&self, datatype: Datatype, expr: &str) -> String {
        match datatype {
            Datatype::Epoch => format!("(TIMESTAMP 'epoch' + ({expr}) * INTERVAL '1 second')"),
            other => Postgres.to_timestamp(other, expr),
        }
    }

    fn convert_tz(&self, expr: &str, from: &str, to: &str) -> Result<String, Unsupported> {
        Ok(format!("CONVERT_TIMEZONE({}, {}, CAST({expr} AS TIMESTAMP))", self.string_literal(from), self.string_literal(to)))
    }

    fn add_interval(&self, interval: Interval, n: &str, expr: &str) -> String {
        format!("DATEADD({}, CAST({n} AS INTEGER), CAST({expr} AS TIMESTAMP))", interval.name())
    }

    fn duration(&self, interval: Interval, start: &str, end: &str) -> String {
        let (s, e) = (start, end);
        let months = format!("(DATEDIFF(month, {s}, {e}) - CASE WHEN DATE_PART(day, {e}) < DATE_PART(day, {s}) THEN 1 ELSE 0 END)");
        match interval {
            Interval::Second => format!("DATEDIFF(second, {s}, {e})"),
            Interval::Minute => format!("FLOOR(DATEDIFF(second, {s}, {e}) / 60.0)"),
            Interval::Hour => format!("FLOOR(DATEDIFF(second, {s}, {e}) / 3600.0)"),
            Interval::Day => format!("DATEDIFF(day, CAST({s} AS DATE), CAST({e} AS DATE))"),
            Interval::Week => format!("FLOOR(DATEDIFF(day, CAST({s} AS DATE), CAST({e} AS DATE)) / 7.0)"),
            Interval::Month => months,
            Interval::Quarter => format!("FLOOR({months} / 3.0)"),
            Interval::Year => format!("FLOOR({months} / 12.0)"),
        }
    }

    fn keyed_aggregate(&self, aggregate: KeyedAggregate, value: &str, key: &str) -> Result<String, Unsupported> {
        let hash = format!(
            "(CAST(STRTOL(LEFT(MD5(CAST({key} AS VARCHAR)), 15), 16) AS DECIMAL(38, 0)) * 1.0e8 + CAST(STRTOL(RIGHT(MD5(CAST({key} AS VARCHAR)), 15), 16) AS DECIMAL(38, 0)))"
        );
        hashed_keyed_aggregate(aggregate, value, key, &hash, "DECIMAL(38, 0)", "1000000.0", "Redshift")
    }

    fn median(&self, value: &str) -> Result<String, Unsupported> {
        Ok(format!("MEDIAN({value})"))
    }

    fn percentile(&self, value: &str, fraction: f64) -> Result<String, Unsupported> {
        Ok(format!("PERCENTILE_CONT({fraction}) WITHIN GROUP (ORDER BY {value})"))
    }

    fn list(&self, value: &str) -> String {
        format!("LISTAGG(DISTINCT CAST({value} AS VARCHAR), ', ') WITHIN GROUP (ORDER BY CAST({value} AS VARCHAR))")
    }

    fn approximate_count_distinct(&self, value: &str) -> String {
        format!("APPROXIMATE COUNT(DISTINCT {value})")
    }
}
