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
        // marked here and refused before sending: see `dot_segment`.
        "." => "%2E".to_string(),
        ".." => "%2E%2E".to_string(),
        _ => utf8_percent_encode(s, SEGMENT).to_string(),
    }
}

/// The first segment of an encoded path that a URL parser would resolve as `.` or `..`
/// (which would send the request to another resource), if any.
pub fn dot_segment(path: &str) -> Option<&'static str> {
    path.split('/').find_map(|s| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        match s.as_str() {
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
    use super::{dot_segment, segment};

    #[test]
    fn segments_stay_one_segment() {
        assert_eq!(segment("XBT/USD"), "XBT%2FUSD");
        assert_eq!(segment("../exports"), "..%2Fexports");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(
            dot_segment(&format!("/v1/subscriptions/{}", segment(".."))),
            Some("..")
        );
        assert_eq!(
            dot_segment(&format!("/v1/exports/{}/download", segment("."))),
            Some(".")
        );
        assert_eq!(
            dot_segment(&format!("/v1/subscriptions/{}", segment("../x"))),
            None
        );
        assert_eq!(dot_segment("/v1/subscriptions/..."), None);
        assert_eq!(segment("sub_1?x=1#f"), "sub_1%3Fx%3D1%23f");
        assert_eq!(segment("BTC-USD_x.y~"), "BTC-USD_x.y~");
        assert_eq!(segment("a b%"), "a%20b%25");
    }
}
