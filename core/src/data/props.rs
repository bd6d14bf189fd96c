//! Property test of the CSV reader: generated CSV with every kind of column, quotes, embedded
//! line ends, CR, LF and CRLF, `\N`, empty fields, huge fields and several gzip members cut at
//! random points is read (1) in blocks of a few hundred bytes by several threads, so records are
//! cut everywhere, and (2) by one thread in one block; both must give exactly the values the
//! generator wrote, and the `csv` crate (an independent reader) must see exactly the fields the
//! generator meant. `PROPTEST_CASES` sets the number of cases (a fixed few in `make test`;
//! `make props` runs many).

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int64Type, TimestampNanosecondType};
use arrow_array::{Array, RecordBatch};
use proptest::prelude::*;

use super::SchemaChoice;
use super::csv::{Tuning, decode_with};
use super::schema::ReadSchema;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Text,
    Int,
    Dec(u8),
    Float,
    Bool,
    EpochNs,
    Iso,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Text(String),
    Int(i64),
    Dec(i128),
    Float(u64),
    Bool(bool),
    Ns(i64),
}

fn ty() -> impl Strategy<Value = Ty> {
    prop_oneof![
        3 => Just(Ty::Text),
        1 => Just(Ty::Int),
        1 => (0u8..=18).prop_map(Ty::Dec),
        1 => Just(Ty::Float),
        1 => Just(Ty::Bool),
        1 => Just(Ty::EpochNs),
        1 => Just(Ty::Iso),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9 ,\"\r\n{}:é€]{0,12}",
        1 => Just(String::new()),
        1 => Just("\\N".to_string()),
        1 => Just("\"\"\",\r\n".to_string()),
        // Huge: far larger than a block.
        1 => (0usize..3).prop_map(|k| format!("{}\"\n", "x".repeat(2000 + 997 * k))),
    ]
}

fn val(t: Ty) -> BoxedStrategy<Val> {
    let v: BoxedStrategy<Val> = match t {
        Ty::Text => text().prop_map(Val::Text).boxed(),
        Ty::Int => any::<i64>().prop_map(Val::Int).boxed(),
        Ty::Dec(s) => (-(10i128.pow(20))..10i128.pow(20))
            .prop_map(move |v| Val::Dec(v * if s < 18 { 10 } else { 1 }))
            .boxed(),
        Ty::Float => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Val::Float(f.to_bits()))
            .boxed(),
        Ty::Bool => any::<bool>().prop_map(Val::Bool).boxed(),
        Ty::EpochNs | Ty::Iso => (-(1i64 << 62)..(1i64 << 62)).prop_map(Val::Ns).boxed(),
    };
    prop_oneof![1 => Just(Val::Null), 6 => v].boxed()
}

/// How one file is written.
#[derive(Debug, Clone)]
struct Style {
    eol: &'static str,
    /// Quote every field that may be quoted.
    quote_all: bool,
    /// Nulls as `\N` (else empty fields).
    null_as_n: bool,
    final_eol: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(eol, quote_all, null_as_n, final_eol)| Style {
            eol,
            quote_all,
            null_as_n,
            final_eol,
        })
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A decimal's text at `scale` places in one of the exact ways to write it: all the places,
/// trailing zeros dropped, extra zeros added, or with an exponent.
fn dec_text(v: i128, scale: u8, how: u64) -> String {
    let neg = if v < 0 { "-" } else { "" };
    let digits = v.unsigned_abs().to_string();
    if how.is_multiple_of(4) {
        return format!("{neg}{digits}e-{scale}");
    }
    let s = usize::from(scale);
    let padded = format!("{digits:0>width$}", width = s + 1);
    let (int, frac) = padded.split_at(padded.len() - s);
    let frac = match how % 4 {
        1 => frac.trim_end_matches('0').to_string(),
        2 => format!("{frac}00"),
        _ => frac.to_string(),
    };
    if frac.is_empty() {
        format!("{neg}{int}")
    } else {
        format!("{neg}{int}.{frac}")
    }
}

fn iso(ns: i64, frac_digits: usize) -> String {
    let t = chrono::DateTime::from_timestamp_nanos(ns);
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = format!("{:09}", ns.rem_euclid(1_000_000_000));
    if frac_digits == 0 && frac == "000000000" {
        format!("{base}Z")
    } else {
        format!("{base}.{frac}Z")
    }
}

/// The field text the generator writes for `v`, and what a CSV reader must see in it.
fn field(v: &Val, t: Ty, st: &Style, seed: u64) -> (String, String) {
    let null = if st.null_as_n { "\\N" } else { "" };
    let logical = match (v, t) {
        (Val::Null, _) => return (null.to_string(), null.to_string()),
        (Val::Text(s), _) => s.clone(),
        (Val::Int(i), _) => i.to_string(),
        (Val::Dec(d), Ty::Dec(s)) => dec_text(*d, s, seed / 7),
        (Val::Float(b), _) => f64::from_bits(*b).to_string(),
        (Val::Bool(b), _) => {
            if seed.is_multiple_of(3) {
                b.to_string().to_uppercase()
            } else {
                b.to_string()
            }
        }
        (Val::Ns(n), Ty::Iso) => iso(*n, (seed % 2) as usize),
        (Val::Ns(n), _) => n.to_string(),
        (v, t) => unreachable!("{v:?} for {t:?}"),
    };
    // Text that could be read as null, or holds a special character, must be quoted.
    let must = logical.is_empty() || logical == "\\N" || logical.contains(['"', ',', '\r', '\n']);
    if must || (st.quote_all && t == Ty::Text) || (st.quote_all && seed.is_multiple_of(5)) {
        (quote(&logical), logical)
    } else {
        (logical.clone(), logical)
    }
}

fn schema(types: &[Ty]) -> ReadSchema {
    let columns: Vec<serde_json::Value> = types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let name = format!("c{i}");
            let data = |ty: String| {
                serde_json::json!({"output_column": name, "data": {"x": {"json": {"path": "v", "type": ty}}}})
            };
            match t {
                Ty::Text => data("string".into()),
                Ty::Int => data("i64".into()),
                Ty::Dec(s) => data(format!("decimal({s})")),
                Ty::Float => data("f64".into()),
                Ty::Bool => data("bool".into()),
                Ty::EpochNs => serde_json::json!({"output_column": name, "meta": {"value": "collection_timestamp_ns", "format": "ns"}}),
                Ty::Iso => serde_json::json!({"output_column": name, "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}}),
            }
        })
        .collect();
    let content = serde_json::from_value(serde_json::json!({ "columns": columns })).unwrap();
    ReadSchema::from_content("generated", &content).unwrap()
}

fn gzip_members(text: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([text.len()]) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(&text[start..p.max(start)]).unwrap();
        out.extend(e.finish().unwrap());
        start = p.max(start);
    }
    out
}

/// Reads `bytes` (named `name`) with the reader, as values per row.
fn read(
    name: &str,
    bytes: Vec<u8>,
    s: &ReadSchema,
    tuning: Tuning,
    batch: usize,
) -> Result<Vec<Vec<Val>>, String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let (name, s2) = (name.to_string(), s.clone());
    let worker = std::thread::spawn(move || {
        let choice = SchemaChoice::OneOf(vec![s2]);
        let mut on_schema = |_: &ReadSchema| Ok(());
        decode_with(
            &name,
            Box::new(std::io::Cursor::new(bytes)),
            &choice,
            batch,
            tuning,
            &mut on_schema,
            &tx,
        );
    });
    let mut rows = Vec::new();
    while let Some(b) = rx.blocking_recv() {
        let b = b.map_err(|e| e.to_string())?;
        rows.extend(values(&b));
    }
    worker.join().unwrap();
    Ok(rows)
}

fn values(b: &RecordBatch) -> Vec<Vec<Val>> {
    (0..b.num_rows())
        .map(|r| {
            b.columns()
                .iter()
                .map(|c| {
                    if c.is_null(r) {
                        return Val::Null;
                    }
                    match c.data_type() {
                        arrow_schema::DataType::Utf8 => {
                            Val::Text(c.as_string::<i32>().value(r).to_string())
                        }
                        arrow_schema::DataType::Int64 => {
                            Val::Int(c.as_primitive::<Int64Type>().value(r))
                        }
                        arrow_schema::DataType::Decimal128(..) => {
                            Val::Dec(c.as_primitive::<Decimal128Type>().value(r))
                        }
                        arrow_schema::DataType::Float64 => {
                            Val::Float(c.as_primitive::<Float64Type>().value(r).to_bits())
                        }
                        arrow_schema::DataType::Boolean => Val::Bool(c.as_boolean().value(r)),
                        arrow_schema::DataType::Timestamp(..) => {
                            Val::Ns(c.as_primitive::<TimestampNanosecondType>().value(r))
                        }
                        other => panic!("{other}"),
                    }
                })
                .collect()
        })
        .collect()
}

fn case() -> impl Strategy<Value = (Vec<Ty>, Vec<Vec<Val>>, Style, Vec<usize>, u64)> {
    prop::collection::vec(ty(), 1..5).prop_flat_map(|types| {
        let row = types.iter().map(|t| val(*t)).collect::<Vec<_>>();
        (
            Just(types),
            prop::collection::vec(row, 0..40),
            style(),
            prop::collection::vec(any::<usize>(), 0..4),
            any::<u64>(),
        )
    })
}

proptest! {
    #![proptest_config({
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
        // About one case in ten is skipped (a lone empty field is an empty line, not a record):
        // allow that share however many cases a long run asks for.
        ProptestConfig { cases, max_global_rejects: cases.max(1024), ..ProptestConfig::default() }
    })]

    #[test]
    fn blocks_threads_and_one_reader_read_what_was_written((types, rows, st, cuts, seed) in case()) {
        let mut text = (0..types.len()).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
        let mut meant: Vec<Vec<String>> = Vec::new();
        for (k, row) in rows.iter().enumerate() {
            text.push_str(st.eol);
            let fields: Vec<(String, String)> = row
                .iter()
                .zip(&types)
                .enumerate()
                .map(|(j, (v, t))| field(v, *t, &st, seed ^ (k as u64 * 31 + j as u64)))
                .collect();
            text.push_str(&fields.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(","));
            meant.push(fields.into_iter().map(|f| f.1).collect());
        }
        if st.final_eol {
            text.push_str(st.eol);
        }
        // A record of one empty field would be an empty line: not a record in CSV.
        prop_assume!(!(types.len() == 1 && !st.null_as_n && rows.iter().any(|r| r[0] == Val::Null)));

        // The csv crate sees exactly the fields meant.
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let seen: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
        prop_assert_eq!(&seen, &meant);

        let s = schema(&types);
        let gz = gzip_members(text.as_bytes(), &cuts);
        let parallel = Tuning { block: 64 + (seed % 300) as usize, workers: 3 };
        let sequential = Tuning { block: usize::MAX, workers: 1 };
        let batch = 1 + (seed % 7) as usize;
        let a = read("t.csv.gz", gz.clone(), &s, parallel, batch).map_err(TestCaseError::fail)?;
        let b = read("t.csv.gz", gz, &s, sequential, 1 << 16).map_err(TestCaseError::fail)?;
        let c = read("t.csv", text.into_bytes(), &s, parallel, batch).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &c);
        // What the generator wrote: text as it is (nulls null), numbers exact.
        prop_assert_eq!(&a, &rows);
    }
}

/// Cut a gzip file anywhere: an error, never fewer rows.
#[test]
fn a_gzip_file_cut_anywhere_is_an_error() {
    let mut text = String::from("c0,c1\n");
    for i in 0..5000 {
        text.push_str(&format!("{i},\"x,{i}\"\n"));
    }
    let gz = gzip_members(text.as_bytes(), &[]);
    let s = schema(&[Ty::Int, Ty::Text]);
    let full = read("t.csv.gz", gz.clone(), &s, Tuning::default(), 1000).unwrap();
    assert_eq!(full.len(), 5000);
    for cut in (1..gz.len()).step_by(997).chain([gz.len() - 1]) {
        let got = read(
            "t.csv.gz",
            gz[..cut].to_vec(),
            &s,
            Tuning {
                block: 512,
                workers: 2,
            },
            1000,
        );
        assert!(
            got.is_err(),
            "cut at {cut} of {} read {:?} rows",
            gz.len(),
            got.map(|r| r.len())
        );
    }
}
