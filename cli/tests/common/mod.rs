//! What the binary's tests share: a mock on a runtime of its own, and running the binary with
//! its output captured, in an environment of its own (no key, profile or config of the user's).

#![allow(dead_code)]

use std::future::Future;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use ticksupply::Client;
use ticksupply_mock::{Config, MockServer};

pub const BIN: &str = env!("CARGO_BIN_EXE_ticksupply");
pub const KEY: &str = "ts_demo_key";
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The variables that choose a key, a profile or a config: cleared for every run, so that the
/// user's own never reach a test.
pub const KEY_VARS: [&str; 5] = [
    "TICKSUPPLY_API_KEY",
    "TICKSUPPLY_PROFILE",
    "TICKSUPPLY_BASE_URL",
    "TICKSUPPLY_CONFIG_DIR",
    "TICKSUPPLY_KEYRING",
];

/// A mock on a runtime of its own (dropped first, then its runtime).
pub struct Mock {
    pub server: MockServer,
    pub rt: tokio::runtime::Runtime,
    /// An empty config directory: no profile of the user's applies.
    config: tempfile::TempDir,
}

pub fn mock(cfg: Config) -> Mock {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(ticksupply_mock::start(Config {
            port: 0,
            rate_limit_minute: 100_000,
            artifact_size: Some(20_000),
            ..cfg
        }))
        .unwrap();
    Mock {
        server,
        rt,
        config: tempfile::tempdir().unwrap(),
    }
}

/// What a run of the binary printed, and its exit code.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn json(&self) -> Value {
        self.ok();
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", self.stdout))
    }
    /// `--json` sync output: one object per line.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
    pub fn summary(&self) -> Value {
        let last = self.events().pop().expect("a summary");
        assert_eq!(last["event"], "summary", "{last}");
        last
    }
}

impl Mock {
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn client(&self, key: &str) -> Client {
        let _in_runtime = self.rt.enter();
        Client::builder()
            .api_key(key)
            .base_url(self.base_url())
            .build()
            .unwrap()
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    pub fn control(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let url = format!("http://{}/_mock{path}", self.server.api_addr);
        self.rt.block_on(async move {
            let mut r = reqwest::Client::new().request(method, url);
            if let Some(k) = key {
                r = r.header("x-api-key", k);
            }
            if let Some(b) = body {
                r = r.json(&b);
            }
            let resp = r.send().await.unwrap();
            resp.json::<Value>().await.unwrap_or(Value::Null)
        })
    }

    /// Requests the mock recorded for `key`'s account on `listener` (`api` or `artifacts`).
    pub fn requests(&self, key: &str, listener: &str) -> Vec<Value> {
        let v = self.control(
            Method::GET,
            &format!("/requests?listener={listener}"),
            Some(key),
            None,
        );
        v.as_array().cloned().unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        self.control(Method::DELETE, "/requests", None, None);
    }

    pub fn command(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        for v in KEY_VARS {
            c.env_remove(v);
        }
        c.args(args)
            .env("TICKSUPPLY_BASE_URL", self.base_url())
            .env("TICKSUPPLY_CONFIG_DIR", self.config.path());
        if let Some(k) = key {
            c.env("TICKSUPPLY_API_KEY", k);
        }
        c
    }

    pub fn cli(&self, args: &[&str]) -> Run {
        run(self.command(Some(KEY), args))
    }

    /// `ticksupply sync --datastream <datastreams…> --from F --to T --dest D <extra…>`.
    pub fn sync(
        &self,
        datastreams: &[&str],
        (from, to): (&str, &str),
        dest: &str,
        extra: &[&str],
    ) -> Run {
        let mut args = vec!["sync", "--datastream"];
        args.extend_from_slice(datastreams);
        args.extend(["--from", from, "--to", to, "--dest", dest]);
        args.extend_from_slice(extra);
        self.cli(&args)
    }

    pub fn cli_as(&self, key: &str, args: &[&str]) -> Run {
        run(self.command(Some(key), args))
    }
}

/// Runs a command to completion (killed and failed after [`RUN_TIMEOUT`]).
pub fn run(cmd: Command) -> Run {
    run_with_input(cmd, None)
}

/// Runs a command with `input` piped to its stdin (else stdin is empty).
pub fn run_with_input(mut cmd: Command, input: Option<&str>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let stdin = match input {
        Some(text) => {
            let path = dir.path().join("stdin");
            std::fs::write(&path, text).unwrap();
            Stdio::from(std::fs::File::open(path).unwrap())
        }
        None => Stdio::null(),
    };
    cmd.stdin(stdin)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + RUN_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "timed out; stdout:\n{}\nstderr:\n{}",
                std::fs::read_to_string(&out).unwrap_or_default(),
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out).unwrap(),
        stderr: std::fs::read_to_string(&err).unwrap(),
    }
}
