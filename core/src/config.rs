//! Where the key and base URL come from, how they are checked, and the redacted key type.

use std::fmt;
use std::net::IpAddr;

use reqwest::header::HeaderValue;

use crate::error::{Error, Result};

pub const API_KEY_ENV: &str = "TICKSUPPLY_API_KEY";
pub const BASE_URL_ENV: &str = "TICKSUPPLY_BASE_URL";
pub const DEFAULT_BASE_URL: &str = "https://api.ticksupply.com/v1";

/// Where the client's key came from; named in configuration and 401 messages (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Argument,
    Environment,
    Rotated,
    /// A file the key was read from (`--api-key-file`).
    File(std::path::PathBuf),
    /// Typed at a prompt that does not echo (`ticksupply auth login`).
    Prompt,
    /// Read from standard input.
    Stdin,
    /// A profile's stored key ([`crate::profiles`]).
    Profile {
        name: String,
        store: crate::profiles::KeyStore,
    },
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Argument => f.write_str("the api_key argument"),
            KeySource::Environment => f.write_str(API_KEY_ENV),
            KeySource::Rotated => f.write_str("set_api_key"),
            KeySource::File(p) => write!(f, "the file {}", p.display()),
            KeySource::Prompt => f.write_str("the prompt"),
            KeySource::Stdin => f.write_str("standard input"),
            KeySource::Profile { name, store } => write!(f, "profile '{name}' ({store})"),
        }
    }
}

/// An API key. Its `Debug` and `Display` show at most the last four characters, and its header
/// value is marked sensitive so HTTP tooling does not log it.
#[derive(Clone)]
pub struct ApiKey {
    header: HeaderValue,
    hint: String,
    source: KeySource,
}

/// Shows at most the last four characters of a secret (none for short ones).
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    if n < 12 {
        return "****".to_string();
    }
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("****{tail}")
}

impl ApiKey {
    /// Trims surrounding whitespace and rejects what cannot be a key.
    pub fn new(raw: &str, source: KeySource) -> Result<ApiKey> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(Error::Config(format!(
                "the API key from {source} is empty; pass a key or set {API_KEY_ENV}"
            )));
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Config(format!(
                "the API key from {source} contains whitespace or control characters; \
                 check that it was copied whole and alone"
            )));
        }
        if !key.is_ascii() {
            return Err(Error::Config(format!(
                "the API key from {source} contains non-ASCII characters; keys are ASCII"
            )));
        }
        let mut header = HeaderValue::from_str(key).map_err(|_| {
            Error::Config(format!(
                "the API key from {source} is not a valid header value"
            ))
        })?;
        header.set_sensitive(true);
        Ok(ApiKey {
            header,
            hint: redact(key),
            source,
        })
    }

    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// `****abcd`: what may be shown of the key.
    pub fn hint(&self) -> &str {
        &self.hint
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.hint)
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint)
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// The base URL: the argument, else the `base_url` of the profile the key came from (`(url,
/// where it was set)`: it travels with the profile's key), else `TICKSUPPLY_BASE_URL`, else
/// production. Plain `http://` is accepted only for loopback hosts, so a key never crosses a
/// network in clear by accident.
pub fn resolve_base_url(explicit: Option<&str>, profile: Option<(&str, &str)>) -> Result<String> {
    let (raw, source) = match (explicit, profile) {
        (Some(u), _) => (u.to_string(), "the base_url argument".to_string()),
        (None, Some((u, from))) => (u.to_string(), from.to_string()),
        (None, None) => match std::env::var(BASE_URL_ENV) {
            Ok(u) if !u.trim().is_empty() => (u, BASE_URL_ENV.to_string()),
            _ => (DEFAULT_BASE_URL.to_string(), "the default".to_string()),
        },
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| {
        Error::Config(format!(
            "base URL '{trimmed}' from {source} is not a URL: {e}"
        ))
    })?;
    let host = url
        .host()
        .ok_or_else(|| Error::Config(format!("base URL '{trimmed}' from {source} has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL '{trimmed}' from {source} uses plain http to a non-loopback host; \
                 use https so the API key is not sent in clear"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "base URL '{trimmed}' from {source} has scheme '{other}'; use https"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL '{trimmed}' from {source} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "base URL from {source} must not contain credentials"
        )));
    }
    Ok(trimmed.to_string())
}
