//! One tracing event per attempt, with method, path template, status, request id and attempt —
//! and never the key.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn attempts_are_logged_without_the_key() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(path("/v1/subscriptions/sub_42"))
        .respond_with(
            ResponseTemplate::new(503).insert_header("x-request-id", "req_aaaaaaaaaaaaaaaa"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/subscriptions/sub_42"))
        .respond_with(
            ResponseTemplate::new(404).insert_header("x-request-id", "req_bbbbbbbbbbbbbbbb"),
        )
        .mount(&server)
        .await;
    let secret = "key_logging.CANARY-7f3e9d";
    let c = ticksupply::Client::builder()
        .api_key(secret)
        .base_url(format!("{}/v1", server.uri()))
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(5))
        .build()
        .unwrap();
    let err = c.subscriptions().get("sub_42").await.unwrap_err();
    drop(_guard);

    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(!log.contains("CANARY"), "key leaked into logs:\n{log}");
    assert!(!format!("{err} {err:?}").contains("CANARY"));
    let attempts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ticksupply attempt"))
        .collect();
    assert_eq!(attempts.len(), 2, "{log}");
    assert!(
        attempts[0].contains("status=503")
            && attempts[0].contains("req_aaaaaaaaaaaaaaaa")
            && attempts[0].contains("attempt=1")
    );
    assert!(
        attempts[1].contains("status=404")
            && attempts[1].contains("req_bbbbbbbbbbbbbbbb")
            && attempts[1].contains("attempt=2")
    );
    for l in &attempts {
        assert!(
            l.contains("path=\"/subscriptions/{id}\"")
                && l.contains("method=GET")
                && l.contains("elapsed_ms="),
            "{l}"
        );
        assert!(!l.contains("sub_42"), "paths are logged as templates: {l}");
    }
}
