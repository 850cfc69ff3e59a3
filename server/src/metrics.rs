//! Counters for monitoring, rendered in the Prometheus text format at
//! `/metrics`: requests and their latency by route, the database pool, and
//! the results of background jobs. Labels are route templates
//! (`/api/v1/cases/{id}`), never raw paths, so nothing personal and no
//! unbounded set of series can get in.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::storage::Db;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Latency {
    /// Observations at or below each bound of `BUCKETS`.
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

#[derive(Default)]
struct JobStats {
    ok: u64,
    failed: u64,
    last_success_unix: Option<i64>,
    last_bytes: Option<u64>,
}

#[derive(Default)]
struct Inner {
    /// (method, route, status) → count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency.
    latency: BTreeMap<String, Latency>,
    /// job name → results.
    jobs: BTreeMap<&'static str, JobStats>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let latency = inner.latency.entry(route.to_string()).or_default();
        let seconds = took.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(latency.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        latency.sum_seconds += seconds;
        latency.count += 1;
    }

    /// Records one run of a background job; `bytes` is what a successful run produced.
    pub fn observe_job(&self, job: &'static str, result: Result<u64, ()>, at_unix: i64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let stats = inner.jobs.entry(job).or_default();
        match result {
            Ok(bytes) => {
                stats.ok += 1;
                stats.last_success_unix = Some(at_unix);
                stats.last_bytes = Some(bytes);
            }
            Err(()) => stats.failed += 1,
        }
    }

    /// The Prometheus text exposition of everything, with the pool's state now.
    pub fn render(&self, db: &Db) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP jiuzhu_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE jiuzhu_http_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "jiuzhu_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP jiuzhu_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE jiuzhu_http_request_duration_seconds histogram\n");
        for (route, latency) in &inner.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(latency.buckets) {
                let _ = writeln!(
                    out,
                    "jiuzhu_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "jiuzhu_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(
                out,
                "jiuzhu_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                latency.sum_seconds
            );
            let _ = writeln!(
                out,
                "jiuzhu_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                latency.count
            );
        }
        let (size, idle, max) = match db {
            Db::Sqlite(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
            Db::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        };
        let backend = match db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        };
        for (name, help, value) in [
            (
                "jiuzhu_db_pool_connections",
                "Open database connections.",
                size as u64,
            ),
            (
                "jiuzhu_db_pool_idle_connections",
                "Open connections not in use.",
                idle as u64,
            ),
            (
                "jiuzhu_db_pool_max_connections",
                "The pool's limit.",
                max as u64,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            let _ = writeln!(out, "{name}{{backend=\"{backend}\"}} {value}");
        }
        out.push_str("# HELP jiuzhu_job_runs_total Background job runs by job and result.\n");
        out.push_str("# TYPE jiuzhu_job_runs_total counter\n");
        for (job, stats) in &inner.jobs {
            let _ = writeln!(
                out,
                "jiuzhu_job_runs_total{{job=\"{job}\",result=\"ok\"}} {}",
                stats.ok
            );
            let _ = writeln!(
                out,
                "jiuzhu_job_runs_total{{job=\"{job}\",result=\"error\"}} {}",
                stats.failed
            );
        }
        out.push_str(
            "# HELP jiuzhu_job_last_success_timestamp_seconds When each job last succeeded.\n",
        );
        out.push_str("# TYPE jiuzhu_job_last_success_timestamp_seconds gauge\n");
        for (job, stats) in &inner.jobs {
            if let Some(at) = stats.last_success_unix {
                let _ = writeln!(
                    out,
                    "jiuzhu_job_last_success_timestamp_seconds{{job=\"{job}\"}} {at}"
                );
            }
        }
        out.push_str("# HELP jiuzhu_job_last_output_bytes Size of what each job last produced.\n");
        out.push_str("# TYPE jiuzhu_job_last_output_bytes gauge\n");
        for (job, stats) in &inner.jobs {
            if let Some(bytes) = stats.last_bytes {
                let _ = writeln!(out, "jiuzhu_job_last_output_bytes{{job=\"{job}\"}} {bytes}");
            }
        }
        out
    }
}

/// Label values in the exposition format escape backslash, quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_buckets_are_cumulative_and_labels_are_escaped() {
        let metrics = Metrics::default();
        metrics.observe_request("GET", "/api/v1/cases", 200, Duration::from_millis(3));
        metrics.observe_request("GET", "/api/v1/cases", 200, Duration::from_millis(40));
        metrics.observe_request("GET", "/api/v1/cases", 500, Duration::from_secs(20));
        let inner = metrics.inner.lock().unwrap();
        let latency = &inner.latency["/api/v1/cases"];
        assert_eq!(latency.buckets[0], 1); // ≤ 5 ms
        assert_eq!(latency.buckets[3], 2); // ≤ 50 ms
        assert_eq!(latency.buckets[10], 2); // ≤ 10 s: the 20 s one only in +Inf
        assert_eq!(latency.count, 3);
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
