//! The OS keyring (Secret Service on Linux and BSD, Keychain on macOS, Credential Manager on
//! Windows) through the `keyring` crate, feature `keyring`.
//!
//! Every call runs on a thread of its own with a deadline: a keyring daemon that never answers
//! (a locked collection waiting on a prompt nobody sees) must not hang a client's constructor.

use std::time::Duration;

/// How long one keyring call may take before it counts as refused; long enough for a person to
/// answer an unlock prompt.
const DEADLINE: Duration = Duration::from_secs(30);

/// Why the keyring was not used.
#[derive(Debug)]
pub enum Failure {
    /// No keyring service here (no D-Bus session, no Secret Service provider, a build without
    /// the feature): keys go to `credentials.toml`.
    Unavailable(String),
    /// The keyring is there but refused or failed (locked, access denied, no answer).
    Refused(String),
}

pub type Outcome<T> = std::result::Result<T, Failure>;

#[cfg(feature = "keyring")]
fn run<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Outcome<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("ticksupply-keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        });
    if let Err(e) = spawned {
        return Err(Failure::Refused(format!(
            "cannot start a thread to {what}: {e}"
        )));
    }
    match rx.recv_timeout(DEADLINE) {
        Ok(r) => r.map_err(classify),
        Err(_) => Err(Failure::Refused(format!(
            "the OS keyring did not answer within {} s (is it locked, waiting for a password?)",
            DEADLINE.as_secs()
        ))),
    }
}

#[cfg(feature = "keyring")]
fn classify(e: keyring::Error) -> Failure {
    match e {
        keyring::Error::NoDefaultStore => {
            Failure::Unavailable(match keyring::Entry::store_status() {
                Err(e) => e.to_string(),
                Ok(()) => "no keyring store".to_string(),
            })
        }
        other => Failure::Refused(other.to_string()),
    }
}

#[cfg(feature = "keyring")]
fn entry(profile: &str) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(super::KEYRING_SERVICE, profile)
}

/// The profile's key, or `None` when the keyring holds none.
#[cfg(feature = "keyring")]
pub fn get(profile: &str) -> Outcome<Option<String>> {
    let profile = profile.to_string();
    run("read the OS keyring", move || {
        match entry(&profile)?.get_password() {
            Ok(k) => Ok(Some(k)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }
    })
}

#[cfg(feature = "keyring")]
pub fn set(profile: &str, key: &str) -> Outcome<()> {
    let (profile, key) = (profile.to_string(), key.to_string());
    run("write to the OS keyring", move || {
        entry(&profile)?.set_password(&key)
    })
}

/// Deletes the profile's key; true when there was one.
#[cfg(feature = "keyring")]
pub fn delete(profile: &str) -> Outcome<bool> {
    let profile = profile.to_string();
    run("delete from the OS keyring", move || {
        match entry(&profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(e),
        }
    })
}

#[cfg(not(feature = "keyring"))]
fn unavailable<T>() -> Outcome<T> {
    Err(Failure::Unavailable(
        "this build has no OS keyring support (cargo feature `keyring`)".into(),
    ))
}

#[cfg(not(feature = "keyring"))]
pub fn get(_profile: &str) -> Outcome<Option<String>> {
    unavailable()
}

#[cfg(not(feature = "keyring"))]
pub fn set(_profile: &str, _key: &str) -> Outcome<()> {
    unavailable()
}

#[cfg(not(feature = "keyring"))]
pub fn delete(_profile: &str) -> Outcome<bool> {
    unavailable()
}
