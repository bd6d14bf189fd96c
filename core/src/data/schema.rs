//! Arrow types of an export's columns, from its schema — never guessed from the data.
//!
//! Meta timestamps become `timestamp[unit, UTC]` (`iso8601` → ns), `decimal(N)` becomes
//! `decimal128(38, N)`, and `f64`/`i64`/`string`/`bool` their Arrow types. A CSV artifact
//! read without a schema is typed only when its header is the raw schema's; any other column
//! stays a string.

use std::sync::Arc;

use arrow_schema::{DataType as Arrow, Field, Schema, SchemaRef, TimeUnit};

use crate::resources::export_schemas::{
    ColumnSource, DataType, SchemaColumn, SchemaContent, TimestampFormat,
};

/// The timezone every timestamp column carries.
pub const UTC: &str = "UTC";
/// The columns of the `raw` schema, in file order.
pub const RAW_COLUMNS: [&str; 2] = ["collection_timestamp_ns", "data"];
/// Precision of every decimal column: the widest a `decimal128` holds.
pub const DECIMAL_PRECISION: u8 = 38;

/// How a CSV cell is turned into the column's final value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell {
    /// Parsed by the CSV decoder straight into the final type.
    AsIs,
    /// An integer count of `unit`s since the epoch: parsed as `int64`, then viewed as a
    /// timestamp (no copy, no float).
    EpochInt(TimeUnit),
    /// RFC 3339 text, parsed as a timestamp without a zone, then labelled UTC.
    Rfc3339,
}

/// A schema ready for reading: the Arrow schema handed to users, and for CSV how each cell
/// is parsed.
#[derive(Debug, Clone)]
pub struct ReadSchema {
    pub(crate) arrow: SchemaRef,
    pub(crate) cells: Vec<Cell>,
    /// Where the schema came from, for error messages (`raw`, `normalized`, `inline`, …).
    pub(crate) label: String,
}

impl ReadSchema {
    /// The Arrow schema of the batches.
    pub fn arrow(&self) -> &SchemaRef {
        &self.arrow
    }

    pub(crate) fn column_names(&self) -> Vec<&str> {
        self.arrow
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// The `raw` schema: `collection_timestamp_ns` as `timestamp[ns, UTC]`, `data` as text.
    pub fn raw() -> ReadSchema {
        ReadSchema::build(
            "raw",
            vec![
                (
                    RAW_COLUMNS[0].to_string(),
                    timestamp(TimeUnit::Nanosecond),
                    Cell::EpochInt(TimeUnit::Nanosecond),
                ),
                (RAW_COLUMNS[1].to_string(), Arrow::Utf8, Cell::AsIs),
            ],
        )
    }

    /// Every column as text, named by a header.
    pub(crate) fn strings(header: &[String]) -> ReadSchema {
        ReadSchema::build(
            "none (strings)",
            header
                .iter()
                .map(|h| (h.clone(), Arrow::Utf8, Cell::AsIs))
                .collect(),
        )
    }

    /// The schema of an export schema's content.
    pub fn from_content(label: &str, content: &SchemaContent) -> crate::Result<ReadSchema> {
        let columns = content
            .columns
            .iter()
            .map(column)
            .collect::<crate::Result<Vec<_>>>()?;
        Ok(ReadSchema::build(label, columns))
    }

    /// For a CSV header read without a schema: the raw schema when it is the raw header,
    /// otherwise text columns.
    pub(crate) fn for_header(header: &[String]) -> ReadSchema {
        if header.iter().map(String::as_str).eq(RAW_COLUMNS) {
            ReadSchema::raw()
        } else {
            ReadSchema::strings(header)
        }
    }

    /// A schema whose Arrow types are given (a Parquet file's own).
    pub(crate) fn from_arrow(label: &str, arrow: SchemaRef) -> ReadSchema {
        let cells = vec![Cell::AsIs; arrow.fields().len()];
        ReadSchema {
            arrow,
            cells,
            label: label.to_string(),
        }
    }

    fn build(label: &str, columns: Vec<(String, Arrow, Cell)>) -> ReadSchema {
        let (fields, cells): (Vec<Field>, Vec<Cell>) = columns
            .into_iter()
            .map(|(name, ty, cell)| (Field::new(name, ty, true), cell))
            .unzip();
        ReadSchema {
            arrow: Arc::new(Schema::new(fields)),
            cells,
            label: label.to_string(),
        }
    }
}

fn timestamp(unit: TimeUnit) -> Arrow {
    Arrow::Timestamp(unit, Some(UTC.into()))
}

/// One schema column's name, Arrow type and cell parsing.
fn column(c: &SchemaColumn) -> crate::Result<(String, Arrow, Cell)> {
    let name = c.output_column.clone();
    let (ty, cell) = match &c.source {
        ColumnSource::Meta(m) => match m.format.clone().unwrap_or(TimestampFormat::Ns) {
            TimestampFormat::Ns => epoch(TimeUnit::Nanosecond),
            TimestampFormat::Us => epoch(TimeUnit::Microsecond),
            TimestampFormat::Ms => epoch(TimeUnit::Millisecond),
            TimestampFormat::S => epoch(TimeUnit::Second),
            TimestampFormat::Iso8601 => (timestamp(TimeUnit::Nanosecond), Cell::Rfc3339),
            TimestampFormat::Other(f) => {
                return Err(unsupported(&name, &format!("timestamp format {f:?}")));
            }
        },
        ColumnSource::Data(by_exchange) => {
            // Every exchange's extractor must agree on the type: one column has one type.
            let mut types = by_exchange
                .values()
                .filter_map(|x| x.json.as_ref().map(|j| &j.data_type));
            let first = types
                .next()
                .ok_or_else(|| unsupported(&name, "a data column without a json extractor"))?;
            if let Some(other) = types.find(|t| *t != first) {
                return Err(crate::Error::Config(format!(
                    "schema column {name:?} has extractors of different types ({first} and {other})"
                )));
            }
            (value_type(&name, first)?, Cell::AsIs)
        }
    };
    Ok((name, ty, cell))
}

fn epoch(unit: TimeUnit) -> (Arrow, Cell) {
    (timestamp(unit), Cell::EpochInt(unit))
}

fn value_type(name: &str, t: &DataType) -> crate::Result<Arrow> {
    Ok(match t {
        DataType::Decimal(scale) if *scale <= DECIMAL_PRECISION => {
            Arrow::Decimal128(DECIMAL_PRECISION, *scale as i8)
        }
        DataType::Decimal(scale) => {
            return Err(unsupported(
                name,
                &format!("decimal({scale}): more than {DECIMAL_PRECISION} decimal places"),
            ));
        }
        DataType::I64 => Arrow::Int64,
        DataType::F64 => Arrow::Float64,
        DataType::Bool => Arrow::Boolean,
        DataType::Str => Arrow::Utf8,
        DataType::Other(s) => return Err(unsupported(name, &format!("type {s:?}"))),
    })
}

fn unsupported(column: &str, what: &str) -> crate::Error {
    crate::Error::Config(format!(
        "schema column {column:?}: {what} cannot be read (supported: decimal(N), i64, f64, bool, string, and meta formats ns, us, ms, s, iso8601)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_maps_exactly() {
        let content: SchemaContent = serde_json::from_value(serde_json::json!({"columns": [
            {"output_column": "ns", "meta": {"value": "collection_timestamp_ns"}},
            {"output_column": "us", "meta": {"value": "collection_timestamp_ns", "format": "us"}},
            {"output_column": "ms", "meta": {"value": "collection_timestamp_ns", "format": "ms"}},
            {"output_column": "s", "meta": {"value": "collection_timestamp_ns", "format": "s"}},
            {"output_column": "iso", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
            {"output_column": "price", "data": {"binance": {"json": {"path": "p", "type": "decimal(8)"}}}},
            {"output_column": "f", "data": {"binance": {"json": {"path": "f", "type": "f64"}}}},
            {"output_column": "i", "data": {"binance": {"json": {"path": "i", "type": "i64"}}}},
            {"output_column": "b", "data": {"binance": {"json": {"path": "b", "type": "bool"}}}},
            {"output_column": "s2", "data": {"binance": {"json": {"path": "s", "type": "string"}}}},
        ]}))
        .unwrap();
        let s = ReadSchema::from_content("inline", &content).unwrap();
        let types: Vec<String> = s
            .arrow()
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(
            types,
            [
                "Timestamp(ns, \"UTC\")",
                "Timestamp(µs, \"UTC\")",
                "Timestamp(ms, \"UTC\")",
                "Timestamp(s, \"UTC\")",
                "Timestamp(ns, \"UTC\")",
                "Decimal128(38, 8)",
                "Float64",
                "Int64",
                "Boolean",
                "Utf8"
            ]
        );
    }

    #[test]
    fn a_header_is_raw_only_when_it_is_exactly_the_raw_header() {
        let raw: Vec<String> = RAW_COLUMNS.iter().map(|s| s.to_string()).collect();
        assert_eq!(ReadSchema::for_header(&raw).label, "raw");
        let other = vec!["data".to_string(), "collection_timestamp_ns".to_string()];
        let s = ReadSchema::for_header(&other);
        assert!(
            s.arrow()
                .fields()
                .iter()
                .all(|f| f.data_type() == &Arrow::Utf8)
        );
    }

    #[test]
    fn unknown_types_and_mixed_extractors_are_refused_by_name() {
        let content: SchemaContent = serde_json::from_value(serde_json::json!({"columns": [
            {"output_column": "x", "data": {"binance": {"json": {"path": "p", "type": "u128"}}}},
        ]}))
        .unwrap();
        let e = ReadSchema::from_content("inline", &content).unwrap_err();
        assert!(
            e.to_string().contains("\"x\"") && e.to_string().contains("u128"),
            "{e}"
        );
        let content: SchemaContent = serde_json::from_value(serde_json::json!({"columns": [
            {"output_column": "p", "data": {
                "binance": {"json": {"path": "p", "type": "f64"}},
                "kraken": {"json": {"path": "p", "type": "string"}}}},
        ]}))
        .unwrap();
        let e = ReadSchema::from_content("inline", &content).unwrap_err();
        assert!(e.to_string().contains("different types"), "{e}");
    }
}
