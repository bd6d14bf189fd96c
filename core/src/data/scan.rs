//! Where the fields and records of CSV text are, 64 bytes at a time.
//!
//! Each 64-byte word becomes four bit masks (quotes, delimiters, CR, LF). A byte is inside a
//! quoted field when an odd number of quotes precede it, so the prefix XOR of the quote mask,
//! carried from word to word, masks out delimiters and line ends inside quotes (a doubled quote
//! toggles twice and changes nothing). That is exact for CSV as RFC 4180 writes it — a quote
//! opens a field or closes it, or is doubled inside one; [`check_quoted`] and
//! [`check_unquoted`] refuse any other quote, so a file that breaks the rule is an error, never
//! a silently different split.
//!
//! Records end at LF, CR or CRLF outside quotes; a line without any field (an empty line) is no
//! record.

pub(crate) const QUOTE: u8 = b'"';
pub(crate) const DELIM: u8 = b',';

/// The bit masks of one word: bit `i` is set when byte `i` is that character.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Masks {
    pub quote: u64,
    pub delim: u64,
    pub cr: u64,
    pub lf: u64,
}

/// The masks of up to 64 bytes (bytes past the end of `chunk` are none of the characters).
#[inline]
pub(crate) fn masks(chunk: &[u8]) -> Masks {
    #[cfg(target_arch = "x86_64")]
    if let Ok(word) = <&[u8; 64]>::try_from(chunk) {
        return masks_sse2(word);
    }
    masks_scalar(chunk)
}

/// One byte at a time: the short tail of a buffer, other architectures, and the SSE2 path's check.
fn masks_scalar(chunk: &[u8]) -> Masks {
    let mut m = Masks::default();
    for (i, &b) in chunk.iter().enumerate().take(64) {
        let bit = 1u64 << i;
        match b {
            QUOTE => m.quote |= bit,
            DELIM => m.delim |= bit,
            b'\r' => m.cr |= bit,
            b'\n' => m.lf |= bit,
            _ => {}
        }
    }
    m
}

/// SSE2 is part of every x86_64 CPU: 16 bytes compared per instruction.
#[cfg(target_arch = "x86_64")]
#[inline]
fn masks_sse2(word: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is always available on x86_64; every load reads 16 bytes inside `word`.
    unsafe {
        let (q, d, r, n) = (
            _mm_set1_epi8(QUOTE as i8),
            _mm_set1_epi8(DELIM as i8),
            _mm_set1_epi8(b'\r' as i8),
            _mm_set1_epi8(b'\n' as i8),
        );
        let mut m = Masks::default();
        for i in 0..4 {
            let v = _mm_loadu_si128(word.as_ptr().add(16 * i).cast::<__m128i>());
            let bits = |x| (_mm_movemask_epi8(_mm_cmpeq_epi8(v, x)) as u32 as u64) << (16 * i);
            m.quote |= bits(q);
            m.delim |= bits(d);
            m.cr |= bits(r);
            m.lf |= bits(n);
        }
        m
    }
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`: which bytes follow an odd number
/// of quotes.
#[inline]
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Carried quote state: all ones while inside a quoted field.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Quotes {
    inside: u64,
}

impl Quotes {
    /// The mask of bytes inside quotes in a word (an opening quote counts as inside, a closing
    /// one as outside), and the state after it.
    #[inline]
    pub(crate) fn inside(&mut self, quote: u64) -> u64 {
        let inside = prefix_xor(quote) ^ self.inside;
        self.inside = ((inside as i64) >> 63) as u64;
        inside
    }

    pub(crate) fn is_inside(&self) -> bool {
        self.inside != 0
    }
}

/// The quote mask of up to 64 bytes (only quotes: a quarter of the work of [`masks`]).
#[inline]
fn quote_mask(chunk: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Ok(word) = <&[u8; 64]>::try_from(chunk) {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is always available on x86_64; every load reads 16 bytes inside `word`.
        return unsafe {
            let q = _mm_set1_epi8(QUOTE as i8);
            (0..4).fold(0u64, |m, i| {
                let v = _mm_loadu_si128(word.as_ptr().add(16 * i).cast::<__m128i>());
                m | (_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) as u32 as u64) << (16 * i)
            })
        };
    }
    masks(chunk).quote
}

/// Finds record boundaries in a stream of text: feed it bytes in order ([`Boundaries::scan`]
/// only counts quotes, the parity of which says whether a position is inside a quoted field);
/// [`Boundaries::last`] then finds the last line end outside quotes, looking back from the
/// end (records are short: a word or two).
#[derive(Default, Debug)]
pub(crate) struct Boundaries {
    /// Whether the end of the scanned text is inside quotes.
    inside: bool,
    /// Bytes scanned so far.
    scanned: usize,
}

impl Boundaries {
    /// Scans `text[scanned..]`, whole words only unless `end` (the text is complete).
    pub(crate) fn scan(&mut self, text: &[u8], end: bool) {
        while self.scanned < text.len() {
            let rest = &text[self.scanned..];
            if rest.len() < 64 && !end {
                return;
            }
            let chunk = &rest[..rest.len().min(64)];
            self.inside ^= quote_mask(chunk).count_ones() % 2 == 1;
            self.scanned += chunk.len();
        }
    }

    /// The last boundary in the scanned part of `text` (just after a line end outside quotes),
    /// 0 for none.
    pub(crate) fn last(&self, text: &[u8]) -> usize {
        let (mut end, mut inside_end) = (self.scanned, self.inside);
        while end > 0 {
            let start = end.saturating_sub(64);
            let chunk = &text[start..end];
            let m = masks(chunk);
            let inside_start = inside_end ^ (m.quote.count_ones() % 2 == 1);
            let inside = prefix_xor(m.quote) ^ if inside_start { !0 } else { 0 };
            let ends = (m.cr | m.lf) & !inside & (u64::MAX >> (64 - chunk.len()));
            if ends != 0 {
                return start + 64 - ends.leading_zeros() as usize;
            }
            (end, inside_end) = (start, inside_start);
        }
        0
    }

    /// The text before `at` (a boundary) was handed out: positions shift down by `at`.
    pub(crate) fn consume(&mut self, at: usize) {
        self.scanned -= at;
    }
}

/// Where the first record of `text` ends (just after its line end), when `text` holds it.
pub(crate) fn first_record_end(text: &[u8]) -> Option<usize> {
    let mut quotes = Quotes::default();
    let mut base = 0;
    while base < text.len() {
        let chunk = &text[base..(base + 64).min(text.len())];
        let m = masks(chunk);
        let ends = (m.cr | m.lf) & !quotes.inside(m.quote);
        if ends != 0 {
            return Some(base + ends.trailing_zeros() as usize + 1);
        }
        base += chunk.len();
    }
    None
}

/// A reason a field is not CSV as RFC 4180 writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// A quote inside a field that does not start with one.
    QuoteInUnquoted,
    /// A quoted field that does not end with its closing quote, or holds a lone quote.
    BadQuoted,
    /// The text ends inside a quoted field.
    Unterminated,
}

impl Malformed {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Malformed::QuoteInUnquoted => {
                "a quote inside a field that does not start with one (RFC 4180 quotes whole fields)"
            }
            Malformed::BadQuoted => {
                "a quoted field is not closed right before a comma or the end of its line, or \
                 holds a quote that is not doubled"
            }
            Malformed::Unterminated => "the file ends inside a quoted field (truncated?)",
        }
    }
}

/// Checks an unquoted field that holds `quotes` quote characters.
#[inline]
pub(crate) fn check_unquoted(quotes: u32) -> Result<(), Malformed> {
    if quotes > 0 {
        Err(Malformed::QuoteInUnquoted)
    } else {
        Ok(())
    }
}

/// Appends the content of a quoted field (`"…"`, holding `quotes` quote characters) to `out`,
/// each `""` as one quote; refuses a field not closed by its last byte or holding a lone quote.
#[inline]
pub(crate) fn unquote_into(field: &[u8], quotes: u32, out: &mut Vec<u8>) -> Result<(), Malformed> {
    if field.len() < 2 || field[field.len() - 1] != QUOTE || !quotes.is_multiple_of(2) {
        return Err(Malformed::BadQuoted);
    }
    let inner = &field[1..field.len() - 1];
    if quotes == 2 {
        out.extend_from_slice(inner);
        return Ok(());
    }
    // Byte by byte into room made once: fields are short and quotes frequent (JSON text),
    // where a search and a copy per quote cost more.
    let start = out.len();
    out.resize(start + inner.len(), 0);
    let dst = &mut out[start..];
    let (mut r, mut w) = (0, 0);
    while r < inner.len() {
        let b = inner[r];
        dst[w] = b;
        w += 1;
        if b == QUOTE {
            if inner.get(r + 1) != Some(&QUOTE) {
                out.truncate(start);
                return Err(Malformed::BadQuoted);
            }
            r += 2;
        } else {
            r += 1;
        }
    }
    out.truncate(start + w);
    Ok(())
}

/// What [`walk`] reports.
pub(crate) trait Visit {
    type Error;
    /// A field `text[start..end]` of the current record, holding `quotes` quote characters.
    fn field(
        &mut self,
        text: &[u8],
        start: usize,
        end: usize,
        quotes: u32,
    ) -> Result<(), Self::Error>;
    /// The current record ended.
    fn record(&mut self) -> Result<(), Self::Error>;
    /// The text is malformed at byte `at`.
    fn malformed(&mut self, why: Malformed, at: usize) -> Self::Error;
}

/// Walks the records of `text`, which starts at a record boundary. Without `end`, `text` holds
/// whole records only; with `end` (the end of the file), a last record may lack its line end.
pub(crate) fn walk<V: Visit>(text: &[u8], end: bool, v: &mut V) -> Result<(), V::Error> {
    let mut quotes = Quotes::default();
    let mut field_start = 0usize;
    // Whether the current record has a field yet (an empty line has none).
    let mut started = false;
    // The position just after the last CR that ended a record (an LF there is its CRLF).
    let mut after_cr = usize::MAX;
    // Quotes before the current word, and before the current field.
    let (mut quotes_before_word, mut quotes_at_field) = (0u32, 0u32);
    let mut base = 0usize;
    while base < text.len() {
        let chunk = &text[base..(base + 64).min(text.len())];
        let m = masks(chunk);
        let outside = !quotes.inside(m.quote);
        let mut bits = (m.delim | m.cr | m.lf) & outside;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let pos = base + i;
            let bit = 1u64 << i;
            let quotes_now = quotes_before_word + (m.quote & (bit - 1)).count_ones();
            let in_field = quotes_now - quotes_at_field;
            quotes_at_field = quotes_now;
            if m.delim & bit != 0 {
                v.field(text, field_start, pos, in_field)?;
                field_start = pos + 1;
                started = true;
                continue;
            }
            // A line end.
            if m.lf & bit != 0 && pos == after_cr {
                field_start = pos + 1;
                continue;
            }
            if started || pos > field_start {
                v.field(text, field_start, pos, in_field)?;
                v.record()?;
            }
            started = false;
            field_start = pos + 1;
            if m.cr & bit != 0 {
                after_cr = pos + 1;
            }
        }
        quotes_before_word += m.quote.count_ones();
        base += chunk.len();
    }
    if quotes.is_inside() {
        // A field that does not start with the quote that opened it put the quote in place.
        let why = if text.get(field_start) == Some(&QUOTE) {
            Malformed::Unterminated
        } else {
            Malformed::QuoteInUnquoted
        };
        return Err(v.malformed(why, field_start));
    }
    if end && (started || field_start < text.len()) {
        v.field(
            text,
            field_start,
            text.len(),
            quotes_before_word - quotes_at_field,
        )?;
        v.record()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as field texts, unescaped, with a marker for quoted fields.
    #[derive(Default)]
    struct Collect {
        rows: Vec<Vec<String>>,
        cur: Vec<String>,
    }

    impl Visit for Collect {
        type Error = (Malformed, usize);
        fn field(
            &mut self,
            text: &[u8],
            start: usize,
            end: usize,
            quotes: u32,
        ) -> Result<(), Self::Error> {
            let f = &text[start..end];
            assert_eq!(quotes as usize, f.iter().filter(|&&b| b == QUOTE).count());
            let s = if f.first() == Some(&QUOTE) {
                let mut out = Vec::new();
                unquote_into(f, quotes, &mut out).map_err(|m| (m, start))?;
                format!("q:{}", String::from_utf8(out).unwrap())
            } else {
                check_unquoted(quotes).map_err(|m| (m, start))?;
                String::from_utf8(f.to_vec()).unwrap()
            };
            self.cur.push(s);
            Ok(())
        }
        fn record(&mut self) -> Result<(), Self::Error> {
            self.rows.push(std::mem::take(&mut self.cur));
            Ok(())
        }
        fn malformed(&mut self, why: Malformed, at: usize) -> Self::Error {
            (why, at)
        }
    }

    fn rows(text: &str, end: bool) -> Result<Vec<Vec<String>>, (Malformed, usize)> {
        let mut c = Collect::default();
        walk(text.as_bytes(), end, &mut c)?;
        Ok(c.rows)
    }

    #[test]
    fn every_line_ending_and_quoting() {
        let want = vec![vec!["a", "b"], vec!["1", "2"], vec!["3", "4"]];
        for text in [
            "a,b\n1,2\n3,4\n",
            "a,b\r\n1,2\r\n3,4\r\n",
            "a,b\r1,2\r3,4\r",
            "a,b\n1,2\r3,4",
        ] {
            assert_eq!(rows(text, true).unwrap(), want, "{text:?}");
        }
        let long = format!("\"{}\"\"x\n,y\",,\\N\n", "z".repeat(100));
        assert_eq!(
            rows(&long, true).unwrap(),
            vec![vec![
                format!("q:{}\"x\n,y", "z".repeat(100)),
                String::new(),
                "\\N".into()
            ]]
        );
        // Empty lines are no records; an empty field is one.
        assert_eq!(
            rows("\n\na\n\r\n,\n", true).unwrap(),
            vec![vec!["a"], vec!["", ""]]
        );
        // Without the end of the file, a last record without its line end is not read.
        assert_eq!(rows("a\nb", false).unwrap(), vec![vec!["a"]]);
    }

    #[test]
    fn quotes_out_of_place_are_refused() {
        assert_eq!(
            rows("ab\"c\n", true).unwrap_err().0,
            Malformed::QuoteInUnquoted
        );
        assert_eq!(
            rows("\"a\"b,c\n\"", true).unwrap_err().0,
            Malformed::BadQuoted
        );
        assert_eq!(
            rows("x,\"abc\n", true).unwrap_err().0,
            Malformed::Unterminated
        );
        assert_eq!(rows("\"a\"\"\"\n", true).unwrap(), vec![vec!["q:a\""]]);
    }

    #[test]
    fn boundaries_follow_quotes_across_words() {
        let text = format!("1,\"{}\n{}\"\n2,x\n3", "a".repeat(70), "b".repeat(70));
        let mut b = Boundaries::default();
        b.scan(text.as_bytes(), false);
        assert!(b.scanned % 64 == 0 && b.scanned <= text.len());
        b.scan(text.as_bytes(), true);
        assert_eq!(
            b.last(text.as_bytes()),
            text.len() - 1,
            "after `2,x\\n`, not inside"
        );
        assert!(!b.inside);
        // Every prefix: the last boundary is the last one a full walk finds.
        for cut in 0..text.len() {
            let mut b = Boundaries::default();
            b.scan(&text.as_bytes()[..cut], true);
            let want = text[..cut]
                .rfind('\n')
                .filter(|&p| p != 2 + 1 + 70)
                .map_or(0, |p| p + 1);
            assert_eq!(b.last(&text.as_bytes()[..cut]), want, "cut {cut}");
        }
        assert_eq!(
            first_record_end(text.as_bytes()),
            Some(text.find("\n2").unwrap() + 1)
        );
        assert_eq!(first_record_end(b"a,\"b\nc"), None);
    }

    #[test]
    fn sse2_and_scalar_masks_agree() {
        let bytes: Vec<u8> = (0..64u8).map(|i| b"a,\"\r\nz"[i as usize % 6]).collect();
        assert_eq!(masks(&bytes), masks_scalar(&bytes));
        assert_eq!(prefix_xor(0b1001), 0b0111);
    }
}
