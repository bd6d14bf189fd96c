//! A static server for call benchmarks: answers the real paths with bodies captured from
//! ticksupply-mock and realistic headers, fast enough never to be the bottleneck.
//!
//! `bench-static-server DIR` serves `DIR/<name>.json` for each route below and prints
//! `listening on http://ADDR/v1`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const ROUTES: [(&str, &str); 2] = [
    ("/v1/exchanges", "exchanges"),
    ("/v1/exchanges/binance/instruments", "instruments-1000"),
];

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: bench-static-server DIR");
    let bodies: Arc<Vec<(&str, Bytes)>> = Arc::new(
        ROUTES
            .iter()
            .map(|(p, f)| {
                (
                    *p,
                    Bytes::from(std::fs::read(format!("{dir}/{f}.json")).expect("body file")),
                )
            })
            .collect(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}/v1", listener.local_addr().unwrap());
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).ok();
        let (bodies, counter) = (bodies.clone(), counter.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let body = bodies
                    .iter()
                    .find(|(p, _)| *p == req.uri().path())
                    .map(|(_, b)| b.clone());
                async move {
                    let resp = match body {
                        Some(b) => Response::builder()
                            .header("content-type", "application/json")
                            .header("x-request-id", format!("req_{n:016x}"))
                            .header("x-ratelimit-limit-minute", "200")
                            .header("x-ratelimit-remaining-minute", "199")
                            .header("x-ratelimit-limit-hour", "10000")
                            .header("x-ratelimit-remaining-hour", "9999")
                            .body(Full::new(b)),
                        None => Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::from_static(b"{}"))),
                    };
                    Ok::<_, Infallible>(resp.unwrap())
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
