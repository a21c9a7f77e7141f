//! The `sse-soak` command: see [`sse_load::soak`].

use clap::Parser;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = sse_load::soak::SoakArgs::parse();
    let report = sse_load::soak::run(args.clone()).await?;
    sse_load::soak::print_report(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    if !report.failures.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
