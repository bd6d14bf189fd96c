//! The text of an artifact: inflated from gzip (every member; a file may hold several) or read
//! as it is, appended to a caller's buffer in large steps. The end is positive: a gzip file is
//! only complete when its last member ended with a verified trailer (CRC-32 and length) and no
//! byte follows; a file that stops inside a member is an error, never a shorter text.

use std::io::Read;

use flate2::{Decompress, FlushDecompress, Status};

/// Compressed bytes read at a time.
const READ: usize = 1 << 20;

/// An artifact's bytes, turned into text.
pub(crate) struct Text {
    src: Box<dyn Read + Send>,
    gzip: Option<Gzip>,
    /// Bytes read from the source.
    pub(crate) bytes_in: u64,
    done: bool,
}

struct Gzip {
    d: Decompress,
    input: Vec<u8>,
    pos: usize,
    src_done: bool,
    /// Whether the current member ended (a new one starts with the next input byte).
    member_done: bool,
}

fn read_some(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match src.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn corrupt(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

impl Text {
    pub(crate) fn new(src: Box<dyn Read + Send>, gzip: bool) -> Text {
        Text {
            src,
            gzip: gzip.then(|| Gzip {
                d: Decompress::new_gzip(15),
                input: vec![0; READ],
                pos: READ,
                src_done: false,
                member_done: false,
            }),
            bytes_in: 0,
            done: false,
        }
    }

    /// Appends up to about `want` more bytes of text to `out`; `Ok(false)` once the text is
    /// complete (nothing appended).
    pub(crate) fn fill(&mut self, out: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        let Some(g) = &mut self.gzip else {
            let len = out.len();
            out.resize(len + want, 0);
            let n = read_some(&mut *self.src, &mut out[len..])?;
            out.truncate(len + n);
            self.bytes_in += n as u64;
            self.done = n == 0;
            return Ok(n > 0);
        };
        let start = out.len();
        out.reserve(want);
        while out.len() - start < want {
            if g.pos == g.input.len() && !g.src_done {
                g.input.resize(READ, 0);
                let n = read_some(&mut *self.src, &mut g.input)?;
                g.input.truncate(n);
                g.pos = 0;
                self.bytes_in += n as u64;
                g.src_done = n == 0;
            }
            let pending = &g.input[g.pos..];
            if pending.is_empty() {
                if g.member_done {
                    self.done = true;
                    break;
                }
                return Err(corrupt(
                    "the gzip data ends inside a member: the file is truncated",
                ));
            }
            if g.member_done {
                // Another member follows.
                g.d = Decompress::new_gzip(15);
                g.member_done = false;
            }
            if out.capacity() == out.len() {
                out.reserve(want);
            }
            let before = g.d.total_in();
            let status =
                g.d.decompress_vec(pending, out, FlushDecompress::None)
                    .map_err(|e| corrupt(format!("the gzip data is corrupt: {e}")))?;
            g.pos += (g.d.total_in() - before) as usize;
            match status {
                Status::StreamEnd => g.member_done = true,
                Status::Ok => {}
                // No progress with input left and room to write: the data cannot go on.
                Status::BufError if g.d.total_in() == before && out.capacity() > out.len() => {
                    return Err(corrupt("the gzip data is corrupt"));
                }
                Status::BufError => {}
            }
        }
        Ok(out.len() > start || !self.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(p).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    fn all(data: Vec<u8>, gzip: bool) -> std::io::Result<Vec<u8>> {
        let mut t = Text::new(Box::new(std::io::Cursor::new(data)), gzip);
        let mut out = Vec::new();
        while t.fill(&mut out, 7)? {}
        Ok(out)
    }

    #[test]
    fn every_member_is_read_and_a_cut_is_an_error() {
        let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let data = gz(&[b"a,b\n", &big, b"", b"tail"]);
        let mut want = b"a,b\n".to_vec();
        want.extend(&big);
        want.extend(b"tail");
        assert_eq!(all(data.clone(), true).unwrap(), want);
        for cut in [10, data.len() / 2, data.len() - 1] {
            assert!(all(data[..cut].to_vec(), true).is_err(), "cut at {cut}");
        }
        let mut garbage = data.clone();
        garbage.extend(b"not gzip");
        assert!(all(garbage, true).is_err());
        assert_eq!(all(b"plain".to_vec(), false).unwrap(), b"plain");
    }
}
