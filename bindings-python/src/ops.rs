//! Operation name + JSON arguments → a core call. Names mirror the Python resource methods.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Map, Value};
use ticksupply::resources::catalog::{ListExchangeDatastreamsRequest, ListInstrumentsRequest};
use ticksupply::resources::datastreams::ListDatastreamsRequest;
use ticksupply::resources::export_schemas::{SchemaContent, StreamCategory};
use ticksupply::resources::exports::ListExportsRequest;
use ticksupply::resources::subscriptions::ListSubscriptionsRequest;
use ticksupply::{Client, Error, ResponseMeta, Result};

pub type Pending = Pin<Box<dyn Future<Output = Result<(Value, ResponseMeta)>> + Send>>;
pub type Pages = Pin<Box<dyn futures_util::Stream<Item = Result<(Value, ResponseMeta)>> + Send>>;

fn page_json<T: serde::Serialize>(
    r: Result<(ticksupply::Page<T>, ResponseMeta)>,
) -> Result<(Value, ResponseMeta)> {
    r.map(|(p, m)| (serde_json::to_value(&p).unwrap_or(Value::Null), m))
}

/// The pages of a list operation, from the first, by the core's pager (filters and limit kept,
/// a repeated token is an error).
pub fn pages(c: &Client, op: &str, args: &str) -> Result<Pages> {
    use futures_util::StreamExt;
    let a = parse(args)?;
    Ok(match op {
        "subscriptions.list" => Box::pin(subscriptions(c, &a)?.pages().map(page_json)),
        "exports.list" => Box::pin(exports(c, &a)?.pages().map(page_json)),
        "datastreams.list" => Box::pin(datastreams(c, &a)?.pages().map(page_json)),
        "exchanges.list_instruments" => Box::pin(instruments(c, &a)?.pages().map(page_json)),
        "exchanges.list_datastreams" => {
            Box::pin(instrument_datastreams(c, &a)?.pages().map(page_json))
        }
        other => return Err(bad(format!("{other:?} is not a list operation"))),
    })
}

fn parse(args: &str) -> Result<Args> {
    match serde_json::from_str(args) {
        Ok(Value::Object(m)) => Ok(Args(m)),
        _ => Err(bad("arguments must be a JSON object".into())),
    }
}

struct Args(Map<String, Value>);

fn bad(msg: String) -> Error {
    Error::Config(msg)
}

impl Args {
    fn str(&self, k: &str) -> Option<String> {
        self.0.get(k).and_then(Value::as_str).map(str::to_string)
    }
    fn req(&self, k: &str) -> Result<String> {
        self.str(k)
            .ok_or_else(|| bad(format!("{k} is required and must be a string")))
    }
    fn int(&self, k: &str) -> Result<Option<i64>> {
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(format!("{k} must be an integer"))),
        }
    }
    fn req_int(&self, k: &str) -> Result<i64> {
        self.int(k)?.ok_or_else(|| bad(format!("{k} is required")))
    }
    fn limit(&self) -> Result<Option<u32>> {
        self.int("limit")?
            .map(|n| u32::try_from(n).map_err(|_| bad("limit must be a positive integer".into())))
            .transpose()
    }
    fn secs(&self, k: &str) -> Result<Option<Duration>> {
        match self.0.get(k).and_then(Value::as_f64) {
            None => Ok(None),
            Some(s) => Duration::try_from_secs_f64(s)
                .map(Some)
                .map_err(|_| bad(format!("{k} must be a non-negative number of seconds"))),
        }
    }
    fn time(&self, k: &str) -> Result<String> {
        match self.0.get(k) {
            Some(Value::Number(n)) if n.is_i64() => Ok(n.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(bad(format!(
                "{k} must be a datetime, an integer of nanoseconds or a string"
            ))),
        }
    }
    fn content(&self) -> Result<SchemaContent> {
        let mut m = Map::new();
        for k in ["columns", "unfold", "derive"] {
            if let Some(v) = self.0.get(k).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        serde_json::from_value(Value::Object(m))
            .map_err(|e| bad(format!("invalid schema content: {e}")))
    }
}

macro_rules! pending {
    ($call:expr) => {{
        let call = $call;
        Box::pin(async move { call.send_json().await.map(|r| (r.data, r.meta)) }) as Pending
    }};
}

macro_rules! keyed {
    ($a:expr, $call:expr) => {{
        let mut call = $call;
        if let Some(k) = $a.str("idempotency_key") {
            call = call.idempotency_key(k);
        }
        pending!(call)
    }};
}

// One builder per list, shared by the one-page call (with `page_token`) and the pager.

fn instruments(c: &Client, a: &Args) -> Result<ListInstrumentsRequest> {
    let mut r = c.exchanges().list_instruments(a.req("exchange")?);
    if let Some(v) = a.str("search") {
        r = r.search(v)
    }
    if let Some(v) = a.str("base") {
        r = r.base(v)
    }
    if let Some(v) = a.str("quote") {
        r = r.quote(v)
    }
    if let Some(v) = a.str("instrument_type") {
        r = r.instrument_type(v)
    }
    if let Some(v) = a.limit()? {
        r = r.limit(v)
    }
    Ok(r)
}

fn instrument_datastreams(c: &Client, a: &Args) -> Result<ListExchangeDatastreamsRequest> {
    let mut r = c
        .exchanges()
        .list_datastreams(a.req("exchange")?, a.req("instrument")?);
    if let Some(v) = a.str("stream_type") {
        r = r.stream_type(v)
    }
    if let Some(v) = a.str("wire_format") {
        r = r.wire_format(v)
    }
    if let Some(v) = a.limit()? {
        r = r.limit(v)
    }
    Ok(r)
}

fn datastreams(c: &Client, a: &Args) -> Result<ListDatastreamsRequest> {
    let mut r = c.datastreams().list();
    if let Some(v) = a.str("exchange") {
        r = r.exchange(v)
    }
    if let Some(v) = a.str("instrument") {
        r = r.instrument(v)
    }
    if let Some(v) = a.str("stream_type") {
        r = r.stream_type(v)
    }
    if let Some(v) = a.str("wire_format") {
        r = r.wire_format(v)
    }
    if let Some(v) = a.limit()? {
        r = r.limit(v)
    }
    Ok(r)
}

fn subscriptions(c: &Client, a: &Args) -> Result<ListSubscriptionsRequest> {
    let r = c.subscriptions().list();
    Ok(match a.limit()? {
        Some(v) => r.limit(v),
        None => r,
    })
}

fn exports(c: &Client, a: &Args) -> Result<ListExportsRequest> {
    let r = c.exports().list();
    Ok(match a.limit()? {
        Some(v) => r.limit(v),
        None => r,
    })
}

/// Adds `page_token` when given.
macro_rules! paged {
    ($a:expr, $r:expr) => {{
        let r = $r;
        match $a.str("page_token") {
            Some(t) => r.page_token(t),
            None => r,
        }
    }};
}

pub fn build(c: &Client, op: &str, args: &str) -> Result<Pending> {
    let a = parse(args)?;
    let id = || a.req("id");
    Ok(match op {
        "exchanges.list" => pending!(c.exchanges().list()),
        "exchanges.list_instruments" => pending!(paged!(a, instruments(c, &a)?)),
        "exchanges.list_datastreams" => pending!(paged!(a, instrument_datastreams(c, &a)?)),
        "datastreams.list" => pending!(paged!(a, datastreams(c, &a)?)),
        "subscriptions.list" => pending!(paged!(a, subscriptions(c, &a)?)),
        "subscriptions.get" => pending!(c.subscriptions().get(&id()?)),
        "subscriptions.create" => keyed!(a, c.subscriptions().create(a.req_int("datastream_id")?)),
        "subscriptions.delete" => keyed!(a, c.subscriptions().delete(id()?)),
        "subscriptions.pause" => keyed!(a, c.subscriptions().pause(id()?)),
        "subscriptions.resume" => keyed!(a, c.subscriptions().resume(id()?)),
        "subscriptions.list_spans" => pending!(c.subscriptions().list_spans(&id()?)),
        "exports.list" => pending!(paged!(a, exports(c, &a)?)),
        "exports.get" => pending!(c.exports().get(&id()?)),
        "exports.get_download" => pending!(c.exports().get_download(&id()?)),
        "exports.delete" => keyed!(a, c.exports().delete(id()?)),
        "exports.cancel" => keyed!(a, c.exports().cancel(id()?)),
        "exports.create" => {
            let mut r = c.exports().create(
                a.req_int("datastream_id")?,
                a.time("start_time")?,
                a.time("end_time")?,
            );
            match a.0.get("schema") {
                Some(Value::String(s)) => r = r.schema(s.clone()),
                Some(v @ Value::Object(_)) => r = r.inline_schema(v.clone()),
                None | Some(Value::Null) => {}
                Some(_) => return Err(bad("schema must be a name, an id or a dict".into())),
            }
            if let Some(v) = a.str("format") {
                r = r.format(v)
            }
            if let Some(v) = a.0.get("format_options").filter(|v| !v.is_null()) {
                r = r.format_options(v.clone())
            }
            keyed!(a, r)
        }
        "exports.wait" => {
            let mut r = c.exports().wait(id()?);
            if let Some(t) = a.secs("timeout")? {
                r = r.timeout(t)
            }
            if let Some(p) = a.secs("poll_interval")? {
                r = r.poll_interval(p)
            }
            Box::pin(async move {
                let job = r.send().await?;
                Ok((
                    serde_json::to_value(&job).unwrap_or(Value::Null),
                    ResponseMeta::default(),
                ))
            })
        }
        "exports.download" => {
            let r = c.exports().download(id()?, a.req("dest_dir")?).overwrite(
                a.0.get("overwrite")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            );
            let r = match a.int("concurrency")? {
                Some(n) => r.concurrency(n.max(1) as usize),
                None => r,
            };
            Box::pin(async move {
                let paths = r.send().await?;
                let paths: Vec<Value> = paths
                    .iter()
                    .map(|p| Value::String(p.display().to_string()))
                    .collect();
                Ok((Value::Array(paths), ResponseMeta::default()))
            })
        }
        "export_schemas.list" => pending!(c.export_schemas().list()),
        "export_schemas.get" => pending!(c.export_schemas().get(&id()?)),
        "export_schemas.create" => {
            let category: StreamCategory = a
                .req("stream_category")?
                .parse()
                .unwrap_or_else(|e: std::convert::Infallible| match e {});
            keyed!(
                a,
                c.export_schemas()
                    .create(a.req("name")?, category, a.content()?)
            )
        }
        "export_schemas.update" => keyed!(a, c.export_schemas().update(id()?, a.content()?)),
        "export_schemas.delete" => keyed!(a, c.export_schemas().delete(id()?)),
        "export_schemas.create_draft" => {
            let mut r = c.export_schemas().create_draft(id()?);
            if a.0.get("columns").is_some_and(|v| !v.is_null()) {
                r = r.content(a.content()?);
            }
            keyed!(a, r)
        }
        "export_schemas.get_draft" => pending!(c.export_schemas().get_draft(&id()?)),
        "export_schemas.update_draft" => {
            pending!(c.export_schemas().update_draft(id()?, a.content()?))
        }
        "export_schemas.discard_draft" => keyed!(a, c.export_schemas().discard_draft(id()?)),
        "export_schemas.publish_draft" => keyed!(a, c.export_schemas().publish_draft(id()?)),
        "availability.get" => pending!(c.availability().get(a.req_int("datastream_id")?)),
        "billing.get_summary" => pending!(c.billing().get_summary()),
        other => return Err(bad(format!("unknown operation {other:?}"))),
    })
}
