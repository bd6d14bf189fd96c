//! One module per API group; module paths follow the official 0.2 crate.

pub mod availability;
pub mod billing;
pub mod catalog;
pub mod datastreams;
pub mod export_schemas;
pub mod exports;
pub mod subscriptions;

use crate::client::Client;

/// A string enum that keeps values it does not know (`$other(String)`) instead of failing.
macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? } $other:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)+
            /// A value this version does not know, kept verbatim.
            $other(String),
        }
        impl $name {
            pub fn as_str(&self) -> &str {
                match self { $(Self::$var => $s,)+ Self::$other(s) => s }
            }
        }
        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s { $($s => Self::$var,)+ other => Self::$other(other.to_string()) })
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool { self.as_str() == other }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool { self.as_str() == *other }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(s.parse().unwrap_or_else(|e: std::convert::Infallible| match e {}))
            }
        }
    };
}
pub(crate) use open_enum;

impl Client {
    /// Exchanges, their instruments and per-instrument datastreams.
    pub fn exchanges(&self) -> catalog::ExchangesResource<'_> {
        catalog::ExchangesResource { client: self }
    }
    /// Datastream search across the catalog.
    pub fn datastreams(&self) -> datastreams::DatastreamsResource<'_> {
        datastreams::DatastreamsResource { client: self }
    }
    /// Subscriptions and their recording spans.
    pub fn subscriptions(&self) -> subscriptions::SubscriptionsResource<'_> {
        subscriptions::SubscriptionsResource { client: self }
    }
    /// Historical export jobs.
    pub fn exports(&self) -> exports::ExportsResource<'_> {
        exports::ExportsResource { client: self }
    }
    /// What data has been collected for a datastream.
    pub fn availability(&self) -> availability::AvailabilityResource<'_> {
        availability::AvailabilityResource { client: self }
    }
    /// Export schemas, versions and drafts.
    pub fn export_schemas(&self) -> export_schemas::ExportSchemasResource<'_> {
        export_schemas::ExportSchemasResource { client: self }
    }
    /// Billing summary.
    pub fn billing(&self) -> billing::BillingResource<'_> {
        billing::BillingResource { client: self }
    }
}
