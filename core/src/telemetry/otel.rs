//! The core's telemetry through the `opentelemetry` crate (feature `opentelemetry`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, MeterProvider};
use opentelemetry::trace::{SpanBuilder, Status, TraceContextExt as _, TraceFlags, TracerProvider};
use opentelemetry::{Context, InstrumentationScope, KeyValue};

use super::{
    Attribute, BoxFuture, Instrument, Measurement, Observer, Parent, SpanEnd, SpanHandle, SpanKind,
    SpanStart, Value,
};

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("ticksupply")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// Spans and metrics through OpenTelemetry providers: pass it to
/// [`crate::ClientBuilder::telemetry`].
///
/// Spans start under the context of the attempt's operation, else
/// `opentelemetry::Context::current()` where the call is awaited (attach yours with
/// `opentelemetry::trace::FutureExt::with_context`).
pub struct OpenTelemetry {
    tracer: BoxedTracer,
    meter: Meter,
    instruments: Mutex<HashMap<&'static str, Inst>>,
}

#[derive(Clone)]
enum Inst {
    Histogram(Histogram<f64>),
    Counter(Counter<u64>),
    Gauge(Gauge<i64>),
}

impl OpenTelemetry {
    /// Through the global providers (`opentelemetry::global::set_tracer_provider`, …); set them
    /// before calling this.
    pub fn global() -> OpenTelemetry {
        OpenTelemetry {
            tracer: global::tracer_provider().tracer_with_scope(scope()),
            meter: global::meter_with_scope(scope()),
            instruments: Mutex::default(),
        }
    }

    /// Through these providers.
    pub fn new<T, M>(tracer_provider: &T, meter_provider: &M) -> OpenTelemetry
    where
        T: TracerProvider,
        T::Tracer: Send + Sync + 'static,
        <T::Tracer as opentelemetry::trace::Tracer>::Span: Send + Sync + 'static,
        M: MeterProvider,
    {
        OpenTelemetry {
            tracer: BoxedTracer::new(Box::new(tracer_provider.tracer_with_scope(scope()))),
            meter: meter_provider.meter_with_scope(scope()),
            instruments: Mutex::default(),
        }
    }

    fn instrument(&self, m: &Measurement) -> Inst {
        let mut all = self.instruments.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(m.name)
            .or_insert_with(|| match m.instrument {
                Instrument::Histogram => {
                    let mut b = self
                        .meter
                        .f64_histogram(m.name)
                        .with_unit(m.unit)
                        .with_description(m.description);
                    if !m.boundaries.is_empty() {
                        b = b.with_boundaries(m.boundaries.to_vec());
                    }
                    Inst::Histogram(b.build())
                }
                Instrument::Counter => Inst::Counter(
                    self.meter
                        .u64_counter(m.name)
                        .with_unit(m.unit)
                        .with_description(m.description)
                        .build(),
                ),
                Instrument::Gauge => Inst::Gauge(
                    self.meter
                        .i64_gauge(m.name)
                        .with_unit(m.unit)
                        .with_description(m.description)
                        .build(),
                ),
            })
            .clone()
    }
}

fn key_values(attributes: Vec<Attribute>) -> Vec<KeyValue> {
    attributes
        .into_iter()
        .map(|a| match a.value {
            Value::Str(s) => KeyValue::new(a.key, s),
            Value::Int(i) => KeyValue::new(a.key, i),
        })
        .collect()
}

/// A span held in its context, which is what children and the `traceparent` need.
struct OtelSpan(Context);

impl SpanHandle for OtelSpan {
    fn traceparent(&self) -> Option<String> {
        let sc = self.0.span().span_context().clone();
        sc.is_valid().then(|| {
            format!(
                "00-{}-{}-{:02x}",
                sc.trace_id(),
                sc.span_id(),
                sc.trace_flags() & TraceFlags::SAMPLED
            )
        })
    }

    fn as_parent(&self) -> Option<Parent> {
        Some(Arc::new(self.0.clone()))
    }

    fn end(self: Box<Self>, end: SpanEnd) {
        let span = self.0.span();
        span.set_attributes(key_values(end.attributes));
        if let Some(e) = end.error {
            span.set_status(Status::error(e));
        }
        span.end_with_timestamp(end.end);
    }
}

impl Observer for OpenTelemetry {
    fn start(&self, span: SpanStart, parent: Option<Parent>) -> BoxFuture<Box<dyn SpanHandle>> {
        let parent = parent
            .and_then(|p| p.downcast_ref::<Context>().cloned())
            .unwrap_or_else(Context::current);
        let kind = match span.kind {
            SpanKind::Client => opentelemetry::trace::SpanKind::Client,
            SpanKind::Internal => opentelemetry::trace::SpanKind::Internal,
        };
        let started = SpanBuilder::from_name(span.name)
            .with_kind(kind)
            .with_start_time(span.start)
            .with_attributes(key_values(span.attributes))
            .start_with_context(&self.tracer, &parent);
        let handle: Box<dyn SpanHandle> = Box::new(OtelSpan(parent.with_span(started)));
        Box::pin(std::future::ready(handle))
    }

    fn record(&self, measurements: Vec<Measurement>) {
        for m in measurements {
            let instrument = self.instrument(&m);
            let attributes = key_values(m.attributes);
            match instrument {
                Inst::Histogram(h) => h.record(m.value, &attributes),
                Inst::Counter(c) => c.add(m.value as u64, &attributes),
                Inst::Gauge(g) => g.record(m.value as i64, &attributes),
            }
        }
    }
}
