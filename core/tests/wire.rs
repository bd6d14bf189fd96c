//! Exact bytes on the wire, read by a raw TCP server.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers each request with `response` and returns the raw request heads it read.
async fn capture(
    response: &'static str,
    n: usize,
) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < n {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let k = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..k]);
                if k == 0 || buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            // Read a declared body too, so the next request starts clean.
            let head = String::from_utf8_lossy(&buf).to_string();
            sock.write_all(response.as_bytes()).await.unwrap();
            sock.shutdown().await.ok();
            seen.push(head);
        }
        seen
    });
    (base, task)
}

const OK_EMPTY: &str =
    "HTTP/1.1 204 No Content\r\nX-Request-Id: req_0000000000000001\r\nConnection: close\r\n\r\n";
const OK_LIST: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]";

fn client(base: &str) -> ticksupply::Client {
    ticksupply::Client::builder()
        .api_key("  key_wire.SECRET123\n")
        .base_url(base)
        .max_retries(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn api_key_header_is_title_case_trimmed_and_ua_identifies_the_sdk() {
    let (base, task) = capture(OK_LIST, 1).await;
    client(&base).exchanges().list().await.unwrap();
    let head = task.await.unwrap().remove(0);
    assert!(head.starts_with("GET /v1/exchanges HTTP/1.1\r\n"), "{head}");
    assert!(
        head.contains("\r\nX-Api-Key: key_wire.SECRET123\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "\r\nUser-Agent: ticksupply-rust/{}\r\n",
            ticksupply::client::VERSION
        )),
        "{head}"
    );
    assert!(
        !head.to_ascii_lowercase().contains("content-type"),
        "GET has no content type: {head}"
    );
    assert!(
        !head.to_ascii_lowercase().contains("idempotency-key"),
        "GET has no key: {head}"
    );
}

#[tokio::test]
async fn bodyless_post_sends_content_length_zero_and_a_uuid_v4_idempotency_key() {
    let (base, task) = capture(OK_EMPTY, 1).await;
    client(&base)
        .subscriptions()
        .pause("sub_1")
        .send()
        .await
        .unwrap();
    let head = task.await.unwrap().remove(0);
    assert!(
        head.starts_with("POST /v1/subscriptions/sub_1/pause HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\ncontent-length: 0\r\n"),
        "{head}"
    );
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("Idempotency-Key: "))
        .unwrap_or_else(|| panic!("no Idempotency-Key: {head}"));
    let uuid = uuid::Uuid::parse_str(key).unwrap();
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(key, key.to_lowercase());
    assert_eq!(key.len(), 36);
}

#[tokio::test]
async fn user_agent_suffix_is_appended() {
    let (base, task) = capture(OK_LIST, 1).await;
    ticksupply::Client::builder()
        .api_key("k_123456789")
        .base_url(&base)
        .user_agent("ticksupply-python/9.9")
        .build()
        .unwrap()
        .exchanges()
        .list()
        .await
        .unwrap();
    let head = task.await.unwrap().remove(0);
    assert!(head.contains(&format!(
        "User-Agent: ticksupply-rust/{} ticksupply-python/9.9\r\n",
        ticksupply::client::VERSION
    )));
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let (base, task) = capture(OK_LIST, 3).await;
    let c = client(&base);
    let _ = c
        .exchanges()
        .list_datastreams("kraken", "XBT/USD")
        .send()
        .await;
    let _ = c.subscriptions().get("../exports").await;
    let _ = c.exports().get("exp_1?x=1#frag").await;
    let heads = task.await.unwrap();
    let lines: Vec<&str> = heads.iter().map(|h| h.lines().next().unwrap()).collect();
    assert_eq!(
        lines[0],
        "GET /v1/exchanges/kraken/instruments/XBT%2FUSD/datastreams HTTP/1.1"
    );
    assert_eq!(lines[1], "GET /v1/subscriptions/..%2Fexports HTTP/1.1");
    assert_eq!(lines[2], "GET /v1/exports/exp_1%3Fx%3D1%23frag HTTP/1.1");
}

#[tokio::test]
async fn query_values_are_form_encoded() {
    let (base, task) = capture(OK_LIST, 1).await;
    let _ = client(&base)
        .exchanges()
        .list_instruments("binance")
        .search("BTC/&=")
        .limit(10)
        .send()
        .await;
    let head = task.await.unwrap().remove(0);
    assert!(
        head.starts_with(
            "GET /v1/exchanges/binance/instruments?search=BTC%2F%26%3D&limit=10 HTTP/1.1"
        ),
        "{head}"
    );
}

#[tokio::test]
async fn rotated_key_is_used_on_the_next_request() {
    let (base, task) = capture(OK_LIST, 2).await;
    let c = client(&base);
    c.exchanges().list().await.unwrap();
    c.set_api_key("key_rotated.NEW4567").unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    c.exchanges().list().await.unwrap();
    let heads = task.await.unwrap();
    assert!(heads[0].contains("X-Api-Key: key_wire.SECRET123\r\n"));
    assert!(heads[1].contains("X-Api-Key: key_rotated.NEW4567\r\n"));
    assert_eq!(c.api_key_source(), ticksupply::KeySource::Rotated);
}
