//! The client's own TLS set-up (src/tls.rs) against a real TLS server on loopback: a
//! certificate the platform does not trust is refused, one it trusts is accepted, and roots are
//! only loaded on the first handshake (a client builds where there is no CA bundle at all).
//!
//! One test function: which roots the platform verifier loads comes from `SSL_CERT_FILE`, a
//! process-wide setting, changed between the steps.

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use ticksupply::{Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BODY: &str = r#"[{"code":"binance","display_name":"Binance"}]"#;

/// Serves `GET /v1/exchanges` over TLS with `cert`; returns the port.
async fn tls_server(cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> u16 {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake ends here; an accepted one gets one answer per request.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                while let Ok(n) = tls.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
                        BODY.len()
                    );
                    if tls.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn client(port: u16) -> Client {
    Client::builder()
        .api_key("ts_test_key")
        .base_url(format!("https://localhost:{port}/v1"))
        .max_retries(0)
        .build()
        .expect("the client builds")
}

fn set_roots(path: &std::path::Path) {
    // SAFETY: this test binary has one test, and it changes the variable between requests,
    // while no other thread reads the environment.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", path);
        std::env::set_var("SSL_CERT_DIR", path.with_extension("none"));
    }
}

#[tokio::test]
async fn roots_load_on_the_first_handshake_and_decide_trust() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let port = tls_server(&cert).await;
    let dir = std::env::temp_dir().join(format!("ticksupply-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // No CA bundle at all: the client still builds (nothing is loaded yet), and its first
    // https request fails on the certificate.
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    set_roots(&empty);
    let untrusting = client(port);
    match untrusting.exchanges().list().await {
        Err(Error::Network(e)) => {
            let chain = format!("{e:?}");
            assert!(
                chain.contains("Certificate") || chain.contains("certificate"),
                "expected a certificate error, got {chain}"
            );
        }
        other => panic!("a certificate nobody trusts must be refused, got {other:?}"),
    }

    // The same certificate as a trusted root: accepted, and the reply is decoded.
    let trusted = dir.join("trusted.pem");
    std::fs::write(&trusted, cert.cert.pem()).unwrap();
    set_roots(&trusted);
    let exchanges = client(port)
        .exchanges()
        .list()
        .await
        .expect("a trusted server");
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].code, "binance");

    // A verifier, once built, keeps its roots: the first client still refuses.
    assert!(matches!(
        untrusting.exchanges().list().await,
        Err(Error::Network(_))
    ));
    std::fs::remove_dir_all(&dir).ok();
}
