//! Rust client for the Ticksupply market data API.
//!
//! One pipeline carries every request: the key from the argument, `TICKSUPPLY_API_KEY` or a profile,
//! `X-Api-Key` exactly as documented, percent-encoded paths, an `Idempotency-Key` on every write,
//! retries with backoff and `Retry-After`, typed errors that carry the request id, and response
//! metadata on success (`.send_with_meta()`).
//!
//! ```no_run
//! # async fn run() -> ticksupply::Result<()> {
//! let client = ticksupply::Client::new()?;
//! for ex in client.exchanges().list().await? {
//!     println!("{:<15} {}", ex.code, ex.display_name);
//! }
//! let page = client.exchanges().list_instruments("binance").search("BTC").limit(10).send_with_meta().await?;
//! println!("{} instruments (request {:?})", page.items.len(), page.meta.request_id);
//! # Ok(()) }
//! ```

pub mod artifacts;
mod batch_writer;
#[cfg(feature = "bindings")]
pub mod bindings;
pub mod client;
pub mod config;
#[cfg(feature = "arrow")]
pub mod data;
pub mod decimal;
pub mod error;
pub mod meta;
pub mod pacing;
pub mod pagination;
#[doc(hidden)]
pub mod path;
pub mod profiles;
pub mod request;
pub mod resources;
pub mod retry;
pub mod telemetry;
pub mod timestamp;
mod tls;
pub mod transport;

pub use client::{Client, ClientBuilder, ClientOptions};
pub use config::{ApiKey, KeySource};
pub use decimal::Decimal;
pub use error::{Error, ErrorContext, ErrorKind, Result};
pub use meta::{RateLimit, Response, ResponseMeta};
pub use pagination::Page;
pub use request::Call;
pub use timestamp::{IntoTimestamp, Nanos, Timestamp};

/// The `reqwest` this crate is built with, for [`ClientBuilder::http_client`]:
/// `ticksupply::reqwest::Client::builder()…` always has the matching version.
pub use reqwest;
