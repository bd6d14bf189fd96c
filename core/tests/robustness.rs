//! Hostile input: the error-envelope parser and the response decoders on arbitrary bytes and
//! arbitrary JSON never panic, and what they report stays bounded.

use proptest::prelude::*;
use reqwest::header::HeaderMap;
use serde_json::Value;
use ticksupply::resources::availability::AvailabilityResponse;
use ticksupply::resources::billing::BillingSummary;
use ticksupply::resources::catalog::{Exchange, Instrument};
use ticksupply::resources::export_schemas::ExportSchemaWithVersion;
use ticksupply::resources::exports::{ExportDownloadResponse, ExportJob};
use ticksupply::resources::subscriptions::{Subscription, SubscriptionSpan};
use ticksupply::transport::{RawResponse, api_error};
use ticksupply::{ApiKey, Error, KeySource, Page, ResponseMeta};

fn raw(body: Vec<u8>) -> RawResponse {
    RawResponse {
        status: 200,
        body: body.into(),
        meta: ResponseMeta {
            request_id: Some("req_fuzz".into()),
            ..Default::default()
        },
    }
}

/// Every decoder the SDK has, on one body: each either decodes or reports a decode error with
/// the request id.
fn decode_all(body: &[u8]) {
    fn one<T: serde::de::DeserializeOwned>(body: &[u8]) {
        match ticksupply::request::decode::<T>(&raw(body.to_vec())) {
            Ok(_) => {}
            Err(e) if matches!(e.official(), Error::Decode(_)) => {
                assert_eq!(e.request_id(), Some("req_fuzz"))
            }
            Err(other) => panic!("not a decode error: {other:?}"),
        }
    }
    one::<Vec<Exchange>>(body);
    one::<Page<Instrument>>(body);
    one::<Subscription>(body);
    one::<Vec<SubscriptionSpan>>(body);
    one::<ExportJob>(body);
    one::<Page<ExportJob>>(body);
    one::<ExportDownloadResponse>(body);
    one::<ExportSchemaWithVersion>(body);
    one::<AvailabilityResponse>(body);
    one::<BillingSummary>(body);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("active"),
            Just("succeeded"),
            Just("2026-01-01T00:00:00Z"),
            Just("170000000000000000000")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("id".to_string()),
            Just("items".to_string()),
            Just("status".to_string()),
            Just("start_time".to_string()),
            Just("created_at".to_string()),
            Just("ranges".to_string()),
            Just("artifacts".to_string()),
            Just("error".to_string()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&body);
    }

    #[test]
    fn decoders_never_panic_on_json(v in json_value()) {
        decode_all(v.to_string().as_bytes());
    }

    #[test]
    fn error_parser_never_panics_and_stays_bounded(
        status in 100u16..600,
        body in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let key = ApiKey::new("ts_fuzz_key_1234", KeySource::Argument).unwrap();
        let e = api_error(status, &HeaderMap::new(), &body, &key, 1);
        prop_assert!(e.message().chars().count() < 1000, "{}", e.message());
        prop_assert!(!e.to_string().contains("ts_fuzz_key"));
        prop_assert_eq!(e.status(), Some(status));
    }

    #[test]
    fn error_parser_reads_any_envelope(status in 400u16..600, v in json_value()) {
        let key = ApiKey::new("ts_fuzz_key_1234", KeySource::Argument).unwrap();
        let body = serde_json::json!({"error": v}).to_string();
        let e = api_error(status, &HeaderMap::new(), body.as_bytes(), &key, 1);
        prop_assert_eq!(e.status(), Some(status));
    }
}
