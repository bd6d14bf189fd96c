//! Load: 10,000 calls from 200 concurrent callers against the mock, zero errors, flat memory
//! between the two halves, no sockets or threads left behind.

use ticksupply::Client;
use ticksupply_mock::Config;

const CALLERS: usize = 200;
const CALLS: usize = 10_000;

/// (resident bytes, open sockets, threads) of this process.
fn snapshot() -> (u64, usize, usize) {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    let sockets = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|l| l.to_string_lossy().starts_with("socket:"))
        .count();
    let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
    (pages * 4096, sockets, threads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_from_200_callers() {
    let m = ticksupply_mock::start(Config {
        port: 0,
        rate_limit_minute: 1_000_000,
        rate_limit_hour: 1_000_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::builder()
        .api_key("ts_demo_key")
        .base_url(m.base_url())
        .build()
        .unwrap();
    let half = || async {
        let tasks = (0..CALLERS).map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                let mut ok = 0;
                for _ in 0..CALLS / 2 / CALLERS {
                    ok += usize::from(!c.exchanges().list().send().await.unwrap().is_empty());
                }
                ok
            })
        });
        futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .sum::<usize>()
    };
    let first = half().await;
    let (rss1, sockets1, threads1) = snapshot();
    let second = half().await;
    let (rss2, sockets2, threads2) = snapshot();
    assert_eq!(first + second, CALLS);
    // The mock runs in this process too: both sides' memory must stay flat.
    assert!(
        rss2.saturating_sub(rss1) < 16 << 20,
        "memory grew by {} bytes",
        rss2 - rss1
    );
    // The pool may still grow (how many calls overlap, and how soon a finished connection is
    // back in the pool, is up to the scheduler: on a loaded machine a caller can open a
    // connection before its last one returned), each with the mock's end in this process too;
    // but a leak would add sockets with every call: 5000 calls in this half.
    assert!(
        sockets2 <= sockets1.max(2 * CALLERS) + CALLERS / 2,
        "sockets {sockets1} -> {sockets2}"
    );
    assert!(threads2 <= threads1, "threads {threads1} -> {threads2}");
}
