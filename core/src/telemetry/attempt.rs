//! The rules for one HTTP attempt: a CLIENT span named `METHOD url.template` with the HTTP
//! client semantic conventions, and the metrics it feeds.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use reqwest::header::HeaderValue;

use super::{
    Attribute, Instrument, Measurement, Observer, SpanEnd, SpanHandle, SpanKind, SpanStart,
    current_parent, observer,
};
use crate::client::Client;
use crate::error::Error;
use crate::meta::RateLimit;

/// The semantic conventions' advice for `http.client.request.duration`, in seconds.
pub const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// What is being requested.
pub(crate) struct Target<'a> {
    pub method: &'a str,
    /// The API path's template (`/exports/{id}`); `None` for artifacts.
    pub template: Option<&'static str>,
    pub url: UrlRef<'a>,
    /// Attempts before this one.
    pub resend_count: u32,
}

/// A URL as the caller has it: parsed only when telemetry is on.
pub(crate) enum UrlRef<'a> {
    Parsed(&'a url::Url),
    Text(&'a str),
}

/// One attempt being traced.
pub(crate) struct AttemptTrace {
    observer: Arc<dyn Observer>,
    /// Taken when the attempt ends; still here when it was dropped (canceled).
    span: Option<Box<dyn SpanHandle>>,
    started: Instant,
    /// Low-cardinality attributes shared by the span and the metrics.
    common: Vec<Attribute>,
    key_suffix: Option<String>,
    traceparent: Option<HeaderValue>,
}

/// What an attempt came to.
pub(crate) struct Outcome<'a> {
    pub status: Option<u16>,
    pub failure: Option<Failure>,
    pub request_id: Option<&'a str>,
    pub rate_limit: Option<&'a RateLimit>,
}

/// Why an attempt failed: a short code (the SDK's: `timeout`, `network_error`, `not_found`, …)
/// and a message that holds no secret (no key, no presigned query).
pub(crate) struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn of(e: &Error) -> Failure {
        Failure {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// The last four characters of the client's key, as its hint shows them (none for short keys).
fn key_suffix(client: &Client) -> Option<String> {
    let hint = client.api_key_hint();
    let tail = hint.trim_start_matches('*');
    (!tail.is_empty()).then(|| tail.to_string())
}

/// Starts the attempt's span when the client has an observer; `None` (and nothing allocated)
/// otherwise. API requests carry the key's suffix; artifact requests, whose URLs are presigned,
/// lose their query string and carry neither the key nor a `traceparent`.
pub(crate) async fn start(client: &Client, target: Target<'_>) -> Option<AttemptTrace> {
    let observer = observer(&client.inner.telemetry)?;
    let parsed;
    let url = match target.url {
        UrlRef::Parsed(u) => u,
        UrlRef::Text(t) => {
            parsed = url::Url::parse(t).ok()?;
            &parsed
        }
    };
    let mut common = vec![
        Attribute::str("http.request.method", target.method),
        Attribute::str("server.address", url.host_str().unwrap_or_default()),
        Attribute::int(
            "server.port",
            url.port_or_known_default().unwrap_or_default().into(),
        ),
    ];
    if let Some(t) = target.template {
        common.push(Attribute::str("url.template", t));
    }
    let full = match target.template {
        Some(_) => url.to_string(),
        None => {
            let mut bare = url.clone();
            bare.set_query(None);
            bare.set_fragment(None);
            bare.to_string()
        }
    };
    let key_suffix = target.template.and_then(|_| key_suffix(client));
    let mut attributes = common.clone();
    attributes.push(Attribute::str("url.full", full));
    if target.resend_count > 0 {
        attributes.push(Attribute::int(
            "http.request.resend_count",
            target.resend_count.into(),
        ));
    }
    if let Some(s) = &key_suffix {
        attributes.push(Attribute::str("ticksupply.api_key.suffix", s.clone()));
    }
    let name = match target.template {
        Some(t) => format!("{} {t}", target.method),
        None => target.method.to_string(),
    };
    let span = observer
        .start(
            SpanStart {
                name,
                kind: SpanKind::Client,
                start: SystemTime::now(),
                attributes,
            },
            current_parent(),
        )
        .await;
    let traceparent = target
        .template
        .and(span.traceparent())
        .and_then(|t| HeaderValue::from_str(&t).ok());
    Some(AttemptTrace {
        observer,
        span: Some(span),
        started: Instant::now(),
        common,
        key_suffix,
        traceparent,
    })
}

/// `error.type`: the status code of an HTTP error, else the SDK's code for a failure without a
/// response (`timeout`, `network_error`, …).
fn error_type(o: &Outcome<'_>) -> Option<String> {
    match (o.status, &o.failure) {
        (Some(s), _) if s >= 400 => Some(s.to_string()),
        (_, Some(f)) => Some(f.code.clone()),
        _ => None,
    }
}

fn measurement(
    instrument: Instrument,
    name: &'static str,
    unit: &'static str,
    description: &'static str,
    value: f64,
    attributes: Vec<Attribute>,
) -> Measurement {
    let boundaries = match instrument {
        Instrument::Histogram => DURATION_BUCKETS,
        _ => &[],
    };
    Measurement {
        instrument,
        name,
        unit,
        description,
        value,
        attributes,
        boundaries,
    }
}

impl AttemptTrace {
    /// The `traceparent` header for an API request.
    pub fn traceparent(&self) -> Option<&HeaderValue> {
        self.traceparent.as_ref()
    }

    pub fn end(mut self, o: Outcome<'_>) {
        let Some(span) = self.span.take() else {
            return;
        };
        let seconds = self.started.elapsed().as_secs_f64();
        let error_type = error_type(&o);
        let mut common = std::mem::take(&mut self.common);
        if let Some(s) = o.status {
            common.push(Attribute::int("http.response.status_code", s.into()));
        }
        if let Some(t) = &error_type {
            common.push(Attribute::str("error.type", t.clone()));
        }
        let mut attributes = common.clone();
        if let Some(id) = o.request_id {
            attributes.push(Attribute::str("ticksupply.request_id", id));
        }
        let error = error_type.as_ref().map(|t| match &o.failure {
            Some(f) => f.message.clone(),
            None => format!("HTTP {t}"),
        });
        span.end(SpanEnd {
            end: SystemTime::now(),
            attributes,
            error,
        });

        let server = || {
            common
                .iter()
                .find(|a| a.key == "server.address")
                .cloned()
                .into_iter()
        };
        let suffix = || {
            self.key_suffix
                .iter()
                .map(|s| Attribute::str("ticksupply.api_key.suffix", s.clone()))
        };
        let mut out = Vec::with_capacity(4);
        match o.status {
            Some(401) => out.push(measurement(
                Instrument::Counter,
                "ticksupply.client.auth_failures",
                "{request}",
                "Requests the API refused as unauthenticated (401), by the key's last four characters",
                1.0,
                server().chain(suffix()).collect(),
            )),
            Some(429) => out.push(measurement(
                Instrument::Counter,
                "ticksupply.client.rate_limited",
                "{request}",
                "Requests the API refused over the rate limit (429)",
                1.0,
                server()
                    .chain(common.iter().find(|a| a.key == "url.template").cloned())
                    .chain(suffix())
                    .collect(),
            )),
            _ => {}
        }
        if let Some(r) = o.rate_limit {
            for (window, left) in [("minute", r.remaining_minute), ("hour", r.remaining_hour)] {
                if let Some(left) = left {
                    out.push(measurement(
                        Instrument::Gauge,
                        "ticksupply.client.rate_limit.remaining",
                        "{request}",
                        "Requests left in the rate-limit window, as the last response said",
                        left as f64,
                        server()
                            .chain(suffix())
                            .chain([Attribute::str("ticksupply.rate_limit.window", window)])
                            .collect(),
                    ));
                }
            }
        }
        out.push(measurement(
            Instrument::Histogram,
            "http.client.request.duration",
            "s",
            "Duration of HTTP client requests.",
            seconds,
            common,
        ));
        self.observer.record(out);
    }
}

/// An attempt dropped before it ended: its call was canceled (or timed out around it).
impl Drop for AttemptTrace {
    fn drop(&mut self) {
        if let Some(span) = self.span.take() {
            span.end(SpanEnd {
                end: SystemTime::now(),
                attributes: vec![Attribute::str("error.type", "canceled")],
                error: Some("the call was canceled before the attempt ended".into()),
            });
        }
    }
}
