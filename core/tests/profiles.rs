//! Profiles from Rust against ticksupply-mock: `ClientBuilder::profile`, the precedence rule
//! (an explicit key or profile > `TICKSUPPLY_API_KEY` > `TICKSUPPLY_PROFILE` >
//! `default_profile`), the base URL that travels with a profile's key, 401 messages that name
//! the profile, and the files (`config.toml` never holds a key, `credentials.toml` is 0600).
//! The keyring is off here; `make test-keyring` runs a real one through the command line.

use std::path::Path;
use std::sync::Mutex;

use ticksupply::profiles::{Config, KeyStore, Keys};
use ticksupply::{Client, Error, KeySource};
use ticksupply_mock::MockServer;

/// These tests change process environment variables: one at a time.
static ENV: Mutex<()> = Mutex::new(());

const DEV: &str = "ts_dev_key_A1b2C3d4";
const STG: &str = "ts_stg_key_E5f6G7h8";
const ENV_KEY: &str = "ts_env_key_M1n2O3p4";

fn set_env(key: &str, value: Option<&str>) {
    // SAFETY: every test touching the environment holds `ENV`, and no other thread reads it.
    unsafe {
        match value {
            Some(v) => std::env::set_var(key, v),
            None => std::env::remove_var(key),
        }
    }
}

/// A config directory of its own, the keyring off, no key variables.
fn isolate(dir: &Path) {
    for v in [
        "TICKSUPPLY_API_KEY",
        "TICKSUPPLY_PROFILE",
        "TICKSUPPLY_BASE_URL",
    ] {
        set_env(v, None);
    }
    set_env("TICKSUPPLY_CONFIG_DIR", Some(dir.to_str().unwrap()));
    set_env("TICKSUPPLY_KEYRING", Some("off"));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn start(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(ticksupply_mock::start(ticksupply_mock::Config {
        port: 0,
        keys: vec![
            ("dev".into(), DEV.into()),
            ("stg".into(), STG.into()),
            ("env".into(), ENV_KEY.into()),
        ],
        ..Default::default()
    }))
    .unwrap()
}

/// Profiles `dev` (the default) and `stg`, both against the mock, keys in credentials.toml.
fn log_in(dir: &Path, url: &str) {
    let mut config = Config::load(dir).unwrap();
    let keys = Keys::new(dir).unwrap();
    for (name, key) in [("dev", DEV), ("stg", STG)] {
        let saved = keys.save(name, key).unwrap();
        assert_eq!(saved.store, KeyStore::File);
        assert_eq!(
            saved.fallback_reason.as_deref(),
            Some("TICKSUPPLY_KEYRING=off")
        );
        config.upsert(name, Some(url)).unwrap();
    }
    config.set_default(Some("dev"));
    config.save().unwrap();
}

fn hint(key: &str) -> String {
    format!("****{}", &key[key.len() - 4..])
}

fn config_err(r: ticksupply::Result<Client>) -> String {
    match r {
        Err(Error::Config(m)) => m,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn precedence_named_then_env_key_then_env_profile_then_default() {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    isolate(dir.path());
    let rt = runtime();
    let m = start(&rt);
    log_in(dir.path(), &m.base_url());

    // default_profile, and the profile's base URL (no TICKSUPPLY_BASE_URL).
    let c = Client::new().unwrap();
    assert_eq!(c.api_key_hint(), hint(DEV));
    assert_eq!(
        c.api_key_source(),
        KeySource::Profile {
            name: "dev".into(),
            store: KeyStore::File
        }
    );
    assert_eq!(c.base_url(), m.base_url());
    rt.block_on(c.exchanges().list().send()).unwrap();

    set_env("TICKSUPPLY_PROFILE", Some("stg"));
    assert_eq!(Client::new().unwrap().api_key_hint(), hint(STG));

    set_env("TICKSUPPLY_API_KEY", Some(ENV_KEY));
    let c = Client::new().unwrap();
    assert_eq!(
        (c.api_key_hint(), c.api_key_source()),
        (hint(ENV_KEY), KeySource::Environment)
    );

    let c = Client::builder().profile("dev").build().unwrap();
    assert_eq!(c.api_key_hint(), hint(DEV));
    // An explicit base URL still wins over the profile's.
    let c = Client::builder()
        .profile("dev")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:9/v1");

    let msg = config_err(Client::builder().api_key(STG).profile("dev").build());
    assert!(
        msg.contains("'dev'") && msg.contains("api_key argument"),
        "{msg}"
    );
    assert!(!msg.contains(STG), "{msg}");
    set_env("TICKSUPPLY_API_KEY", None);
    set_env("TICKSUPPLY_PROFILE", None);

    // A key deleted on the server: the 401 names the profile and the key's last 4, never the key.
    let url = format!("http://{}/_mock/keys/{DEV}", m.api_addr);
    rt.block_on(reqwest::Client::new().delete(url).send())
        .unwrap();
    let c = Client::builder()
        .profile("dev")
        .error_context(true)
        .build()
        .unwrap();
    let e = rt.block_on(c.exchanges().list().send()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("profile 'dev' (credentials file)"), "{text}");
    assert!(text.contains(&hint(DEV)) && !text.contains(DEV), "{text}");
    assert!(e.request_id().unwrap().starts_with("req_"));
}

#[test]
fn files_hold_keys_only_where_they_should() {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    isolate(dir.path());
    log_in(dir.path(), "http://127.0.0.1:9/v1");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert!(!read("config.toml").contains(DEV) && !read("config.toml").contains(STG));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("credentials.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let keys = Keys::new(dir.path()).unwrap();
    assert_eq!(keys.delete("stg").unwrap(), vec![KeyStore::File]);
    assert!(!read("credentials.toml").contains(STG));
    assert_eq!(
        keys.get("dev").unwrap(),
        Some((DEV.to_string(), KeyStore::File))
    );
    assert_eq!(keys.delete("stg").unwrap(), vec![]);
    keys.delete("dev").unwrap();
    assert!(!dir.path().join("credentials.toml").exists());

    // What cannot be trusted is refused with the file's name.
    std::fs::write(dir.path().join("config.toml"), "[profiles.dev]\n").unwrap();
    set_env("TICKSUPPLY_KEYRING", Some("maybe"));
    let msg = config_err(Client::builder().profile("dev").build());
    assert!(msg.contains("TICKSUPPLY_KEYRING"), "{msg}");
    set_env("TICKSUPPLY_KEYRING", Some("off"));

    std::fs::write(
        dir.path().join("config.toml"),
        format!("[profiles.dev]\napi_key = \"{DEV}\"\n"),
    )
    .unwrap();
    let msg = config_err(Client::builder().profile("dev").build());
    assert!(msg.contains("config.toml") && !msg.contains(DEV), "{msg}");
    std::fs::write(dir.path().join("config.toml"), "default_profile = 3\n").unwrap();
    let msg = config_err(Client::new());
    assert!(msg.contains("default_profile must be a string"), "{msg}");

    // Nothing anywhere: the message lists every place looked.
    std::fs::remove_file(dir.path().join("config.toml")).unwrap();
    let msg = config_err(Client::new());
    for place in [
        "api_key argument",
        "TICKSUPPLY_API_KEY",
        "TICKSUPPLY_PROFILE",
        "default_profile",
        "auth login",
    ] {
        assert!(msg.contains(place), "{place}: {msg}");
    }
}
