//! Path segments are percent-encoded, so an id or symbol is always exactly one segment:
//! `XBT/USD` stays `XBT%2FUSD`, and `../x` cannot climb out of its resource.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the RFC 3986 unreserved characters is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn segment(s: &str) -> String {
    match s {
        // `.` and `..` mean "this" and "parent" to every URL parser, even percent-encoded (the
        // URL standard decodes `%2E` for this), so no encoding keeps them one segment. They are
        // marked here and refused before sending: see `unsendable_segment`.
        "." => "%2E".to_string(),
        ".." => "%2E%2E".to_string(),
        _ => utf8_percent_encode(s, SEGMENT).to_string(),
    }
}

/// The first segment of an encoded path that cannot be sent as it is meant, if any: `.` or `..`
/// (a URL parser resolves them, so the request would reach another resource), or an empty one
/// (an empty id: `/subscriptions/` is the collection, `/exports//download` no route at all).
/// Such an id or name is refused before sending.
pub fn unsendable_segment(path: &str) -> Option<&'static str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.split('/').find_map(|s| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        match s.as_str() {
            "" => Some(""),
            "." => Some("."),
            ".." => Some(".."),
            _ => None,
        }
    })
}

/// Builds `/a/{seg}/b…` from literal parts and encoded segments.
#[macro_export]
#[doc(hidden)]
macro_rules! api_path {
    ($($lit:literal $(, $seg:expr)?);+ $(;)?) => {{
        let mut p = String::new();
        $( p.push_str($lit); $( p.push_str(&$crate::path::segment(&$seg)); )? )+
        p
    }};
}

#[cfg(test)]
mod tests {
    use super::{segment, unsendable_segment};

    #[test]
    fn segments_stay_one_segment() {
        assert_eq!(segment("XBT/USD"), "XBT%2FUSD");
        assert_eq!(segment("../exports"), "..%2Fexports");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(
            unsendable_segment(&format!("/v1/subscriptions/{}", segment(".."))),
            Some("..")
        );
        assert_eq!(
            unsendable_segment(&format!("/v1/exports/{}/download", segment("."))),
            Some(".")
        );
        assert_eq!(
            unsendable_segment(&format!("/v1/subscriptions/{}", segment("../x"))),
            None
        );
        assert_eq!(unsendable_segment("/v1/subscriptions/..."), None);
        assert_eq!(segment("sub_1?x=1#f"), "sub_1%3Fx%3D1%23f");
        assert_eq!(segment("BTC-USD_x.y~"), "BTC-USD_x.y~");
        assert_eq!(segment("a b%"), "a%20b%25");
    }

    #[test]
    fn empty_ids_are_unsendable() {
        assert_eq!(segment(""), "");
        let get = crate::api_path!("/subscriptions/", "");
        assert_eq!(get, "/subscriptions/");
        assert_eq!(unsendable_segment(&get), Some(""));
        let spans = crate::api_path!("/subscriptions/", ""; "/spans");
        assert_eq!(unsendable_segment(&spans), Some(""));
        let datastreams =
            crate::api_path!("/exchanges/", "binance"; "/instruments/", ""; "/datastreams");
        assert_eq!(unsendable_segment(&datastreams), Some(""));
        // Collections and ordinary ids are fine; a space is encoded, not empty.
        assert_eq!(unsendable_segment("/subscriptions"), None);
        assert_eq!(unsendable_segment("/billing/summary"), None);
        assert_eq!(
            unsendable_segment(&crate::api_path!("/subscriptions/", " "; "/pause")),
            None
        );
        assert_eq!(unsendable_segment("/exports/exp_1/download"), None);
    }
}
