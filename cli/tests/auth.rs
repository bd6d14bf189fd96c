//! `ticksupply auth` and profiles, run as a subprocess against ticksupply-mock: login with a good
//! and a rejected key, `check` before and after a key is deleted, the precedence of `--profile`,
//! `TICKSUPPLY_API_KEY`, `TICKSUPPLY_PROFILE` and `default_profile`, rotation as the
//! authentication guide describes it, the 0600 fallback file, and no key in any output or config
//! file. `keyring_*` needs a Secret Service (`make test-keyring` starts gnome-keyring in a
//! D-Bus session of its own) and is ignored otherwise.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};
use ticksupply_mock::Config;

mod common;
use common::{BIN, KEY_VARS, Mock, Run, mock, run_with_input};

const DEV: &str = "ts_dev_key_A1b2C3d4";
const STG: &str = "ts_stg_key_E5f6G7h8";
const DEV_NEW: &str = "ts_dev_key_rotated_J9k0";
const ENV_KEY: &str = "ts_env_key_M1n2O3p4";
const BAD: &str = "ts_bad_key_Q5r6S7t8";
const ALL_KEYS: [&str; 5] = [DEV, STG, DEV_NEW, ENV_KEY, BAD];

fn server() -> Mock {
    mock(Config {
        keys: vec![
            ("dev".into(), DEV.into()),
            ("stg".into(), STG.into()),
            ("env".into(), ENV_KEY.into()),
        ],
        ..Config::default()
    })
}

/// One user's config directory, and everything the binary printed into it.
struct User<'m> {
    mock: &'m Mock,
    dir: tempfile::TempDir,
    keyring: bool,
    transcript: RefCell<String>,
}

impl<'m> User<'m> {
    fn new(mock: &'m Mock, keyring: bool) -> User<'m> {
        User {
            mock,
            dir: tempfile::tempdir().unwrap(),
            keyring,
            transcript: RefCell::new(String::new()),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str], vars: &[(&str, &str)], input: Option<&str>) -> Run {
        let mut c = Command::new(BIN);
        for v in KEY_VARS {
            c.env_remove(v);
        }
        c.env("TICKSUPPLY_CONFIG_DIR", self.path());
        if !self.keyring {
            c.env("TICKSUPPLY_KEYRING", "off");
        }
        c.args(args).envs(vars.iter().copied());
        let r = run_with_input(c, input);
        self.transcript
            .borrow_mut()
            .push_str(&format!("$ {args:?}\n{}\n{}\n", r.stdout, r.stderr));
        r
    }

    fn login(&self, profile: &str, key: &str) -> Run {
        let url = self.mock.base_url();
        self.run(
            &["auth", "login", "--profile", profile, "--base-url", &url],
            &[],
            Some(&format!("{key}\n")),
        )
    }

    fn check_json(&self, args: &[&str], vars: &[(&str, &str)]) -> Value {
        let mut all = vec!["auth", "check", "--json"];
        all.extend_from_slice(args);
        self.run(&all, vars, None).json()
    }

    fn status(&self) -> Value {
        self.run(&["auth", "status", "--json"], &[], None).json()
    }

    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.path().join(name)).ok()
    }

    /// No key appears in anything the binary printed, nor in any file of the config directory
    /// but `credentials.toml`, which holds only `allowed_in_file`.
    fn assert_no_key_leaked(&self, allowed_in_file: &[&str]) {
        let transcript = self.transcript.borrow();
        for key in ALL_KEYS {
            assert!(!transcript.contains(key), "{key} printed:\n{transcript}");
            for entry in std::fs::read_dir(self.path()).unwrap() {
                let path: PathBuf = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let allowed = path.file_name().unwrap() == "credentials.toml"
                    && allowed_in_file.contains(&key);
                assert!(
                    allowed || !text.contains(key),
                    "{key} in {}:\n{text}",
                    path.display()
                );
            }
        }
    }
}

fn hint(key: &str) -> String {
    format!("****{}", &key[key.len() - 4..])
}

#[test]
fn login_check_switch_and_logout_with_the_credentials_file() {
    let m = server();
    let u = User::new(&m, false);

    let r = u.login("dev", DEV);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("'dev' is the default profile"), "{r:?}");
    // The fallback is announced, with the file and its mode.
    assert!(
        r.stderr.contains("credentials.toml") && r.stderr.contains("0600"),
        "{r:?}"
    );

    // A key the API rejects: exit 1, the API's error, nothing stored.
    let r = u.login("prod", BAD);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("[unauthenticated]"), "{r:?}");
    assert!(r.stderr.contains("(request_id: req_"), "{r:?}");
    assert!(r.stderr.contains("not stored"), "{r:?}");
    assert!(!u.file("credentials.toml").unwrap().contains("prod"));
    assert!(!u.file("config.toml").unwrap().contains("prod"));

    assert_eq!(u.login("stg", STG).code, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(u.path().join("credentials.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "credentials.toml mode {mode:o}");
    }

    // `check` uses the default profile, and says so.
    let c = u.check_json(&[], &[]);
    assert_eq!(c["key"], hint(DEV));
    assert_eq!(c["source"], "profile 'dev' (credentials file)");
    assert!(c["request_id"].as_str().unwrap().starts_with("req_"), "{c}");
    // The harness's mock allows 100,000 requests a minute.
    assert_eq!(c["rate_limit"]["limit_minute"], 100_000, "{c}");
    assert!(
        c["rate_limit"]["remaining_minute"].as_u64() < Some(100_000),
        "{c}"
    );
    let text = u.run(&["auth", "check"], &[], None);
    assert_eq!(text.code, 0);
    for want in [
        hint(DEV).as_str(),
        "profile 'dev'",
        "req_",
        "left this minute",
    ] {
        assert!(text.stdout.contains(want), "{want}: {text:?}");
    }

    let s = u.status();
    assert_eq!(s["default_profile"], "dev");
    let profiles: Vec<(String, String, String)> = s["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["key"].as_str().unwrap().to_string(),
                p["key_store"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        profiles,
        vec![
            ("dev".into(), hint(DEV), "credentials file".into()),
            ("stg".into(), hint(STG), "credentials file".into()),
        ]
    );
    assert_eq!(s["in_use"]["profile"], "dev");

    // switch: the default moves; a profile that does not exist is a usage error.
    assert_eq!(u.run(&["auth", "switch", "stg"], &[], None).code, 0);
    assert_eq!(u.check_json(&[], &[])["key"], hint(STG));
    let r = u.run(&["auth", "switch", "nope"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("'nope'") && r.stderr.contains("dev, stg"),
        "{r:?}"
    );

    // logout (the default, stg): its key leaves the file, dev's stays, no default remains.
    let r = u.run(&["auth", "logout"], &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    let creds = u.file("credentials.toml").unwrap();
    assert!(!creds.contains(STG) && !creds.contains("stg"), "{creds}");
    assert!(creds.contains(DEV));
    assert_eq!(u.status()["default_profile"], Value::Null);
    assert_eq!(u.check_json(&["--profile", "dev"], &[])["key"], hint(DEV));
    let r = u.run(&["auth", "check"], &[], None);
    assert_eq!(r.code, 2, "no key and no default profile: {r:?}");
    assert!(r.stderr.contains("auth login"), "{r:?}");

    // The last logout removes the file.
    assert_eq!(
        u.run(&["auth", "logout", "--profile", "dev"], &[], None)
            .code,
        0
    );
    assert!(u.file("credentials.toml").is_none());
    u.assert_no_key_leaked(&[DEV, STG]);
}

#[test]
fn what_the_user_names_beats_what_the_environment_holds() {
    let m = server();
    let u = User::new(&m, false);
    assert_eq!(u.login("dev", DEV).code, 0);
    assert_eq!(u.login("stg", STG).code, 0);
    let used = |args: &[&str], vars: &[(&str, &str)]| {
        let c = u.check_json(args, vars);
        (
            c["key"].as_str().unwrap().to_string(),
            c["source"].as_str().unwrap().to_string(),
        )
    };
    let url = m.base_url();
    let env_key = [
        ("TICKSUPPLY_API_KEY", ENV_KEY),
        ("TICKSUPPLY_BASE_URL", url.as_str()),
    ];
    let env_both = [
        ("TICKSUPPLY_API_KEY", ENV_KEY),
        ("TICKSUPPLY_BASE_URL", url.as_str()),
        ("TICKSUPPLY_PROFILE", "stg"),
    ];

    // default_profile alone.
    assert_eq!(
        used(&[], &[]),
        (hint(DEV), "profile 'dev' (credentials file)".into())
    );
    // TICKSUPPLY_PROFILE beats default_profile.
    assert_eq!(used(&[], &[("TICKSUPPLY_PROFILE", "stg")]).0, hint(STG));
    // TICKSUPPLY_API_KEY beats TICKSUPPLY_PROFILE and default_profile.
    assert_eq!(
        used(&[], &env_both),
        (hint(ENV_KEY), "TICKSUPPLY_API_KEY".into())
    );
    // --profile beats TICKSUPPLY_API_KEY.
    assert_eq!(used(&["--profile", "stg"], &env_key).0, hint(STG));
    // --api-key-file beats the environment too.
    let keys_dir = tempfile::tempdir().unwrap();
    let file = keys_dir.path().join("key.txt");
    std::fs::write(&file, format!("{DEV}\n")).unwrap();
    let f = file.to_str().unwrap();
    let (k, source) = used(&["--api-key-file", f], &env_both);
    assert_eq!(k, hint(DEV));
    assert!(source.contains("key.txt"), "{source}");
    // A key and a profile both named: a configuration error (exit 2) naming both.
    let r = u.run(
        &["auth", "check", "--api-key-file", f, "--profile", "stg"],
        &[],
        None,
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("[configuration_error]") && r.stderr.contains("'stg'"),
        "{r:?}"
    );
    // API commands follow the same rule.
    let r = u.run(
        &["exchanges", "list", "--json"],
        &[("TICKSUPPLY_PROFILE", "stg")],
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let seen = m.requests(STG, "api");
    assert!(
        seen.iter().any(|q| q["path"] == "/v1/exchanges"),
        "{seen:?}"
    );

    // A profile that does not exist, from each source, names itself and what exists.
    for (args, vars) in [
        (vec!["--profile", "ghost"], vec![]),
        (vec![], vec![("TICKSUPPLY_PROFILE", "ghost")]),
    ] {
        let mut all = vec!["auth", "check"];
        all.extend(args);
        let r = u.run(&all, &vars, None);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(
            r.stderr.contains("profile 'ghost'") && r.stderr.contains("dev, stg"),
            "{r:?}"
        );
        assert!(r.stderr.contains("config.toml"), "{r:?}");
    }
    u.assert_no_key_leaked(&[DEV, STG]);
}

#[test]
fn rotation_login_again_check_delete_the_old_key_check_again() {
    let m = server();
    let u = User::new(&m, false);
    assert_eq!(u.login("dev", DEV).code, 0);
    assert_eq!(u.check_json(&[], &[])["key"], hint(DEV));

    // 1. create a new key for the same account; 2. update the profile; 3. verify.
    m.control(
        Method::POST,
        "/keys",
        None,
        Some(json!({"account": "dev", "key": DEV_NEW})),
    );
    let r = u.login("dev", DEV_NEW);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !r.stdout.contains("default profile"),
        "already the default: {r:?}"
    );
    assert_eq!(u.check_json(&[], &[])["key"], hint(DEV_NEW));
    // 4. delete the old key: the profile still works.
    m.control(Method::DELETE, &format!("/keys/{DEV}"), None, None);
    assert_eq!(u.check_json(&[], &[])["key"], hint(DEV_NEW));
    let creds = u.file("credentials.toml").unwrap();
    assert!(
        !creds.contains(DEV) && creds.contains(DEV_NEW),
        "one key per profile: {creds}"
    );

    // A key deleted on the server: check exits 1 with the API's error, naming the profile.
    m.control(Method::DELETE, &format!("/keys/{DEV_NEW}"), None, None);
    let r = u.run(&["auth", "check"], &[], None);
    assert_eq!(r.code, 1, "{r:?}");
    let line = r.stderr.trim();
    assert!(line.starts_with("[unauthenticated] "), "{line}");
    assert!(line.contains("profile 'dev' (credentials file)"), "{line}");
    assert!(line.contains(&hint(DEV_NEW)), "{line}");
    let rid = line
        .rsplit("(request_id: ")
        .next()
        .unwrap()
        .trim_end_matches(')');
    assert!(rid.starts_with("req_") && rid.len() == 20, "{line}");
    u.assert_no_key_leaked(&[DEV, DEV_NEW]);
}

#[test]
fn broken_configs_are_configuration_errors_that_name_the_file() {
    let m = server();
    let u = User::new(&m, false);
    std::fs::write(
        u.path().join("config.toml"),
        "default_profile = \"dev\"\n[profiles.dev\n",
    )
    .unwrap();
    let r = u.run(&["auth", "check"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("config.toml") && r.stderr.contains("not valid TOML"),
        "{r:?}"
    );

    // A key written into config.toml by hand is refused, and not echoed.
    std::fs::write(
        u.path().join("config.toml"),
        format!("default_profile = \"dev\"\n[profiles.dev]\napi_key = \"{DEV}\"\n"),
    )
    .unwrap();
    let r = u.run(&["auth", "check"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("keys do not belong in config.toml"),
        "{r:?}"
    );
    assert!(!r.stderr.contains(DEV), "{r:?}");

    // A default profile without a key says how to add one.
    std::fs::write(
        u.path().join("config.toml"),
        "default_profile = \"dev\"\n[profiles.dev]\n",
    )
    .unwrap();
    let r = u.run(&["auth", "check"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("has no key stored") && r.stderr.contains("--profile dev"),
        "{r:?}"
    );

    // Comments and layout of config.toml survive a login and a switch.
    std::fs::write(
        u.path().join("config.toml"),
        "# my profiles\ndefault_profile = \"dev\"\n\n[profiles.dev] # the laptop\n",
    )
    .unwrap();
    assert_eq!(u.login("stg", STG).code, 0);
    assert_eq!(u.run(&["auth", "switch", "stg"], &[], None).code, 0);
    let text = u.file("config.toml").unwrap();
    assert!(
        text.starts_with("# my profiles\ndefault_profile = \"stg\""),
        "{text}"
    );
    assert!(text.contains("[profiles.dev] # the laptop"), "{text}");

    // An empty pipe is a usage error, not an empty key.
    let r = u.run(&["auth", "login", "--profile", "x"], &[], Some(""));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("standard input held no key"), "{r:?}");
    let r = u.run(&["auth", "login", "--profile", "../etc"], &[], Some("k\n"));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not valid"), "{r:?}");
    u.assert_no_key_leaked(&[STG]);
}

/// The key in a real Secret Service (gnome-keyring), read back with `secret-tool` as a second
/// opinion. Run by `make test-keyring` inside `dbus-run-session` with an unlocked keyring.
#[test]
#[ignore = "needs a Secret Service: make test-keyring"]
fn keyring_holds_the_key_and_nothing_falls_back_to_the_file() {
    let lookup = |profile: &str| {
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "ticksupply", "username", profile])
            .output()
            .expect("secret-tool (libsecret-tools)");
        String::from_utf8(out.stdout).unwrap()
    };
    let m = server();
    let u = User::new(&m, true);
    let r = u.login("dev", DEV);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("OS keyring"), "{r:?}");
    assert!(!r.stderr.contains("note:"), "no fallback expected: {r:?}");
    assert_eq!(lookup("dev"), DEV);
    assert!(u.file("credentials.toml").is_none());

    // A key that had gone to the file (keyring off) moves to the keyring at the next login,
    // and leaves the file.
    let r = u.run(
        &[
            "auth",
            "login",
            "--profile",
            "stg",
            "--base-url",
            &m.base_url(),
        ],
        &[("TICKSUPPLY_KEYRING", "off")],
        Some(STG),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(u.file("credentials.toml").unwrap().contains(STG));
    assert_eq!(u.login("stg", STG).code, 0);
    assert!(
        u.file("credentials.toml").is_none(),
        "the file copy is removed"
    );
    assert_eq!(lookup("stg"), STG);

    let s = u.status();
    let stores: Vec<&str> = s["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key_store"].as_str().unwrap())
        .collect();
    assert_eq!(stores, ["keyring", "keyring"], "{s}");
    assert_eq!(u.check_json(&[], &[])["source"], "profile 'dev' (keyring)");

    assert_eq!(
        u.run(&["auth", "logout", "--profile", "dev"], &[], None)
            .code,
        0
    );
    assert_eq!(lookup("dev"), "", "deleted from the keyring");
    assert_eq!(lookup("stg"), STG, "the other profile's key stays");
    assert_eq!(
        u.run(&["auth", "logout", "--profile", "stg"], &[], None)
            .code,
        0
    );
    assert_eq!(lookup("stg"), "");
    u.assert_no_key_leaked(&[STG]);
}
