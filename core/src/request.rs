//! `Call<T>`: a ready request. `.send()`, `.send_with_meta()`, or just `.await` it.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{Error, ErrorContext, Result};
use crate::meta::Response;
use crate::transport::{RawResponse, RequestSpec};

/// Decodes a JSON success body, or reports [`Error::Decode`] in an [`Error::Context`] with the
/// status, request id and attempts (the client unwraps it unless it keeps error context).
///
/// `sonic-rs` (SIMD string scanning) decodes; a 1000-item page is mostly strings. Only if it refuses
/// the body does serde_json decode it again, for the official crate's `Decode(serde_json::Error)`.
pub fn decode<T: DeserializeOwned>(raw: &RawResponse) -> Result<T> {
    if let Ok(v) = sonic_rs::from_slice(&raw.body) {
        return Ok(v);
    }
    serde_json::from_slice(&raw.body).map_err(|source| {
        ErrorContext {
            status: Some(raw.status),
            request_id: raw.meta.request_id.clone(),
            attempts: raw.meta.attempts,
            ..ErrorContext::new(Error::Decode(source))
        }
        .into_error()
    })
}

/// How a success body becomes a value: JSON, or nothing (204 endpoints).
pub trait Decode: Sized + Send + 'static {
    fn decode(raw: &RawResponse) -> Result<Self>;
}

/// Marker for endpoints whose success has no useful body.
impl Decode for () {
    fn decode(_: &RawResponse) -> Result<()> {
        Ok(())
    }
}

macro_rules! json_decode {
    ($($t:ty),* $(,)?) => { $( impl $crate::request::Decode for $t {
        fn decode(raw: &$crate::transport::RawResponse) -> $crate::error::Result<Self> {
            $crate::request::decode(raw)
        }
    } )* };
}
pub(crate) use json_decode;

impl<T: DeserializeOwned + Send + 'static> Decode for Vec<T> {
    fn decode(raw: &RawResponse) -> Result<Self> {
        decode(raw)
    }
}

impl<T: DeserializeOwned + Send + 'static> Decode for crate::pagination::Page<T> {
    fn decode(raw: &RawResponse) -> Result<Self> {
        decode(raw)
    }
}

impl Decode for serde_json::Value {
    fn decode(raw: &RawResponse) -> Result<Self> {
        if raw.body.is_empty() {
            Ok(serde_json::Value::Null)
        } else {
            decode(raw)
        }
    }
}

/// A request ready to send.
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct Call<T> {
    client: Client,
    spec: RequestSpec,
    _out: PhantomData<fn() -> T>,
}

impl<T: Decode> Call<T> {
    pub(crate) fn new(client: Client, spec: RequestSpec) -> Self {
        Call {
            client,
            spec,
            _out: PhantomData,
        }
    }

    /// A call without query or body.
    pub(crate) fn plain(
        client: &Client,
        method: reqwest::Method,
        template: &'static str,
        path: String,
    ) -> Self {
        Call::new(client.clone(), RequestSpec::new(method, template, path))
    }

    /// Sends the request (with retries) and decodes the result.
    pub async fn send(self) -> Result<T> {
        self.send_with_meta().await.map(|r| r.data)
    }

    /// Like [`Call::send`], with the request id, rate-limit headers and attempt count.
    pub async fn send_with_meta(self) -> Result<Response<T>> {
        let raw = self.client.execute(self.spec).await?;
        let data = T::decode(&raw).map_err(|e| self.client.shape_error(e))?;
        Ok(Response {
            data,
            meta: raw.meta,
        })
    }

    /// The raw JSON of the response instead of the typed value.
    pub async fn send_json(self) -> Result<Response<serde_json::Value>> {
        let raw = self.client.execute(self.spec).await?;
        Ok(Response {
            data: serde_json::Value::decode(&raw).map_err(|e| self.client.shape_error(e))?,
            meta: raw.meta,
        })
    }

    /// The response's JSON text, checked to be JSON but not decoded: for callers that parse it
    /// themselves (the Node binding hands it to `JSON.parse`). An empty body is `null`.
    pub async fn send_text(self) -> Result<Response<String>> {
        let raw = self.client.execute(self.spec).await?;
        if raw.body.is_empty() {
            return Ok(Response {
                data: "null".into(),
                meta: raw.meta,
            });
        }
        decode::<serde::de::IgnoredAny>(&raw).map_err(|e| self.client.shape_error(e))?;
        // serde_json has just checked that the body is UTF-8.
        let data = String::from_utf8_lossy(&raw.body).into_owned();
        Ok(Response {
            data,
            meta: raw.meta,
        })
    }

    /// Sets the `Idempotency-Key` (otherwise one is generated for every POST and DELETE).
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.spec.idempotency_key = Some(key.into());
        self
    }
}

impl<T: Decode> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Gives a request builder `send`, `send_with_meta`, `send_json` and `.await`, through
/// `into_call`.
macro_rules! sendable {
    ($builder:ident => $out:ty) => {
        impl $builder {
            /// Sends the request (with retries) and decodes the result.
            pub async fn send(self) -> $crate::error::Result<$out> {
                self.into_call().send().await
            }
            /// Like `send`, with the request id, rate-limit headers and attempt count.
            pub async fn send_with_meta(
                self,
            ) -> $crate::error::Result<$crate::meta::Response<$out>> {
                self.into_call().send_with_meta().await
            }
            /// The raw JSON of the response, with its metadata.
            pub async fn send_json(
                self,
            ) -> $crate::error::Result<$crate::meta::Response<serde_json::Value>> {
                self.into_call().send_json().await
            }
            /// The response's JSON text, checked but not decoded, with its metadata.
            pub async fn send_text(self) -> $crate::error::Result<$crate::meta::Response<String>> {
                self.into_call().send_text().await
            }
        }
        impl std::future::IntoFuture for $builder {
            type Output = $crate::error::Result<$out>;
            type IntoFuture =
                std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use sendable;
