//! The API commands: one call (or one list, every page) each, printed as a table or as the
//! API's JSON.
//!
//! With `--json` an object is printed exactly as the API sent it (`send_text`), and a list as
//! one array of every item of every page, each item exactly as sent. Calls whose answer has no
//! body (pause, resume, cancel, delete) print `null`.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use ticksupply::pagination::TokenGuard;
use ticksupply::resources::catalog::DatastreamInfo;
use ticksupply::resources::exports::ExportJob;
use ticksupply::{Client, ClientBuilder, Error, KeySource, Response};

use crate::args::{
    Cli, Command, DatastreamsCmd, ExchangesCmd, ExportsCmd, InstrumentsCmd, SchemasCmd,
    SubscriptionsCmd,
};
use crate::error::CliError;
use crate::output::out;
use crate::sync::plan::rfc3339;
use crate::table::{Table, bytes, kv, opt};

/// Page sizes: the largest each list allows.
const CATALOG_PAGE: u32 = 1000;
const JOBS_PAGE: u32 = 100;

/// A builder with what every command's client shares: user agent, pacing under the rate limits,
/// errors with their status, request id and attempts, `--timeout`, `--max-request-rate`.
pub fn builder(cli: &Cli) -> ClientBuilder {
    let mut b = Client::builder()
        .user_agent(format!("ticksupply-cli/{}", env!("CARGO_PKG_VERSION")))
        .pace_rate_limit(true)
        .error_context(true);
    // Only the command's own OTLP export: never the observer of a Python or Node program that
    // runs the command in its process.
    b = match &cli.telemetry {
        Some(otlp) => b.telemetry(otlp.observer()),
        None => b.without_telemetry(),
    };
    if let Some(secs) = cli.timeout {
        b = b.timeout(std::time::Duration::from_secs(secs));
    }
    if let Command::Sync(args) = &cli.command
        && let Some(n) = args.max_request_rate
    {
        b = b.max_request_rate(n);
    }
    b
}

/// The key of `--api-key-file`, when given.
pub fn key_file(cli: &Cli) -> Result<Option<(String, KeySource)>, CliError> {
    let Some(path) = &cli.api_key_file else {
        return Ok(None);
    };
    let raw = std::fs::read_to_string(path).map_err(|e| {
        CliError::Usage(format!(
            "cannot read --api-key-file {}: {e}",
            path.display()
        ))
    })?;
    let key = raw.trim();
    if key.is_empty() {
        return Err(CliError::Usage(format!(
            "--api-key-file {} is empty",
            path.display()
        )));
    }
    Ok(Some((key.to_string(), KeySource::File(path.clone()))))
}

/// The client the command line uses: the key from `--api-key-file` or `--profile`, else
/// `TICKSUPPLY_API_KEY`, else `TICKSUPPLY_PROFILE`, else the default profile (the core's rule).
pub fn client(cli: &Cli) -> Result<Client, CliError> {
    let mut b = builder(cli);
    if let Some((key, source)) = key_file(cli)? {
        b = b.api_key_from(key, source);
    }
    if let Some(p) = &cli.profile {
        b = b.profile(p);
    }
    Ok(b.build()?)
}

/// Runs a parsed command line.
pub async fn dispatch(cli: Cli) -> Result<(), CliError> {
    let client = match &cli.command {
        Command::Auth(cmd) => return crate::auth::run(&cli, cmd).await,
        _ => client(&cli)?,
    };
    // With OTLP export on, the whole command is one trace under this span.
    let name = format!("ticksupply {}", command_name(&cli.command));
    ticksupply::telemetry::in_operation(&client, &name, Vec::new, run(&client, cli)).await
}

/// The command's name, for its span.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Exchanges(_) => "exchanges",
        Command::Instruments(_) => "instruments",
        Command::Datastreams(_) => "datastreams",
        Command::Subscriptions(_) => "subscriptions",
        Command::Exports(_) => "exports",
        Command::Schemas(_) => "schemas",
        Command::Availability { .. } => "availability",
        Command::Billing => "billing",
        Command::Sync(_) => "sync",
        Command::Auth(_) => "auth",
    }
}

async fn run(client: &Client, cli: Cli) -> Result<(), CliError> {
    let client = client.clone();
    let json = cli.json;
    match cli.command {
        Command::Exchanges(ExchangesCmd::List) => exchanges(&client, json).await,
        Command::Instruments(InstrumentsCmd::List { exchange, search }) => {
            instruments(&client, json, &exchange, search.as_deref()).await
        }
        Command::Datastreams(DatastreamsCmd::List {
            exchange,
            instrument,
            stream_type,
        }) => datastreams(&client, json, exchange, instrument, stream_type).await,
        Command::Subscriptions(cmd) => subscriptions(&client, json, cmd).await,
        Command::Exports(cmd) => exports(&client, json, cmd).await,
        Command::Schemas(cmd) => schemas(&client, json, cmd).await,
        Command::Availability { datastream_id } => availability(&client, json, datastream_id).await,
        Command::Billing => billing(&client, json).await,
        Command::Sync(args) => crate::sync::run(&client, args, json).await,
        // Answered above, without a client: `auth login` has no key yet.
        Command::Auth(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// Prints a JSON text as the API sent it.
fn print_text(r: Response<String>) {
    out(r.data.trim_end());
}

#[derive(Deserialize)]
struct RawPage {
    #[serde(default)]
    items: Vec<Box<RawValue>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// Every item of every page, each exactly as the API sent it, as one JSON array. `page` sends
/// the request for a page token (`None` for the first page).
async fn list_json<F, Fut>(mut page: F) -> Result<String, CliError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = ticksupply::Result<Response<String>>>,
{
    let mut items: Vec<Box<RawValue>> = Vec::new();
    let mut token: Option<String> = None;
    let mut tokens = TokenGuard::default();
    loop {
        let r = page(token.take()).await?;
        let p: RawPage = serde_json::from_str(&r.data).map_err(|e| Error::Protocol {
            message: format!("a list page is not the documented shape: {e}"),
            request_id: r.meta.request_id.clone(),
        })?;
        items.extend(p.items);
        match tokens.next(p.next_page_token, r.meta.request_id.as_deref())? {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    let inner: Vec<&str> = items.iter().map(|i| i.get()).collect();
    Ok(format!("[{}]", inner.join(",")))
}

fn datastream_label(d: &DatastreamInfo) -> String {
    format!("{}:{}:{}", d.exchange, d.instrument, d.stream_type)
}

// ---------------------------------------------------------------------------------------------
// catalog

async fn exchanges(client: &Client, json: bool) -> Result<(), CliError> {
    if json {
        print_text(client.exchanges().list().send_text().await?);
        return Ok(());
    }
    let mut t = Table::new(&["CODE", "NAME"]);
    for e in client.exchanges().list().send().await? {
        t.row(vec![e.code, e.display_name]);
    }
    out(&t.render());
    Ok(())
}

async fn instruments(
    client: &Client,
    json: bool,
    exchange: &str,
    search: Option<&str>,
) -> Result<(), CliError> {
    let build = || {
        let mut b = client
            .exchanges()
            .list_instruments(exchange)
            .limit(CATALOG_PAGE);
        if let Some(s) = search {
            b = b.search(s);
        }
        b
    };
    if json {
        let text = list_json(|token| {
            let mut b = build();
            if let Some(t) = token {
                b = b.page_token(t);
            }
            b.send_text()
        })
        .await?;
        out(&text);
        return Ok(());
    }
    let items: Vec<_> = build().stream().try_collect().await?;
    let mut t = Table::new(&["SYMBOL", "BASE", "QUOTE", "TYPE"]);
    for i in items {
        t.row(vec![
            i.symbol,
            opt(&i.base),
            opt(&i.quote),
            opt(&i.instrument_type),
        ]);
    }
    out(&t.render());
    Ok(())
}

async fn datastreams(
    client: &Client,
    json: bool,
    exchange: Option<String>,
    instrument: Option<String>,
    stream_type: Option<String>,
) -> Result<(), CliError> {
    let build = || {
        let mut b = client.datastreams().list().limit(CATALOG_PAGE);
        if let Some(e) = &exchange {
            b = b.exchange(e.as_str());
        }
        if let Some(i) = &instrument {
            b = b.instrument(i.as_str());
        }
        if let Some(s) = &stream_type {
            b = b.stream_type(s.as_str());
        }
        b
    };
    if json {
        let text = list_json(|token| {
            let mut b = build();
            if let Some(t) = token {
                b = b.page_token(t);
            }
            b.send_text()
        })
        .await?;
        out(&text);
        return Ok(());
    }
    let items: Vec<_> = build().stream().try_collect().await?;
    let mut t = Table::new(&["ID", "EXCHANGE", "INSTRUMENT", "STREAM_TYPE", "WIRE_FORMAT"]);
    for d in items {
        t.row(vec![
            d.datastream_id.to_string(),
            d.exchange,
            d.instrument,
            d.stream_type,
            d.wire_format,
        ]);
    }
    out(&t.render());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// subscriptions

async fn subscriptions(client: &Client, json: bool, cmd: SubscriptionsCmd) -> Result<(), CliError> {
    let subs = client.subscriptions();
    match cmd {
        SubscriptionsCmd::List => {
            let build = || client.subscriptions().list().limit(JOBS_PAGE);
            if json {
                let text = list_json(|token| {
                    let mut b = build();
                    if let Some(t) = token {
                        b = b.page_token(t);
                    }
                    b.send_text()
                })
                .await?;
                out(&text);
                return Ok(());
            }
            let items: Vec<_> = build().stream().try_collect().await?;
            let mut t = Table::new(&["ID", "DATASTREAM", "STATUS", "CREATED"]);
            for s in items {
                let ds = match &s.datastream {
                    Some(d) => format!("{} {}", s.datastream_id, datastream_label(d)),
                    None => s.datastream_id.to_string(),
                };
                t.row(vec![
                    s.id,
                    ds,
                    s.status.to_string(),
                    s.created_at.to_string(),
                ]);
            }
            out(&t.render());
        }
        SubscriptionsCmd::Get { id } => {
            if json {
                print_text(subs.get(&id).send_text().await?);
                return Ok(());
            }
            let s = subs.get(&id).send().await?;
            out(&kv(&[
                ("id", s.id),
                ("datastream_id", s.datastream_id.to_string()),
                (
                    "datastream",
                    s.datastream
                        .as_ref()
                        .map(datastream_label)
                        .unwrap_or_default(),
                ),
                ("status", s.status.to_string()),
                ("created_at", s.created_at.to_string()),
            ]));
        }
        SubscriptionsCmd::Create { datastream_id } => {
            if json {
                print_text(subs.create(datastream_id).send_text().await?);
                return Ok(());
            }
            let s = subs.create(datastream_id).send().await?;
            out(&kv(&[
                ("id", s.id),
                (
                    "datastream",
                    format!(
                        "{} {}",
                        s.datastream.datastream_id,
                        datastream_label(&s.datastream)
                    ),
                ),
                ("status", s.status.to_string()),
                ("created_at", s.created_at.to_string()),
                ("spans", s.spans.len().to_string()),
            ]));
        }
        SubscriptionsCmd::Pause { id } => {
            let r = subs.pause(id.as_str()).send_text().await?;
            done(json, r, &format!("paused {id}"));
        }
        SubscriptionsCmd::Resume { id } => {
            let r = subs.resume(id.as_str()).send_text().await?;
            done(json, r, &format!("resumed {id}"));
        }
        SubscriptionsCmd::Delete { id } => {
            let r = subs.delete(id.as_str()).send_text().await?;
            done(json, r, &format!("deleted {id}"));
        }
    }
    Ok(())
}

/// A call without a body: `null` in JSON, a line for humans.
fn done(json: bool, r: Response<String>, line: &str) {
    if json {
        print_text(r);
    } else {
        out(line);
    }
}

// ---------------------------------------------------------------------------------------------
// exports

fn export_kv(j: &ExportJob) -> String {
    kv(&[
        ("id", j.id.clone()),
        ("datastream_id", j.datastream_id.to_string()),
        ("status", j.status.to_string()),
        ("format", j.format.clone()),
        ("start", rfc3339(j.start_time.as_i64())),
        ("end", rfc3339(j.end_time.as_i64())),
        ("created_at", j.created_at.to_string()),
        ("started_at", opt(&j.started_at)),
        ("finished_at", opt(&j.finished_at)),
        ("reason", opt(&j.reason)),
    ])
}

async fn exports(client: &Client, json: bool, cmd: ExportsCmd) -> Result<(), CliError> {
    let ex = client.exports();
    match cmd {
        ExportsCmd::List => {
            let build = || client.exports().list().limit(JOBS_PAGE);
            if json {
                let text = list_json(|token| {
                    let mut b = build();
                    if let Some(t) = token {
                        b = b.page_token(t);
                    }
                    b.send_text()
                })
                .await?;
                out(&text);
                return Ok(());
            }
            let items: Vec<ExportJob> = build().stream().try_collect().await?;
            let mut t = Table::new(&["ID", "DATASTREAM", "STATUS", "FORMAT", "START", "END"]);
            for j in items {
                t.row(vec![
                    j.id,
                    j.datastream_id.to_string(),
                    j.status.to_string(),
                    j.format,
                    rfc3339(j.start_time.as_i64()),
                    rfc3339(j.end_time.as_i64()),
                ]);
            }
            out(&t.render());
        }
        ExportsCmd::Get { id } => {
            if json {
                print_text(ex.get(&id).send_text().await?);
            } else {
                out(&export_kv(&ex.get(&id).send().await?));
            }
        }
        ExportsCmd::Create {
            datastream_id,
            from,
            to,
            schema,
            format,
        } => {
            if from >= to {
                return Err(CliError::Usage(format!(
                    "--from ({}) must be before --to ({})",
                    rfc3339(from),
                    rfc3339(to)
                )));
            }
            let build = || {
                let mut b = client.exports().create(datastream_id, from, to);
                if let Some(s) = &schema {
                    b = b.schema(s.as_str());
                }
                if let Some(f) = format {
                    b = b.format(f.as_str());
                }
                b
            };
            if json {
                print_text(build().send_text().await?);
            } else {
                out(&export_kv(&build().send().await?));
            }
        }
        ExportsCmd::Wait { id, timeout } => {
            let mut w = ex.wait(id.as_str());
            if let Some(s) = timeout {
                w = w.timeout(Duration::from_secs(s));
            }
            let job = w.send().await?;
            if json {
                // The job as the API sends it (the wait's own result is decoded).
                print_text(ex.get(&job.id).send_text().await?);
            } else {
                out(&export_kv(&job));
            }
        }
        ExportsCmd::Download { id, dir, overwrite } => {
            let bar = (!json && std::io::stderr().is_terminal()).then(|| {
                let b = indicatif::ProgressBar::new(0);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                ) {
                    b.set_style(style);
                }
                b
            });
            let mut req = ex.download(id.as_str(), &dir).overwrite(overwrite);
            if let Some(b) = bar.clone() {
                req = req.on_progress(move |done, total| {
                    b.set_length(total);
                    b.set_position(done);
                });
            }
            let paths = req.send().await;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let paths = paths?;
            let sizes: Vec<(String, u64)> = paths
                .iter()
                .map(|p| {
                    let n = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                    (p.display().to_string(), n)
                })
                .collect();
            if json {
                let v: Vec<serde_json::Value> = sizes
                    .iter()
                    .map(|(p, n)| serde_json::json!({ "path": p, "bytes": n }))
                    .collect();
                out(&serde_json::Value::Array(v).to_string());
            } else {
                let total: u64 = sizes.iter().map(|(_, n)| n).sum();
                for (p, n) in &sizes {
                    out(&format!("{p}  {}", bytes(*n)));
                }
                out(&format!(
                    "downloaded {} file(s), {} to {}",
                    sizes.len(),
                    bytes(total),
                    dir.display()
                ));
            }
        }
        ExportsCmd::Cancel { id } => {
            let r = ex.cancel(id.as_str()).send_text().await?;
            done(json, r, &format!("canceled {id}"));
        }
        ExportsCmd::Delete { id } => {
            let r = ex.delete(id.as_str()).send_text().await?;
            done(json, r, &format!("deleted {id}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// schemas, availability, billing

async fn schemas(client: &Client, json: bool, cmd: SchemasCmd) -> Result<(), CliError> {
    let api = client.export_schemas();
    match cmd {
        SchemasCmd::List => {
            if json {
                print_text(api.list().send_text().await?);
                return Ok(());
            }
            let mut t = Table::new(&["ID", "NAME", "CATEGORY", "VERSION", "BUILT_IN", "DRAFT"]);
            for s in api.list().send().await? {
                t.row(vec![
                    s.id,
                    s.name,
                    s.stream_category.to_string(),
                    s.version.to_string(),
                    s.is_built_in.to_string(),
                    s.has_draft.to_string(),
                ]);
            }
            out(&t.render());
        }
        SchemasCmd::Get { name_or_id } => {
            let id = if name_or_id.starts_with("sch_") {
                name_or_id
            } else {
                let found: Vec<_> = api
                    .list()
                    .send()
                    .await?
                    .into_iter()
                    .filter(|s| s.name == name_or_id)
                    .collect();
                match found.as_slice() {
                    [one] => one.id.clone(),
                    [] => {
                        return Err(CliError::Usage(format!(
                            "no export schema is named {name_or_id:?} (`ticksupply schemas list` shows them)"
                        )));
                    }
                    many => {
                        let ids: Vec<String> = many
                            .iter()
                            .map(|s| format!("{} ({})", s.id, s.stream_category))
                            .collect();
                        return Err(CliError::Usage(format!(
                            "{} schemas are named {name_or_id:?}, one per stream category: pass an id: {}",
                            many.len(),
                            ids.join(", ")
                        )));
                    }
                }
            };
            if json {
                print_text(api.get(&id).send_text().await?);
                return Ok(());
            }
            let s = api.get(&id).send().await?;
            out(&kv(&[
                ("id", s.id),
                ("name", s.name),
                ("category", s.stream_category.to_string()),
                ("version", s.version.to_string()),
                ("built_in", s.is_built_in.to_string()),
                ("draft", s.has_draft.to_string()),
                ("created_at", s.created_at.to_string()),
            ]));
            let mut t = Table::new(&["COLUMN", "SOURCE"]);
            for c in &s.columns {
                let source = match &c.source {
                    ticksupply::resources::export_schemas::ColumnSource::Meta(m) => {
                        match &m.format {
                            Some(f) => format!("meta {} ({f})", m.value),
                            None => format!("meta {}", m.value),
                        }
                    }
                    ticksupply::resources::export_schemas::ColumnSource::Data(by_exchange) => {
                        let parts: Vec<String> = by_exchange
                            .iter()
                            .map(|(ex, x)| match &x.json {
                                Some(j) => format!("{ex}: {} {}", j.path, j.data_type),
                                None => ex.clone(),
                            })
                            .collect();
                        format!("data {}", parts.join(", "))
                    }
                };
                t.row(vec![c.output_column.clone(), source]);
            }
            out("");
            out(&t.render());
        }
    }
    Ok(())
}

async fn availability(client: &Client, json: bool, datastream_id: i64) -> Result<(), CliError> {
    let call = client.availability().get(datastream_id);
    if json {
        print_text(call.send_text().await?);
        return Ok(());
    }
    let a = call.send().await?;
    out(&kv(&[
        (
            "datastream",
            format!(
                "{} {}",
                a.datastream.datastream_id,
                datastream_label(&a.datastream)
            ),
        ),
        ("updated_at", a.updated_at.to_string()),
    ]));
    let mut t = Table::new(&["FROM", "TO", "ROWS_ESTIMATE"]);
    for r in &a.ranges {
        t.row(vec![
            rfc3339(r.from_ns.as_i64()),
            rfc3339(r.to_ns.as_i64()),
            r.rows_estimate.to_string(),
        ]);
    }
    out("");
    out(&t.render());
    Ok(())
}

async fn billing(client: &Client, json: bool) -> Result<(), CliError> {
    let call = client.billing().summary();
    if json {
        print_text(call.send_text().await?);
        return Ok(());
    }
    let b = call.send().await?;
    out(&kv(&[
        ("access_status", b.access_status.to_string()),
        ("plan_code", opt(&b.plan_code)),
        ("grace_until", opt(&b.grace_until)),
        ("current_period_end", opt(&b.current_period_end)),
        ("export_gb_total", b.usage.export_gb_total.to_string()),
        ("export_gb_extra", b.usage.export_gb_extra.to_string()),
        (
            "extra_stream_minutes_total",
            b.usage.extra_stream_minutes_total.to_string(),
        ),
    ]));
    Ok(())
}
