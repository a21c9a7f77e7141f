//! Draws docs/benchmarks.png from the load tool's JSON reports (scripts/compare.sh).
//!
//! `sse-chart target/compare docs/benchmarks.png`

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const SERVERS: [&str; 5] = ["axum", "actix", "rocket", "nchan", "axum-broadcast"];
const COLORS: [RGBColor; 5] = [
    RGBColor(56, 189, 248),
    RGBColor(34, 197, 94),
    RGBColor(245, 158, 11),
    RGBColor(239, 68, 68),
    RGBColor(148, 163, 184),
];

type Reports = BTreeMap<(String, String), serde_json::Value>;

fn load(dir: &Path) -> Result<Reports, Box<dyn std::error::Error>> {
    let mut reports = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.extension().is_some_and(|e| e == "json")
            && let Some((server, scenario)) = name.split_once("--")
        {
            let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
            reports.insert((server.to_owned(), scenario.to_owned()), json);
        }
    }
    Ok(reports)
}

/// Adds a `sustained` report per server: the highest rate in `dir/sustain` that kept p99
/// under 100 ms, lost nothing and was published at 95% or more (as `compare_table.py`).
fn add_sustained(dir: &Path, reports: &mut Reports) -> Result<(), Box<dyn std::error::Error>> {
    let Ok(runs) = load(&dir.join("sustain")) else {
        return Ok(());
    };
    for ((server, rate), report) in &runs {
        let Ok(rate) = rate.parse::<f64>() else {
            continue;
        };
        let number = |pointer: &str| report.pointer(pointer).and_then(|v| v.as_f64());
        let passed = number("/latency/p99_ms").is_some_and(|p99| p99 < 100.0)
            && number("/gaps") == Some(0.0)
            && number("/delivered") == number("/expected")
            && number("/achieved_rate").is_some_and(|achieved| achieved >= 0.95 * rate);
        let key = (server.clone(), "sustained".to_owned());
        let best = reports
            .get(&key)
            .and_then(|r| r.pointer("/events_per_second")?.as_f64())
            .unwrap_or(0.0);
        if passed && rate > best {
            reports.insert(key, serde_json::json!({ "events_per_second": rate }));
        }
    }
    Ok(())
}

fn value(reports: &Reports, server: &str, scenario: &str, pointer: &str) -> Option<f64> {
    reports
        .get(&(server.to_owned(), scenario.to_owned()))?
        .pointer(pointer)?
        .as_f64()
}

/// What one panel shows: a group of bars per scenario, a bar per server.
struct Panel<'a> {
    title: &'a str,
    scenarios: &'a [(&'a str, &'a str)],
    /// JSON pointer of the value in a report.
    pointer: &'a str,
    scale: f64,
    /// Values above this are clipped and labelled.
    cap: f64,
    y_label: &'a str,
    legend: SeriesLabelPosition,
}

fn bars(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    reports: &Reports,
    panel: &Panel<'_>,
) -> Result<(), Box<dyn std::error::Error>> {
    let Panel {
        title,
        scenarios,
        pointer,
        scale,
        cap,
        y_label,
        ref legend,
    } = *panel;
    let highest = scenarios
        .iter()
        .flat_map(|(s, _)| {
            SERVERS
                .iter()
                .filter_map(move |server| value(reports, server, s, pointer))
        })
        .fold(0.0f64, f64::max)
        * scale;
    let max = highest.min(cap) * 1.15;
    let groups = scenarios.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..groups, 0.0..max.max(1.0))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(scenarios.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let index = x.floor() as usize;
            if (x - index as f64 - 0.5).abs() < 0.01 {
                scenarios
                    .get(index)
                    .map_or(String::new(), |(_, label)| (*label).to_owned())
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .label_style(("sans-serif", 15))
        .draw()?;
    let width = 0.8 / SERVERS.len() as f64;
    for (s, server) in SERVERS.iter().enumerate() {
        let color = COLORS[s];
        let bars: Vec<(f64, f64)> = scenarios
            .iter()
            .enumerate()
            .filter_map(|(g, (scenario, _))| {
                let y = value(reports, server, scenario, pointer)? * scale;
                Some((g as f64 + 0.1 + s as f64 * width, y))
            })
            .collect();
        // Bars above the cap are clipped and labelled with their value.
        chart.draw_series(bars.iter().filter(|(_, y)| *y > cap).map(|&(x0, y)| {
            Text::new(
                format!("{y:.0}"),
                (x0, cap * 1.04),
                ("sans-serif", 13).into_font(),
            )
        }))?;
        chart
            .draw_series(bars.iter().map(|&(x0, y)| {
                Rectangle::new([(x0, 0.0), (x0 + width * 0.9, y.min(cap))], color.filled())
            }))?
            .label(*server)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .position(legend.clone())
        .draw()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "target/compare".into());
    let out = args.next().unwrap_or_else(|| "docs/benchmarks.png".into());
    let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        .map_err(|e| format!("DejaVuSans.ttf (Debian: fonts-dejavu-core): {e}"))?;
    register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(font.into_boxed_slice()),
    )
    .map_err(|_| "the font could not be loaded")?;
    let mut reports = load(Path::new(&dir))?;
    add_sustained(Path::new(&dir), &mut reports)?;
    let root = BitMapBackend::new(&out, (1500, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(750);
    bars(
        &left,
        &reports,
        &Panel {
            title: "Highest rate sustained to 2,000 subscribers",
            scenarios: &[(
                "sustained",
                "p99 < 100 ms, nothing lost (server on one core)",
            )],
            pointer: "/events_per_second",
            scale: 1.0,
            cap: f64::INFINITY,
            y_label: "events / s (x 2,000 deliveries)",
            legend: SeriesLabelPosition::UpperRight,
        },
    )?;
    bars(
        &right,
        &reports,
        &Panel {
            title: "p99 publish-to-receive latency (at the rate reached)",
            scenarios: &[
                ("fanout-2000x400", "2,000 x 400/s"),
                ("fanout-5000x20", "5,000 x 20/s"),
                ("fanout-10000x200", "10,000 x 200/s"),
            ],
            pointer: "/latency/p99_ms",
            scale: 1.0,
            cap: 600.0,
            y_label: "milliseconds (clipped at 600, value shown)",
            legend: SeriesLabelPosition::UpperLeft,
        },
    )?;
    root.present()?;
    println!("wrote {out}");
    Ok(())
}
