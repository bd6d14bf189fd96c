//! One gzip CSV artifact → typed record batches.
//!
//! A reader thread inflates (`MultiGzDecoder`: an artifact may hold several gzip members, and
//! `GzDecoder` would silently stop after the first) and cuts the text into blocks at record
//! boundaries ([`split`]); worker threads parse blocks with arrow-csv; batches come out in file
//! order. Quoted fields with commas, doubled quotes and newlines, empty fields and `\N`
//! (null), and a header-only file are handled; a truncated or corrupt file is an error naming
//! it, never fewer rows.

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{ArrayRef, PrimitiveArray, RecordBatch};
use arrow_csv::reader::Decoder;
use arrow_schema::TimeUnit;

use super::schema::{Cell, ReadSchema, UTC};
use super::split::{Block, Splitter};
use super::{DataError, SchemaChoice};

/// Bytes read while looking for the header.
const HEAD_READ: usize = 64 << 10;

/// Whether the bytes are gzip (else plain CSV), from the file name.
pub(crate) fn is_gzip(name: &str) -> bool {
    name.ends_with(".gz")
}

type Parsed = Result<Vec<RecordBatch>, DataError>;

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
    if let Err(e) = decode_inner(name, raw, choice, batch_size, on_schema, out) {
        let _ = out.blocking_send(Err(e));
    }
}

fn decode_inner(
    name: &str,
    raw: Box<dyn Read + Send>,
    choice: &SchemaChoice,
    batch_size: usize,
    on_schema: &mut dyn FnMut(&ReadSchema) -> Result<(), DataError>,
    out: &super::Out,
) -> Result<(), DataError> {
    let mut src: Box<dyn Read + Send> = if is_gzip(name) {
        Box::new(flate2::bufread::MultiGzDecoder::new(
            std::io::BufReader::with_capacity(1 << 20, raw),
        ))
    } else {
        raw
    };
    // The header: bytes up to the end of the first record.
    let mut head: Vec<u8> = Vec::new();
    let mut eof = false;
    let (header, header_len) = loop {
        if let Some(h) = read_header(&head, eof).map_err(|m| DataError::csv(name, &m))? {
            break h;
        }
        if eof {
            return Err(DataError::csv(name, "the file is empty: no CSV header"));
        }
        let len = head.len();
        head.resize(len + HEAD_READ, 0);
        let n = read_some(&mut *src, &mut head[len..]).map_err(|e| DataError::corrupt(name, &e))?;
        head.truncate(len + n);
        eof = n == 0;
    };
    let schema = choice.pick(name, &header)?;
    on_schema(&schema)?;
    let splitter = Splitter::new(BLOCK, &head[header_len..]);
    drop(head);
    let pool = Pool::new(name, &schema, batch_size);
    // Results in file order; a few blocks in flight at most.
    let (tx, results) = sync_channel::<Receiver<Parsed>>(pool.workers);
    let (reader_name, reader_schema) = (name.to_string(), schema.clone());
    std::thread::Builder::new()
        .name("ticksupply-inflate".into())
        .spawn(move || {
            cut_blocks(
                &reader_name,
                &reader_schema,
                batch_size,
                src,
                splitter,
                &pool,
                &tx,
            )
        })
        .expect("spawn the inflating thread");
    for rx in results {
        let batches = rx
            .recv()
            .map_err(|_| DataError::internal("a CSV worker stopped"))??;
        for b in batches {
            if out.blocking_send(Ok(b)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn read_some(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match src.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// The reader thread: inflates, cuts blocks and hands them to the pool, sending each block's
/// result slot to `results` in order. After a quote out of place it parses the rest itself,
/// in order, from the last boundary.
fn cut_blocks(
    name: &str,
    schema: &ReadSchema,
    batch_size: usize,
    mut src: Box<dyn Read + Send>,
    mut splitter: Splitter,
    pool: &Pool,
    results: &SyncSender<Receiver<Parsed>>,
) {
    let ready = |r: Parsed| {
        let (tx, rx) = sync_channel(1);
        let _ = tx.send(r);
        rx
    };
    loop {
        while let Ok(bytes) = pool.spare.try_recv() {
            splitter.recycle(bytes);
        }
        match splitter.fill(&mut *src) {
            Err(e) => {
                let _ = results.send(ready(Err(DataError::corrupt(name, &e))));
                return;
            }
            Ok(None) => {
                // The last block holds what is left; its last record may lack a newline.
                let _ = results.send(pool.parse(splitter.rest(), true));
                return;
            }
            Ok(Some(Some(block))) => {
                if results.send(pool.parse(block, false)).is_err() {
                    return; // nobody reads any more
                }
            }
            Ok(Some(None)) if splitter.irregular() => break,
            Ok(Some(None)) => {}
        }
    }
    // One decoder reads everything left, in order, a read at a time.
    let mut decoder = new_decoder(schema, batch_size, true);
    let mut records = Records {
        name,
        schema,
        decoder: &mut decoder,
        rows: 0,
        kept: Vec::new(),
    };
    let mut buf = splitter.rest().records().to_vec();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let step = records.push(&buf).and_then(|_| {
            let n = read_some(&mut *src, &mut chunk).map_err(|e| DataError::corrupt(name, &e))?;
            if n == 0 {
                records.push_end()?;
            }
            Ok(n)
        });
        let n = match step {
            Ok(n) => n,
            Err(e) => {
                let _ = results.send(ready(Err(e)));
                return;
            }
        };
        if results
            .send(ready(Ok(std::mem::take(&mut records.kept))))
            .is_err()
            || n == 0
        {
            return;
        }
        buf.clear();
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Inflated bytes per block parsed on its own.
const BLOCK: usize = 2 << 20;

/// Threads that parse blocks of one artifact; each block's buffer comes back on `spare`.
struct Pool {
    work: std::sync::mpsc::Sender<(Block, bool, SyncSender<Parsed>)>,
    spare: Receiver<Vec<u8>>,
    workers: usize,
}

impl Pool {
    fn new(name: &str, schema: &ReadSchema, batch_size: usize) -> Pool {
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        let (tx, rx) = std::sync::mpsc::channel::<(Block, bool, SyncSender<Parsed>)>();
        let (spare_tx, spare) = std::sync::mpsc::channel();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for _ in 0..workers {
            let (rx, spare_tx) = (rx.clone(), spare_tx.clone());
            let mut parser = BlockParser::new(name, schema, batch_size);
            std::thread::Builder::new()
                .name("ticksupply-csv".into())
                .spawn(move || {
                    loop {
                        let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((block, last, reply)) = next else {
                            return;
                        };
                        let parsed = parser.parse(block.records(), last);
                        let _ = spare_tx.send(block.bytes);
                        let _ = reply.send(parsed);
                    }
                })
                .expect("spawn a CSV worker");
        }
        Pool {
            work: tx,
            spare,
            workers,
        }
    }

    fn parse(&self, block: Block, last: bool) -> Receiver<Parsed> {
        let (tx, rx) = sync_channel(1);
        let _ = self.work.send((block, last, tx));
        rx
    }
}

/// Whether a block holds a `\N` field (then the slower null pattern is needed).
fn has_backslash_n_field(block: &[u8]) -> bool {
    memchr::memmem::find_iter(block, b"\\N").any(|p| {
        let before = if p == 0 { b'\n' } else { block[p - 1] };
        let after = block.get(p + 2).copied().unwrap_or(b'\n');
        matches!(before, b',' | b'\n') && matches!(after, b',' | b'\n' | b'\r')
    })
}

/// Parses blocks of whole records for one worker, reusing its decoders: a fresh decoder per
/// block would allocate (and fault in) its record buffers every time.
struct BlockParser {
    name: String,
    schema: ReadSchema,
    batch_size: usize,
    /// Without and with the `\N` null pattern.
    decoders: [Option<Decoder>; 2],
}

impl BlockParser {
    fn new(name: &str, schema: &ReadSchema, batch_size: usize) -> BlockParser {
        BlockParser {
            name: name.to_string(),
            schema: schema.clone(),
            batch_size,
            decoders: [None, None],
        }
    }

    /// Batches of one block; `last`: the block ends the file (its last record may lack a
    /// newline, and the decoder is finished).
    fn parse(&mut self, block: &[u8], last: bool) -> Parsed {
        let slot = usize::from(has_backslash_n_field(block));
        let (schema, batch_size) = (&self.schema, self.batch_size);
        let decoder =
            self.decoders[slot].get_or_insert_with(|| new_decoder(schema, batch_size, slot == 1));
        let mut reader = Records {
            name: &self.name,
            schema,
            decoder,
            rows: 0,
            kept: Vec::new(),
        };
        reader.push(block)?;
        if last {
            reader.push_end()?;
        } else {
            reader.flush()?;
        }
        Ok(reader.kept)
    }
}

fn new_decoder(schema: &ReadSchema, batch_size: usize, backslash_n_nulls: bool) -> Decoder {
    let mut builder = arrow_csv::ReaderBuilder::new(schema.csv_decode_schema())
        .with_header(false)
        .with_batch_size(batch_size);
    if backslash_n_nulls {
        builder = builder.with_null_regex(null_regex());
    }
    builder.build_decoder()
}

/// Feeds a decoder and keeps the typed batches it yields.
struct Records<'a> {
    name: &'a str,
    schema: &'a ReadSchema,
    decoder: &'a mut Decoder,
    /// Data rows decoded so far, for messages.
    rows: usize,
    kept: Vec<RecordBatch>,
}

impl Records<'_> {
    /// Decodes `buf`, keeping every full batch.
    fn push(&mut self, buf: &[u8]) -> Result<(), DataError> {
        let mut off = 0;
        while off < buf.len() {
            off += self
                .decoder
                .decode(&buf[off..])
                .map_err(|e| self.error(&e))?;
            if self.decoder.capacity() == 0 {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// The end of the input: a last record without a newline is completed, then kept.
    fn push_end(&mut self) -> Result<(), DataError> {
        self.decoder.decode(&[]).map_err(|e| self.error(&e))?;
        self.flush()
    }

    fn flush(&mut self) -> Result<(), DataError> {
        if let Some(batch) = self.decoder.flush().map_err(|e| self.error(&e))? {
            self.rows += batch.num_rows();
            self.kept.push(finish(self.schema, batch)?);
        }
        Ok(())
    }

    fn error(&self, e: &arrow_schema::ArrowError) -> DataError {
        DataError::csv(
            self.name,
            &format!("bad CSV data near data row {}: {e}", self.rows),
        )
    }
}

/// `\N` (as databases write NULL) and empty fields are null. Without `\N` in a block, the
/// decoder's own test (empty is null) is used: a regex per cell costs a fifth of the parse.
fn null_regex() -> regex::Regex {
    regex::Regex::new(r"^(?:\\N)?$").expect("a valid regex")
}

/// The header's fields and the byte length of the header record, once `buf` holds it all.
fn read_header(buf: &[u8], eof: bool) -> Result<Option<(Vec<String>, usize)>, String> {
    let Some(nl) = memchr_newline(buf) else {
        if !eof || buf.is_empty() {
            return Ok(None);
        }
        return parse_header(buf).map(|h| Some((h, buf.len())));
    };
    parse_header(&buf[..=nl]).map(|h| Some((h, nl + 1)))
}

fn memchr_newline(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

fn parse_header(line: &[u8]) -> Result<Vec<String>, String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut rec = csv::StringRecord::new();
    match r.read_record(&mut rec) {
        Ok(true) => Ok(rec.iter().map(str::to_string).collect()),
        Ok(false) => Err("the file is empty: no CSV header".into()),
        Err(e) => Err(format!("cannot read the CSV header: {e}")),
    }
}

/// Turns a decoded batch into the schema's final types (timestamps are relabelled, not
/// copied).
fn finish(schema: &ReadSchema, batch: RecordBatch) -> Result<RecordBatch, DataError> {
    if schema.cells.iter().all(|c| *c == Cell::AsIs) {
        return RecordBatch::try_new(schema.arrow.clone(), batch.columns().to_vec())
            .map_err(|e| DataError::internal(&e.to_string()));
    }
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(&schema.cells)
        .map(|(a, cell)| match cell {
            Cell::AsIs => a.clone(),
            Cell::EpochInt(unit) => {
                let ints = a.as_primitive::<Int64Type>();
                let (values, nulls) = (
                    ints.values().clone(),
                    arrow_array::Array::nulls(ints).cloned(),
                );
                match unit {
                    TimeUnit::Nanosecond => relabel::<TimestampNanosecondType>(values, nulls),
                    TimeUnit::Microsecond => relabel::<TimestampMicrosecondType>(values, nulls),
                    TimeUnit::Millisecond => relabel::<TimestampMillisecondType>(values, nulls),
                    TimeUnit::Second => relabel::<TimestampSecondType>(values, nulls),
                }
            }
            Cell::Rfc3339 => Arc::new(
                a.as_primitive::<TimestampNanosecondType>()
                    .clone()
                    .with_timezone(UTC),
            ),
        })
        .collect();
    RecordBatch::try_new(schema.arrow.clone(), columns)
        .map_err(|e| DataError::internal(&e.to_string()))
}

fn relabel<T>(
    values: arrow_buffer::ScalarBuffer<i64>,
    nulls: Option<arrow_buffer::NullBuffer>,
) -> ArrayRef
where
    T: arrow_array::types::ArrowTimestampType,
{
    Arc::new(PrimitiveArray::<T>::new(values, nulls).with_timezone(UTC))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_needs_a_whole_line_unless_the_file_ended() {
        assert_eq!(read_header(b"a,b", false), Ok(None));
        assert_eq!(
            read_header(b"a,b", true),
            Ok(Some((vec!["a".into(), "b".into()], 3)))
        );
        assert_eq!(
            read_header(b"\"x,y\",b\n1,2\n", false),
            Ok(Some((vec!["x,y".into(), "b".into()], 8)))
        );
    }
}
