//! A profile's key from Rust: stored by `ticksupply auth login`, never in code or the
//! environment. Run by `examples/cli/profiles.sh`, after it has logged in the profile `staging`.

use ticksupply::Client;

#[tokio::main]
async fn main() -> ticksupply::Result<()> {
    // Its key from the OS keyring, its base URL from config.toml.
    let client = Client::builder().profile("staging").build()?;
    let exchanges = client.exchanges().list().send_with_meta().await?;
    println!(
        "rust: {} exchanges with key {} (request_id: {})",
        exchanges.data.len(),
        client.api_key_hint(),
        exchanges.meta.request_id.as_deref().unwrap_or("-")
    );
    Ok(())
}
