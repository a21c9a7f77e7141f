//! The `sse-attack` command: see [`sse_load::attack`].

use clap::Parser;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = sse_load::attack::AttackArgs::parse();
    let report = sse_load::attack::run(args).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
