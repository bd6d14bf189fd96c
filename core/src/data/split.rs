//! Cutting inflated CSV into blocks that end on a record boundary, so that blocks can be parsed
//! in parallel.
//!
//! A newline ends a record unless it is inside a quoted field; whether it is follows from the
//! parity of the quotes before it (a doubled quote toggles twice). That holds for CSV that
//! quotes by RFC 4180 — a quote only opens a field right after a delimiter or a line start,
//! and only closes it right before one. A quote anywhere else (`ab"c`, which a CSV reader takes
//! literally) makes parity wrong, so every quote is checked as it is scanned: at the first one
//! out of place the splitter stops cutting and the caller reads the rest sequentially, from the
//! last boundary, which is still right.

use memchr::{memchr_iter, memrchr};

/// What may stand before a quote that opens a field (`"` for the second of a doubled quote).
fn opens_after(b: u8) -> bool {
    matches!(b, b',' | b'\n' | b'\r' | b'"')
}

/// What may follow a quote that closes a field (`"` for the first of a doubled quote).
fn closes_before(b: u8) -> bool {
    matches!(b, b',' | b'\n' | b'\r' | b'"')
}

/// Accumulates inflated bytes and cuts blocks of about `target` bytes at record boundaries.
///
/// Buffers are recycled ([`Splitter::recycle`]): a fresh 4 MiB allocation per block costs
/// page faults and zeroing that show up next to the parse itself.
pub(crate) struct Splitter {
    target: usize,
    /// Initialised memory; `buf[..len]` are bytes not yet handed out, starting at a record
    /// boundary.
    buf: Vec<u8>,
    len: usize,
    /// How far `buf` has been scanned for quotes.
    scanned: usize,
    /// Whether the scan position is inside a quoted field.
    inside: bool,
    /// Whether the byte before the scan position may precede an opening quote.
    after_delimiter: bool,
    /// The last byte scanned is a closing quote whose next byte was not yet seen.
    close_pending: bool,
    /// A quote out of place was seen: no more cutting.
    irregular: bool,
    spare: Vec<Vec<u8>>,
}

/// A cut block: `bytes[..len]` are whole records.
pub(crate) struct Block {
    pub(crate) bytes: Vec<u8>,
    pub(crate) len: usize,
}

impl Block {
    pub(crate) fn records(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Bytes read from the source at a time.
const READ: usize = 1 << 20;

impl Splitter {
    /// `start`: the first bytes after the header (a record boundary).
    pub(crate) fn new(target: usize, start: &[u8]) -> Splitter {
        let mut s = Splitter {
            target,
            buf: Vec::new(),
            len: 0,
            scanned: 0,
            inside: false,
            after_delimiter: true,
            close_pending: false,
            irregular: false,
            spare: Vec::new(),
        };
        s.append(start);
        s
    }

    /// Whether cutting stopped (the rest must be read sequentially).
    pub(crate) fn irregular(&self) -> bool {
        self.irregular
    }

    /// A block's buffer, back from the parser.
    pub(crate) fn recycle(&mut self, bytes: Vec<u8>) {
        if self.spare.len() < 4 {
            self.spare.push(bytes);
        }
    }

    fn room(&mut self, more: usize) {
        if self.buf.len() < self.len + more {
            self.buf
                .resize((self.len + more).max(self.target + READ), 0);
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        self.room(bytes.len());
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends bytes; returns a block when one of about the target size can be cut.
    #[cfg(test)]
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Option<Block> {
        self.append(bytes);
        self.ready()
    }

    /// Reads from `src` straight into the buffer (no extra copy); `Ok(None)` at the end of the
    /// input, else a block when one can be cut.
    pub(crate) fn fill(
        &mut self,
        src: &mut dyn std::io::Read,
    ) -> std::io::Result<Option<Option<Block>>> {
        self.room(READ);
        let n = loop {
            match src.read(&mut self.buf[self.len..self.len + READ]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(None);
        }
        self.len += n;
        Ok(Some(self.ready()))
    }

    fn ready(&mut self) -> Option<Block> {
        self.scan();
        if self.irregular || self.len < self.target {
            return None;
        }
        self.cut()
    }

    /// Everything left, for the last block (or the sequential reader).
    pub(crate) fn rest(&mut self) -> Block {
        let len = std::mem::take(&mut self.len);
        self.scanned = 0;
        Block {
            bytes: std::mem::take(&mut self.buf),
            len,
        }
    }

    /// Checks every new quote and tracks whether the end is inside a quoted field, 64 bytes
    /// at a time with bit masks (quotes are dense in JSON payloads: a branch per quote would
    /// cost more than the parse).
    fn scan(&mut self) {
        let end = self.len;
        let mut i = self.scanned;
        if self.irregular || i == end {
            return;
        }
        if self.close_pending {
            self.close_pending = false;
            if !closes_before(self.buf[i]) {
                self.irregular = true;
                return;
            }
        }
        while i < end {
            let n = (end - i).min(64);
            let (quotes, delims) = masks(&self.buf[i..i + n]);
            let valid = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            if quotes != 0 {
                // Bit k: inside a quoted field just after byte k (inclusive prefix parity).
                let mut inside = quotes;
                for shift in [1, 2, 4, 8, 16, 32] {
                    inside ^= inside << shift;
                }
                if self.inside {
                    inside = !inside;
                }
                let opening = quotes & inside;
                let closing = quotes & !inside & valid;
                let before = (delims << 1) | u64::from(self.after_delimiter);
                let next_known = i + n < end;
                let next = if next_known {
                    u64::from(closes_before(self.buf[i + n]))
                } else {
                    1 // checked when the next byte arrives
                };
                let after = (delims >> 1) | (next << (n - 1));
                if opening & !before != 0 || closing & !after != 0 {
                    self.irregular = true;
                    return;
                }
                if !next_known && (closing >> (n - 1)) & 1 == 1 {
                    self.close_pending = true;
                }
                self.inside = (inside >> (n - 1)) & 1 == 1;
            }
            self.after_delimiter = (delims >> (n - 1)) & 1 == 1;
            i += n;
        }
        self.scanned = end;
    }

    /// Cuts after the last newline outside quotes.
    fn cut(&mut self) -> Option<Block> {
        // Walk back from the end, undoing quotes, to the last newline outside quotes.
        let mut inside = self.inside;
        let mut end = self.len;
        loop {
            let nl = memrchr(b'\n', &self.buf[..end])?;
            let quotes = memchr_iter(b'"', &self.buf[nl + 1..end]).count();
            inside ^= quotes % 2 == 1;
            if !inside {
                let cut = nl + 1;
                let next = self.spare.pop().unwrap_or_default();
                let bytes = std::mem::replace(&mut self.buf, next);
                let len = std::mem::take(&mut self.len);
                self.append(&bytes[cut..len]);
                self.scanned -= cut;
                return Some(Block { bytes, len: cut });
            }
            end = nl;
        }
    }
}

/// Bit k set where byte k is a quote, and where it may stand before an opening quote.
#[inline]
fn masks(bytes: &[u8]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() == 64 {
        // SAFETY: SSE2 is part of the x86_64 baseline; the loads are unaligned and in bounds.
        return unsafe { masks_sse2(bytes) };
    }
    let (mut quotes, mut delims) = (0u64, 0u64);
    for (k, &b) in bytes.iter().enumerate() {
        quotes |= u64::from(b == b'"') << k;
        delims |= u64::from(opens_after(b)) << k;
    }
    (quotes, delims)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn masks_sse2(bytes: &[u8]) -> (u64, u64) {
    use std::arch::x86_64::*;
    let (mut quotes, mut delims) = (0u64, 0u64);
    let (q, c, n, r) = (
        _mm_set1_epi8(b'"' as i8),
        _mm_set1_epi8(b',' as i8),
        _mm_set1_epi8(b'\n' as i8),
        _mm_set1_epi8(b'\r' as i8),
    );
    for lane in 0..4 {
        // SAFETY: `bytes` has 64 bytes; each load reads 16 of them.
        let v = unsafe { _mm_loadu_si128(bytes.as_ptr().add(lane * 16) as *const __m128i) };
        let is_q = _mm_cmpeq_epi8(v, q);
        let is_d = _mm_or_si128(
            _mm_or_si128(is_q, _mm_cmpeq_epi8(v, c)),
            _mm_or_si128(_mm_cmpeq_epi8(v, n), _mm_cmpeq_epi8(v, r)),
        );
        quotes |= (_mm_movemask_epi8(is_q) as u16 as u64) << (lane * 16);
        delims |= (_mm_movemask_epi8(is_d) as u16 as u64) << (lane * 16);
    }
    (quotes, delims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(input: &[u8], target: usize, step: usize) -> (Vec<Vec<u8>>, bool) {
        let mut s = Splitter::new(target, b"");
        let mut out = Vec::new();
        for chunk in input.chunks(step) {
            if let Some(b) = s.push(chunk) {
                out.push(b.records().to_vec());
            }
        }
        let irregular = s.irregular();
        out.push(s.rest().records().to_vec());
        (out, irregular)
    }

    #[test]
    fn blocks_end_on_records_even_with_quoted_newlines() {
        let input = b"1,\"a\nb\"\n2,\"x,\"\"y\"\"\"\n3,plain\n4,\"\n\n\"\n5,z\n".repeat(50);
        for (target, step) in [(10, 3), (40, 7), (100, 1), (7, 64)] {
            let (bs, irregular) = blocks(&input, target, step);
            assert!(!irregular);
            assert_eq!(bs.concat(), input, "nothing lost or repeated");
            for b in &bs[..bs.len() - 1] {
                assert!(b.ends_with(b"\n"));
                let rows = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(&b[..]);
                assert!(rows.into_records().all(|r| r.unwrap().len() == 2), "{b:?}");
            }
            assert!(bs.len() > 2);
        }
    }

    #[test]
    fn a_quote_out_of_place_stops_cutting() {
        let mut input = b"1,ok\n".repeat(100);
        input.extend_from_slice(b"2,ab\"c\n3,\"x\ny\"\n");
        input.extend(b"1,ok\n".repeat(100));
        let (bs, irregular) = blocks(&input, 64, 16);
        assert!(irregular);
        assert_eq!(bs.concat(), input);
        let stray = input.windows(3).position(|w| w == b"b\"c").unwrap();
        let cut: usize = bs[..bs.len() - 1].iter().map(Vec::len).sum();
        assert!(cut <= stray, "no cut after the stray quote");
    }
}
