//! `GET /availability`: what data has been collected for a datastream.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::catalog::DatastreamInfo;
use crate::client::Client;
use crate::request::{Call, json_decode};
use crate::timestamp::{Nanos, Timestamp};
use crate::transport::RequestSpec;

/// A collected range, `[from, to)` in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityRange {
    #[serde(rename = "from")]
    pub from_ns: Nanos,
    #[serde(rename = "to")]
    pub to_ns: Nanos,
    #[serde(default)]
    pub rows_estimate: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityResponse {
    pub datastream: DatastreamInfo,
    #[serde(default)]
    pub ranges: Vec<AvailabilityRange>,
    pub updated_at: Timestamp,
}

json_decode!(AvailabilityResponse);

pub struct AvailabilityResource<'a> {
    pub(crate) client: &'a Client,
}

impl AvailabilityResource<'_> {
    /// `GET /availability?datastream_id=`.
    pub fn get(&self, datastream_id: i64) -> Call<AvailabilityResponse> {
        let spec = RequestSpec::new(Method::GET, "/availability", "/availability".into())
            .query("datastream_id", Some(datastream_id));
        Call::new(self.client.clone(), spec)
    }
}
