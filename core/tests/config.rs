//! Key and base-URL sources, validation and redaction.

use std::sync::Mutex;

use ticksupply::{Client, Error, KeySource};

/// Tests in this file change process environment variables: one at a time.
static ENV: Mutex<()> = Mutex::new(());

fn set_env(key: &str, value: Option<&str>) {
    // SAFETY: every test touching the environment holds `ENV`, and no other thread reads it.
    unsafe {
        match value {
            Some(v) => std::env::set_var(key, v),
            None => std::env::remove_var(key),
        }
    }
}

fn config_err(r: ticksupply::Result<Client>) -> String {
    match r {
        Err(Error::Config(m)) => m,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn key_from_env_is_trimmed_and_explicit_key_wins() {
    let _g = ENV.lock().unwrap();
    set_env("TICKSUPPLY_BASE_URL", None);
    set_env("TICKSUPPLY_API_KEY", Some("  key_env.FROMENV1\n"));
    let c = Client::new().unwrap();
    assert_eq!(c.api_key_source(), KeySource::Environment);
    assert_eq!(c.api_key_hint(), "****ENV1");
    assert_eq!(c.base_url(), "https://api.ticksupply.com/v1");
    let c = Client::with_api_key("key_arg.FROMARG2").unwrap();
    assert_eq!(c.api_key_source(), KeySource::Argument);
    assert_eq!(c.api_key_hint(), "****ARG2");
    set_env("TICKSUPPLY_API_KEY", None);
}

#[test]
fn missing_empty_and_malformed_keys_are_configuration_errors() {
    let _g = ENV.lock().unwrap();
    // No profile of the user's may stand in for the missing key.
    let empty = tempfile::tempdir().unwrap();
    set_env(
        "TICKSUPPLY_CONFIG_DIR",
        Some(empty.path().to_str().unwrap()),
    );
    set_env("TICKSUPPLY_PROFILE", None);
    set_env("TICKSUPPLY_API_KEY", None);
    let m = config_err(Client::new());
    assert!(
        m.contains("api_key argument") && m.contains("TICKSUPPLY_API_KEY"),
        "{m}"
    );
    set_env("TICKSUPPLY_API_KEY", Some("   "));
    config_err(Client::new());
    // An explicit empty key is an error, not a fallback to the environment.
    set_env("TICKSUPPLY_API_KEY", Some("key_env.FROMENV1"));
    let m = config_err(Client::with_api_key(""));
    assert!(m.contains("empty"), "{m}");
    for bad in [
        "key with.space",
        "key\u{0}nul",
        "key\twith.tab",
        "kéy_unicode_123",
    ] {
        let m = config_err(Client::with_api_key(bad));
        assert!(!m.contains(bad), "message must not echo the key: {m}");
    }
    set_env("TICKSUPPLY_API_KEY", None);
}

#[test]
fn base_url_from_argument_env_or_default_and_plain_http_only_for_loopback() {
    let _g = ENV.lock().unwrap();
    let b = |u: &str| {
        Client::builder()
            .api_key("key_abcdefgh1234")
            .base_url(u)
            .build()
    };
    assert_eq!(
        b("http://127.0.0.1:8080/v1/").unwrap().base_url(),
        "http://127.0.0.1:8080/v1"
    );
    assert!(b("http://localhost:1/v1").is_ok());
    assert!(b("http://[::1]:1/v1").is_ok());
    assert!(b("http://127.9.9.9/v1").is_ok());
    assert!(b("https://api-staging.ticksupply.com/v1").is_ok());
    let m = config_err(b("http://api.ticksupply.com/v1"));
    assert!(m.contains("https"), "{m}");
    config_err(b("http://10.0.0.1/v1"));
    config_err(b("not a url"));
    config_err(b("ftp://example.com/v1"));
    config_err(b("https://user:pw@example.com/v1"));
    set_env("TICKSUPPLY_BASE_URL", Some("http://127.0.0.1:9999/v1"));
    let c = Client::builder()
        .api_key("key_abcdefgh1234")
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:9999/v1");
    set_env("TICKSUPPLY_BASE_URL", None);
}

#[test]
fn debug_output_never_shows_the_key() {
    let secret = "key_live.TOPSECRETVALUE42";
    let builder = Client::builder().api_key(secret);
    assert!(!format!("{builder:?}").contains("TOPSECRET"));
    let c = builder.build().unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("TOPSECRET"), "{dbg}");
    assert!(dbg.contains("****UE42"), "{dbg}");
    let key = ticksupply::ApiKey::new(secret, KeySource::Argument).unwrap();
    assert_eq!(format!("{key:?}"), "ApiKey(****UE42)");
    assert_eq!(format!("{key}"), "****UE42");
    // Short keys show nothing at all.
    assert_eq!(ticksupply::config::redact("abc123"), "****");
}

#[test]
fn with_options_changes_settings_without_touching_the_original() {
    let c = Client::builder()
        .api_key("key_original.AAAA1111")
        .max_retries(3)
        .build()
        .unwrap();
    let d = c
        .with_options(ticksupply::ClientOptions {
            api_key: Some("key_other.BBBB2222".into()),
            max_retries: Some(0),
            timeout: Some(std::time::Duration::from_secs(5)),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(c.api_key_hint(), "****1111");
    assert_eq!(d.api_key_hint(), "****2222");
    assert_eq!((c.max_retries(), d.max_retries()), (3, 0));
    assert_eq!(d.timeout(), std::time::Duration::from_secs(5));
    assert!(
        c.with_options(ticksupply::ClientOptions {
            timeout: Some(std::time::Duration::ZERO),
            ..Default::default()
        })
        .is_err()
    );
}
