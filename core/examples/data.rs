//! Export data: an export's rows as Arrow record batches, typed from its schema — collected, in
//! bounded memory, as Parquet (the same lines in Python and JavaScript: examples/*/data.*).
//!
//! Run against the local mock:
//! `scripts/with-mock -- cargo run --example data --features arrow`

use futures_util::TryStreamExt;
use ticksupply::Client;
use ticksupply::data::read_artifacts;

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    let client = Client::new()?;
    client.subscriptions().create(1).await?;
    let job = client
        .exports()
        .create(1, "2024-03-01T00:00:00Z", "2024-03-01T02:00:00Z")
        .schema("normalized")
        .await?;
    client
        .exports()
        .wait(&job.id)
        .poll_interval(std::time::Duration::from_millis(100))
        .await?;

    // --8<-- [start:dataframes]
    let (schema, batches) = client.exports().data(&job.id).collect().await?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    println!("rows: {rows}");
    println!("columns: {}", columns.join(", "));
    // --8<-- [end:dataframes]

    // --8<-- [start:batches]
    let mut stream = client
        .exports()
        .data(&job.id)
        .batch_rows(10_000)
        .open()
        .await?;
    let mut rows = 0;
    while let Some(batch) = stream.try_next().await? {
        rows += batch.num_rows(); // one record batch at a time: bounded memory
    }
    println!("batches: {rows} rows");
    // --8<-- [end:batches]

    // --8<-- [start:parquet]
    let dir = std::env::temp_dir().join(format!("ticksupply-data-{}", job.id));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("trades.parquet");
    client.exports().data(&job.id).to_parquet(&path).await?; // via trades.parquet.part
    let (_, again) = read_artifacts([&path]).collect().await?;
    let rows: usize = again.iter().map(|b| b.num_rows()).sum();
    println!("parquet: {rows} rows");
    std::fs::remove_dir_all(&dir).ok();
    // --8<-- [end:parquet]
    Ok(())
}
