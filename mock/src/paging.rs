//! Cursor pagination: opaque, tamper-evident page tokens over a keyset (item ordinal).
//!
//! A token carries the last ordinal served, a hash of the endpoint and filters it belongs to,
//! and a keyed MAC, so a tampered token or one replayed with other filters is a 400.

use std::hash::{BuildHasher, Hasher};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};

pub struct Paging<'a> {
    pub secret: &'a std::collections::hash_map::RandomState,
    /// The endpoint and its filters, canonicalised: tokens are only valid for the same query.
    pub scope: String,
}

pub struct PageRequest {
    pub limit: usize,
    pub after: u64,
}

impl Paging<'_> {
    fn mac(&self, after: u64, scope_hash: u64) -> u64 {
        let mut h = self.secret.build_hasher();
        h.write_u64(after);
        h.write_u64(scope_hash);
        h.write(b"ticksupply-page");
        h.finish()
    }

    fn scope_hash(&self) -> u64 {
        let mut h = self.secret.build_hasher();
        h.write(self.scope.as_bytes());
        h.finish()
    }

    pub fn token(&self, after: u64) -> String {
        let sh = self.scope_hash();
        let raw = format!(
            "{{\"after\":{after},\"q\":\"{sh:x}\",\"m\":\"{:x}\"}}",
            self.mac(after, sh)
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(&self, token: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
        let v: Value = serde_json::from_slice(&raw).ok()?;
        let after = v.get("after")?.as_u64()?;
        let q = u64::from_str_radix(v.get("q")?.as_str()?, 16).ok()?;
        let m = u64::from_str_radix(v.get("m")?.as_str()?, 16).ok()?;
        (q == self.scope_hash() && m == self.mac(after, q)).then_some(after)
    }

    /// Reads `limit` and `page_token` from the query, with the endpoint's bounds.
    pub fn request(
        &self,
        limit: Option<&str>,
        token: Option<&str>,
        default: usize,
        max: usize,
    ) -> ApiResult<PageRequest> {
        let limit = match limit {
            None => default,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 && n <= max as i64 => n as usize,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "limit must be an integer between 1 and {max}"
                    ))
                    .with_details(json!({ "min": 1, "max": max, "provided": s })));
                }
            },
        };
        let after = match token {
            None | Some("") => 0,
            Some(t) => self.decode(t).ok_or_else(|| {
                ApiError::invalid("page_token is invalid, expired, or was issued for other filters")
            })?,
        };
        Ok(PageRequest { limit, after })
    }

    /// `limit` and `page_token` from a parsed query string.
    pub fn from_query(
        &self,
        q: &std::collections::HashMap<String, String>,
        default: usize,
        max: usize,
    ) -> ApiResult<PageRequest> {
        self.request(
            q.get("limit").map(String::as_str),
            q.get("page_token").map(String::as_str),
            default,
            max,
        )
    }

    /// Builds a page from items sorted by ordinal that already match the filters.
    pub fn page<T>(
        &self,
        req: &PageRequest,
        matching: impl Iterator<Item = (u64, T)>,
        to_json: impl Fn(&T) -> Value,
    ) -> Value {
        let mut total = 0u64;
        let mut items = Vec::with_capacity(req.limit.min(1000));
        let mut last = None;
        let mut more = false;
        for (ordinal, item) in matching {
            total += 1;
            if ordinal <= req.after {
                continue;
            }
            if items.len() < req.limit {
                items.push(to_json(&item));
                last = Some(ordinal);
            } else {
                more = true;
            }
        }
        let next = match (more, last) {
            (true, Some(o)) => Value::String(self.token(o)),
            _ => Value::Null,
        };
        json!({ "items": items, "total": total, "limit": req.limit, "next_page_token": next })
    }
}
