//! A short run of the load tool against the axum demo server: every event reaches every
//! connection, in order, and the report is complete. The full comparison is
//! `scripts/compare.sh` (see BENCHMARKS.md).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use clap::Parser;

#[test]
fn load_tool_smoke_run_against_demo_axum() {
    let mut server = Command::new(env!("CARGO_BIN_EXE_demo-axum"))
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("demo-axum starts");
    let mut stdout = BufReader::new(server.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("announcement");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .unwrap_or_default()
        .to_owned();

    let pid = server.id().to_string();
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(sse_load::run(args)).expect("load run");
    let _ = server.kill();
    let _ = server.wait();
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
