//! A `tracing` layer that turns the core's events into one text line each
//! (`message k=v … span fields`) and hands it to a binding's sink.

use std::fmt::Write;

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Where lines go, and which levels are wanted (checked before any formatting).
pub trait LineSink: Send + Sync + 'static {
    fn enabled(&self, level: &Level) -> bool;
    fn write(&self, level: &Level, line: String);
}

/// `k=v` pairs, with the `message` field kept apart.
#[derive(Default)]
struct Fields {
    message: String,
    pairs: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.pairs, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.pairs, " {}={value}", field.name());
        }
    }
}

struct SpanFields(String);

pub struct LineLayer<S>(pub S);

impl<S: LineSink, R: Subscriber + for<'a> LookupSpan<'a>> Layer<R> for LineLayer<S> {
    /// Asked again for every span and event: the sink's level can change at any time.
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    /// A span or event below the sink's level is never built: the request span alone would
    /// otherwise cost an allocation and a formatted string on every call.
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, R>) -> bool {
        self.0.enabled(metadata.level())
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, R>,
    ) {
        let mut f = Fields::default();
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(f.pairs));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, R>) {
        let level = event.metadata().level();
        if !self.0.enabled(level) {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let mut line = f.message;
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(s)) = span.extensions().get::<SpanFields>() {
                    line.push_str(s);
                }
            }
        }
        line.push_str(&f.pairs);
        self.0.write(level, line);
    }
}

/// Makes `sink` the process's global subscriber. Another library may own it already; then the
/// core's events stay there.
pub fn install(sink: impl LineSink) {
    use tracing_subscriber::layer::SubscriberExt;
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(LineLayer(sink)),
    );
}
