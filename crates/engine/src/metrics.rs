//! Counters of the task engine, exposed by the API as Prometheus text (`GET /metrics`): tasks
//! queued, running and finished by kind and outcome, how long they took, and how many runs were
//! shared with an identical one already in flight, how many query tasks were killed, result
//! cache hits and misses, and the time each phase of a run takes. Plain atomics: no metrics library to build.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the task duration histogram's buckets.
const BUCKETS: [f64; 13] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds.
    sum: AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add((seconds.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// One kind of task (`query` or `render`).
#[derive(Debug, Default)]
struct KindMetrics {
    queued: AtomicU64,
    /// Taken from the queue but not run: the task had ended meanwhile.
    skipped: AtomicU64,
    started: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    seconds: Histogram,
}

#[derive(Debug, Default)]
pub struct Metrics {
    query: KindMetrics,
    render: KindMetrics,
    shared_runs: AtomicU64,
    killed: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    phases: [Histogram; Phase::ALL.len()],
    /// The memory budget for results in flight, reported as gauges.
    memory: std::sync::OnceLock<std::sync::Arc<crate::memory::MemoryBudget>>,
}

/// The phases of a run, each timed on its own.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    /// From a task's creation to a worker claiming it.
    Queue,
    /// The query compiled to SQL.
    Compile,
    /// The result cache looked in (trigger values read).
    Cache,
    /// Waiting for the connection's `max_queries` or the user's `max_queries_per_user`.
    Turn,
    /// The statements run and their rows read.
    Database,
    /// The rows written in the result format.
    Format,
    /// A task's result and state written to the store.
    Store,
}

impl Phase {
    pub(crate) const ALL: [Phase; 7] =
        [Phase::Queue, Phase::Compile, Phase::Cache, Phase::Turn, Phase::Database, Phase::Format, Phase::Store];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Queue => "queue",
            Phase::Compile => "compile",
            Phase::Cache => "cache",
            Phase::Turn => "turn",
            Phase::Database => "database",
            Phase::Format => "format",
            Phase::Store => "store",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum TaskKind {
    Query,
    Render,
}

impl Metrics {
    fn kind(&self, kind: TaskKind) -> &KindMetrics {
        match kind {
            TaskKind::Query => &self.query,
            TaskKind::Render => &self.render,
        }
    }

    pub(crate) fn queued(&self, kind: TaskKind) {
        self.kind(kind).queued.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn skipped(&self, kind: TaskKind) {
        self.kind(kind).skipped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn started(&self, kind: TaskKind) {
        self.kind(kind).started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, kind: TaskKind, succeeded: bool, seconds: f64) {
        let k = self.kind(kind);
        if succeeded { &k.succeeded } else { &k.failed }.fetch_add(1, Ordering::Relaxed);
        k.seconds.observe(seconds);
    }

    pub(crate) fn shared_run(&self) {
        self.shared_runs.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn phase(&self, phase: Phase, seconds: f64) {
        self.phases[phase as usize].observe(seconds);
    }

    pub(crate) fn killed(&self) {
        self.killed.fetch_add(1, Ordering::Relaxed);
    }

    /// Reports `budget` (its use and its limit) from now on.
    pub(crate) fn watch_memory(&self, budget: &std::sync::Arc<crate::memory::MemoryBudget>) {
        let _ = self.memory.set(std::sync::Arc::clone(budget));
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        if let Some(budget) = self.memory.get() {
            out.push_str(
                "# HELP sightline_result_memory_bytes Bytes of rows held by runs in flight.\n# TYPE sightline_result_memory_bytes gauge\n",
            );
            let _ = writeln!(out, "sightline_result_memory_bytes {}", budget.used());
            out.push_str("# HELP sightline_result_memory_limit_bytes The budget for them (--max-result-memory).\n# TYPE sightline_result_memory_limit_bytes gauge\n");
            let _ = writeln!(out, "sightline_result_memory_limit_bytes {}", budget.limit());
        }
        out.push_str("# HELP sightline_tasks_queued Tasks waiting for a worker.\n# TYPE sightline_tasks_queued gauge\n");
        for (name, k) in [("query", &self.query), ("render", &self.render)] {
            let taken = k.started.load(Ordering::Relaxed) + k.skipped.load(Ordering::Relaxed);
            let waiting = k.queued.load(Ordering::Relaxed).saturating_sub(taken);
            let _ = writeln!(out, "sightline_tasks_queued{{kind=\"{name}\"}} {waiting}");
        }
        out.push_str("# HELP sightline_tasks_running Tasks a worker is running.\n# TYPE sightline_tasks_running gauge\n");
        for (name, k) in [("query", &self.query), ("render", &self.render)] {
            let done = k.succeeded.load(Ordering::Relaxed) + k.failed.load(Ordering::Relaxed);
            let _ = writeln!(out, "sightline_tasks_running{{kind=\"{name}\"}} {}", k.started.load(Ordering::Relaxed).saturating_sub(done));
        }
        out.push_str("# HELP sightline_tasks_finished_total Tasks finished, by outcome.\n# TYPE sightline_tasks_finished_total counter\n");
        for (name, k) in [("query", &self.query), ("render", &self.render)] {
            let _ = writeln!(
                out,
                "sightline_tasks_finished_total{{kind=\"{name}\",outcome=\"success\"}} {}",
                k.succeeded.load(Ordering::Relaxed)
            );
            let _ =
                writeln!(out, "sightline_tasks_finished_total{{kind=\"{name}\",outcome=\"failure\"}} {}", k.failed.load(Ordering::Relaxed));
        }
        out.push_str(
            "# HELP sightline_task_seconds Time from a worker taking a task to its end.\n# TYPE sightline_task_seconds histogram\n",
        );
        for (name, k) in [("query", &self.query), ("render", &self.render)] {
            k.seconds.write(&mut out, "sightline_task_seconds", &format!("kind=\"{name}\""));
        }
        out.push_str("# HELP sightline_shared_runs_total Query runs served by an identical run already in flight.\n# TYPE sightline_shared_runs_total counter\n");
        let _ = writeln!(out, "sightline_shared_runs_total {}", self.shared_runs.load(Ordering::Relaxed));
        out.push_str("# HELP sightline_query_tasks_killed_total Query tasks killed, waiting or running.\n# TYPE sightline_query_tasks_killed_total counter\n");
        let _ = writeln!(out, "sightline_query_tasks_killed_total {}", self.killed.load(Ordering::Relaxed));
        out.push_str("# HELP sightline_result_cache_requests_total Runs that looked in the result cache, by outcome (hit ratio = hit / total).\n# TYPE sightline_result_cache_requests_total counter\n");
        let _ = writeln!(out, "sightline_result_cache_requests_total{{outcome=\"hit\"}} {}", self.cache_hits.load(Ordering::Relaxed));
        let _ = writeln!(out, "sightline_result_cache_requests_total{{outcome=\"miss\"}} {}", self.cache_misses.load(Ordering::Relaxed));
        out.push_str("# HELP sightline_phase_seconds Time spent in each phase of a run: queue (tasks), compile, cache, turn (waiting for max_queries), database, format, store (tasks).\n# TYPE sightline_phase_seconds histogram\n");
        for phase in Phase::ALL {
            self.phases[phase as usize].write(&mut out, "sightline_phase_seconds", &format!("phase=\"{}\"", phase.name()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_add_up() {
        let m = Metrics::default();
        m.queued(TaskKind::Query);
        m.queued(TaskKind::Query);
        m.started(TaskKind::Query);
        m.finished(TaskKind::Query, true, 0.2);
        m.phase(Phase::Database, 0.03);
        let text = m.prometheus();
        assert!(text.contains("sightline_phase_seconds_bucket{phase=\"database\",le=\"0.05\"} 1\n"), "{text}");
        assert!(text.contains("sightline_phase_seconds_count{phase=\"format\"} 0\n"));
        assert!(text.contains("sightline_tasks_queued{kind=\"query\"} 1\n"), "{text}");
        assert!(text.contains("sightline_tasks_running{kind=\"query\"} 0\n"));
        assert!(text.contains("sightline_tasks_finished_total{kind=\"query\",outcome=\"success\"} 1\n"));
        assert!(text.contains("sightline_task_seconds_bucket{kind=\"query\",le=\"0.1\"} 0\n"));
        assert!(text.contains("sightline_task_seconds_bucket{kind=\"query\",le=\"0.25\"} 1\n"));
        assert!(text.contains("sightline_task_seconds_count{kind=\"query\"} 1\n"));
    }
}
