//! A static server for call benchmarks: answers the real paths with bodies captured from
//! ticksupply-mock and realistic headers, and does as little as possible per request so that it
//! is never the bottleneck (`make bench` reports its ceiling, measured with wrk, next to every
//! row).
//!
//! `bench-static-server DIR` serves `DIR/<name>.json` for each route below and prints
//! `listening on http://ADDR/v1`. One thread (the benchmarks pin everything to one core), no
//! HTTP library: each response is prebuilt except its request id, and requests (GET, no body,
//! keep-alive) are only split at their blank line and matched on their request line.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUTES: [(&str, &str); 2] = [
    ("/v1/exchanges", "exchanges"),
    ("/v1/exchanges/binance/instruments", "instruments-1000"),
];

/// A prebuilt response: the head up to the request id's value, then the rest.
struct Canned {
    path: &'static str,
    before_id: Vec<u8>,
    after_id: Vec<u8>,
}

fn canned(path: &'static str, body: &[u8]) -> Canned {
    let before_id = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-ratelimit-limit-minute: 200\r\nx-ratelimit-remaining-minute: 199\r\n\
         x-ratelimit-limit-hour: 10000\r\nx-ratelimit-remaining-hour: 9999\r\nx-request-id: req_",
        body.len()
    )
    .into_bytes();
    let mut after_id = b"\r\n\r\n".to_vec();
    after_id.extend_from_slice(body);
    Canned {
        path,
        before_id,
        after_id,
    }
}

const NOT_FOUND: &[u8] = b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}";

/// The response to one request head (`GET /v1/exchanges?limit=5 HTTP/1.1 ...`).
fn respond(routes: &[Canned], head: &[u8], n: u64, out: &mut Vec<u8>) {
    let target = head.split(|&b| b == b' ').nth(1).unwrap_or_default();
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    match routes.iter().find(|c| c.path.as_bytes() == path) {
        Some(c) => {
            out.extend_from_slice(&c.before_id);
            out.extend_from_slice(format!("{n:016x}").as_bytes());
            out.extend_from_slice(&c.after_id);
        }
        None => out.extend_from_slice(NOT_FOUND),
    }
}

async fn serve(mut stream: tokio::net::TcpStream, routes: Arc<Vec<Canned>>) {
    let (mut buf, mut out, mut n) = (Vec::with_capacity(8192), Vec::with_capacity(1 << 17), 0u64);
    let mut chunk = [0u8; 8192];
    loop {
        let read = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(k) => k,
        };
        buf.extend_from_slice(&chunk[..read]);
        let mut start = 0;
        while let Some(end) = buf[start..].windows(4).position(|w| w == b"\r\n\r\n") {
            n += 1;
            respond(&routes, &buf[start..start + end], n, &mut out);
            start += end + 4;
        }
        buf.drain(..start);
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: bench-static-server DIR");
    let routes: Arc<Vec<Canned>> = Arc::new(
        ROUTES
            .iter()
            .map(|(p, f)| {
                canned(
                    p,
                    &std::fs::read(format!("{dir}/{f}.json")).expect("body file"),
                )
            })
            .collect(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}/v1", listener.local_addr().unwrap());
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).ok();
        tokio::spawn(serve(stream, routes.clone()));
    }
}
