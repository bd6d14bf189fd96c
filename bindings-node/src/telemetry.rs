//! The core's telemetry into OpenTelemetry JS. `ticksupply/otel` installs four callbacks
//! (`start`, `end`, `release`, `record`); this file converts the core's span and metric
//! descriptions into calls of them. The rules are the core's.
//!
//! JavaScript objects stay on the JavaScript side: a context or a span is a number into a table
//! there. A context held here ([`NodeParent`]) is released when the last holder drops it, so the
//! table never keeps one longer than a call, a stream or a span that uses it.

use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Map, Value as Json};
use ticksupply::telemetry::{
    self, Attribute, BoxFuture, Instrument, Measurement, NoSpan, Observer, Parent, SpanEnd,
    SpanHandle, SpanKind, SpanStart, Value,
};

/// What `start` answers: the span's and its context's numbers, and its `traceparent`.
#[napi(object)]
pub struct StartedSpan {
    pub span: u32,
    pub context: u32,
    pub traceparent: Option<String>,
}

/// `start(name, kind, startMs, attributesJson, parentContext)`. Weak: telemetry never keeps
/// the process alive.
type StartFn = ThreadsafeFunction<
    FnArgs<(String, String, f64, String, Option<u32>)>,
    StartedSpan,
    FnArgs<(String, String, f64, String, Option<u32>)>,
    Status,
    false,
    true,
>;
/// `end(span, attributesJson, error, endMs)`.
type EndFn = ThreadsafeFunction<
    FnArgs<(u32, String, Option<String>, f64)>,
    Unknown<'static>,
    FnArgs<(u32, String, Option<String>, f64)>,
    Status,
    false,
    true,
>;
/// `release(context)` and `record(measurementsJson)`.
type ReleaseFn = ThreadsafeFunction<u32, Unknown<'static>, u32, Status, false, true>;
type RecordFn = ThreadsafeFunction<String, Unknown<'static>, String, Status, false, true>;

struct Callbacks {
    start: StartFn,
    end: EndFn,
    release: ReleaseFn,
    record: RecordFn,
}

static CALLBACKS: RwLock<Option<Arc<Callbacks>>> = RwLock::new(None);

fn callbacks() -> Option<Arc<Callbacks>> {
    CALLBACKS.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Installs the observer of every client of the process (or removes it when called without
/// callbacks).
#[napi(
    ts_args_type = "start?: ((name: string, kind: string, startMs: number, attributes: string, parent: number | null) => StartedSpan) | null, end?: ((span: number, attributes: string, error: string | null, endMs: number) => void) | null, release?: ((context: number) => void) | null, record?: ((measurements: string) => void) | null"
)]
pub fn set_observer(
    start: Option<StartFn>,
    end: Option<EndFn>,
    release: Option<ReleaseFn>,
    record: Option<RecordFn>,
) {
    let installed = match (start, end, release, record) {
        (Some(start), Some(end), Some(release), Some(record)) => Some(Arc::new(Callbacks {
            start,
            end,
            release,
            record,
        })),
        _ => None,
    };
    *CALLBACKS.write().unwrap_or_else(|p| p.into_inner()) = installed.clone();
    telemetry::set_global_observer(
        installed.map(|c| Arc::new(NodeObserver(c)) as Arc<dyn Observer>),
    );
}

/// A context of the JavaScript table, released there when dropped here.
pub struct NodeParent {
    id: u32,
    callbacks: Arc<Callbacks>,
}

impl Drop for NodeParent {
    fn drop(&mut self) {
        self.callbacks
            .release
            .call(self.id, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// The caller's context `id` (captured by `index.js`) as a parent for the call's spans.
pub fn parent(id: u32) -> Option<Parent> {
    let callbacks = callbacks()?;
    Some(Arc::new(NodeParent { id, callbacks }))
}

fn millis(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn json(attributes: Vec<Attribute>) -> Map<String, Json> {
    attributes
        .into_iter()
        .map(|a| {
            let v = match a.value {
                Value::Str(s) => Json::String(s),
                Value::Int(i) => Json::from(i),
            };
            (a.key.to_string(), v)
        })
        .collect()
}

struct NodeObserver(Arc<Callbacks>);

struct NodeSpan {
    span: u32,
    traceparent: Option<String>,
    context: Parent,
    callbacks: Arc<Callbacks>,
}

impl SpanHandle for NodeSpan {
    fn traceparent(&self) -> Option<String> {
        self.traceparent.clone()
    }
    fn as_parent(&self) -> Option<Parent> {
        Some(self.context.clone())
    }
    fn end(self: Box<Self>, end: SpanEnd) {
        let attributes = Json::Object(json(end.attributes)).to_string();
        self.callbacks.end.call(
            (self.span, attributes, end.error, millis(end.end)).into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}

impl Observer for NodeObserver {
    fn start(&self, span: SpanStart, parent: Option<Parent>) -> BoxFuture<Box<dyn SpanHandle>> {
        let callbacks = self.0.clone();
        let parent_id = parent
            .as_ref()
            .and_then(|p| p.downcast_ref::<NodeParent>())
            .map(|p| p.id);
        let kind = match span.kind {
            SpanKind::Client => "client",
            SpanKind::Internal => "internal",
        };
        let args = (
            span.name,
            kind.to_string(),
            millis(span.start),
            Json::Object(json(span.attributes)).to_string(),
            parent_id,
        );
        Box::pin(async move {
            // The JavaScript thread answers; the attempt waits for its `traceparent`. `parent`
            // stays held until then, so its context is still in the table.
            let started = callbacks.start.call_async_catch(args.into()).await;
            drop(parent);
            match started {
                Ok(s) => Box::new(NodeSpan {
                    span: s.span,
                    traceparent: s.traceparent,
                    context: Arc::new(NodeParent {
                        id: s.context,
                        callbacks: callbacks.clone(),
                    }),
                    callbacks,
                }) as Box<dyn SpanHandle>,
                Err(_) => Box::new(NoSpan),
            }
        })
    }

    fn record(&self, measurements: Vec<Measurement>) {
        let list: Vec<Json> = measurements
            .into_iter()
            .map(|m| {
                let kind = match m.instrument {
                    Instrument::Histogram => "histogram",
                    Instrument::Counter => "counter",
                    Instrument::Gauge => "gauge",
                };
                serde_json::json!({
                    "kind": kind,
                    "name": m.name,
                    "unit": m.unit,
                    "description": m.description,
                    "value": m.value,
                    "attributes": json(m.attributes),
                    "boundaries": m.boundaries,
                })
            })
            .collect();
        self.0.record.call(
            Json::Array(list).to_string(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }
}
