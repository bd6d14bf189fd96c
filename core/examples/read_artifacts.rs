//! Reads artifact files into Arrow and reports rows and time: `cargo run --release --features
//! arrow --example read_artifacts -- FILE...` (used to profile the data path).

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let start = std::time::Instant::now();
    let (_, batches) = ticksupply::data::read_artifacts(paths).collect().await?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    println!("{rows} rows in {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
