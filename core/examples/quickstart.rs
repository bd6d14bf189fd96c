//! Quick start: the first calls a new user makes, each printing its request id.
//!
//! Run against the local mock: `scripts/with-mock -- cargo run --example quickstart`
//! (or against the real API with `TICKSUPPLY_API_KEY` set and no `TICKSUPPLY_BASE_URL`).

use std::time::Duration;

use ticksupply::{Client, Error};

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    // --8<-- [start:client]
    let client = Client::new()?;
    // --8<-- [end:client]

    // --8<-- [start:exchanges]
    let exchanges = client.exchanges().list().send_with_meta().await?;
    println!(
        "exchanges: {} (request_id: {})",
        exchanges.len(),
        rid(&exchanges.meta)
    );
    for ex in exchanges.iter() {
        println!("  {:<15} {}", ex.code, ex.display_name);
    }
    // --8<-- [end:exchanges]

    // --8<-- [start:instruments]
    let page = client
        .exchanges()
        .list_instruments("binance")
        .search("BTC")
        .limit(10)
        .send_with_meta()
        .await?;
    println!(
        "instruments matching BTC: {} of {} (request_id: {})",
        page.items.len(),
        page.total.map_or("?".to_string(), |t| t.to_string()),
        rid(&page.meta)
    );
    // --8<-- [end:instruments]

    // --8<-- [start:datastream]
    let ds = client
        .datastreams()
        .list()
        .exchange("binance")
        .instrument("BTCUSDT")
        .stream_type("trades")
        .send_with_meta()
        .await?;
    let Some(stream) = ds.items.first() else {
        println!("no binance BTCUSDT trades datastream");
        return Ok(());
    };
    println!(
        "datastream {} (request_id: {})",
        stream.datastream_id,
        rid(&ds.meta)
    );
    // --8<-- [end:datastream]

    // --8<-- [start:subscribe]
    let sub = match client
        .subscriptions()
        .create(stream.datastream_id)
        .send_with_meta()
        .await
    {
        Ok(s) => s.map(|s| s.id),
        Err(e @ Error::AlreadyExists { .. }) => {
            println!("already subscribed: {e}");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    println!("subscribed {} (request_id: {})", sub.data, rid(&sub.meta));
    // --8<-- [end:subscribe]

    // --8<-- [start:export]
    let now = chrono::Utc::now();
    let job = client
        .exports()
        .create(stream.datastream_id, now - chrono::Duration::hours(1), now)
        .send_with_meta()
        .await?;
    println!(
        "export {} {} (request_id: {})",
        job.id,
        job.status,
        rid(&job.meta)
    );
    // One call instead of a poll loop: the job, or a typed error if it fails or takes too long.
    match client
        .exports()
        .wait(&job.id)
        .timeout(Duration::from_secs(60))
        .send()
        .await
    {
        Ok(done) => {
            let dir = std::env::temp_dir().join(format!("ticksupply-quickstart-{}", done.id));
            let files = client
                .exports()
                .download(&done.id, &dir)
                .overwrite(true)
                .send()
                .await?;
            let bytes: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            println!("downloaded {} files ({bytes} bytes)", files.len());
            std::fs::remove_dir_all(&dir).ok();
            // Or straight into Arrow record batches, typed from the export's schema, decoded
            // while it downloads (feature `arrow`):
            let (schema, batches) = client.exports().data(&done.id).collect().await?;
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            println!("data: {rows} rows ({})", columns.join(", "));
        }
        Err(e @ (Error::ExportFailed { .. } | Error::WaitTimeout { .. })) => {
            println!("export did not finish: {e}")
        }
        Err(e) => return Err(e),
    }
    // --8<-- [end:export]

    // --8<-- [start:errors]
    match client.subscriptions().get("sub_does_not_exist").await {
        Err(e @ Error::NotFound { .. }) => println!("not found, as expected: {e}"),
        other => println!("unexpected: {other:?}"),
    }
    // --8<-- [end:errors]
    client.subscriptions().delete(sub.data).await?;
    Ok(())
}

fn rid(meta: &ticksupply::ResponseMeta) -> &str {
    meta.request_id.as_deref().unwrap_or("-")
}
