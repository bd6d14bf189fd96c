//! Decimal amounts the API sends as strings (`"12.5"`), kept exact.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A decimal number kept as the server wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Decimal(String);

impl Decimal {
    pub fn new(s: impl Into<String>) -> Self {
        Decimal(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
    /// As a float, when the string is a number (lossy for very long decimals).
    pub fn to_f64(&self) -> Option<f64> {
        self.0.trim().parse().ok()
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
