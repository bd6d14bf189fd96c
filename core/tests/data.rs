//! Export data as Arrow: CSV correctness (gzip members, quoting, nulls, empty and truncated
//! files), exact types from schemas, Parquet both ways, and exports read from ticksupply-mock
//! compared with an independent reader (csv + flate2).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use futures::TryStreamExt;
use ticksupply::data::{Shape, read_artifacts};
use ticksupply::resources::export_schemas::SchemaContent;
use ticksupply::{Client, Error};
use ticksupply_mock::{Config, MockServer};

fn tmp() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ticksupply-data-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn read(
    paths: Vec<PathBuf>,
    schema: Option<SchemaContent>,
) -> ticksupply::Result<Vec<RecordBatch>> {
    let mut r = read_artifacts(paths).batch_rows(3);
    if let Some(s) = schema {
        r = r.schema(s);
    }
    Ok(r.collect().await?.1)
}

fn strings(batches: &[RecordBatch], col: usize) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(col).as_string::<i32>().clone();
            (0..a.len())
                .map(move |i| a.is_valid(i).then(|| a.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

#[tokio::test]
async fn quoting_nulls_members_and_order_are_exact() {
    let d = tmp();
    // Two gzip members in one file, quoted commas, doubled quotes, a newline inside a field,
    // an empty field and \N.
    let mut a = gzip(b"a,b\n\"x,1\",\"say \"\"hi\"\"\"\n\"line\nbreak\",\n");
    a.extend(gzip(b"\\N,last\n"));
    let a = write(&d, "a.csv.gz", &a);
    let b = write(&d, "b.csv.gz", &gzip(b"a,b\nsecond,file\n"));
    let header_only = write(&d, "c.csv.gz", &gzip(b"a,b\n"));
    let batches = read(vec![a, header_only, b], None).await.unwrap();
    assert_eq!(rows(&batches), 4);
    assert_eq!(
        strings(&batches, 0),
        [
            Some("x,1".into()),
            Some("line\nbreak".into()),
            None,
            Some("second".into())
        ]
    );
    assert_eq!(
        strings(&batches, 1),
        [
            Some("say \"hi\"".into()),
            None,
            Some("last".into()),
            Some("file".into())
        ]
    );
}

#[tokio::test]
async fn a_raw_header_is_typed_without_a_schema() {
    let d = tmp();
    let p = write(
        &d,
        "raw.csv.gz",
        &gzip(b"collection_timestamp_ns,data\n1704067200123456789,\"{\"\"p\"\":\"\"1.5\"\"}\"\n"),
    );
    let batches = read(vec![p], None).await.unwrap();
    let s = batches[0].schema();
    assert_eq!(
        s.field(0).data_type(),
        &DataType::Timestamp(arrow_schema::TimeUnit::Nanosecond, Some("UTC".into()))
    );
    let ts = batches[0]
        .column(0)
        .as_primitive::<TimestampNanosecondType>();
    assert_eq!(ts.value(0), 1_704_067_200_123_456_789);
    assert_eq!(strings(&batches, 1), [Some("{\"p\":\"1.5\"}".into())]);
}

fn every_type() -> SchemaContent {
    serde_json::from_value(serde_json::json!({"columns": [
        {"output_column": "ns", "meta": {"value": "collection_timestamp_ns"}},
        {"output_column": "us", "meta": {"value": "collection_timestamp_ns", "format": "us"}},
        {"output_column": "ms", "meta": {"value": "collection_timestamp_ns", "format": "ms"}},
        {"output_column": "s", "meta": {"value": "collection_timestamp_ns", "format": "s"}},
        {"output_column": "iso", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
        {"output_column": "price", "data": {"binance": {"json": {"path": "p", "type": "decimal(8)"}}}},
        {"output_column": "f", "data": {"binance": {"json": {"path": "f", "type": "f64"}}}},
        {"output_column": "i", "data": {"binance": {"json": {"path": "i", "type": "i64"}}}},
        {"output_column": "b", "data": {"binance": {"json": {"path": "b", "type": "bool"}}}},
        {"output_column": "t", "data": {"binance": {"json": {"path": "t", "type": "string"}}}},
    ]}))
    .unwrap()
}

const TYPED: &[u8] = b"ns,us,ms,s,iso,price,f,i,b,t
1704067200123456789,1704067200123456,1704067200123,1704067200,2024-01-01T00:00:00.123456789Z,40000.12345678,0.1,-7,true,hi
,\\N,,,,,,,,
";

#[tokio::test]
async fn every_schema_type_is_exact() {
    let d = tmp();
    let p = write(&d, "typed.csv.gz", &gzip(TYPED));
    let b = &read(vec![p], Some(every_type())).await.unwrap()[0];
    assert_eq!(b.num_rows(), 2);
    assert_eq!(
        b.column(0)
            .as_primitive::<TimestampNanosecondType>()
            .value(0),
        1_704_067_200_123_456_789
    );
    assert_eq!(
        b.column(1)
            .as_primitive::<TimestampMicrosecondType>()
            .value(0),
        1_704_067_200_123_456
    );
    assert_eq!(
        b.column(2)
            .as_primitive::<TimestampMillisecondType>()
            .value(0),
        1_704_067_200_123
    );
    assert_eq!(
        b.column(3).as_primitive::<TimestampSecondType>().value(0),
        1_704_067_200
    );
    assert_eq!(
        b.column(4)
            .as_primitive::<TimestampNanosecondType>()
            .value(0),
        1_704_067_200_123_456_789
    );
    let price = b.column(5).as_primitive::<Decimal128Type>();
    assert_eq!((price.precision(), price.scale()), (38, 8));
    assert_eq!(price.value(0), 4_000_012_345_678);
    assert_eq!(b.column(6).as_primitive::<Float64Type>().value(0), 0.1);
    assert_eq!(b.column(7).as_primitive::<Int64Type>().value(0), -7);
    assert!(b.column(8).as_boolean().value(0));
    assert_eq!(b.column(9).as_string::<i32>().value(0), "hi");
    for c in b.columns() {
        assert!(c.is_null(1), "row 2 is all null: {:?}", c.data_type());
        assert!(
            c.data_type().to_string().contains("UTC")
                || !matches!(c.data_type(), DataType::Timestamp(..))
        );
    }
}

#[tokio::test]
async fn bad_input_is_an_error_naming_the_file() {
    let d = tmp();
    let whole = gzip(TYPED);
    let truncated = write(&d, "truncated.csv.gz", &whole[..whole.len() - 9]);
    let e = read(vec![truncated], None).await.unwrap_err();
    assert!(matches!(e, Error::Data { .. }), "{e:?}");
    assert!(e.to_string().contains("truncated.csv.gz"), "{e}");

    let garbage = write(&d, "garbage.csv.gz", b"this is not gzip at all");
    let e = read(vec![garbage], None).await.unwrap_err();
    assert!(e.to_string().contains("garbage.csv.gz"), "{e}");

    let wrong = write(&d, "wrong.csv.gz", &gzip(b"x,y\n1,2\n"));
    let e = read(vec![wrong], Some(every_type())).await.unwrap_err();
    assert!(
        e.to_string().contains("wrong.csv.gz") && e.to_string().contains("header"),
        "{e}"
    );

    let bad_value = write(
        &d,
        "badvalue.csv.gz",
        &gzip(b"collection_timestamp_ns,data\nnot-a-number,x\n"),
    );
    let e = read(vec![bad_value], None).await.unwrap_err();
    assert!(e.to_string().contains("badvalue.csv.gz"), "{e}");

    let empty = write(&d, "empty.csv.gz", &gzip(b""));
    let e = read(vec![empty], None).await.unwrap_err();
    assert!(
        e.to_string().contains("empty.csv.gz") && e.to_string().contains("empty"),
        "{e}"
    );

    let missing = d.join("missing.csv.gz");
    let e = read(vec![missing], None).await.unwrap_err();
    assert!(e.to_string().contains("missing.csv.gz"), "{e}");

    let a = write(&d, "one.csv.gz", &gzip(b"a,b\n1,2\n"));
    let b = write(&d, "two.csv.gz", &gzip(b"a,c\n1,2\n"));
    let e = read(vec![a, b], None).await.unwrap_err();
    assert!(
        e.to_string().contains("two.csv.gz") && e.to_string().contains("differ"),
        "{e}"
    );
}

#[tokio::test]
async fn parquet_round_trips_with_its_types() {
    let d = tmp();
    let csv = write(&d, "typed.csv.gz", &gzip(TYPED));
    let out = d.join("nested/out.parquet");
    let written = read_artifacts([csv.clone()])
        .schema(every_type())
        .to_parquet(&out)
        .await
        .unwrap();
    assert_eq!(written.rows, 2);
    assert_eq!(std::fs::metadata(&out).unwrap().len(), written.bytes);
    assert!(!d.join("nested/out.parquet.part").exists());
    let (schema_a, a) = read_artifacts([csv])
        .schema(every_type())
        .collect()
        .await
        .unwrap();
    let (schema_b, b) = read_artifacts([out]).collect().await.unwrap();
    assert_eq!(schema_a, schema_b);
    assert_eq!(
        arrow_select::concat::concat_batches(&schema_a, &a).unwrap(),
        arrow_select::concat::concat_batches(&schema_b, &b).unwrap()
    );
}

#[tokio::test]
async fn shape_hands_decimals_as_text_and_timestamps_as_integers() {
    let d = tmp();
    let p = write(&d, "typed.csv.gz", &gzip(TYPED));
    let (schema, b) = read_artifacts([p])
        .schema(every_type())
        .shape(Shape {
            decimals_as_text: true,
            timestamps_as_int64: true,
        })
        .collect()
        .await
        .unwrap();
    assert_eq!(schema.field(0).data_type(), &DataType::Int64);
    assert_eq!(schema.field(5).data_type(), &DataType::Utf8);
    assert_eq!(
        schema.field(5).metadata()["ticksupply.type"],
        "Decimal128(38, 8)"
    );
    assert_eq!(
        b[0].column(0).as_primitive::<Int64Type>().value(0),
        1_704_067_200_123_456_789
    );
    assert_eq!(b[0].column(5).as_string::<i32>().value(0), "40000.12345678");
}

// ---------------------------------------------------------------------------------------------
// against the mock

const K: &str = "ts_demo_key";

async fn setup() -> (MockServer, Client) {
    let m = ticksupply_mock::start(Config {
        port: 0,
        rate_limit_minute: 100_000,
        export_delay_ms: 0,
        artifact_size: Some(40_000),
        ..Config::default()
    })
    .await
    .unwrap();
    let c = Client::builder()
        .api_key(K)
        .base_url(m.base_url())
        .build()
        .unwrap();
    c.subscriptions().create(1).send().await.unwrap();
    (m, c)
}

/// Every row of the export's artifacts read independently: bytes by plain HTTP, then flate2
/// and the csv crate.
async fn independent_rows(c: &Client, id: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let listing = c.exports().get_download(id).await.unwrap();
    let mut header = Vec::new();
    let mut out = Vec::new();
    for a in listing.artifacts {
        let bytes = reqwest::get(&a.url).await.unwrap().bytes().await.unwrap();
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .unwrap();
        let mut r = csv::Reader::from_reader(&text[..]);
        header = r.headers().unwrap().iter().map(str::to_string).collect();
        for rec in r.records() {
            out.push(rec.unwrap().iter().map(str::to_string).collect());
        }
    }
    (header, out)
}

#[tokio::test]
async fn a_raw_export_from_the_mock_equals_its_files() {
    let (_m, c) = setup().await;
    let job = c
        .exports()
        .create(1, "2024-01-01T00:00:00Z", "2024-01-01T03:00:00Z")
        .await
        .unwrap();
    c.exports()
        .wait(&job.id)
        .poll_interval(std::time::Duration::from_millis(10))
        .await
        .unwrap();
    let (header, expected) = independent_rows(&c, &job.id).await;
    assert_eq!(header, ["collection_timestamp_ns", "data"]);
    let stream = c
        .exports()
        .data(&job.id)
        .batch_rows(100)
        .open()
        .await
        .unwrap();
    assert_eq!(
        stream.schema().field(0).data_type().to_string(),
        "Timestamp(ns, \"UTC\")"
    );
    let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
    assert_eq!(rows(&batches), expected.len());
    assert!(expected.len() > 300, "three artifacts of many rows");
    let ts: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<TimestampNanosecondType>()
                .values()
                .to_vec()
        })
        .collect();
    let want_ts: Vec<i64> = expected.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ts, want_ts);
    let data: Vec<Option<String>> = strings(&batches, 1);
    let want: Vec<Option<String>> = expected.iter().map(|r| Some(r[1].clone())).collect();
    assert_eq!(data, want);
}

#[tokio::test]
async fn a_schema_name_that_does_not_exist_is_refused_clearly() {
    let (_m, c) = setup().await;
    let job = c
        .exports()
        .create(1, "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")
        .await
        .unwrap();
    c.exports()
        .wait(&job.id)
        .poll_interval(std::time::Duration::from_millis(10))
        .await
        .unwrap();
    let e = c
        .exports()
        .data(&job.id)
        .schema("no_such_schema")
        .open()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no_such_schema"), "{e}");
    let e = read_artifacts(["x.csv.gz"])
        .schema("normalized")
        .open()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("client"), "{e}");
}

/// A decimal's text as an integer count of 10^-scale.
fn scaled(text: &str, scale: u32) -> i128 {
    let (neg, t) = text.strip_prefix('-').map_or((false, text), |t| (true, t));
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let frac = format!("{frac:0<width$}", width = scale as usize);
    let v: i128 = format!("{int}{frac}").parse().unwrap();
    if neg { -v } else { v }
}

#[tokio::test]
async fn a_normalized_export_is_typed_from_the_built_in_schema() {
    let (_m, c) = setup().await;
    let job = c
        .exports()
        .create(1, "2024-01-01T00:00:00Z", "2024-01-01T02:00:00Z")
        .schema("normalized")
        .await
        .unwrap();
    c.exports()
        .wait(&job.id)
        .poll_interval(std::time::Duration::from_millis(10))
        .await
        .unwrap();
    let (header, expected) = independent_rows(&c, &job.id).await;
    let (schema, batches) = c
        .exports()
        .data(&job.id)
        .schema("normalized")
        .collect()
        .await
        .unwrap();
    let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, header.iter().collect::<Vec<_>>());
    let price_col = header.iter().position(|h| h == "price").unwrap();
    let side_col = header.iter().position(|h| h == "side").unwrap();
    assert_eq!(
        schema.field(price_col).data_type(),
        &DataType::Decimal128(38, 18)
    );
    assert_eq!(schema.field(side_col).data_type(), &DataType::Boolean);
    assert_eq!(rows(&batches), expected.len());
    let prices: Vec<i128> = batches
        .iter()
        .flat_map(|b| {
            b.column(price_col)
                .as_primitive::<Decimal128Type>()
                .values()
                .to_vec()
        })
        .collect();
    let want: Vec<i128> = expected.iter().map(|r| scaled(&r[price_col], 18)).collect();
    assert_eq!(prices, want);
    let sides: Vec<bool> = batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows())
                .map(|i| b.column(side_col).as_boolean().value(i))
                .collect::<Vec<_>>()
        })
        .collect();
    let want: Vec<bool> = expected.iter().map(|r| r[side_col] == "true").collect();
    assert_eq!(sides, want);
}

#[tokio::test]
async fn a_parquet_export_reads_with_its_own_types_and_matches_its_csv_twin() {
    let (_m, c) = setup().await;
    let schema = every_type_for_the_mock();
    let make = |format: &'static str| {
        c.exports()
            .create(1, "2024-01-01T00:00:00Z", "2024-01-01T02:00:00Z")
            .inline_schema(schema.clone())
            .format(format)
    };
    let csv_job = make("csv").await.unwrap();
    let pq_job = make("parquet").await.unwrap();
    for id in [&csv_job.id, &pq_job.id] {
        c.exports()
            .wait(id)
            .poll_interval(std::time::Duration::from_millis(10))
            .await
            .unwrap();
    }
    let content: SchemaContent = serde_json::from_value(schema).unwrap();
    let (s_csv, csv) = c
        .exports()
        .data(&csv_job.id)
        .schema(content)
        .collect()
        .await
        .unwrap();
    let (s_pq, pq) = c.exports().data(&pq_job.id).collect().await.unwrap();
    assert_eq!(
        s_csv, s_pq,
        "the CSV typed by its schema and the Parquet's own types agree"
    );
    let a = arrow_select::concat::concat_batches(&s_csv, &csv).unwrap();
    let b = arrow_select::concat::concat_batches(&s_pq, &pq).unwrap();
    assert!(a.num_rows() > 100);
    assert_eq!(a, b);
}

fn every_type_for_the_mock() -> serde_json::Value {
    serde_json::json!({"columns": [
        {"output_column": "ts", "meta": {"value": "collection_timestamp_ns"}},
        {"output_column": "ms", "meta": {"value": "collection_timestamp_ns", "format": "ms"}},
        {"output_column": "iso", "meta": {"value": "collection_timestamp_ns", "format": "iso8601"}},
        {"output_column": "price", "data": {"binance": {"json": {"path": "p", "type": "decimal(2)"}}}},
        {"output_column": "qty", "data": {"binance": {"json": {"path": "q", "type": "f64"}}}},
        {"output_column": "trade", "data": {"binance": {"json": {"path": "t", "type": "i64"}}}},
        {"output_column": "maker", "data": {"binance": {"json": {"path": "m", "type": "bool"}}}},
        {"output_column": "missing", "data": {"binance": {"json": {"path": "nope", "type": "string"}}}},
    ]})
}

/// Large files are parsed in parallel blocks cut at record boundaries; quoted newlines, `\N`
/// and empty fields read exactly as the csv crate reads them, and a quote out of place (not
/// RFC 4180, so the cutting cannot be trusted past it) is an error naming its data row and
/// column, never a different split.
#[tokio::test]
async fn parallel_blocks_read_exactly_what_one_sequential_reader_reads() {
    let d = tmp();
    let mut text = String::from("id,note\n");
    let n = 150_000;
    for i in 0..n {
        match i % 5 {
            0 => text.push_str(&format!("{i},\"multi\nline, \"\"quoted\"\"\"\n")),
            1 => text.push_str(&format!("{i},\\N\n")),
            2 => text.push_str(&format!("{i},\n")),
            _ => text.push_str(&format!(
                "{i},plain text that is long enough to fill blocks quickly\n"
            )),
        }
    }
    let regular = write(&d, "regular.csv.gz", &gzip(text.as_bytes()));
    let batches = read_artifacts([regular]).collect().await.unwrap().1;
    let got_ids = strings(&batches, 0);
    let got_notes = strings(&batches, 1);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let want: Vec<(String, String)> = r
        .records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), x[1].to_string()))
        .collect();
    assert_eq!(want.len(), n);
    assert_eq!(got_ids.len(), want.len());
    for (i, (id, note)) in want.iter().enumerate() {
        assert_eq!(got_ids[i].as_deref(), Some(id.as_str()));
        let expect = if note.is_empty() || note == "\\N" {
            None
        } else {
            Some(note.as_str())
        };
        assert_eq!(got_notes[i].as_deref(), expect, "row {i}");
    }

    // A quote in the middle of an unquoted field, past the first few blocks: before record k.
    let k = n * 2 / 3 / 5 * 5 + 3;
    let at = text.find(&format!("\n{k},")).unwrap() + 1;
    let row = k + 1;
    let mut odd = text.clone();
    odd.insert_str(at, "424242,ab\"c\n");
    let irregular = write(&d, "irregular.csv.gz", &gzip(odd.as_bytes()));
    let e = read_artifacts([irregular]).collect().await.unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains(&format!("data row {row}, column \"note\"")) && m.contains("quote"),
        "{m}"
    );
}
