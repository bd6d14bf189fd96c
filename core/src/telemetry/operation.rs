//! INTERNAL spans around operations made of several calls (waiting for an export, downloading
//! or reading its artifacts, a `sync`): the attempts inside become their children, also in the
//! tasks the operation spawns.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use super::{
    Attribute, Observer, Parent, SpanEnd, SpanHandle, SpanKind, SpanStart, current_parent,
    observer, with_parent,
};
use crate::client::Client;

/// A started operation span; it ends when dropped (failed if [`OperationSpan::fail`] was
/// called).
pub struct OperationSpan {
    span: Option<Box<dyn SpanHandle>>,
    parent: Option<Parent>,
    error: Option<String>,
    _observer: Arc<dyn Observer>,
}

impl OperationSpan {
    /// Starts `name` under the current parent when the client has an observer; the attributes
    /// are only built then.
    pub async fn start(
        client: &Client,
        name: &str,
        attributes: impl FnOnce() -> Vec<Attribute>,
    ) -> Option<OperationSpan> {
        let observer = observer(&client.inner.telemetry)?;
        let span = observer
            .start(
                SpanStart {
                    name: name.to_string(),
                    kind: SpanKind::Internal,
                    start: SystemTime::now(),
                    attributes: attributes(),
                },
                current_parent(),
            )
            .await;
        Some(OperationSpan {
            parent: span.as_parent(),
            span: Some(span),
            error: None,
            _observer: observer,
        })
    }

    /// The context the operation's own calls start their spans under.
    pub fn parent(&self) -> Option<Parent> {
        self.parent.clone()
    }

    /// Marks the operation failed.
    pub fn fail(&mut self, error: &dyn Display) {
        self.error = Some(error.to_string());
    }
}

impl Drop for OperationSpan {
    fn drop(&mut self) {
        if let Some(span) = self.span.take() {
            span.end(SpanEnd {
                end: SystemTime::now(),
                attributes: Vec::new(),
                error: self.error.take(),
            });
        }
    }
}

/// Runs `fut` inside an INTERNAL span `name` (when the client has an observer; else just runs
/// it), failed when `fut` returns an error.
pub async fn in_operation<T, E: Display, F: Future<Output = Result<T, E>>>(
    client: &Client,
    name: &str,
    attributes: impl FnOnce() -> Vec<Attribute>,
    fut: F,
) -> Result<T, E> {
    let Some(mut span) = OperationSpan::start(client, name, attributes).await else {
        return fut.await;
    };
    let out = with_parent(span.parent(), fut).await;
    if let Err(e) = &out {
        span.fail(e);
    }
    out
}
