//! Catalog: exchanges, instruments and per-instrument datastreams.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::api_path;
use crate::client::Client;
use crate::request::{Call, json_decode};
use crate::transport::RequestSpec;

/// An exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub code: String,
    pub display_name: String,
}

/// A tradable instrument of an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: String,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub instrument_type: Option<String>,
}

/// A datastream as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatastreamInfo {
    pub datastream_id: i64,
    pub exchange: String,
    pub instrument: String,
    pub stream_type: String,
    pub wire_format: String,
}

json_decode!(Exchange, Instrument, DatastreamInfo);

pub struct ExchangesResource<'a> {
    pub(crate) client: &'a Client,
}

impl<'a> ExchangesResource<'a> {
    /// `GET /exchanges`.
    pub fn list(&self) -> Call<Vec<Exchange>> {
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::GET, "/exchanges", "/exchanges".into()),
        )
    }

    /// `GET /exchanges/{exchange}/instruments`, with filters.
    pub fn list_instruments(&self, exchange: impl Into<String>) -> ListInstrumentsRequest {
        ListInstrumentsRequest {
            client: self.client.clone(),
            exchange: exchange.into(),
            search: None,
            base: None,
            quote: None,
            instrument_type: None,
            limit: None,
            page_token: None,
        }
    }

    /// `GET /exchanges/{exchange}/instruments/{instrument}/datastreams`, with filters.
    pub fn list_datastreams(
        &self,
        exchange: impl Into<String>,
        instrument: impl Into<String>,
    ) -> ListExchangeDatastreamsRequest {
        ListExchangeDatastreamsRequest {
            client: self.client.clone(),
            exchange: exchange.into(),
            instrument: instrument.into(),
            stream_type: None,
            wire_format: None,
            limit: None,
            page_token: None,
        }
    }
}

/// Generates the common list-builder methods: `limit`, `page_token`, `into_call`, `stream`,
/// `pages`.
macro_rules! list_builder {
    ($builder:ident => $item:ty) => {
        impl $builder {
            /// Page size.
            pub fn limit(mut self, n: u32) -> Self {
                self.limit = Some(n);
                self
            }
            /// Token of the page to fetch (from `next_page_token`).
            pub fn page_token(mut self, t: impl Into<String>) -> Self {
                self.page_token = Some(t.into());
                self
            }
            fn into_call(self) -> $crate::request::Call<$crate::pagination::Page<$item>> {
                let spec = self.spec(self.page_token.as_deref());
                $crate::request::Call::new(self.client.clone(), spec)
            }
            fn page_request(self) -> $crate::pagination::PageRequest {
                Box::new(move |token| self.spec(token))
            }
            /// Every item of every page from the first, keeping filters and `limit`.
            pub fn stream(self) -> impl futures_core::Stream<Item = $crate::error::Result<$item>> + Send + Unpin + 'static {
                let client = self.client.clone();
                $crate::pagination::items(client, self.page_request())
            }
            /// Every page from the first, with each page's metadata.
            pub fn pages(
                self,
            ) -> impl futures_core::Stream<
                Item = $crate::error::Result<($crate::pagination::Page<$item>, $crate::meta::ResponseMeta)>,
            > + Send
                   + Unpin
                   + 'static {
                let client = self.client.clone();
                $crate::pagination::pages(client, self.page_request())
            }
        }
        $crate::request::sendable!($builder => $crate::pagination::Page<$item>);
    };
}
pub(crate) use list_builder;

/// Builder for `GET /exchanges/{exchange}/instruments`.
pub struct ListInstrumentsRequest {
    client: Client,
    exchange: String,
    search: Option<String>,
    base: Option<String>,
    quote: Option<String>,
    instrument_type: Option<String>,
    limit: Option<u32>,
    page_token: Option<String>,
}

impl ListInstrumentsRequest {
    /// Case-insensitive substring of the symbol.
    pub fn search(mut self, s: impl Into<String>) -> Self {
        self.search = Some(s.into());
        self
    }
    pub fn base(mut self, b: impl Into<String>) -> Self {
        self.base = Some(b.into());
        self
    }
    pub fn quote(mut self, q: impl Into<String>) -> Self {
        self.quote = Some(q.into());
        self
    }
    /// `spot`, `perpetual`, `futures`, `option`.
    pub fn instrument_type(mut self, t: impl Into<String>) -> Self {
        self.instrument_type = Some(t.into());
        self
    }
    fn spec(&self, token: Option<&str>) -> RequestSpec {
        RequestSpec::new(
            Method::GET,
            "/exchanges/{exchange}/instruments",
            api_path!("/exchanges/", self.exchange; "/instruments"),
        )
        .query("search", self.search.as_ref())
        .query("base", self.base.as_ref())
        .query("quote", self.quote.as_ref())
        .query("instrument_type", self.instrument_type.as_ref())
        .query("limit", self.limit)
        .query("page_token", token)
    }
}

/// Builder for `GET /exchanges/{exchange}/instruments/{instrument}/datastreams`.
pub struct ListExchangeDatastreamsRequest {
    client: Client,
    exchange: String,
    instrument: String,
    stream_type: Option<String>,
    wire_format: Option<String>,
    limit: Option<u32>,
    page_token: Option<String>,
}

impl ListExchangeDatastreamsRequest {
    pub fn stream_type(mut self, t: impl Into<String>) -> Self {
        self.stream_type = Some(t.into());
        self
    }
    pub fn wire_format(mut self, w: impl Into<String>) -> Self {
        self.wire_format = Some(w.into());
        self
    }
    fn spec(&self, token: Option<&str>) -> RequestSpec {
        RequestSpec::new(
            Method::GET,
            "/exchanges/{exchange}/instruments/{instrument}/datastreams",
            api_path!("/exchanges/", self.exchange; "/instruments/", self.instrument; "/datastreams"),
        )
        .query("stream_type", self.stream_type.as_ref())
        .query("wire_format", self.wire_format.as_ref())
        .query("limit", self.limit)
        .query("page_token", token)
    }
}

list_builder!(ListInstrumentsRequest => Instrument);
list_builder!(ListExchangeDatastreamsRequest => DatastreamInfo);
