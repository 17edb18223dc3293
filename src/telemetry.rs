//! Observability: tracing (text or JSON lines on stderr, filtered by `RUST_LOG`, default
//! `info`) and Prometheus metrics. Metric names live here, once; the rest of the code calls
//! the small functions below.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Installs the global tracing subscriber. Call once, first thing in `main`.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only on a terminal: a file or journald would keep them as noise.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

/// The process's Prometheus recorder, installed on first use (every function below calls
/// it first, so nothing recorded before the first scrape is lost).
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let latency = [
            0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 1.0,
        ];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &latency)
            .expect("bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests run several servers per process).
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The metrics page in Prometheus text format.
pub fn render_metrics() -> String {
    let handle = metrics();
    handle.run_upkeep();
    handle.render()
}

/// Handles of the per-check metrics, resolved once: the check path only bumps atomics.
struct CheckMetrics {
    /// `[deny, allow]`.
    duration: [metrics::Histogram; 2],
    /// `[deny, allow][not cached, cached]`.
    decisions: [[metrics::Counter; 2]; 2],
    /// `[miss, hit]`.
    lookups: [metrics::Counter; 2],
}

fn check_metrics() -> &'static CheckMetrics {
    static HANDLES: OnceLock<CheckMetrics> = OnceLock::new();
    HANDLES.get_or_init(|| {
        metrics();
        let decision = ["deny", "allow"];
        let decisions = decision.map(|d| {
            ["false", "true"].map(
                |cached| counter!("portier_decisions_total", "decision" => d, "cached" => cached),
            )
        });
        CheckMetrics {
            duration: decision
                .map(|d| histogram!("portier_check_duration_seconds", "decision" => d)),
            decisions,
            lookups: ["miss", "hit"]
                .map(|result| counter!("portier_cache_lookups_total", "result" => result)),
        }
    })
}

/// One check decided: latency by decision, count by decision and cache use.
pub fn check_decided(allow: bool, cached: bool, elapsed: Duration) {
    let handles = check_metrics();
    handles.duration[usize::from(allow)].record(elapsed.as_secs_f64());
    handles.decisions[usize::from(allow)][usize::from(cached)].increment(1);
}

/// A cache lookup: hit or miss.
pub fn cache_lookup(hit: bool) {
    check_metrics().lookups[usize::from(hit)].increment(1);
}

/// Policies that failed to evaluate during a check.
pub fn policy_errors(count: usize) {
    metrics();
    if count > 0 {
        counter!("portier_policy_evaluation_errors_total").increment(count as u64);
    }
}

/// A reload attempt finished.
pub fn reload_finished(ok: bool) {
    metrics();
    counter!("portier_policy_reloads_total", "result" => if ok { "ok" } else { "error" })
        .increment(1);
}

/// The policy set in force changed (or was first loaded, with `before` empty).
pub fn policy_revision_changed(before: &str, after: &str) {
    metrics();
    if !before.is_empty() {
        gauge!("portier_policy_info", "revision" => before.to_owned()).set(0.0);
    }
    gauge!("portier_policy_info", "revision" => after.to_owned()).set(1.0);
}

/// One HTTP request answered.
pub fn http_request(method: &'static str, route: &str, status: u16, elapsed: Duration) {
    let route_handles = {
        let routes = read(http_routes());
        routes.get(route).cloned()
    };
    let route_handles = route_handles.unwrap_or_else(|| {
        let handles = Arc::new(RouteMetrics {
            duration: histogram!("portier_http_request_duration_seconds", "route" => route.to_owned()),
            counts: RwLock::default(),
        });
        let mut routes = http_routes().write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(routes.entry(route.into()).or_insert(handles))
    });
    route_handles.duration.record(elapsed.as_secs_f64());
    let counter = read(&route_handles.counts)
        .iter()
        .find(|(m, s, _)| *m == method && *s == status)
        .map(|(_, _, counter)| counter.clone());
    let counter = counter.unwrap_or_else(|| {
        let labels = [
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        let counter = counter!("portier_http_requests_total", &labels);
        let mut counts = route_handles
            .counts
            .write()
            .unwrap_or_else(|p| p.into_inner());
        counts.push((method, status, counter.clone()));
        counter
    });
    counter.increment(1);
}

/// The HTTP metrics of one route: its latency, and its counts by method and status (few
/// each: methods and routes come from fixed sets), resolved once so a request only bumps
/// atomics.
struct RouteMetrics {
    duration: metrics::Histogram,
    counts: RwLock<Vec<(&'static str, u16, metrics::Counter)>>,
}

fn http_routes() -> &'static RwLock<HashMap<Box<str>, Arc<RouteMetrics>>> {
    static ROUTES: OnceLock<RwLock<HashMap<Box<str>, Arc<RouteMetrics>>>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        metrics();
        RwLock::default()
    })
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
