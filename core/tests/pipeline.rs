//! Retry, idempotency and error-mapping rules, against scripted servers (wiremock).

use std::time::{Duration, Instant};

use ticksupply::{Client, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn client(server: &MockServer, retries: u32) -> Client {
    Client::builder()
        .api_key("key_test.SECRET9876")
        .base_url(format!("{}/v1", server.uri()))
        .max_retries(retries)
        .retry_backoff(Duration::from_millis(20), Duration::from_millis(80))
        .build()
        .unwrap()
}

/// A client whose errors keep the response's status, details, rate limits and attempts
/// (`Error::Context`), as the bindings build it.
fn context_client(server: &MockServer, retries: u32) -> Client {
    Client::builder()
        .api_key("key_test.SECRET9876")
        .base_url(format!("{}/v1", server.uri()))
        .max_retries(retries)
        .retry_backoff(Duration::from_millis(20), Duration::from_millis(80))
        .error_context(true)
        .build()
        .unwrap()
}

fn envelope(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "error": { "code": code, "message": message } })
}

fn status(s: u16) -> ResponseTemplate {
    ResponseTemplate::new(s).insert_header("x-request-id", format!("req_{s:016}"))
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn transient_5xx_is_retried_until_success() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(503).set_body_json(envelope("unavailable", "try later")))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(200).set_body_string("[]"))
        .mount(&server)
        .await;
    let r = client(&server, 3)
        .exchanges()
        .list()
        .send_with_meta()
        .await
        .unwrap();
    assert_eq!(count(&server).await, 3);
    assert_eq!(r.meta.attempts, 3);
    assert_eq!(r.meta.request_id.as_deref(), Some("req_0000000000000200"));
}

#[tokio::test]
async fn retryable_statuses_are_retried_whatever_the_body_and_others_are_not() {
    for (s, body, expect_calls) in [
        (502, "<html>Bad Gateway</html>", 3),
        (500, "", 3),
        (504, "upstream timeout", 3),
        (408, "{}", 3),
        (429, "slow down", 3),
        (400, "", 1),
        (404, "", 1),
        (409, "", 1),
        (501, "", 1),
    ] {
        let server = MockServer::start().await;
        Mock::given(path("/v1/exchanges"))
            .respond_with(status(s).set_body_string(body))
            .mount(&server)
            .await;
        let err = context_client(&server, 2)
            .exchanges()
            .list()
            .await
            .unwrap_err();
        assert_eq!(count(&server).await, expect_calls, "status {s}");
        assert_eq!(err.status(), Some(s));
        assert_eq!(err.code(), "unknown", "status {s}: {err}");
        assert_eq!(err.attempts() as usize, expect_calls);
        assert!(err.rate_limit().is_some());
        // Without the envelope, the official crate's variant is `Api` whatever the status.
        assert!(
            matches!(err.official(), Error::Api { status, code, .. } if *status == s && code == "unknown"),
            "{err:?}"
        );
        let plain = client(&server, 0).exchanges().list().await.unwrap_err();
        assert!(
            matches!(&plain, Error::Api { status, .. } if *status == s),
            "{plain:?}"
        );
        assert_eq!(plain.status(), Some(s));
    }
}

#[tokio::test]
async fn max_retries_zero_sends_once() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(503))
        .mount(&server)
        .await;
    client(&server, 0).exchanges().list().await.unwrap_err();
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn writes_reuse_one_generated_idempotency_key_across_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(status(503).set_body_json(envelope("unavailable", "x")))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(status(201).set_body_json(serde_json::json!({
            "id": "sub_1", "status": "active", "created_at": "2024-01-01T00:00:00Z", "spans": [],
            "datastream": {"datastream_id": 1, "exchange": "binance", "instrument": "BTCUSDT", "stream_type": "trades", "wire_format": "json"}
        })))
        .mount(&server)
        .await;
    let c = client(&server, 3);
    let r = c.subscriptions().create(1).send_with_meta().await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3);
    let keys: Vec<String> = reqs
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(r.meta.idempotency_key.as_deref(), Some(keys[0].as_str()));
    assert_eq!(reqs[0].body, br#"{"datastream_id":1}"#);

    // A second call gets a new key; a caller's key wins.
    server.reset().await;
    Mock::given(method("DELETE"))
        .respond_with(status(204))
        .mount(&server)
        .await;
    c.subscriptions().delete("sub_1").await.unwrap();
    c.subscriptions()
        .delete("sub_1")
        .idempotency_key("11111111-2222-4333-8444-555555555555")
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    let k0 = reqs[0]
        .headers
        .get("idempotency-key")
        .unwrap()
        .to_str()
        .unwrap();
    let k1 = reqs[1]
        .headers
        .get("idempotency-key")
        .unwrap()
        .to_str()
        .unwrap();
    assert_ne!(k0, keys[0]);
    assert_eq!(k1, "11111111-2222-4333-8444-555555555555");
}

#[tokio::test]
async fn retry_after_is_a_floor() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(
            status(429)
                .insert_header("retry-after", "1")
                .set_body_json(envelope("rate_limited", "slow")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(200).set_body_string("[]"))
        .mount(&server)
        .await;
    let t = Instant::now();
    client(&server, 2).exchanges().list().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(990),
        "waited only {:?}",
        t.elapsed()
    );
    assert_eq!(count(&server).await, 2);
}

#[tokio::test]
async fn retry_after_over_the_cap_fails_at_once_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(
            status(429)
                .insert_header("retry-after", "120")
                .set_body_json(envelope("rate_limited", "slow")),
        )
        .mount(&server)
        .await;
    let t = Instant::now();
    let err = client(&server, 3).exchanges().list().await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(count(&server).await, 1);
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(120));
    assert!(err.to_string().contains("(retry after 120s)"), "{err}");
}

#[tokio::test]
async fn errors_are_classified_by_code_then_status() {
    let cases = [
        (404, Some("not_found"), "NotFound"),
        (400, Some("invalid_argument"), "InvalidArgument"),
        (401, Some("unauthenticated"), "Authentication"),
        (402, Some("payment_required"), "PaymentRequired"),
        (403, Some("permission_denied"), "PermissionDenied"),
        (409, Some("already_exists"), "Conflict"),
        (418, Some("teapot"), "Api"),
        (404, None, "NotFound"),
        (403, None, "PermissionDenied"),
        (402, None, "PaymentRequired"),
        (502, None, "Server"),
        (418, None, "Api"),
    ];
    for (s, code, kind) in cases {
        let server = MockServer::start().await;
        let resp = match code {
            Some(c) => status(s).set_body_json(serde_json::json!({
                "error": {"code": c, "message": "m", "details": {"k": [1]}, "legacy_trace_id": "x"}
            })),
            None => status(s).set_body_string("<html><body>nginx</body></html>"),
        };
        Mock::given(path("/v1/exchanges"))
            .respond_with(resp)
            .mount(&server)
            .await;
        let err = context_client(&server, 0)
            .exchanges()
            .list()
            .await
            .unwrap_err();
        assert_eq!(format!("{:?}", err.kind()), kind, "{s} {code:?}");
        assert_eq!(err.status(), Some(s));
        assert_eq!(err.code(), code.unwrap_or("unknown"));
        assert_eq!(err.request_id(), Some(format!("req_{s:016}").as_str()));
        if code.is_some() {
            assert_eq!(err.details(), Some(&serde_json::json!({"k": [1]})));
        } else {
            assert_eq!(err.message(), "<html><body>nginx</body></html>");
        }
        assert!(
            err.to_string()
                .ends_with(&format!("(request_id: req_{s:016})")),
            "{err}"
        );
        // Without error context: the official variant, the same kind, code and text.
        let plain = client(&server, 0).exchanges().list().await.unwrap_err();
        assert!(plain.context().is_none());
        assert_eq!(plain.kind(), err.kind(), "{s} {code:?}");
        assert_eq!(plain.code(), err.code());
        assert_eq!(plain.to_string(), err.to_string());
        assert_eq!(plain.request_id(), err.request_id());
        let official = match (code, &plain) {
            (Some("not_found"), Error::NotFound { .. })
            | (
                Some("invalid_argument"),
                Error::Validation {
                    details: Some(_), ..
                },
            )
            | (Some("unauthenticated"), Error::Authentication { .. })
            | (
                Some("payment_required"),
                Error::PaymentRequired {
                    details: Some(_), ..
                },
            )
            | (Some("permission_denied"), Error::PermissionDenied { .. })
            | (Some("already_exists"), Error::AlreadyExists { .. }) => true,
            (Some("teapot") | None, Error::Api { status, .. }) => *status == s,
            _ => false,
        };
        assert!(official, "{s} {code:?}: {plain:?}");
    }
}

/// The official crate's own error tests (its `tests/errors.rs`), unchanged but for the client.
#[tokio::test]
async fn the_official_crates_error_tests_pass() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("X-Request-Id", "req_abc")
                .set_body_json(envelope("not_found", "gone")),
        )
        .mount(&server)
        .await;
    match client(&server, 0).exchanges().list().await.unwrap_err() {
        Error::NotFound {
            message,
            request_id,
        } => {
            assert_eq!(message, "gone");
            assert_eq!(request_id.as_deref(), Some("req_abc"));
        }
        other => panic!("wrong variant: {other:?}"),
    }

    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(ResponseTemplate::new(418).set_body_json(envelope("teapot", "short")))
        .mount(&server)
        .await;
    match client(&server, 0).exchanges().list().await.unwrap_err() {
        Error::Api { code, status, .. } => {
            assert_eq!(code, "teapot");
            assert_eq!(status, 418);
        }
        other => panic!("wrong variant: {other:?}"),
    }

    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    match client(&server, 0).exchanges().list().await.unwrap_err() {
        Error::Api {
            code,
            status,
            message,
            ..
        } => {
            assert_eq!(code, "unknown");
            assert_eq!(status, 502);
            assert!(message.contains("Bad Gateway"));
        }
        other => panic!("wrong variant: {other:?}"),
    }

    // `internal` and `unavailable` are `Api` with their status, as there.
    for code in ["internal", "unavailable"] {
        let server = MockServer::start().await;
        Mock::given(path("/v1/exchanges"))
            .respond_with(status(503).set_body_json(envelope(code, "oops")))
            .mount(&server)
            .await;
        let err = client(&server, 0).exchanges().list().await.unwrap_err();
        assert!(
            matches!(&err, Error::Api { code: c, status: 503, .. } if c == code),
            "{err:?}"
        );
        assert_eq!(err.kind(), ticksupply::ErrorKind::Server);
    }
}

#[tokio::test]
async fn non_envelope_bodies_are_excerpted_and_bounded() {
    let server = MockServer::start().await;
    let huge = format!("<html>{}</html>", "x".repeat(100_000));
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(500).set_body_string(huge))
        .mount(&server)
        .await;
    let err = client(&server, 0).exchanges().list().await.unwrap_err();
    assert!(
        err.message().chars().count() <= 513,
        "{}",
        err.message().len()
    );
    assert!(err.message().ends_with('…'));

    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(500))
        .mount(&server)
        .await;
    let err = client(&server, 0).exchanges().list().await.unwrap_err();
    assert_eq!(err.message(), "HTTP 500 with no body");
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
}

#[tokio::test]
async fn undecodable_success_body_is_a_decode_error_with_the_request_id() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(200).set_body_string("{\"not\": \"a list\"}"))
        .mount(&server)
        .await;
    let err = client(&server, 0).exchanges().list().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert_eq!(err.code(), "decode_error");
    let err = context_client(&server, 0)
        .exchanges()
        .list()
        .await
        .unwrap_err();
    assert!(matches!(err.official(), Error::Decode(_)), "{err:?}");
    assert_eq!(err.request_id(), Some("req_0000000000000200"));
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.code(), "decode_error");
    assert!(err.to_string().contains("req_0000000000000200"));
}

/// `ticksupply::reqwest` is the reqwest the crate is built with, so its client fits
/// `.http_client(..)` whatever reqwest the application itself depends on.
#[tokio::test]
async fn the_reexported_reqwest_builds_a_client_for_http_client() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(200).set_body_string("[]"))
        .mount(&server)
        .await;
    let http: ticksupply::reqwest::Client = ticksupply::reqwest::Client::builder().build().unwrap();
    let c = Client::builder()
        .api_key("key_test.SECRET9876")
        .base_url(format!("{}/v1", server.uri()))
        .http_client(http)
        .build()
        .unwrap();
    assert!(c.exchanges().list().await.unwrap().is_empty());
}

#[tokio::test]
async fn ids_that_no_url_can_carry_are_refused_before_sending() {
    let server = MockServer::start().await;
    let c = client(&server, 3);
    for id in ["", ".", ".."] {
        let err = c.subscriptions().get(id).await.unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains(&format!("{id:?} is not a valid id"))),
            "{err:?}"
        );
        let err = c.subscriptions().delete(id).await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        let err = c.exports().get_download(id).await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
    let err = c
        .exchanges()
        .list_datastreams("binance", "")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let err = c.exchanges().list_instruments("").send().await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(count(&server).await, 0, "nothing was sent");
}

#[tokio::test]
async fn unknown_enum_values_and_new_fields_are_kept_not_fatal() {
    use ticksupply::resources::subscriptions::SubscriptionStatus;
    let server = MockServer::start().await;
    Mock::given(path("/v1/subscriptions/sub_1"))
        .respond_with(status(200).set_body_json(serde_json::json!({
            "id": "sub_1", "datastream_id": 1, "status": "hibernating",
            "created_at": "2024-01-01T00:00:00Z", "brand_new_field": {"x": 1}
        })))
        .mount(&server)
        .await;
    let sub = client(&server, 0)
        .subscriptions()
        .get("sub_1")
        .await
        .unwrap();
    assert_eq!(
        sub.status,
        SubscriptionStatus::Unknown("hibernating".into())
    );
    assert_eq!(sub.status.as_str(), "hibernating");
    assert!(sub.datastream.is_none());
}

#[tokio::test]
async fn a_401_says_what_to_check_without_showing_the_key() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(
            status(401).set_body_json(envelope("unauthenticated", "Invalid or missing API key")),
        )
        .mount(&server)
        .await;
    let err = client(&server, 3).exchanges().list().await.unwrap_err();
    let msg = err.to_string();
    assert_eq!(count(&server).await, 1, "401 is not retried");
    assert!(
        msg.contains("the api_key argument") && msg.contains("****9876") && msg.contains("deleted"),
        "{msg}"
    );
    assert!(!msg.contains("SECRET"), "{msg}");
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_key_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(status(200).set_body_string("[]"))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(status(302).insert_header("location", format!("{}/steal", elsewhere.uri())))
        .mount(&server)
        .await;
    let err = client(&server, 3).exchanges().list().await.unwrap_err();
    assert_eq!(err.status(), Some(302));
    assert!(matches!(err, Error::Api { status: 302, .. }), "{err:?}");
    assert!(err.message().contains("redirect"));
    assert_eq!(count(&elsewhere).await, 0);
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn timeouts_are_retried_for_reads_and_bounded_overall() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/exchanges"))
        .respond_with(
            status(200)
                .set_body_string("[]")
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let c = Client::builder()
        .api_key("key_test.SECRET9876")
        .base_url(format!("{}/v1", server.uri()))
        .timeout(Duration::from_millis(150))
        .total_timeout(Duration::from_millis(1000))
        .max_retries(10)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .build()
        .unwrap();
    let t = Instant::now();
    let err = c.exchanges().list().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    let n = count(&server).await;
    assert!((3..=8).contains(&n), "attempts {n}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_repeated_page_token_stops_the_stream_with_an_error() {
    use futures::StreamExt;
    let server = MockServer::start().await;
    Mock::given(path("/v1/subscriptions"))
        .respond_with(move |req: &Request| {
            let n = if req.url.query().unwrap_or("").contains("page_token") { 2 } else { 1 };
            status(200).set_body_json(serde_json::json!({
                "items": [{"id": format!("sub_{n}"), "datastream_id": n, "status": "active", "created_at": "2024-01-01T00:00:00Z"}],
                "total": 99, "limit": 1, "next_page_token": "same"
            }))
        })
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server, 0)
        .subscriptions()
        .list()
        .limit(1)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().id, "sub_1");
    assert_eq!(items[1].as_ref().unwrap().id, "sub_2");
    let err = items[2].as_ref().unwrap_err();
    assert!(err.to_string().contains("repeated a page token"), "{err}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs.iter()
            .all(|r| r.url.query().unwrap().contains("limit=1"))
    );
}
