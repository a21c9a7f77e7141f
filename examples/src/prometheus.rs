//! `GET /metrics.prom`: the hub's metrics (`sse_core::hub::metrics`, and with `--redis`
//! `sse-redis`'s) in Prometheus's text format, through `metrics-exporter-prometheus`.
//!
//! The recorder is installed once per process, by [`start_hub`](crate::start_hub) before
//! it builds the hub (a hub registers its metrics when it is built). The exporter serves
//! nothing itself: each demo answers the route with [`render`].

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The route's content type: Prometheus's text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Publish latency buckets, in seconds: an in-memory publish takes microseconds, a publish
/// to Redis a round trip.
const PUBLISH_BUCKETS: &[f64] = &[
    0.000_01, 0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder as the process's metrics recorder, once; later calls
/// return the same handle. Call it inside a tokio runtime: it starts the exporter's upkeep
/// (which bounds the memory of histogram samples between scrapes).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("sse_publish_duration_seconds".into()),
                PUBLISH_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            Err(error) => {
                // Another recorder came first: this handle then renders nothing.
                eprintln!("metrics: could not install the Prometheus recorder: {error}");
                PrometheusBuilder::new().build_recorder().handle()
            }
        };
        let upkeep = handle.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                upkeep.run_upkeep();
            }
        });
        handle
    })
}

/// The body of `GET /metrics.prom`.
pub fn render() -> String {
    let handle = install();
    handle.run_upkeep();
    handle.render()
}
