//! Reads artifact files into Arrow and reports rows and time: `cargo run --release --features
//! arrow --example read_artifacts -- FILE...` (used to profile the data path). A schema (as
//! `exports.create` takes it, JSON) can be given in `TICKSUPPLY_SCHEMA`.

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let schema = match std::env::var("TICKSUPPLY_SCHEMA") {
        Ok(json) => ticksupply::data::SchemaSpec::from_json(
            &serde_json::from_str(&json).map_err(|e| ticksupply::Error::Config(e.to_string()))?,
        )?,
        Err(_) => ticksupply::data::SchemaSpec::Auto,
    };
    let start = std::time::Instant::now();
    let (_, batches) = ticksupply::data::read_artifacts(paths)
        .schema(schema)
        .collect()
        .await?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    println!("{rows} rows in {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
