//! Export artifacts, served with `Range` support from a second listener (another origin, as S3
//! is), at presigned-style URLs that expire.
//!
//! A raw CSV artifact is a deterministic gzip CSV of an exact size. Its gzip stream uses stored
//! (uncompressed) deflate blocks so that any byte of the file can be computed from its offset: a
//! resumed download needs no state, and a 512 MiB artifact is never held in memory. Every other
//! artifact (another schema, or Parquet) is rendered from the same messages by `render`.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::faults;
use crate::pipeline::{fault_response, log_headers};
use crate::render::RenderError;
use crate::rows::{RowSet, Segment, step_ns};
use crate::serve::ConnKill;
use crate::state::{App, Artifact, RecordedRequest};
use crate::timefmt;

/// The gzip header: no name, no time; FNAME (0x08) set when the file carries padding (a name
/// of underscores: readers that refuse other header fields, DuckDB's among them, take a name).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
const FNAME: u8 = 0x08;
const BLOCK: u64 = 65_535;
const BLOCK_OVERHEAD: u64 = 5;
const TRAILER: u64 = 8;
pub const CSV_HEADER: &str = "collection_timestamp_ns,data\n";
/// Every row has exactly this many bytes.
const ROW_SHAPE: &str = "1704067200000000000,\"{\"\"t\"\":\"\"0000000000\"\",\"\"p\"\":\"\"40000.00\"\",\"\"q\"\":\"\"0.000000\"\",\"\"m\"\":true }\"\n";
const ROW: u64 = ROW_SHAPE.len() as u64;
/// The smallest full-hour artifact the layout can produce (header and one row).
pub const MIN_SIZE: u64 = natural_size(1, 0);

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

/// The size of a raw CSV artifact of `rows` rows and `padding` bytes of padding.
const fn natural_size(rows: u64, padding: u64) -> u64 {
    let csv = CSV_HEADER.len() as u64 + rows * ROW;
    10 + padding + csv + BLOCK_OVERHEAD * csv.div_ceil(BLOCK) + TRAILER
}

/// Rows in a full hour, so that a full hour's raw CSV artifact fits `size` bytes (and is
/// padded to exactly `size`).
pub fn rows_per_hour(size: u64) -> u64 {
    let size = size.max(MIN_SIZE);
    let mut rows = (size / ROW).max(1);
    while rows > 1 && natural_size(rows, 0) > size {
        rows -= 1;
    }
    rows
}

/// The fields of one generated trade message.
struct Trade {
    price_cents: u64,
    qty_millionths: u64,
    maker: bool,
}

/// Where the bytes of one artifact come from: its rows (see [`crate::rows`]) written as a gzip
/// CSV of stored (uncompressed) deflate blocks, so that any byte can be computed from its
/// offset; a full-hour artifact is padded to its exact size with a gzip file name.
#[derive(Debug, Clone)]
pub struct Layout {
    pub file_size: u64,
    segments: Arc<[Segment]>,
    /// The artifact's row index at which each segment starts.
    starts: Arc<[u64]>,
    step: i64,
    csv_len: u64,
    blocks: u64,
    rows: u64,
    /// Bytes of the gzip file name (padding, NUL included); 0 for none.
    padding: u64,
}

impl Layout {
    pub fn new(set: &RowSet) -> Layout {
        let rows = set.rows();
        let mut starts = Vec::with_capacity(set.segments.len());
        let mut n = 0;
        for s in set.segments.iter() {
            starts.push(n);
            n += s.count;
        }
        let natural = natural_size(rows, 0);
        let padding = if set.is_full_hour() && set.full_hour_size > natural {
            set.full_hour_size - natural
        } else {
            0
        };
        let csv_len = CSV_HEADER.len() as u64 + rows * ROW;
        Layout {
            file_size: natural + padding,
            segments: set.segments.clone(),
            starts: starts.into(),
            step: step_ns(set.per_hour),
            csv_len,
            blocks: csv_len.div_ceil(BLOCK),
            rows,
            padding,
        }
    }

    /// Rows of data (the header excluded).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The segment of row `i` and the row's index within its hour.
    fn locate(&self, i: u64) -> (&Segment, u64) {
        let k = self.starts.partition_point(|&s| s <= i).saturating_sub(1);
        let seg = &self.segments[k];
        (seg, seg.first + (i - self.starts[k]))
    }

    /// The fields of row `i`, all drawn from one hash of its hour's seed and its index.
    fn trade(&self, i: u64) -> (Trade, u64) {
        let (seg, idx) = self.locate(i);
        let h = mix(seg.seed ^ idx.wrapping_mul(0x9e3779b97f4a7c15));
        let t = Trade {
            price_cents: 4_000_000 + h % 500_000,
            qty_millionths: (h >> 20) % 1_000_000,
            maker: h & 1 == 0,
        };
        (t, idx)
    }

    /// `collection_timestamp_ns` of row `i`: an hour's rows spread evenly over it.
    pub fn timestamp_ns(&self, i: u64) -> i64 {
        let (seg, idx) = self.locate(i);
        seg.hour_start_ns + self.step * idx as i64
    }

    /// The JSON text of row `i`'s message with every `"` written as `qt`: `"` for the message
    /// itself, `""` inside the CSV's quoted field. `m` is padded to a fixed width.
    fn json_text(&self, i: u64, qt: &str) -> String {
        let (t, idx) = self.trade(i);
        let m = if t.maker { "true " } else { "false" };
        format!(
            "{{{qt}t{qt}:{qt}{idx:010}{qt},{qt}p{qt}:{qt}{}.{:02}{qt},{qt}q{qt}:{qt}0.{:06}{qt},{qt}m{qt}:{m}}}",
            t.price_cents / 100,
            t.price_cents % 100,
            t.qty_millionths
        )
    }

    /// Row `i`'s `data` field as a CSV reader returns it (unquoted).
    pub fn message_text(&self, i: u64) -> String {
        self.json_text(i, "\"")
    }

    /// Row `i`'s message: `{"t":"0000000123","p":"40000.00","q":"0.000123","m":true}`.
    pub fn message(&self, i: u64) -> Value {
        let (t, idx) = self.trade(i);
        json!({
            "t": format!("{idx:010}"),
            "p": format!("{}.{:02}", t.price_cents / 100, t.price_cents % 100),
            "q": format!("0.{:06}", t.qty_millionths),
            "m": t.maker,
        })
    }

    fn row(&self, i: u64) -> String {
        format!(
            "{:019},\"{}\"\n",
            self.timestamp_ns(i),
            self.json_text(i, "\"\"")
        )
    }

    /// CSV bytes `[start, end)`.
    fn csv(&self, start: u64, end: u64, out: &mut Vec<u8>) {
        let h = CSV_HEADER.len() as u64;
        let mut pos = start;
        if pos < h {
            out.extend_from_slice(&CSV_HEADER.as_bytes()[pos as usize..end.min(h) as usize]);
            pos = end.min(h);
        }
        while pos < end {
            let i = (pos - h) / ROW;
            let row_start = h + i * ROW;
            let row = self.row(i);
            let from = (pos - row_start) as usize;
            let to = ((end - row_start) as usize).min(row.len());
            out.extend_from_slice(&row.as_bytes()[from..to]);
            pos = row_start + to as u64;
        }
    }

    pub fn crc(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = Vec::with_capacity(1 << 20);
        let mut pos = 0;
        while pos < self.csv_len {
            let end = (pos + (1 << 20)).min(self.csv_len);
            buf.clear();
            self.csv(pos, end, &mut buf);
            hasher.update(&buf);
            pos = end;
        }
        hasher.finalize()
    }

    /// The gzip header, with the padding name when there is one.
    fn head_len(&self) -> u64 {
        10 + self.padding
    }

    fn head_byte(&self, pos: u64) -> u8 {
        match pos {
            3 if self.padding > 0 => FNAME,
            0..10 => GZIP_HEADER[pos as usize],
            p if p + 1 == self.head_len() => 0,
            _ => b'_',
        }
    }

    /// File bytes `[start, end)`; `crc` is only computed when the trailer is requested.
    pub fn bytes(&self, start: u64, end: u64, crc: &dyn Fn() -> u32) -> Vec<u8> {
        let mut out = Vec::with_capacity((end - start) as usize);
        let mut pos = start;
        let head = self.head_len();
        while pos < end {
            if pos < head {
                let to = end.min(head);
                out.extend((pos..to).map(|p| self.head_byte(p)));
                pos = to;
                continue;
            }
            let trailer_at = self.file_size - TRAILER;
            if pos >= trailer_at {
                let mut t = crc().to_le_bytes().to_vec();
                t.extend_from_slice(&(self.csv_len as u32).to_le_bytes());
                out.extend_from_slice(&t[(pos - trailer_at) as usize..(end - trailer_at) as usize]);
                pos = end;
                continue;
            }
            let off = pos - head;
            let stride = BLOCK + BLOCK_OVERHEAD;
            let (j, within) = (off / stride, off % stride);
            let data_start = j * BLOCK;
            let len = (self.csv_len - data_start).min(BLOCK);
            let block_end = head + j * stride + BLOCK_OVERHEAD + len;
            if within < BLOCK_OVERHEAD {
                let last = j + 1 == self.blocks;
                let l = len as u16;
                let head = [
                    u8::from(last),
                    l as u8,
                    (l >> 8) as u8,
                    !l as u8,
                    (!l >> 8) as u8,
                ];
                let to = (end - pos).min(BLOCK_OVERHEAD - within);
                out.extend_from_slice(&head[within as usize..(within + to) as usize]);
                pos += to;
            } else {
                let to = end.min(block_end);
                let d = data_start + (within - BLOCK_OVERHEAD);
                self.csv(d, d + (to - pos), &mut out);
                pos = to;
            }
        }
        out
    }
}

/// Caches each artifact's CRC (computing it means generating the whole file once).
#[derive(Default)]
pub struct CrcCache(Mutex<HashMap<String, Arc<OnceLock<u32>>>>);

impl CrcCache {
    fn get(&self, id: &str, layout: &Layout) -> u32 {
        let cell = self
            .0
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .clone();
        *cell.get_or_init(|| layout.crc())
    }
}

pub fn layout(a: &Artifact) -> Layout {
    Layout::new(&a.rows)
}

/// Where the bytes a download serves come from.
#[derive(Clone)]
enum BodySource {
    /// A raw CSV artifact: every byte is computed from its offset.
    Generated(Layout),
    /// Any other artifact: rendered whole, once (see `render::RenderCache`).
    Rendered(Bytes),
}

impl BodySource {
    /// Rendering can take a while for large artifacts, so it runs off the async workers.
    async fn of(app: &Arc<App>, a: &Artifact) -> Result<BodySource, RenderError> {
        if a.is_raw_csv() {
            return Ok(BodySource::Generated(layout(a)));
        }
        let (app, a) = (app.clone(), a.clone());
        tokio::task::spawn_blocking(move || app.rendered.get(&a))
            .await
            .map_err(|e| RenderError(e.to_string()))?
            .map(BodySource::Rendered)
    }

    fn len(&self) -> u64 {
        match self {
            BodySource::Generated(lay) => lay.file_size,
            BodySource::Rendered(b) => b.len() as u64,
        }
    }

    /// Bytes `[start, end)`.
    fn slice(&self, crcs: &CrcCache, id: &str, start: u64, end: u64) -> Bytes {
        match self {
            BodySource::Generated(lay) => Bytes::from(lay.bytes(start, end, &|| crcs.get(id, lay))),
            BodySource::Rendered(b) => b.slice(start as usize..end as usize),
        }
    }
}

/// The exact length of the file the artifact listener serves for `a` (what `/download`
/// reports); a typed artifact is rendered if it was not yet.
pub async fn served_len(app: &Arc<App>, a: &Artifact) -> Result<u64, RenderError> {
    Ok(BodySource::of(app, a).await?.len())
}

/// The signature of a presigned URL.
pub fn signature(app: &App, art_id: &str, expires_ms: u64) -> String {
    let mut h = app.secret.build_hasher();
    h.write(art_id.as_bytes());
    h.write_u64(expires_ms);
    h.write(b"artifact-url");
    format!("{:016x}", h.finish())
}

pub fn presigned_url(app: &App, a: &Artifact) -> String {
    let expires = timefmt::now().timestamp_millis() as u64 + app.config.url_ttl_ms;
    let origin = app.artifact_origin.read().unwrap().clone();
    let name: String = form_urlencoded::byte_serialize(a.filename.as_bytes()).collect();
    format!(
        "{origin}/artifacts/{}/{name}?expires={expires}&signature={}",
        a.id,
        signature(app, &a.id, expires)
    )
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// Parses one `Range: bytes=…` spec against a size; `Err(())` means unsatisfiable.
fn parse_range(h: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // multi-range: serve the whole file, as S3 does
    }
    let (a, b) = spec.split_once('-')?;
    let r = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 {
                Err(())
            } else {
                Ok((size.saturating_sub(n), size))
            }
        }
        (start, "") => {
            let s: u64 = start.parse().ok()?;
            if s >= size { Err(()) } else { Ok((s, size)) }
        }
        (start, end) => {
            let (s, e): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            if s > e || s >= size {
                Err(())
            } else {
                Ok((s, (e + 1).min(size)))
            }
        }
    };
    Some(r)
}

pub struct ArtifactState {
    pub app: Arc<App>,
    pub crcs: CrcCache,
}

pub fn router(app: Arc<App>) -> Router {
    let st = Arc::new(ArtifactState {
        app,
        crcs: CrcCache::default(),
    });
    Router::new()
        .route("/artifacts/{id}/{name}", get(serve_artifact))
        .with_state(st)
}

async fn serve_artifact(
    State(st): State<Arc<ArtifactState>>,
    Path((id, _name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    uri: OriginalUri,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let kill = req.extensions().get::<ConnKill>().cloned();
    let method = req.method().as_str().to_string();
    let found = st.app.artifacts.read().unwrap().get(&id).cloned();
    let account = found.as_ref().map(|(acct, _)| acct.name.clone());
    let resp = answer(
        &st,
        &id,
        found.map(|(_, a)| a),
        raw,
        &headers,
        &method,
        uri.0.path(),
        account.as_deref(),
        kill,
    )
    .await;
    st.app.record(RecordedRequest {
        request_id: None,
        listener: "artifacts",
        method,
        path: uri.0.path().to_string(),
        query: uri.0.query().map(str::to_string),
        headers: log_headers(&headers),
        account,
        status: resp.status().as_u16(),
        time: timefmt::rfc3339(timefmt::now()),
    });
    resp
}

#[allow(clippy::too_many_arguments)]
async fn answer(
    st: &Arc<ArtifactState>,
    id: &str,
    artifact: Option<Artifact>,
    raw_query: Option<String>,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    account: Option<&str>,
    kill: Option<ConnKill>,
) -> Response {
    let Some(artifact) = artifact else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let q = crate::routes::query(raw_query);
    let expires: Option<u64> = q.get("expires").and_then(|e| e.parse().ok());
    let valid = match (expires, q.get("signature")) {
        (Some(e), Some(sig)) => *sig == signature(&st.app, id, e),
        _ => false,
    };
    if !valid {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature is invalid.",
        );
    }
    if expires.unwrap_or(0) < timefmt::now().timestamp_millis() as u64 {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let fault = faults::take(&st.app.faults, method, path, account);
    if let Some(f) = &fault {
        if let Some(ms) = f.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if f.drop_after_bytes.is_none() {
            if f.drop_connection
                && let Some(k) = &kill
            {
                k.drop_connection().await;
            }
            return fault_response(f);
        }
    }
    let source = match BodySource::of(&st.app, &artifact).await {
        Ok(source) => source,
        Err(e) => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("The artifact could not be rendered: {e}"),
            );
        }
    };
    let size = source.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| parse_range(h, size));
    let (start, end, status) = match range {
        None => (0, size, StatusCode::OK),
        Some(Ok((s, e))) => (s, e, StatusCode::PARTIAL_CONTENT),
        Some(Err(())) => {
            let mut r = s3_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            );
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                format!("bytes */{size}").parse().unwrap(),
            );
            return r;
        }
    };
    let drop_after = fault.and_then(|f| f.drop_after_bytes);
    let st2 = st.clone();
    let art_id = artifact.id.clone();
    let chunk = 256 * 1024u64;
    let body_stream = futures_util::stream::unfold(start, move |pos| {
        let st = st2.clone();
        let art_id = art_id.clone();
        let kill = kill.clone();
        let source = source.clone();
        async move {
            if pos >= end {
                return None;
            }
            if let Some(limit) = drop_after
                && pos >= start + limit
            {
                // Let the bytes already sent reach the client, then cut the connection.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(k) = &kill {
                    k.drop_connection().await;
                }
                return Some((Err(std::io::Error::other("injected connection drop")), end));
            }
            let mut to = (pos + chunk).min(end);
            if let Some(limit) = drop_after {
                to = to.min(start + limit).max(pos + 1);
            }
            let bytes = source.slice(&st.crcs, &art_id, pos, to);
            Some((Ok::<_, std::io::Error>(bytes), to))
        }
    });
    let body = if method == "HEAD" {
        Body::empty()
    } else {
        Body::from_stream(body_stream)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        artifact.format.content_type().parse().unwrap(),
    );
    h.insert(header::CONTENT_LENGTH, (end - start).into());
    h.insert(header::ACCEPT_RANGES, "bytes".parse().unwrap());
    h.insert(
        header::ETAG,
        format!("\"{}\"", artifact.id).parse().unwrap(),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{size}", end - 1).parse().unwrap(),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{HOUR_NS, segments};
    use std::io::Read;

    fn whole(l: &Layout) -> Vec<u8> {
        l.bytes(0, l.file_size, &|| l.crc())
    }

    const H0: i64 = 1_709_251_200_000_000_000;

    fn full_hour(size: u64, ds: i64) -> Layout {
        let per_hour = rows_per_hour(size);
        Layout::new(&RowSet {
            per_hour,
            segments: segments(ds, per_hour, H0, H0 + HOUR_NS, &[(0, i64::MAX)]).into(),
            full_hour_size: size,
        })
    }

    fn rows_of(file: &[u8]) -> Vec<String> {
        let mut csv = String::new();
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut csv)
            .unwrap();
        assert!(csv.starts_with(CSV_HEADER));
        csv.lines().skip(1).map(str::to_string).collect()
    }

    #[test]
    fn a_full_hour_has_the_exact_size_and_is_valid_gzip_for_many_sizes() {
        for size in [MIN_SIZE, 1000, 65_535, 65_560, 200_000, 262_144, 1_000_003] {
            let l = full_hour(size, 7);
            let file = whole(&l);
            assert_eq!(file.len() as u64, size.max(MIN_SIZE));
            let rows = rows_of(&file);
            assert_eq!(rows.len() as u64, l.rows);
            for r in rows {
                let (ts, json) = r.split_once(',').unwrap();
                assert_eq!(ts.len(), 19);
                let json = json.trim_matches('"').replace("\"\"", "\"");
                let v: serde_json::Value = serde_json::from_str(&json).unwrap();
                assert!(v["p"].is_string());
            }
        }
    }

    #[test]
    fn a_row_is_the_same_in_every_artifact_that_holds_it() {
        let size = 100_000;
        let per_hour = rows_per_hour(size);
        let all = whole(&full_hour(size, 3));
        let cut = H0 + 1_234_567_891_011;
        let part = |from, to| {
            Layout::new(&RowSet {
                per_hour,
                segments: segments(3, per_hour, from, to, &[(0, i64::MAX)]).into(),
                full_hour_size: size,
            })
        };
        let (a, b) = (part(H0, cut), part(cut, H0 + HOUR_NS));
        assert!(a.file_size < size && b.file_size < size);
        let mut joined = rows_of(&whole(&a));
        joined.extend(rows_of(&whole(&b)));
        assert_eq!(joined, rows_of(&all));
    }

    #[test]
    fn any_range_equals_the_slice_of_the_whole() {
        let l = full_hour(300_000, 3);
        let file = whole(&l);
        for (a, b) in [
            (0, 5),
            (9, 11),
            (10, 16),
            (65_540, 65_560),
            (131_000, 299_999),
            (299_990, 300_000),
        ] {
            assert_eq!(l.bytes(a, b, &|| l.crc()), file[a as usize..b as usize]);
        }
    }

    #[test]
    fn ranges_parse_like_http() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 10))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("items=1-2", 100), None);
    }
}
