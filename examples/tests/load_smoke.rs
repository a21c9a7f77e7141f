//! A short run of the load tool against the axum demo server: every event reaches every
//! connection, in order, and the report is complete. The full comparison is
//! `scripts/compare.sh` (see BENCHMARKS.md).

mod common;

use clap::Parser;

#[test]
fn load_tool_smoke_run_against_demo_axum() {
    let server = common::Server::start(env!("CARGO_BIN_EXE_demo-axum"));
    let addr = server.addr.to_string();
    let pid = server.pid().to_string();
    let args = sse_load::Args::parse_from([
        "sse-load",
        "--server",
        &addr,
        "--kind",
        "hub",
        "--connections",
        "200",
        "--sources",
        "4",
        "--rate",
        "50",
        "--duration",
        "2",
        "--payload",
        "100",
        "--slow",
        "2",
        "--pid",
        &pid,
        "--quiet",
    ]);
    let report = sse_conformance::test_runtime()
        .block_on(sse_load::run(args))
        .expect("load run");
    drop(server);
    sse_load::print_summary(&report);

    let report = serde_json::to_value(&report).expect("JSON report");
    assert_eq!(report["connected"], 200);
    assert!(report["published"].as_u64().unwrap_or(0) >= 50, "{report}");
    assert_eq!(report["delivered"], report["expected"], "{report}");
    assert_eq!(
        (report["gaps"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(report["latency"]["p99_ms"].as_f64().unwrap_or(0.0) > 0.0);
    assert!(
        report["server"]["rss_connected_kib"].as_u64().unwrap_or(0) > 0,
        "server RSS read from /proc"
    );
    assert_eq!(
        report["slow"]["silent_gaps"], 0,
        "a stalled client never loses events silently: {report}"
    );
}
