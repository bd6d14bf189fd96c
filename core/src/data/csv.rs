//! One gzip CSV artifact → typed record batches.
//!
//! Two threads per artifact: one inflates (`MultiGzDecoder`: an artifact may hold several gzip
//! members, and `GzDecoder` would silently stop after the first), the other parses with
//! arrow-csv's push decoder. Quoted fields with commas, doubled quotes and newlines, empty
//! fields and `\N` (null), and a header-only file are all handled by the decoder; a truncated
//! or corrupt file is an error naming it, never fewer rows.

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{ArrayRef, PrimitiveArray, RecordBatch};
use arrow_schema::TimeUnit;

use super::schema::{Cell, ReadSchema, UTC};
use super::{DataError, SchemaChoice};

/// Inflated bytes handed from the inflating thread to the parser at a time.
const CHUNK: usize = 1 << 20;
/// Inflated chunks in flight between the two threads.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Whether the bytes are gzip (else plain CSV), from the file name.
pub(crate) fn is_gzip(name: &str) -> bool {
    name.ends_with(".gz")
}

/// Inflates `raw` on its own thread; the receiver yields chunks of CSV text.
fn inflate(
    name: String,
    raw: Box<dyn Read + Send>,
    gzip: bool,
) -> Receiver<Result<Vec<u8>, DataError>> {
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    std::thread::Builder::new()
        .name("ticksupply-inflate".into())
        .spawn(move || {
            let mut src: Box<dyn Read> = if gzip {
                Box::new(flate2::read::MultiGzDecoder::new(
                    std::io::BufReader::with_capacity(CHUNK, raw),
                ))
            } else {
                raw
            };
            loop {
                let mut buf = vec![0u8; CHUNK];
                let mut filled = 0;
                // Fill the chunk: fewer, larger hand-offs.
                let res = loop {
                    match src.read(&mut buf[filled..]) {
                        Ok(0) => break Ok(true),
                        Ok(n) => {
                            filled += n;
                            if filled == buf.len() {
                                break Ok(false);
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(filled);
                let done = match res {
                    Err(e) => {
                        let _ = tx.send(Err(DataError::corrupt(&name, &e)));
                        return;
                    }
                    Ok(done) => done,
                };
                if !buf.is_empty() && tx.send(Ok(buf)).is_err() {
                    return; // the parser stopped
                }
                if done {
                    return;
                }
            }
        })
        .expect("spawn the inflating thread");
    rx
}

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
    let chunks = inflate(name.to_string(), raw, is_gzip(name));
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
        match chunks.recv() {
            Ok(chunk) => head.extend_from_slice(&chunk?),
            Err(_) => eof = true,
        }
    };
    let schema = choice.pick(name, &header)?;
    on_schema(&schema)?;
    let decoder = arrow_csv::ReaderBuilder::new(schema.csv_decode_schema())
        .with_header(false)
        .with_batch_size(batch_size)
        .with_null_regex(null_regex())
        .build_decoder();
    let mut sink = Sink {
        name,
        schema: &schema,
        decoder,
        rows: 0,
        out,
    };
    if !sink.push(&head[header_len..])? {
        return Ok(());
    }
    drop(head);
    for chunk in chunks.iter() {
        if !sink.push(&chunk?)? {
            return Ok(());
        }
    }
    // End of input: a last record without a newline is completed, then flushed.
    sink.push_end()?;
    Ok(())
}

/// The decoder and where its batches go.
struct Sink<'a> {
    name: &'a str,
    schema: &'a ReadSchema,
    decoder: arrow_csv::reader::Decoder,
    /// Data rows sent so far, for messages.
    rows: usize,
    out: &'a super::Out,
}

impl Sink<'_> {
    /// Decodes `buf`, sending every full batch; false once nobody listens.
    fn push(&mut self, buf: &[u8]) -> Result<bool, DataError> {
        let mut off = 0;
        while off < buf.len() {
            off += self
                .decoder
                .decode(&buf[off..])
                .map_err(|e| self.error(&e))?;
            if self.decoder.capacity() == 0 && !self.flush()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn push_end(&mut self) -> Result<bool, DataError> {
        self.decoder.decode(&[]).map_err(|e| self.error(&e))?;
        self.flush()
    }

    fn flush(&mut self) -> Result<bool, DataError> {
        let Some(batch) = self.decoder.flush().map_err(|e| self.error(&e))? else {
            return Ok(true);
        };
        self.rows += batch.num_rows();
        Ok(self
            .out
            .blocking_send(Ok(finish(self.schema, batch)?))
            .is_ok())
    }

    fn error(&self, e: &arrow_schema::ArrowError) -> DataError {
        DataError::csv(
            self.name,
            &format!("bad CSV data after data row {}: {e}", self.rows),
        )
    }
}

/// `\N` (as databases write NULL) and empty fields are null.
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
