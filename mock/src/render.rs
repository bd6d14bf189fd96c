//! Typed export artifacts: the raw artifact's messages put through the export's schema and
//! written whole, in memory, as gzip CSV or Parquet.
//!
//! A typed artifact has the rows of the raw artifact of the same layout (same count, timestamps
//! and messages). Each column applies its `meta` or its `data.<exchange>.json` extractor;
//! `transform`, `unfold` and `derive` are validated by the API but not applied by the mock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arrow_array::{
    ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat};
use flate2::write::GzEncoder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::artifacts::{Layout, layout};
use crate::state::Artifact;

/// The timezone of every timestamp column.
const UTC: &str = "UTC";
/// `decimal(N)` is `decimal128(38, N)` in Parquet: the widest precision it holds.
pub const DECIMAL_PRECISION: u8 = 38;
/// Rows per record batch handed to the Parquet writer, which cuts row groups itself.
const BATCH_ROWS: u64 = 8192;
/// The raw schema's columns.
const RAW_COLUMNS: [&str; 2] = ["collection_timestamp_ns", "data"];

/// An export's file format, with its resolved options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet(ParquetOptions),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParquetOptions {
    pub compression: Compression,
    /// At most this many rows per row group.
    pub row_group_size: usize,
}

impl Format {
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Csv => "application/gzip",
            Format::Parquet(_) => "application/vnd.apache.parquet",
        }
    }

    pub fn extension(&self) -> &'static str {
        match self {
            Format::Csv => "csv.gz",
            Format::Parquet(_) => "parquet",
        }
    }
}

/// The codec for a `format_options.compression` name (case-insensitive); `None` if unknown.
pub fn parquet_compression(name: &str) -> Option<Compression> {
    Some(match name.to_ascii_lowercase().as_str() {
        "zstd" => Compression::ZSTD(ZstdLevel::default()),
        "snappy" => Compression::SNAPPY,
        "gzip" => Compression::GZIP(GzipLevel::default()),
        "lz4" | "lz4_raw" => Compression::LZ4_RAW,
        "none" | "uncompressed" => Compression::UNCOMPRESSED,
        _ => return None,
    })
}

/// One output column of an export schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `meta`: the collection timestamp, in a format.
    Timestamp(TimeFormat),
    /// `data`: an extractor per exchange code.
    Data(Vec<(String, Extractor)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extractor {
    /// A dot path into the message (`p`, `k.o`); a numeric segment indexes an array.
    pub path: String,
    pub ty: ValueType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    Ns,
    Us,
    Ms,
    S,
    Iso8601,
}

impl TimeFormat {
    fn parse(format: &str) -> TimeFormat {
        match format {
            "us" => TimeFormat::Us,
            "ms" => TimeFormat::Ms,
            "s" => TimeFormat::S,
            "iso8601" => TimeFormat::Iso8601,
            _ => TimeFormat::Ns,
        }
    }

    /// The Parquet unit: `iso8601` is text in CSV but nanoseconds in Parquet.
    fn unit(self) -> TimeUnit {
        match self {
            TimeFormat::Ns | TimeFormat::Iso8601 => TimeUnit::Nanosecond,
            TimeFormat::Us => TimeUnit::Microsecond,
            TimeFormat::Ms => TimeUnit::Millisecond,
            TimeFormat::S => TimeUnit::Second,
        }
    }

    /// `ns` as a whole number of this format's unit, rounded down.
    fn count(self, ns: i64) -> i64 {
        let per_unit = match self {
            TimeFormat::Ns | TimeFormat::Iso8601 => 1,
            TimeFormat::Us => 1_000,
            TimeFormat::Ms => 1_000_000,
            TimeFormat::S => 1_000_000_000,
        };
        ns.div_euclid(per_unit)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// `decimal(N)`: N fractional digits.
    Decimal(u8),
    F64,
    I64,
    Bool,
    String,
}

impl ValueType {
    fn parse(ty: &str) -> ValueType {
        match ty {
            "f64" => ValueType::F64,
            "i64" => ValueType::I64,
            "bool" => ValueType::Bool,
            _ => ty
                .strip_prefix("decimal(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|n| n.parse().ok())
                .map_or(ValueType::String, ValueType::Decimal),
        }
    }

    fn data_type(self) -> DataType {
        match self {
            ValueType::Decimal(scale) => {
                DataType::Decimal128(DECIMAL_PRECISION, decimal_scale(scale))
            }
            ValueType::F64 => DataType::Float64,
            ValueType::I64 => DataType::Int64,
            ValueType::Bool => DataType::Boolean,
            ValueType::String => DataType::Utf8,
        }
    }
}

/// Scales above 38 are refused when the export is created (see `check_parquet`).
fn decimal_scale(scale: u8) -> i8 {
    i8::try_from(scale).unwrap_or(i8::MAX)
}

/// The columns of schema content that `routes::schemas::validate_content` accepted. Being
/// validated already, nothing is refused here: an unexpected shape falls back to a default.
pub fn columns(content: &Value) -> Vec<Column> {
    content
        .get("columns")
        .and_then(Value::as_array)
        .map(|cols| cols.iter().map(column).collect())
        .unwrap_or_default()
}

fn column(c: &Value) -> Column {
    let source = match c.get("meta").filter(|m| !m.is_null()) {
        Some(meta) => Source::Timestamp(TimeFormat::parse(meta["format"].as_str().unwrap_or("ns"))),
        None => Source::Data(
            c["data"]
                .as_object()
                .map(|by_exchange| {
                    by_exchange
                        .iter()
                        .map(|(exchange, x)| {
                            let extractor = Extractor {
                                path: x["json"]["path"].as_str().unwrap_or_default().to_string(),
                                ty: ValueType::parse(
                                    x["json"]["type"].as_str().unwrap_or_default(),
                                ),
                            };
                            (exchange.clone(), extractor)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
    };
    Column {
        name: c["output_column"].as_str().unwrap_or_default().to_string(),
        source,
    }
}

/// Parquet holds `decimal(N)` as `decimal128(38, N)`, so N must be at most 38.
pub fn check_parquet(columns: &[Column], exchange: &str) -> Result<(), String> {
    for c in columns {
        if let Kind::Value {
            ty: ValueType::Decimal(scale),
            ..
        } = c.kind(exchange)
            && scale > DECIMAL_PRECISION
        {
            return Err(format!(
                "Column \"{}\" is decimal({scale}): Parquet exports hold at most decimal({DECIMAL_PRECISION})",
                c.name
            ));
        }
    }
    Ok(())
}

/// A column as rendered for one exchange.
#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    Time(TimeFormat),
    /// The message's JSON text as the raw CSV's `data` field holds it (raw schema only).
    RawText,
    /// `path` is `None` when the column has no extractor for the exchange: always null.
    Value {
        path: Option<&'a str>,
        ty: ValueType,
    },
}

impl Column {
    fn kind(&self, exchange: &str) -> Kind<'_> {
        match &self.source {
            Source::Timestamp(format) => Kind::Time(*format),
            Source::Data(by_exchange) => {
                let chosen = by_exchange.iter().find(|(ex, _)| ex.as_str() == exchange);
                // Without an extractor the column is all null, typed as the schema's first one.
                let ty = chosen
                    .or(by_exchange.first())
                    .map_or(ValueType::String, |(_, x)| x.ty);
                Kind::Value {
                    path: chosen.map(|(_, x)| x.path.as_str()),
                    ty,
                }
            }
        }
    }
}

impl Kind<'_> {
    fn data_type(self) -> DataType {
        match self {
            Kind::Time(format) => DataType::Timestamp(format.unit(), Some(UTC.into())),
            Kind::RawText => DataType::Utf8,
            Kind::Value { ty, .. } => ty.data_type(),
        }
    }
}

/// The named columns of a file: the schema's, or the raw schema's when there is none.
fn plan<'a>(columns: Option<&'a [Column]>, exchange: &str) -> Vec<(&'a str, Kind<'a>)> {
    match columns {
        Some(cols) => cols
            .iter()
            .map(|c| (c.name.as_str(), c.kind(exchange)))
            .collect(),
        None => vec![
            (RAW_COLUMNS[0], Kind::Time(TimeFormat::Ns)),
            (RAW_COLUMNS[1], Kind::RawText),
        ],
    }
}

/// One value, converted to its column's type (null is `None`).
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Time { ns: i64, format: TimeFormat },
    Decimal(Decimal),
    F64(f64),
    I64(i64),
    Bool(bool),
    Text(String),
}

impl Cell {
    /// The CSV field.
    fn text(&self) -> String {
        match self {
            Cell::Time {
                ns,
                format: TimeFormat::Iso8601,
            } => DateTime::from_timestamp_nanos(*ns).to_rfc3339_opts(SecondsFormat::Nanos, true),
            Cell::Time { ns, format } => format.count(*ns).to_string(),
            Cell::Decimal(d) => d.text.clone(),
            Cell::F64(f) => f.to_string(),
            Cell::I64(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// Row `i`'s value in a column; `message` is `lay.message(i)`.
fn cell(kind: Kind, lay: &Layout, i: u64, message: &Value) -> Option<Cell> {
    match kind {
        Kind::Time(format) => Some(Cell::Time {
            ns: lay.timestamp_ns(i),
            format,
        }),
        Kind::RawText => Some(Cell::Text(lay.message_text(i))),
        Kind::Value { path, ty } => convert(lookup(message, path?)?, ty),
    }
}

fn lookup<'a>(message: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(message, |v, key| match v {
        Value::Object(fields) => fields.get(key),
        Value::Array(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    })
}

/// A JSON value as `ty`; `None` (null) when it does not convert.
fn convert(v: &Value, ty: ValueType) -> Option<Cell> {
    let cell = match ty {
        ValueType::Decimal(_) => Cell::Decimal(Decimal::parse(&number_text(v)?)?),
        ValueType::F64 => Cell::F64(
            number_text(v)?
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())?,
        ),
        ValueType::I64 => Cell::I64(number_text(v)?.parse().ok()?),
        ValueType::Bool => Cell::Bool(match v {
            Value::Bool(b) => *b,
            Value::String(s) => s.parse().ok()?,
            _ => return None,
        }),
        ValueType::String => Cell::Text(match v {
            Value::Null => return None,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    };
    Some(cell)
}

/// The text of a number, or of a string: exchanges send numbers either way.
fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A decimal number read exactly, as `digits × 10^-scale`; its text is what CSV writes.
#[derive(Debug, Clone, PartialEq)]
struct Decimal {
    text: String,
    negative: bool,
    digits: String,
    scale: i64,
}

impl Decimal {
    /// `[+-]digits[.digits][(e|E)[+-]digits]`, as JSON numbers and decimal strings are written.
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i64>().ok()?),
            None => (unsigned, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_only = int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
        if !digits_only || (int.is_empty() && frac.is_empty()) {
            return None;
        }
        Some(Decimal {
            text: text.to_string(),
            negative,
            digits: format!("{int}{frac}"),
            scale: (frac.len() as i64).checked_sub(exponent)?,
        })
    }

    /// The value in units of `10^-scale`; `None` unless that is exact and within
    /// `DECIMAL_PRECISION` digits (no rounding: a decimal column never changes a value).
    fn scaled(&self, scale: u8) -> Option<i128> {
        let digits = self.digits.trim_start_matches('0');
        if digits.is_empty() {
            return Some(0);
        }
        let shift = i64::from(scale).checked_sub(self.scale)?;
        let max_digits = i64::from(DECIMAL_PRECISION);
        let magnitude: i128 = if shift >= 0 {
            if (digits.len() as i64).checked_add(shift)? > max_digits {
                return None;
            }
            digits.parse::<i128>().ok()? * 10i128.pow(shift as u32)
        } else {
            // Digits below the scale may only be zeros.
            let kept = (digits.len() as i64)
                .checked_add(shift)
                .filter(|k| *k > 0)? as usize;
            let (head, tail) = digits.split_at(kept);
            if head.len() as i64 > max_digits || tail.bytes().any(|b| b != b'0') {
                return None;
            }
            head.parse().ok()?
        };
        Some(if self.negative { -magnitude } else { magnitude })
    }
}

/// Why an artifact could not be rendered. Not a request error (the schema and options were
/// validated when the export was created), so it is served as a 500.
#[derive(Debug, Clone)]
pub struct RenderError(pub String);

impl<E: std::error::Error> From<E> for RenderError {
    fn from(e: E) -> Self {
        RenderError(e.to_string())
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The whole file of an artifact.
pub fn render(a: &Artifact) -> Result<Bytes, RenderError> {
    let lay = layout(a);
    let columns = a.columns.as_deref().map(Vec::as_slice);
    match (a.format, columns) {
        (Format::Csv, Some(columns)) => csv_gz(&lay, &plan(Some(columns), a.exchange)),
        // The raw CSV is served straight from its layout; this is the same file.
        (Format::Csv, None) => Ok(Bytes::from(lay.bytes(0, lay.file_size, &|| lay.crc()))),
        (Format::Parquet(options), columns) => {
            parquet_file(&lay, &plan(columns, a.exchange), options)
        }
    }
}

/// RFC 4180 CSV under a header of the column names, gzip-compressed; null is an empty field.
fn csv_gz(lay: &Layout, plan: &[(&str, Kind)]) -> Result<Bytes, RenderError> {
    let gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut out = csv::Writer::from_writer(gz);
    out.write_record(plan.iter().map(|(name, _)| *name))?;
    let mut record = Vec::with_capacity(plan.len());
    for i in 0..lay.rows() {
        let message = lay.message(i);
        record.clear();
        record.extend(plan.iter().map(|(_, kind)| {
            cell(*kind, lay, i, &message)
                .map(|c| c.text())
                .unwrap_or_default()
        }));
        out.write_record(&record)?;
    }
    let gz = out.into_inner().map_err(|e| RenderError(e.to_string()))?;
    Ok(Bytes::from(gz.finish()?))
}

/// A Parquet file with every column nullable and typed from the schema.
fn parquet_file(
    lay: &Layout,
    plan: &[(&str, Kind)],
    options: ParquetOptions,
) -> Result<Bytes, RenderError> {
    let fields: Vec<Field> = plan
        .iter()
        .map(|(name, kind)| Field::new(*name, kind.data_type(), true))
        .collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(options.compression)
        .set_max_row_group_row_count(Some(options.row_group_size))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))?;
    let mut start = 0;
    while start < lay.rows() {
        let end = (start + BATCH_ROWS).min(lay.rows());
        let messages: Vec<Value> = (start..end).map(|i| lay.message(i)).collect();
        let arrays = plan
            .iter()
            .map(|(_, kind)| {
                let cells: Vec<Option<Cell>> = (start..end)
                    .zip(&messages)
                    .map(|(i, message)| cell(*kind, lay, i, message))
                    .collect();
                array(*kind, &cells)
            })
            .collect::<Result<Vec<_>, _>>()?;
        writer.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
        start = end;
    }
    Ok(Bytes::from(writer.into_inner()?))
}

/// The Arrow array of one column's cells; a cell of another type than the column's is null.
fn array(kind: Kind, cells: &[Option<Cell>]) -> Result<ArrayRef, RenderError> {
    let array: ArrayRef = match kind {
        Kind::Time(format) => {
            let counts = cells.iter().map(|c| match c {
                Some(Cell::Time { ns, .. }) => Some(format.count(*ns)),
                _ => None,
            });
            match format {
                TimeFormat::S => {
                    Arc::new(counts.collect::<TimestampSecondArray>().with_timezone(UTC))
                }
                TimeFormat::Ms => Arc::new(
                    counts
                        .collect::<TimestampMillisecondArray>()
                        .with_timezone(UTC),
                ),
                TimeFormat::Us => Arc::new(
                    counts
                        .collect::<TimestampMicrosecondArray>()
                        .with_timezone(UTC),
                ),
                TimeFormat::Ns | TimeFormat::Iso8601 => Arc::new(
                    counts
                        .collect::<TimestampNanosecondArray>()
                        .with_timezone(UTC),
                ),
            }
        }
        Kind::RawText
        | Kind::Value {
            ty: ValueType::String,
            ..
        } => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Some(Cell::Text(s)) => Some(s.as_str()),
                    _ => None,
                })
                .collect::<StringArray>(),
        ),
        Kind::Value {
            ty: ValueType::Decimal(scale),
            ..
        } => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Some(Cell::Decimal(d)) => d.scaled(scale),
                    _ => None,
                })
                .collect::<Decimal128Array>()
                .with_precision_and_scale(DECIMAL_PRECISION, decimal_scale(scale))?,
        ),
        Kind::Value {
            ty: ValueType::F64, ..
        } => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Some(Cell::F64(f)) => Some(*f),
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        Kind::Value {
            ty: ValueType::I64, ..
        } => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Some(Cell::I64(n)) => Some(*n),
                    _ => None,
                })
                .collect::<Int64Array>(),
        ),
        Kind::Value {
            ty: ValueType::Bool,
            ..
        } => Arc::new(
            cells
                .iter()
                .map(|c| match c {
                    Some(Cell::Bool(b)) => Some(*b),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
    };
    Ok(array)
}

type Rendered = Result<Bytes, RenderError>;

/// Typed artifacts by id, each rendered by its first user and kept: a download and the length
/// `/download` reports see the same bytes, and a resumed download the same file.
#[derive(Default)]
pub struct RenderCache(Mutex<HashMap<String, Arc<OnceLock<Rendered>>>>);

impl RenderCache {
    /// Concurrent first users wait for one rendering.
    pub fn get(&self, a: &Artifact) -> Rendered {
        let once = self
            .0
            .lock()
            .unwrap()
            .entry(a.id.clone())
            .or_default()
            .clone();
        once.get_or_init(|| render(a)).clone()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
        TimestampNanosecondType, TimestampSecondType,
    };
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::metadata::ParquetMetaData;
    use serde_json::json;

    use super::*;
    use crate::routes::schemas::{seed_built_ins, validate_content};
    use crate::state::AccountData;

    const HOUR_NS: i64 = 1_704_067_200_000_000_000;

    fn artifact(format: Format, content: Option<&Value>, hour_start_ns: i64) -> Artifact {
        let per_hour = crate::artifacts::rows_per_hour(40_000);
        // One full "hour" of rows from `hour_start_ns` (not aligned in some tests).
        let rows = crate::rows::RowSet {
            per_hour,
            segments: vec![crate::rows::Segment {
                hour_start_ns,
                seed: 11,
                first: 0,
                count: per_hour,
            }]
            .into(),
            full_hour_size: 40_000,
        };
        Artifact {
            id: "art_test".into(),
            filename: "test".into(),
            raw_size: 40_000,
            rows,
            format,
            columns: content.map(|c| Arc::new(columns(c))),
            exchange: "binance",
        }
    }

    fn parquet_format(compression: &str, row_group_size: usize) -> Format {
        Format::Parquet(ParquetOptions {
            compression: parquet_compression(compression).unwrap(),
            row_group_size,
        })
    }

    fn normalized_trades() -> Value {
        let mut data = AccountData::default();
        seed_built_ins(&mut data);
        let s = data
            .schemas
            .values()
            .find(|s| s.name == "normalized" && s.category == "trade")
            .unwrap();
        s.versions.last().unwrap().clone()
    }

    /// A column of every meta format and every type, some of them null on purpose.
    fn every_kind() -> Value {
        let meta = |name: &str, format: &str| {
            let meta = json!({ "value": "collection_timestamp_ns", "format": format });
            json!({ "output_column": name, "meta": meta })
        };
        // `transform` is accepted and not applied.
        let data = |name: &str, path: &str, ty: &str| {
            let extractor = json!({ "json": { "path": path, "type": ty }, "transform": "ignored" });
            json!({ "output_column": name, "data": { "binance": extractor } })
        };
        let content = json!({ "columns": [
            meta("ns", "ns"), meta("us", "us"), meta("ms", "ms"), meta("s", "s"),
            meta("iso", "iso8601"),
            { "output_column": "default", "meta": { "value": "collection_timestamp_ns" } },
            data("price", "p", "decimal(2)"),
            data("price_f64", "p", "f64"),
            data("seq", "t", "i64"),
            data("maker", "m", "bool"),
            data("qty", "q", "string"),
            data("maker_text", "m", "string"),
            data("price_i64", "p", "i64"),
            data("missing", "x.y", "string"),
            { "output_column": "elsewhere",
              "data": { "kraken": { "json": { "path": "p", "type": "decimal(8)" } } } },
        ] });
        validate_content(&content).unwrap()
    }

    /// Header and rows of a gzip CSV.
    fn read_csv(file: &[u8]) -> Vec<Vec<String>> {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut text)
            .unwrap();
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    fn read_parquet(file: Bytes) -> (Arc<ParquetMetaData>, SchemaRef, Vec<RecordBatch>) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let meta = builder.metadata().clone();
        let schema = builder.schema().clone();
        let batches = builder.build().unwrap().collect::<Result<Vec<_>, _>>();
        (meta, schema, batches.unwrap())
    }

    #[test]
    fn normalized_trades_csv_holds_the_raw_messages_fields() {
        let a = artifact(Format::Csv, Some(&normalized_trades()), HOUR_NS);
        let lay = layout(&a);
        let rows = read_csv(&render(&a).unwrap());
        assert_eq!(rows[0], ["collection_timestamp_ns", "price", "qty", "side"]);
        assert_eq!(rows.len() as u64 - 1, lay.rows());
        for (i, row) in (0..).zip(&rows[1..]) {
            let m = lay.message(i);
            assert_eq!(row[0], lay.timestamp_ns(i).to_string());
            assert_eq!(row[1], m["p"].as_str().unwrap());
            assert_eq!(row[2], m["q"].as_str().unwrap());
            assert_eq!(row[3], m["m"].as_bool().unwrap().to_string());
        }
    }

    #[test]
    fn messages_are_the_raw_csv_data_fields() {
        let a = artifact(Format::Csv, None, HOUR_NS);
        let lay = layout(&a);
        let rows = read_csv(&render(&a).unwrap());
        assert_eq!(rows[0], RAW_COLUMNS);
        assert_eq!(rows.len() as u64 - 1, lay.rows());
        for (i, row) in (0..).zip(&rows[1..]) {
            assert_eq!(row[0], format!("{:019}", lay.timestamp_ns(i)));
            assert_eq!(row[1], lay.message_text(i));
            let parsed: Value = serde_json::from_str(&row[1]).unwrap();
            assert_eq!(parsed, lay.message(i));
        }
    }

    #[test]
    fn csv_renders_every_meta_format_and_type() {
        let content = every_kind();
        let a = artifact(Format::Csv, Some(&content), HOUR_NS + 123_456_789);
        let lay = layout(&a);
        let rows = read_csv(&render(&a).unwrap());
        let header: Vec<&str> = content["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["output_column"].as_str().unwrap())
            .collect();
        assert_eq!(rows[0], header);
        let m = lay.message(3);
        let ts = lay.timestamp_ns(3);
        let expected = [
            ts.to_string(),
            (ts / 1_000).to_string(),
            (ts / 1_000_000).to_string(),
            (ts / 1_000_000_000).to_string(),
            DateTime::from_timestamp_nanos(ts).to_rfc3339_opts(SecondsFormat::Nanos, true),
            ts.to_string(),
            m["p"].as_str().unwrap().to_string(),
            m["p"].as_str().unwrap().parse::<f64>().unwrap().to_string(),
            "3".to_string(),
            m["m"].to_string(),
            m["q"].as_str().unwrap().to_string(),
            m["m"].to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        assert_eq!(rows[4], expected);
        // Row 0 is at the start of the window, exactly.
        assert_eq!(
            rows[1][..5],
            [
                "1704067200123456789",
                "1704067200123456",
                "1704067200123",
                "1704067200",
                "2024-01-01T00:00:00.123456789Z"
            ]
        );
        assert_eq!(rows[1][8], "0");
    }

    #[test]
    fn parquet_has_the_schema_types_and_values() {
        let content = every_kind();
        let a = artifact(
            parquet_format("zstd", 1_000_000),
            Some(&content),
            HOUR_NS + 123_456_789,
        );
        let lay = layout(&a);
        let (_, schema, batches) = read_parquet(render(&a).unwrap());
        let ts = |unit| DataType::Timestamp(unit, Some(UTC.into()));
        let types = [
            ts(TimeUnit::Nanosecond),
            ts(TimeUnit::Microsecond),
            ts(TimeUnit::Millisecond),
            ts(TimeUnit::Second),
            ts(TimeUnit::Nanosecond),
            ts(TimeUnit::Nanosecond),
            DataType::Decimal128(38, 2),
            DataType::Float64,
            DataType::Int64,
            DataType::Boolean,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Int64,
            DataType::Utf8,
            DataType::Decimal128(38, 8),
        ];
        assert_eq!(schema.fields().len(), types.len());
        for (field, ty) in schema.fields().iter().zip(&types) {
            assert_eq!(field.data_type(), ty, "{}", field.name());
            assert!(field.is_nullable());
        }
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows as u64, lay.rows());
        let b = &batches[0];
        let (m, t) = (lay.message(3), lay.timestamp_ns(3));
        assert_eq!(
            b.column(0)
                .as_primitive::<TimestampNanosecondType>()
                .value(0),
            1_704_067_200_123_456_789
        );
        assert_eq!(
            b.column(1)
                .as_primitive::<TimestampMicrosecondType>()
                .value(3),
            t / 1_000
        );
        assert_eq!(
            b.column(2)
                .as_primitive::<TimestampMillisecondType>()
                .value(3),
            t / 1_000_000
        );
        assert_eq!(
            b.column(3).as_primitive::<TimestampSecondType>().value(3),
            t / 1_000_000_000
        );
        assert_eq!(
            b.column(4)
                .as_primitive::<TimestampNanosecondType>()
                .value(3),
            t
        );
        let cents: i128 = m["p"].as_str().unwrap().replace('.', "").parse().unwrap();
        assert_eq!(b.column(6).as_primitive::<Decimal128Type>().value(3), cents);
        assert_eq!(
            b.column(7).as_primitive::<Float64Type>().value(3),
            m["p"].as_str().unwrap().parse::<f64>().unwrap()
        );
        assert_eq!(b.column(8).as_primitive::<Int64Type>().value(3), 3);
        assert_eq!(b.column(9).as_boolean().value(3), m["m"].as_bool().unwrap());
        assert_eq!(
            b.column(10).as_string::<i32>().value(3),
            m["q"].as_str().unwrap()
        );
        assert_eq!(b.column(11).as_string::<i32>().value(3), m["m"].to_string());
        for null in [12, 13, 14] {
            assert_eq!(b.column(null).null_count(), b.num_rows(), "column {null}");
        }
    }

    #[test]
    fn parquet_compression_and_row_groups_are_as_asked() {
        let content = normalized_trades();
        for name in ["zstd", "snappy", "gzip", "lz4", "none"] {
            let a = artifact(parquet_format(name, 100), Some(&content), HOUR_NS);
            let lay = layout(&a);
            let (meta, schema, batches) = read_parquet(render(&a).unwrap());
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            assert_eq!(names, ["collection_timestamp_ns", "price", "qty", "side"]);
            assert_eq!(
                batches.iter().map(RecordBatch::num_rows).sum::<usize>() as u64,
                lay.rows()
            );
            let groups = meta.row_groups();
            assert_eq!(groups.len() as u64, lay.rows().div_ceil(100), "{name}");
            for g in groups {
                assert!(g.num_rows() <= 100);
                assert_eq!(
                    g.column(0).compression(),
                    parquet_compression(name).unwrap()
                );
            }
        }
    }

    #[test]
    fn raw_parquet_holds_the_raw_csv_fields() {
        let raw_csv = render(&artifact(Format::Csv, None, HOUR_NS)).unwrap();
        let rows = read_csv(&raw_csv);
        let a = artifact(parquet_format("snappy", 1_000_000), None, HOUR_NS);
        let (_, schema, batches) = read_parquet(render(&a).unwrap());
        assert_eq!(
            schema.field(0).data_type(),
            &DataType::Timestamp(TimeUnit::Nanosecond, Some(UTC.into()))
        );
        assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
        let mut i = 1;
        for b in &batches {
            let (ts, data) = (
                b.column(0).as_primitive::<TimestampNanosecondType>(),
                b.column(1).as_string::<i32>(),
            );
            for j in 0..b.num_rows() {
                assert_eq!(ts.value(j).to_string(), rows[i][0]);
                assert_eq!(data.value(j), rows[i][1]);
                i += 1;
            }
        }
        assert_eq!(i, rows.len());
    }

    #[test]
    fn decimals_scale_exactly_or_not_at_all() {
        let scaled = |text: &str, scale| Decimal::parse(text).and_then(|d| d.scaled(scale));
        assert_eq!(scaled("40000.00", 2), Some(4_000_000));
        assert_eq!(scaled("40000.00", 18), Some(40_000 * 10i128.pow(18)));
        assert_eq!(scaled("0.000123", 6), Some(123));
        assert_eq!(scaled("0.000123", 2), None);
        assert_eq!(scaled("1.50", 1), Some(15));
        assert_eq!(scaled("-1e2", 0), Some(-100));
        assert_eq!(scaled("+2.5E-1", 2), Some(25));
        assert_eq!(scaled("0", 38), Some(0));
        assert_eq!(scaled("1", 38), None);
        assert_eq!(scaled("abc", 2), None);
        assert_eq!(scaled(".", 2), None);
        assert_eq!(scaled("", 2), None);
        assert_eq!(TimeFormat::Ms.count(-1), -1);
    }
}
