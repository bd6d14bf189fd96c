//! The same benchmark program for both crates (`ours/` and `official/` differ only in their
//! `ticksupply` dependency line). Prints one JSON object of figures.

use std::time::{Duration, Instant};

use ticksupply::Client;

fn client(base: &str) -> Client {
    Client::builder()
        .api_key("ts_bench_key_0001")
        .base_url(base)
        .max_retries(0)
        .build()
        .expect("client")
}

async fn sequential(c: &Client, window: Duration) -> f64 {
    for _ in 0..200 {
        c.exchanges().list().await.expect("warm-up call");
    }
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed() < window {
        let ex = c.exchanges().list().await.expect("call");
        assert!(!ex.is_empty());
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn page(c: &Client, window: Duration) -> f64 {
    let call = || c.exchanges().list_instruments("binance").limit(1000).send();
    for _ in 0..20 {
        call().await.expect("warm-up page");
    }
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed() < window {
        let p = call().await.expect("page");
        assert_eq!(p.items.len(), 1000);
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn concurrent(c: &Client, window: Duration, callers: usize) -> f64 {
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while start.elapsed() < window {
                    c.exchanges().list().await.expect("call");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().expect("usage: bench BASE_URL WHAT SECONDS");
    let what = args.next().unwrap_or_else(|| "sequential".into());
    let secs: f64 = args
        .next()
        .map(|s| s.parse().expect("seconds"))
        .unwrap_or(2.0);
    let window = Duration::from_secs_f64(secs);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let value = rt.block_on(async {
        let c = client(&base);
        match what.as_str() {
            "sequential" => sequential(&c, window).await,
            "page" => page(&c, window).await,
            "concurrent" => concurrent(&c, window, 50).await,
            "rss" => {
                for _ in 0..10_000 {
                    c.exchanges().list().await.expect("call");
                }
                peak_rss_kib() as f64
            }
            other => panic!("unknown benchmark {other}"),
        }
    });
    println!("{{\"what\": \"{what}\", \"value\": {value:.1}}}");
}
