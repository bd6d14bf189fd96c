//! `ticksupply-mock`: a faithful, stateful local server of the Ticksupply v1 API.
//!
//! Start it from a test with [`start`], or run the `ticksupply-mock` binary. See `mock/README.md`
//! for the command line, the choices made where the API documentation is silent, and the
//! `/_mock` control endpoints.

pub mod artifacts;
pub mod catalog;
pub mod errors;
pub mod faults;
pub mod idempotency;
pub mod paging;
pub mod pipeline;
pub mod ratelimit;
pub mod render;
pub mod routes;
pub mod rows;
pub mod serve;
pub mod state;
pub mod timefmt;

use std::net::SocketAddr;
use std::sync::Arc;

pub use state::Config;
use state::{App, redact};
use tokio::net::TcpListener;

/// A running server.
pub struct MockServer {
    pub api_addr: SocketAddr,
    pub artifact_addr: SocketAddr,
    pub app: Arc<App>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl MockServer {
    /// The API base URL, e.g. `http://127.0.0.1:8080/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.api_addr)
    }

    /// The lines the binary prints at start: the listening line, then one per accepted key.
    pub fn banner(&self) -> Vec<String> {
        let mut lines = vec![format!("ticksupply-mock listening on {}", self.base_url())];
        let mut keys: Vec<(String, String)> = self
            .app
            .keys
            .read()
            .unwrap()
            .iter()
            .map(|(k, a)| (a.name.clone(), redact(k)))
            .collect();
        keys.sort();
        for (account, key) in keys {
            lines.push(format!("key {key} for account {account}"));
        }
        lines.push(format!(
            "artifacts served from http://{}",
            self.artifact_addr
        ));
        lines
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Binds both listeners and serves until the returned server is dropped.
pub async fn start(config: Config) -> std::io::Result<MockServer> {
    let api = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let art = TcpListener::bind((config.host.as_str(), config.artifact_port)).await?;
    let api_addr = api.local_addr()?;
    let artifact_addr = art.local_addr()?;
    let app = App::new(config);
    *app.artifact_origin.write().unwrap() = format!("http://{artifact_addr}");
    let tasks = vec![
        tokio::spawn(serve::serve(api, routes::router(app.clone()))),
        tokio::spawn(serve::serve(art, artifacts::router(app.clone()))),
    ];
    Ok(MockServer {
        api_addr,
        artifact_addr,
        app,
        tasks,
    })
}
