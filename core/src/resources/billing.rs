//! `GET /billing/summary`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::open_enum;
use crate::client::Client;
use crate::decimal::Decimal;
use crate::request::{Call, json_decode};
use crate::timestamp::Timestamp;
use crate::transport::RequestSpec;

open_enum! {
    /// Whether the account may use billing-gated operations.
    AccessStatus {
        Active = "ACTIVE",
        Trialing = "TRIALING",
        Grace = "GRACE",
        Suspended = "SUSPENDED",
        None = "NONE",
    } Unknown
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingUsage {
    #[serde(default)]
    pub extra_stream_minutes_total: i64,
    /// GiB of successful exports this period, exact.
    pub export_gb_total: Decimal,
    #[serde(default)]
    pub export_gb_extra: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingSummary {
    pub access_status: AccessStatus,
    #[serde(default)]
    pub grace_until: Option<Timestamp>,
    #[serde(default)]
    pub plan_code: Option<String>,
    #[serde(default)]
    pub current_period_end: Option<Timestamp>,
    pub usage: BillingUsage,
}

json_decode!(BillingSummary);

pub struct BillingResource<'a> {
    pub(crate) client: &'a Client,
}

impl BillingResource<'_> {
    /// `GET /billing/summary`.
    pub fn summary(&self) -> Call<BillingSummary> {
        Call::new(
            self.client.clone(),
            RequestSpec::new(Method::GET, "/billing/summary", "/billing/summary".into()),
        )
    }
    /// The same as [`BillingResource::summary`], named as in the Python client.
    pub fn get_summary(&self) -> Call<BillingSummary> {
        self.summary()
    }
}
