//! Subscriptions: start, pause, resume and stop recording a datastream; list its spans.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::catalog::{DatastreamInfo, list_builder};
use super::open_enum;
use crate::api_path;
use crate::client::Client;
use crate::request::{Call, json_decode};
use crate::timestamp::Timestamp;
use crate::transport::RequestSpec;

open_enum! {
    /// Lifecycle state of a subscription.
    SubscriptionStatus {
        Active = "active",
        Paused = "paused",
        /// Soft-deleted: recording stopped and spans removed.
        Deleted = "deleted",
    } Unknown
}

/// A subscription (list and get shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub datastream_id: i64,
    pub status: SubscriptionStatus,
    pub created_at: Timestamp,
    #[serde(default)]
    pub datastream: Option<DatastreamInfo>,
}

/// The answer to a create: the subscription with its datastream and spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionResponse {
    pub id: String,
    pub status: SubscriptionStatus,
    pub datastream: DatastreamInfo,
    pub created_at: Timestamp,
    #[serde(default)]
    pub spans: Vec<SubscriptionSpan>,
}

/// A period during which data was recorded; `ended_at` is `None` while it is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionSpan {
    pub id: String,
    pub started_at: Timestamp,
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
}

json_decode!(Subscription, SubscriptionResponse, SubscriptionSpan);

pub struct SubscriptionsResource<'a> {
    pub(crate) client: &'a Client,
}

impl SubscriptionsResource<'_> {
    /// Builder for `GET /subscriptions` (deleted ones are not listed).
    pub fn list(&self) -> ListSubscriptionsRequest {
        ListSubscriptionsRequest {
            client: self.client.clone(),
            limit: None,
            page_token: None,
        }
    }

    /// `GET /subscriptions/{id}`.
    pub fn get(&self, id: &str) -> Call<Subscription> {
        Call::plain(
            self.client,
            Method::GET,
            "/subscriptions/{id}",
            api_path!("/subscriptions/", id),
        )
    }

    /// `POST /subscriptions`: start recording (re-creating a deleted one reuses its id).
    pub fn create(&self, datastream_id: i64) -> Call<SubscriptionResponse> {
        let spec = RequestSpec::new(Method::POST, "/subscriptions", "/subscriptions".into())
            .json(&serde_json::json!({ "datastream_id": datastream_id }));
        Call::new(self.client.clone(), spec)
    }

    /// `POST /subscriptions/{id}/pause`: closes the open span.
    pub fn pause(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        Call::plain(
            self.client,
            Method::POST,
            "/subscriptions/{id}/pause",
            api_path!("/subscriptions/", id; "/pause"),
        )
    }

    /// `POST /subscriptions/{id}/resume`: opens a new span.
    pub fn resume(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        Call::plain(
            self.client,
            Method::POST,
            "/subscriptions/{id}/resume",
            api_path!("/subscriptions/", id; "/resume"),
        )
    }

    /// `DELETE /subscriptions/{id}`: stops recording and removes all spans.
    pub fn delete(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        Call::plain(
            self.client,
            Method::DELETE,
            "/subscriptions/{id}",
            api_path!("/subscriptions/", id),
        )
    }

    /// `GET /subscriptions/{id}/spans`, oldest first.
    pub fn list_spans(&self, id: &str) -> Call<Vec<SubscriptionSpan>> {
        Call::plain(
            self.client,
            Method::GET,
            "/subscriptions/{id}/spans",
            api_path!("/subscriptions/", id; "/spans"),
        )
    }
}

/// Builder for `GET /subscriptions`.
pub struct ListSubscriptionsRequest {
    client: Client,
    limit: Option<u32>,
    page_token: Option<String>,
}

impl ListSubscriptionsRequest {
    fn spec(&self, token: Option<&str>) -> RequestSpec {
        RequestSpec::new(Method::GET, "/subscriptions", "/subscriptions".into())
            .query("limit", self.limit)
            .query("page_token", token)
    }
}

list_builder!(ListSubscriptionsRequest => Subscription);
