//! One CSV artifact (gzip or plain) → typed record batches, exactly.
//!
//! A reader thread turns the bytes into text ([`super::gz`]) and cuts it into blocks of whole
//! records ([`super::scan::Boundaries`]: quote parity carried across the stream, so a huge
//! quoted record costs one pass); worker threads parse blocks into typed columns
//! ([`super::scan::walk`], [`super::columns`]); batches come out in file order. The artifact is
//! complete only when the reader thread says so after a clean end of its text: a worker that
//! stopped, a reader that died or a truncated file is an error naming the file, never fewer
//! rows. Errors give the data row counted from the start of the artifact, and the column.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;

use super::columns::{Column, Kind};
use super::gz::Text;
use super::scan::{self, Boundaries, Malformed, QUOTE, Visit};
use super::schema::ReadSchema;
use super::{DataError, SchemaChoice};

/// Whether the bytes are gzip (else plain CSV), from the file name.
pub(crate) fn is_gzip(name: &str) -> bool {
    name.ends_with(".gz")
}

/// How the text is cut and parsed (tests use small blocks to cut records everywhere).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// Text per block, at least (a block ends at the first record boundary past it).
    pub block: usize,
    /// Threads parsing blocks.
    pub workers: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            block: 4 << 20,
            workers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(1, 8),
        }
    }
}

/// Text read at a time.
const READ: usize = 1 << 20;

/// Decodes one CSV artifact, sending its schema first (through `on_schema`) and then its
/// batches to `out`. Returns when done, on the first error (sent to `out`), or when `out` is
/// gone.
pub(crate) fn decode(
    name: &str,
    raw: Box<dyn Read + Send>,
    choice: &SchemaChoice,
    batch_size: usize,
    on_schema: &mut dyn FnMut(&ReadSchema) -> Result<(), DataError>,
    out: &super::Out,
) {
    decode_with(
        name,
        raw,
        choice,
        batch_size,
        Tuning::default(),
        on_schema,
        out,
    );
}

pub(crate) fn decode_with(
    name: &str,
    raw: Box<dyn Read + Send>,
    choice: &SchemaChoice,
    batch_size: usize,
    tuning: Tuning,
    on_schema: &mut dyn FnMut(&ReadSchema) -> Result<(), DataError>,
    out: &super::Out,
) {
    if let Err(e) = decode_inner(name, raw, choice, batch_size, tuning, on_schema, out) {
        let _ = out.blocking_send(Err(e));
    }
}

/// What the reader thread hands the consumer, in file order.
enum Piece {
    Block(Result<Parsed, BlockError>),
    /// The text could not be read (a truncated or corrupt file).
    Unreadable(std::io::Error),
    /// The text ended cleanly: the artifact is complete.
    End,
}

struct Parsed {
    batches: Vec<RecordBatch>,
    rows: usize,
}

/// A block that is not CSV of the schema: its row (from the block's start), its column.
#[derive(Debug)]
struct BlockError {
    row: usize,
    column: Option<usize>,
    message: String,
}

fn decode_inner(
    name: &str,
    raw: Box<dyn Read + Send>,
    choice: &SchemaChoice,
    batch_size: usize,
    tuning: Tuning,
    on_schema: &mut dyn FnMut(&ReadSchema) -> Result<(), DataError>,
    out: &super::Out,
) -> Result<(), DataError> {
    let mut text = Text::new(raw, is_gzip(name));
    let mut buf = Vec::new();
    // The header: the first record.
    let header_end = loop {
        let more = text
            .fill(&mut buf, READ)
            .map_err(|e| DataError::corrupt(name, &e))?;
        if let Some(end) = scan::first_record_end(&buf) {
            break end;
        }
        if !more {
            break buf.len();
        }
    };
    let header = read_header(&buf[..header_end]).map_err(|m| DataError::csv(name, &m))?;
    let schema = choice.pick(name, &header)?;
    on_schema(&schema)?;
    buf.drain(..header_end);
    let bounds = Boundaries::default();

    let pool = Pool::new(&schema, batch_size, tuning.workers);
    let (tx, pieces) = sync_channel::<Receiver<Piece>>(tuning.workers + 1);
    std::thread::Builder::new()
        .name("ticksupply-inflate".into())
        .spawn(move || cut_blocks(text, buf, bounds, tuning.block, &pool, &tx))
        .expect("spawn the inflating thread");

    let mut rows_before = 0usize;
    for piece in pieces {
        match piece.recv() {
            Ok(Piece::Block(Ok(p))) => {
                rows_before += p.rows;
                for b in p.batches {
                    if out.blocking_send(Ok(b)).is_err() {
                        return Ok(()); // nobody reads any more
                    }
                }
            }
            Ok(Piece::Block(Err(e))) => {
                let column = e
                    .column
                    .and_then(|c| {
                        schema
                            .column_names()
                            .get(c)
                            .map(|n| format!(", column {n:?}"))
                    })
                    .unwrap_or_default();
                return Err(DataError::csv(
                    name,
                    &format!(
                        "data row {}{column}: {}",
                        rows_before + e.row + 1,
                        e.message
                    ),
                ));
            }
            Ok(Piece::Unreadable(e)) => return Err(DataError::corrupt(name, &e)),
            Ok(Piece::End) => return Ok(()),
            Err(_) => {
                return Err(DataError::corrupt_msg(
                    name,
                    "parsing stopped unexpectedly (a bug: please report it)",
                ));
            }
        }
    }
    Err(DataError::corrupt_msg(
        name,
        "reading stopped before the end of the file (a bug: please report it)",
    ))
}

/// The reader thread: text in, blocks of whole records out to the pool, each block's result
/// slot sent to `pieces` in order, then `End` after a clean end.
fn cut_blocks(
    mut text: Text,
    mut buf: Vec<u8>,
    mut bounds: Boundaries,
    target: usize,
    pool: &Pool,
    pieces: &SyncSender<Receiver<Piece>>,
) {
    let ready = |p: Piece| {
        let (tx, rx) = sync_channel(1);
        let _ = tx.send(p);
        rx
    };
    loop {
        let more = match text.fill(&mut buf, READ) {
            Ok(m) => m,
            Err(e) => {
                let _ = pieces.send(ready(Piece::Unreadable(e)));
                return;
            }
        };
        bounds.scan(&buf, !more);
        while buf.len() >= target && bounds.last(&buf) > 0 {
            let cut = bounds.last(&buf);
            let mut next = pool.spare_buffer(target + READ);
            next.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            let block = std::mem::replace(&mut buf, next);
            bounds.consume(cut);
            if pieces.send(pool.parse(block, false)).is_err() {
                return; // nobody reads any more
            }
        }
        if !more {
            let _ = pieces.send(pool.parse(buf, true));
            let _ = pieces.send(ready(Piece::End));
            return;
        }
    }
}

type Job = (Vec<u8>, bool, SyncSender<Piece>);

/// Threads that parse blocks; each block's buffer comes back for reuse.
struct Pool {
    work: std::sync::mpsc::Sender<Job>,
    spare: Receiver<Vec<u8>>,
}

impl Pool {
    fn new(schema: &ReadSchema, batch_size: usize, workers: usize) -> Pool {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let (spare_tx, spare) = std::sync::mpsc::channel();
        let rx = Arc::new(Mutex::new(rx));
        let kinds: Arc<[Kind]> = schema
            .arrow()
            .fields()
            .iter()
            .zip(&schema.cells)
            .map(|(f, c)| Kind::of(f.data_type(), *c))
            .collect();
        for _ in 0..workers.max(1) {
            let (rx, spare_tx) = (rx.clone(), spare_tx.clone());
            let (schema, kinds) = (schema.clone(), kinds.clone());
            std::thread::Builder::new()
                .name("ticksupply-csv".into())
                .spawn(move || {
                    loop {
                        let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((block, end, reply)) = next else {
                            return;
                        };
                        // A panic must not look like the end of the file: it becomes this
                        // block's error.
                        let run = std::panic::AssertUnwindSafe(|| {
                            parse_block(&block, end, &schema, &kinds, batch_size)
                        });
                        let parsed = std::panic::catch_unwind(run).unwrap_or_else(|_| {
                            Err(BlockError {
                                row: 0,
                                column: None,
                                message: "parsing failed (a bug: please report it)".into(),
                            })
                        });
                        let _ = spare_tx.send(block);
                        let _ = reply.send(Piece::Block(parsed));
                    }
                })
                .expect("spawn a CSV worker");
        }
        Pool { work: tx, spare }
    }

    fn parse(&self, block: Vec<u8>, end: bool) -> Receiver<Piece> {
        let (tx, rx) = sync_channel(1);
        let _ = self.work.send((block, end, tx));
        rx
    }

    /// An empty buffer: a recycled one when there is (a fresh allocation per block costs page
    /// faults next to the parse itself).
    fn spare_buffer(&self, capacity: usize) -> Vec<u8> {
        match self.spare.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(_) => Vec::with_capacity(capacity),
        }
    }
}

/// Parses one block into batches of at most `batch_size` rows.
fn parse_block(
    block: &[u8],
    end: bool,
    schema: &ReadSchema,
    kinds: &[Kind],
    batch_size: usize,
) -> Result<Parsed, BlockError> {
    // A guess of the rows a batch of this block holds, to size the buffers once.
    let guess = (block.len() / 64).clamp(1, batch_size);
    let mut v = Rows {
        columns: kinds
            .iter()
            .map(|k| Column::new(*k, guess, block.len()))
            .collect(),
        col: 0,
        row: 0,
        batch_start: 0,
        batch_size,
        batches: Vec::new(),
        schema,
    };
    scan::walk(block, end, &mut v)?;
    if v.row > v.batch_start {
        v.flush()?;
    }
    Ok(Parsed {
        batches: v.batches,
        rows: v.row,
    })
}

/// Collects a block's cells into columns, batch by batch.
struct Rows<'a> {
    columns: Vec<Column>,
    /// The next field's column.
    col: usize,
    /// Rows of the block so far.
    row: usize,
    batch_start: usize,
    batch_size: usize,
    batches: Vec<RecordBatch>,
    schema: &'a ReadSchema,
}

impl Rows<'_> {
    fn error(&self, column: Option<usize>, message: impl Into<String>) -> BlockError {
        BlockError {
            row: self.row,
            column,
            message: message.into(),
        }
    }

    fn flush(&mut self) -> Result<(), BlockError> {
        let rows = self.row - self.batch_start;
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (i, c) in self.columns.iter_mut().enumerate() {
            arrays.push(c.finish(self.batch_size).map_err(|(r, m)| BlockError {
                row: self.batch_start + r,
                column: Some(i),
                message: m,
            })?);
        }
        let batch = RecordBatch::try_new(self.schema.arrow().clone(), arrays)
            .map_err(|e| self.error(None, e.to_string()))?;
        debug_assert_eq!(batch.num_rows(), rows);
        self.batches.push(batch);
        self.batch_start = self.row;
        Ok(())
    }
}

impl Visit for Rows<'_> {
    type Error = BlockError;

    #[inline]
    fn field(
        &mut self,
        text: &[u8],
        start: usize,
        end: usize,
        quotes: u32,
    ) -> Result<(), BlockError> {
        let n = self.columns.len();
        if self.col >= n {
            return Err(self.error(None, format!("it has more than the header's {n} fields")));
        }
        let col = self.col;
        self.columns[col]
            .push(&text[start..end], quotes)
            .map_err(|m| self.error(Some(col), m))?;
        self.col += 1;
        Ok(())
    }

    #[inline]
    fn record(&mut self) -> Result<(), BlockError> {
        let n = self.columns.len();
        if self.col != n {
            return Err(self.error(
                None,
                format!("it has {} field(s); the header has {n}", self.col),
            ));
        }
        self.col = 0;
        self.row += 1;
        if self.row - self.batch_start == self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    fn malformed(&mut self, why: Malformed, _at: usize) -> BlockError {
        self.error(None, why.message())
    }
}

/// The header's fields (unescaped).
fn read_header(record: &[u8]) -> Result<Vec<String>, String> {
    struct Header {
        names: Vec<String>,
        done: bool,
    }
    impl Visit for Header {
        type Error = String;
        fn field(&mut self, text: &[u8], start: usize, end: usize, q: u32) -> Result<(), String> {
            let f = &text[start..end];
            let mut name = Vec::new();
            if f.first() == Some(&QUOTE) {
                scan::unquote_into(f, q, &mut name).map_err(|m| m.message())?;
            } else {
                scan::check_unquoted(q).map_err(|m| m.message())?;
                name.extend_from_slice(f);
            }
            self.names
                .push(String::from_utf8(name).map_err(|_| "it is not UTF-8")?);
            Ok(())
        }
        fn record(&mut self) -> Result<(), String> {
            self.done = true;
            Ok(())
        }
        fn malformed(&mut self, why: Malformed, _: usize) -> String {
            why.message().into()
        }
    }
    let mut h = Header {
        names: Vec::new(),
        done: false,
    };
    scan::walk(record, true, &mut h).map_err(|m| format!("cannot read the CSV header: {m}"))?;
    if !h.done || h.names.is_empty() {
        return Err("the file is empty: no CSV header".into());
    }
    Ok(h.names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_first_record() {
        assert_eq!(read_header(b"a,b\n").unwrap(), ["a", "b"]);
        assert_eq!(read_header(b"\"x,y\",b\r").unwrap(), ["x,y", "b"]);
        assert_eq!(read_header(b"a,b").unwrap(), ["a", "b"]);
        assert!(read_header(b"").unwrap_err().contains("empty"));
        assert!(read_header(b"\n\n").unwrap_err().contains("empty"));
    }
}
