//! Telemetry: each attempt reported once, as the OpenTelemetry HTTP client conventions describe
//! it, so that Rust, Python and Node emit the same spans and metrics.
//!
//! The core owns every rule — span names, attributes, which outcomes are errors, which metrics
//! and with which attributes (`attempt.rs`, [`in_operation`]) — and hands ready descriptions
//! ([`SpanStart`], [`SpanEnd`], [`Measurement`]) to an [`Observer`]. An observer only converts
//! them to its language's OpenTelemetry SDK: [`OpenTelemetry`] for Rust (feature
//! `opentelemetry`), the Python and Node bindings' for theirs.
//!
//! Off (no observer on the client, none installed process-wide), nothing is allocated: each
//! attempt checks one `Option` and one atomic pointer.
//!
//! Spans join the caller's trace through a [`Parent`]: the caller's context, captured by the
//! binding when the call starts ([`with_parent`]), or the span of the operation the attempt runs
//! in. Tasks the core spawns carry it along.

pub(crate) mod attempt;
mod operation;
#[cfg(feature = "opentelemetry")]
mod otel;

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwapOption;

pub use attempt::DURATION_BUCKETS;
pub use operation::{OperationSpan, in_operation};
#[cfg(feature = "opentelemetry")]
pub use otel::OpenTelemetry;

/// The context spans are started in, as the observer's language represents it (an
/// `opentelemetry::Context`, a Python context object, a handle into a JavaScript table).
pub type Parent = Arc<dyn Any + Send + Sync>;

/// A future an observer answers with (a binding may have to ask another thread).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// One HTTP attempt.
    Client,
    /// An operation made of several calls (wait, download, data, a sync).
    Internal,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
}

/// One attribute: a semantic-convention key and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub key: &'static str,
    pub value: Value,
}

impl Attribute {
    pub fn str(key: &'static str, value: impl Into<String>) -> Attribute {
        Attribute {
            key,
            value: Value::Str(value.into()),
        }
    }
    pub fn int(key: &'static str, value: i64) -> Attribute {
        Attribute {
            key,
            value: Value::Int(value),
        }
    }
}

/// A span to start.
#[derive(Debug, Clone)]
pub struct SpanStart {
    pub name: String,
    pub kind: SpanKind,
    pub start: SystemTime,
    pub attributes: Vec<Attribute>,
}

/// How a span ends: attributes known only then, and an error description when it failed.
#[derive(Debug, Clone)]
pub struct SpanEnd {
    pub end: SystemTime,
    pub attributes: Vec<Attribute>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instrument {
    Histogram,
    Counter,
    Gauge,
}

/// One value for a metric instrument.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub instrument: Instrument,
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    pub value: f64,
    pub attributes: Vec<Attribute>,
    /// Bucket boundaries a histogram should be created with (its first measurement's).
    pub boundaries: &'static [f64],
}

/// A started span.
pub trait SpanHandle: Send + Sync {
    /// The W3C `traceparent` of this span, sent with API requests.
    fn traceparent(&self) -> Option<String>;
    /// A parent for the spans started inside this one.
    fn as_parent(&self) -> Option<Parent>;
    fn end(self: Box<Self>, end: SpanEnd);
}

/// A span that records nothing: what an observer returns when its SDK could not start one.
pub struct NoSpan;

impl SpanHandle for NoSpan {
    fn traceparent(&self) -> Option<String> {
        None
    }
    fn as_parent(&self) -> Option<Parent> {
        None
    }
    fn end(self: Box<Self>, _end: SpanEnd) {}
}

/// Turns the core's descriptions into a telemetry SDK's spans and metrics.
pub trait Observer: Send + Sync {
    /// Starts a span under `parent` (else the observer's idea of the current context).
    fn start(&self, span: SpanStart, parent: Option<Parent>) -> BoxFuture<Box<dyn SpanHandle>>;
    /// Records measurements.
    fn record(&self, measurements: Vec<Measurement>);
}

/// The lock-free slot needs a sized value: the installed observer behind one.
struct Installed(Arc<dyn Observer>);

static GLOBAL: ArcSwapOption<Installed> = ArcSwapOption::const_empty();

/// Installs (or with `None` removes) the observer of every client that has none of its own:
/// how the Python and Node instrumentations turn telemetry on for clients made before them.
pub fn set_global_observer(observer: Option<Arc<dyn Observer>>) {
    GLOBAL.store(observer.map(|o| Arc::new(Installed(o))));
}

/// Whether a process-wide observer is installed (bindings capture the caller's context only
/// then).
pub fn global_observer_installed() -> bool {
    GLOBAL.load().is_some()
}

/// Where a client reports its attempts.
#[derive(Clone, Default)]
pub enum Reporting {
    /// To the process-wide observer, when one is installed.
    #[default]
    Global,
    /// To this observer.
    To(Arc<dyn Observer>),
    /// Nowhere.
    Off,
}

/// The observer a client reports to now, if any.
pub(crate) fn observer(reporting: &Reporting) -> Option<Arc<dyn Observer>> {
    match reporting {
        Reporting::To(o) => Some(o.clone()),
        Reporting::Global => GLOBAL.load().as_ref().map(|i| i.0.clone()),
        Reporting::Off => None,
    }
}

tokio::task_local! {
    static PARENT: Option<Parent>;
}

/// The parent spans start under here: the innermost [`with_parent`] scope's.
pub(crate) fn current_parent() -> Option<Parent> {
    PARENT.try_with(Clone::clone).ok().flatten()
}

/// Runs `fut` with `parent` as the context its attempts' spans start under: bindings pass the
/// caller's context, captured when the call was made.
pub async fn with_parent<F: Future>(parent: Option<Parent>, fut: F) -> F::Output {
    PARENT.scope(parent, fut).await
}

/// `fut`, carrying the current parent into a task the core spawns.
pub(crate) fn carry<F: Future>(fut: F) -> tokio::task::futures::TaskLocalFuture<Option<Parent>, F> {
    carry_parent(current_parent(), fut)
}

/// `fut` with `parent` as its parent, for a task spawned from code that runs outside the
/// caller's task (a decoding thread).
pub(crate) fn carry_parent<F: Future>(
    parent: Option<Parent>,
    fut: F,
) -> tokio::task::futures::TaskLocalFuture<Option<Parent>, F> {
    PARENT.scope(parent, fut)
}
