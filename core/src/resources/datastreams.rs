//! `GET /datastreams`: search datastreams across the catalog.

use reqwest::Method;

use super::catalog::{DatastreamInfo, list_builder};
use crate::client::Client;
use crate::transport::RequestSpec;

pub struct DatastreamsResource<'a> {
    pub(crate) client: &'a Client,
}

impl DatastreamsResource<'_> {
    /// Builder for `GET /datastreams`; with no filters, every datastream.
    pub fn list(&self) -> ListDatastreamsRequest {
        ListDatastreamsRequest {
            client: self.client.clone(),
            exchange: None,
            instrument: None,
            stream_type: None,
            wire_format: None,
            limit: None,
            page_token: None,
        }
    }
}

/// Builder for `GET /datastreams`.
pub struct ListDatastreamsRequest {
    client: Client,
    exchange: Option<String>,
    instrument: Option<String>,
    stream_type: Option<String>,
    wire_format: Option<String>,
    limit: Option<u32>,
    page_token: Option<String>,
}

impl ListDatastreamsRequest {
    pub fn exchange(mut self, e: impl Into<String>) -> Self {
        self.exchange = Some(e.into());
        self
    }
    pub fn instrument(mut self, i: impl Into<String>) -> Self {
        self.instrument = Some(i.into());
        self
    }
    /// `trades`, `depth`, `ticker`, …
    pub fn stream_type(mut self, s: impl Into<String>) -> Self {
        self.stream_type = Some(s.into());
        self
    }
    pub fn wire_format(mut self, w: impl Into<String>) -> Self {
        self.wire_format = Some(w.into());
        self
    }
    fn spec(&self, token: Option<&str>) -> RequestSpec {
        RequestSpec::new(Method::GET, "/datastreams", "/datastreams".into())
            .query("exchange", self.exchange.as_ref())
            .query("instrument", self.instrument.as_ref())
            .query("stream_type", self.stream_type.as_ref())
            .query("wire_format", self.wire_format.as_ref())
            .query("limit", self.limit)
            .query("page_token", token)
    }
}

list_builder!(ListDatastreamsRequest => DatastreamInfo);
