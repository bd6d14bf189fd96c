//! The docs' walkthroughs after the quick start, one section each. Every language's tour prints
//! the same lines (make test checks it).
//!
//! Run against the local mock:
//! `scripts/with-mock --rate-limit-minute 60 -- cargo run --example tour`

use futures_util::StreamExt;
use ticksupply::resources::export_schemas::{SchemaContent, StreamCategory};
use ticksupply::{Client, ClientOptions, Error};

fn yes(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The key from TICKSUPPLY_API_KEY, the URL from TICKSUPPLY_BASE_URL.
    let client = Client::new()?;

    println!("== pagination");
    // --8<-- [start:pagination]
    let search = || {
        client
            .exchanges()
            .list_instruments("binance")
            .search("BTC")
            .limit(500)
    };
    let mut page = search().send().await?;
    let mut pages = 1;
    while let Some(token) = page.next_page_token.clone() {
        page = search().page_token(token).send().await?;
        pages += 1;
    }
    let total = page.total.unwrap_or_default();
    println!("manual: {pages} pages, {total} instruments");
    let mut all = search().stream();
    let mut count = 0;
    while let Some(item) = all.next().await {
        item?;
        count += 1;
    }
    println!("auto: {count} instruments");
    // --8<-- [end:pagination]

    println!("== datastreams");
    // --8<-- [start:datastreams]
    let by_filter = client
        .datastreams()
        .list()
        .exchange("kraken")
        .instrument("XBT/USD")
        .stream_type("trades")
        .send()
        .await?;
    let by_path = client
        .exchanges()
        .list_datastreams("kraken", "XBT/USD")
        .stream_type("trades")
        .send()
        .await?;
    let id = by_filter.items[0].datastream_id;
    println!(
        "kraken XBT/USD trades: {id} = {}",
        by_path.items[0].datastream_id
    );
    // --8<-- [end:datastreams]

    println!("== subscriptions");
    // --8<-- [start:subscriptions]
    let subs = client.subscriptions();
    let sub = subs.create(id).send().await?;
    subs.pause(&sub.id).send().await?;
    subs.resume(&sub.id).send().await?;
    let spans = subs.list_spans(&sub.id).send().await?;
    let open = spans.iter().filter(|s| s.ended_at.is_none()).count();
    let status = subs.get(&sub.id).send().await?.status;
    println!("{status}, {} spans, {open} open", spans.len());
    let mut listed = 0;
    let mut all = subs.list().stream();
    while let Some(s) = all.next().await {
        s?;
        listed += 1;
    }
    println!("subscriptions: {listed}");
    subs.delete(&sub.id).send().await?;
    println!("after delete: {}", subs.get(&sub.id).send().await?.status);
    // --8<-- [end:subscriptions]

    println!("== export schemas");
    // --8<-- [start:export-schemas]
    let columns = serde_json::json!([
        {"output_column": "ts", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
        {"output_column": "price", "data": {"binance": {"json": {"path": "data.p", "type": "decimal(18)"}}}},
    ]);
    let content: SchemaContent = serde_json::from_value(serde_json::json!({ "columns": columns }))
        .expect("valid schema content");
    let schemas = client.export_schemas();
    let schema = schemas
        .create("tour-trades", StreamCategory::Trade, content)
        .send()
        .await?;
    schemas.create_draft(&schema.id).send().await?;
    let mut with_qty = columns.as_array().cloned().unwrap_or_default();
    with_qty.push(serde_json::json!(
        {"output_column": "qty", "data": {"binance": {"json": {"path": "data.q", "type": "decimal(18)"}}}}
    ));
    let draft: SchemaContent =
        serde_json::from_value(serde_json::json!({ "columns": with_qty })).expect("valid");
    schemas.update_draft(&schema.id, draft).send().await?;
    let published = schemas.publish_draft(&schema.id).send().await?;
    println!(
        "{}: version {} -> {}, {} columns",
        published.name,
        schema.version,
        published.version,
        published.columns.len()
    );
    schemas.delete(&schema.id).send().await?;
    // --8<-- [end:export-schemas]

    println!("== availability");
    // --8<-- [start:availability]
    let availability = client.availability().get(1).send().await?;
    println!(
        "datastream 1: {} ranges, first from {}",
        availability.ranges.len(),
        availability.ranges[0].from_ns
    );
    // --8<-- [end:availability]

    println!("== billing");
    // --8<-- [start:billing]
    let summary = client.billing().get_summary().send().await?;
    println!("access: {}", summary.access_status);
    // --8<-- [end:billing]

    println!("== configuration");
    // --8<-- [start:configuration]
    let quick = client.with_options(ClientOptions {
        timeout: Some(std::time::Duration::from_secs(5)),
        max_retries: Some(1),
        ..Default::default()
    })?;
    println!(
        "with_options: timeout {}s, {} retries",
        quick.timeout().as_secs(),
        quick.max_retries()
    );
    client.set_api_key("ts_revoked_key")?;
    if let Err(e @ Error::Authentication { .. }) = client.billing().get_summary().send().await {
        println!(
            "rotated to a bad key: {} {}",
            e.code(),
            e.status().unwrap_or(0)
        );
    }
    client.set_api_key(std::env::var("TICKSUPPLY_API_KEY").unwrap_or_default())?;
    let back = client.billing().get_summary().send().await?;
    println!("rotated back: {}", back.access_status);
    // --8<-- [end:configuration]

    println!("== errors");
    // --8<-- [start:errors]
    if let Err(e @ Error::NotFound { .. }) = client.subscriptions().get("sub_missing").send().await
    {
        println!(
            "NotFoundError: {} {} request id: {}",
            e.code(),
            e.status().unwrap_or(0),
            yes(e.request_id().is_some())
        );
    }
    let strict = client.with_options(ClientOptions {
        max_retries: Some(0),
        ..Default::default()
    })?;
    loop {
        match strict.exchanges().list().send().await {
            Ok(_) => continue,
            Err(e @ Error::RateLimited { .. }) => {
                println!(
                    "RateLimitError: {} {} retry after: {}",
                    e.code(),
                    e.status().unwrap_or(0),
                    yes(e.retry_after().is_some())
                );
                break;
            }
            Err(e) => return Err(e),
        }
    }
    // --8<-- [end:errors]
    Ok(())
}
