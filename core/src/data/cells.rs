//! One CSV cell's text → its column's value, exactly or not at all: a decimal with digits past
//! its scale, an exponent that leaves a fraction, an integer out of range, a timestamp without
//! a zone or with more than nine fractional digits is refused, never rounded.

/// Why a cell does not fit its column (the caller adds the file, row and column).
pub(crate) type CellError = String;

/// `[+-]digits`, as an `i64`.
#[inline]
pub(crate) fn int64(t: &[u8]) -> Result<i64, CellError> {
    let (neg, digits) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format!("{:?} is not an integer", lossy(t)));
    }
    // 18 digits cannot overflow a u64 accumulator (eight at a time); the rest are checked.
    let (head, tail) = digits.split_at(digits.len().min(18));
    let mut v: u64 = 0;
    let mut eights = head.chunks_exact(8);
    for chunk in &mut eights {
        v = v * 100_000_000 + eight_digits(chunk.try_into().expect("8 bytes"));
    }
    for &d in eights.remainder() {
        v = v * 10 + u64::from(d - b'0');
    }
    for &d in tail {
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d - b'0')))
            .ok_or_else(|| out_of_range(t))?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            return Err(out_of_range(t));
        }
        Ok((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).map_err(|_| out_of_range(t))
    }
}

/// Eight ASCII digits (already checked) as a number, in a few multiplications.
#[inline]
fn eight_digits(b: [u8; 8]) -> u64 {
    let x = u64::from_le_bytes(b).wrapping_sub(0x3030_3030_3030_3030);
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    (x.wrapping_mul(10_000) + (x >> 32)) & 0xFFFF_FFFF
}

fn out_of_range(t: &[u8]) -> CellError {
    format!("{:?} is out of the 64-bit integer range", lossy(t))
}

fn lossy(t: &[u8]) -> String {
    let s = String::from_utf8_lossy(t);
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.into_owned()
    }
}

/// The most digits a `decimal128(38, s)` value holds.
const MAX_DIGITS: usize = 38;

/// `[+-]digits[.digits][(e|E)[+-]digits]` as a `decimal128` of `scale` decimal places: the
/// value times `10^scale`, which must be a whole number of at most 38 digits.
pub(crate) fn decimal(t: &[u8], scale: u8) -> Result<i128, CellError> {
    if let Some(v) = plain_decimal(t, scale) {
        return Ok(v);
    }
    let bad = || format!("{:?} is not a decimal number", lossy(t));
    let (neg, rest) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exp) = match rest.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => {
            let e = std::str::from_utf8(&rest[i + 1..])
                .ok()
                .and_then(|s| s.strip_prefix('+').unwrap_or(s).parse::<i32>().ok())
                .ok_or_else(bad)?;
            (&rest[..i], e)
        }
        None => (rest, 0),
    };
    let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &mantissa[..0]),
    };
    if (int.is_empty() && frac.is_empty()) || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return Err(bad());
    }
    // digits × 10^shift is the scaled value.
    let mut shift = i64::from(exp) - frac.len() as i64 + i64::from(scale);
    let all = int.iter().chain(frac).copied();
    let mut digits: Vec<u8> = all.skip_while(|&d| d == b'0').collect();
    // Trailing zeros below the scale change nothing; any other digit there would be lost.
    while shift < 0 {
        match digits.last() {
            Some(b'0') => {
                digits.pop();
                shift += 1;
            }
            None => shift = 0,
            Some(_) => {
                return Err(format!(
                    "{:?} has more decimal places than the column's {scale}",
                    lossy(t)
                ));
            }
        }
    }
    if digits.is_empty() {
        return Ok(0);
    }
    if digits.len() as i64 + shift > MAX_DIGITS as i64 {
        return Err(format!(
            "{:?} has more than {MAX_DIGITS} digits at {scale} decimal places",
            lossy(t)
        ));
    }
    let mut v: i128 = 0;
    for d in digits {
        v = v * 10 + i128::from(d - b'0');
    }
    v *= POW10[shift as usize];
    Ok(if neg { -v } else { v })
}

/// Powers of ten an `i128` holds.
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The common case without allocating: `[-]digits[.digits]`, no exponent, at most `scale`
/// decimal places, at most 19 digits in all and 38 once scaled. `None`: take the general path.
#[inline]
fn plain_decimal(t: &[u8], scale: u8) -> Option<i128> {
    let (neg, rest) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = match rest.iter().position(|&b| b == b'.') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[..0]),
    };
    let scale = usize::from(scale);
    if int.is_empty()
        || frac.len() > scale
        || int.len() + frac.len() > 19
        || int.len() + scale > MAX_DIGITS
    {
        return None;
    }
    // Nineteen digits fit a u64: one widening multiplication at the end.
    let mut v: u64 = 0;
    for &d in int.iter().chain(frac) {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    let v = i128::from(v) * POW10[scale - frac.len()];
    Some(if neg { -v } else { v })
}

/// A float as Rust reads it (correctly rounded; `inf` and `NaN` included).
pub(crate) fn float64(t: &[u8]) -> Result<f64, CellError> {
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| format!("{:?} is not a number", lossy(t)))
}

/// `true` or `false` (any case).
pub(crate) fn boolean(t: &[u8]) -> Result<bool, CellError> {
    if t.eq_ignore_ascii_case(b"true") {
        Ok(true)
    } else if t.eq_ignore_ascii_case(b"false") {
        Ok(false)
    } else {
        Err(format!("{:?} is not true or false", lossy(t)))
    }
}

/// RFC 3339 with its zone (`2024-01-01T00:00:00.123456789Z`, at most nine fractional digits)
/// as nanoseconds since the epoch, within the years 1677–2262 that nanoseconds reach.
pub(crate) fn iso8601_ns(t: &[u8]) -> Result<i64, CellError> {
    std::str::from_utf8(t)
        .ok()
        .and_then(crate::timestamp::parse_rfc3339_nanos)
        .ok_or_else(|| {
            format!(
                "{:?} is not an RFC 3339 time with a zone and at most 9 fractional digits, \
                 between 1677 and 2262",
                lossy(t)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_exact_or_refused() {
        assert_eq!(int64(b"1704067200000000000"), Ok(1_704_067_200_000_000_000));
        assert_eq!(int64(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(int64(b"+9223372036854775807"), Ok(i64::MAX));
        for bad in [
            &b"9223372036854775808"[..],
            b"-9223372036854775809",
            b"1.0",
            b"",
            b"-",
            b" 1",
            b"1e3",
        ] {
            assert!(int64(bad).is_err(), "{:?}", lossy(bad));
        }
        assert!(
            int64(b"99999999999999999999999")
                .unwrap_err()
                .contains("range")
        );
    }

    #[test]
    fn eight_digits_at_a_time() {
        assert_eq!(eight_digits(*b"12345678"), 12_345_678);
        assert_eq!(eight_digits(*b"00000009"), 9);
        for n in [0u64, 1, 99_999_999, 10_203_040, 1_234_567_890_123_456_789] {
            assert_eq!(int64(n.to_string().as_bytes()), Ok(n as i64));
        }
    }

    #[test]
    fn decimals_are_exact_or_refused() {
        assert_eq!(decimal(b"40000.12", 2), Ok(4_000_012));
        assert_eq!(decimal(b"1.230", 2), Ok(123));
        assert_eq!(decimal(b"-0.5", 3), Ok(-500));
        assert_eq!(decimal(b"1.5e2", 2), Ok(15_000));
        assert_eq!(decimal(b"12E-1", 1), Ok(12));
        assert_eq!(decimal(b".5", 1), Ok(5));
        assert_eq!(decimal(b"5.", 0), Ok(5));
        assert_eq!(decimal(b"0e-30", 2), Ok(0));
        assert_eq!(decimal(&b"9".repeat(38), 0), Ok(10i128.pow(38) - 1));
        assert!(decimal(b"1.239", 2).unwrap_err().contains("decimal places"));
        assert!(decimal(b"1e-9", 2).unwrap_err().contains("decimal places"));
        assert!(
            decimal(&b"9".repeat(37), 2)
                .unwrap_err()
                .contains("38 digits")
        );
        for bad in [
            &b"1,5"[..],
            b"",
            b".",
            b"1e",
            b"e5",
            b"--1",
            b"0x10",
            b"1.2.3",
        ] {
            assert!(decimal(bad, 2).is_err(), "{:?}", lossy(bad));
        }
    }

    #[test]
    fn the_rest() {
        assert_eq!(float64(b"0.1"), Ok(0.1));
        assert!(float64(b"1,0").is_err());
        assert_eq!(boolean(b"TRUE"), Ok(true));
        assert!(boolean(b"1").is_err());
        assert_eq!(iso8601_ns(b"1970-01-01T00:00:01.5Z"), Ok(1_500_000_000));
        assert_eq!(iso8601_ns(b"1970-01-01T01:00:00+01:00"), Ok(0));
        for bad in [
            &b"1970-01-01T00:00:00"[..],
            b"1970-01-01T00:00:00.1234567891Z",
            b"2263-01-01T00:00:00Z",
            b"1970-02-30T00:00:00Z",
        ] {
            assert!(iso8601_ns(bad).is_err(), "{:?}", lossy(bad));
        }
    }
}
