//! The `sse-load` command: see the library docs.

use clap::Parser;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = sse_load::Args::parse();
    let report = sse_load::run(args.clone()).await?;
    sse_load::print_summary(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}
