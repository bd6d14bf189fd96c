//! Time values: control-plane RFC 3339 strings, market-data nanoseconds, and export inputs.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Nanoseconds since the Unix epoch. Decodes from a JSON number or a decimal string (the API
/// documents numbers; some deployments send strings); encodes as a string, which is lossless in
/// every JSON reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nanos(i64);

impl Nanos {
    pub const fn from_i64(n: i64) -> Self {
        Nanos(n)
    }
    pub const fn as_i64(self) -> i64 {
        self.0
    }
    /// As a UTC datetime (exact).
    #[cfg(feature = "chrono")]
    pub fn to_chrono(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_nanos(self.0)
    }
}

impl fmt::Display for Nanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<i64> for Nanos {
    fn from(n: i64) -> Self {
        Nanos(n)
    }
}

impl Serialize for Nanos {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Nanos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nanos;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("nanoseconds as an integer or a decimal string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nanos, E> {
                Ok(Nanos(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nanos, E> {
                i64::try_from(v)
                    .map(Nanos)
                    .map_err(|_| E::custom("nanoseconds out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Nanos, E> {
                // Only whole values that survive the round trip: never guess at a lossy float.
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Nanos(v as i64))
                } else {
                    Err(E::custom("nanoseconds must be an integer"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nanos, E> {
                v.trim()
                    .parse::<i64>()
                    .map(Nanos)
                    .map_err(|_| E::custom("invalid nanoseconds string"))
            }
        }
        d.deserialize_any(V)
    }
}

/// An RFC 3339 timestamp as the server sent it (kept verbatim; parse on demand).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn new(s: impl Into<String>) -> Self {
        Timestamp(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
    /// Parses the timestamp, normalised to UTC.
    #[cfg(feature = "chrono")]
    pub fn to_chrono(&self) -> Result<chrono::DateTime<chrono::Utc>, chrono::ParseError> {
        chrono::DateTime::parse_from_rfc3339(&self.0).map(|t| t.with_timezone(&chrono::Utc))
    }
    /// Nanoseconds since the epoch, parsed exactly (no float arithmetic).
    pub fn to_nanos(&self) -> Option<i64> {
        parse_rfc3339_nanos(&self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Values accepted where the API takes an export time: integer nanoseconds, [`Nanos`], strings
/// (nanosecond digits or ISO 8601, sent verbatim) and, with the `chrono` feature, any chrono
/// `DateTime`. Every form is sent as a string; datetimes are converted exactly.
pub trait IntoTimestamp {
    fn into_timestamp_string(self) -> String;
}

impl IntoTimestamp for i64 {
    fn into_timestamp_string(self) -> String {
        self.to_string()
    }
}
impl IntoTimestamp for Nanos {
    fn into_timestamp_string(self) -> String {
        self.0.to_string()
    }
}
impl IntoTimestamp for &str {
    fn into_timestamp_string(self) -> String {
        self.to_string()
    }
}
impl IntoTimestamp for String {
    fn into_timestamp_string(self) -> String {
        self
    }
}
impl IntoTimestamp for &String {
    fn into_timestamp_string(self) -> String {
        self.clone()
    }
}
#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> IntoTimestamp for chrono::DateTime<Tz> {
    /// Exact nanoseconds; outside the representable range (years 1677–2262) the RFC 3339 form
    /// is sent instead, and the server rejects it with a clear 400 rather than this panicking.
    fn into_timestamp_string(self) -> String {
        let utc = self.with_timezone(&chrono::Utc);
        match utc.timestamp_nanos_opt() {
            Some(n) => n.to_string(),
            None => utc.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }
}

/// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`) into exact nanoseconds.
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // February 29 only in leap years, 30-day months, and no leap second (nanoseconds since
    // the epoch do not count them).
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if h > 23 || mi > 59 || sec > 59 || d > month_days {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 9 {
            return None;
        }
        frac = s[start..i].parse::<i64>().ok()? * 10i64.pow((9 - digits) as u32);
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm), exact integer arithmetic.
    let (yy, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_decode_numbers_and_strings_and_encode_strings() {
        let n: Nanos = serde_json::from_str("1704067200000000001").unwrap();
        assert_eq!(n.as_i64(), 1_704_067_200_000_000_001);
        let s: Nanos = serde_json::from_str("\"1704067200000000001\"").unwrap();
        assert_eq!(s, n);
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            "\"1704067200000000001\""
        );
        assert!(serde_json::from_str::<Nanos>("1.5").is_err());
        assert!(serde_json::from_str::<Nanos>("\"12a\"").is_err());
        assert!(serde_json::from_str::<Nanos>("18446744073709551615").is_err());
    }

    #[test]
    fn rfc3339_to_exact_nanos() {
        assert_eq!(parse_rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_nanos("2024-01-01T00:00:00Z"),
            Some(1_704_067_200_000_000_000)
        );
        assert_eq!(
            parse_rfc3339_nanos("2025-01-01T00:00:00.123457Z"),
            Some(1_735_689_600_123_457_000)
        );
        assert_eq!(
            parse_rfc3339_nanos("2024-01-15T12:00:00.123456789+02:00"),
            Some(1_705_312_800_123_456_789)
        );
        assert_eq!(parse_rfc3339_nanos("2024-01-15T10:00:00.1234567891Z"), None);
        assert_eq!(parse_rfc3339_nanos("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_nanos("not a time"), None);
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_datetimes_convert_exactly_in_any_zone() {
        use chrono::{FixedOffset, TimeZone};
        let t = chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_457_000);
        assert_eq!(t.into_timestamp_string(), "1735689600123457000");
        let east = FixedOffset::east_opt(3600).unwrap();
        let t2 = east.with_ymd_and_hms(2025, 1, 1, 1, 0, 0).unwrap();
        assert_eq!(t2.into_timestamp_string(), "1735689600000000000");
    }

    proptest::proptest! {
        #[test]
        fn rfc3339_parser_never_panics(s in ".{0,40}") {
            let _ = parse_rfc3339_nanos(&s);
        }

        #[test]
        fn rfc3339_agrees_with_chrono(secs in 0i64..4_000_000_000, nanos in 0u32..1_000_000_000) {
            let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
            let s = t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            proptest::prop_assert_eq!(parse_rfc3339_nanos(&s), t.timestamp_nanos_opt());
        }

        #[test]
        fn nanos_decoder_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = serde_json::from_slice::<Nanos>(&bytes);
        }
    }
}
