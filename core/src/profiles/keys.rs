//! Where a profile's key is kept: the OS keyring when there is one, else `credentials.toml`.
//!
//! A profile's key is in one place at a time: saving it in the keyring removes any copy from the
//! file, so the file never keeps a stale key. Reading looks in the file first (no keyring call
//! for profiles kept there, and none at all on a headless server), then the keyring.

use std::fmt;
use std::path::{Path, PathBuf};

use super::credentials::Credentials;
use super::keyring::{self, Failure};
use super::{KEYRING_ENV, check_name};
use crate::error::{Error, Result};

/// Where a key was found or saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStore {
    Keyring,
    File,
}

impl fmt::Display for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyStore::Keyring => "keyring",
            KeyStore::File => "credentials file",
        })
    }
}

/// What [`Keys::save`] did.
#[derive(Debug, Clone)]
pub struct Saved {
    pub store: KeyStore,
    /// Why the keyring was not used, when the key went to the file.
    pub fallback_reason: Option<String>,
    /// The file, when the key went there.
    pub file: Option<PathBuf>,
}

/// The keys of one config directory.
#[derive(Debug, Clone)]
pub struct Keys {
    file: Credentials,
    use_keyring: bool,
}

impl Keys {
    /// The keys of `dir`; `TICKSUPPLY_KEYRING=off` keeps the OS keyring out of it.
    pub fn new(dir: &Path) -> Result<Keys> {
        let use_keyring = match std::env::var(KEYRING_ENV) {
            Err(_) => true,
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "on" | "1" | "true" | "yes" => true,
                "off" | "0" | "false" | "no" => false,
                other => {
                    return Err(Error::Config(format!(
                        "{KEYRING_ENV}={other:?} is not understood: use `off` to keep keys in \
                         {} only, or `on`",
                        super::credentials::FILE
                    )));
                }
            },
        };
        Ok(Keys {
            file: Credentials::new(dir),
            use_keyring,
        })
    }

    pub fn file_path(&self) -> &Path {
        self.file.path()
    }

    /// The profile's key and where it was, or `None` when neither store holds one.
    pub fn get(&self, profile: &str) -> Result<Option<(String, KeyStore)>> {
        check_name(profile)?;
        if let Some(k) = self.file.get(profile)? {
            return Ok(Some((k, KeyStore::File)));
        }
        if !self.use_keyring {
            return Ok(None);
        }
        match keyring::get(profile) {
            Ok(k) => Ok(k.map(|k| (k, KeyStore::Keyring))),
            Err(Failure::Unavailable(_)) => Ok(None),
            Err(Failure::Refused(why)) => Err(Error::Config(format!(
                "the OS keyring would not give the key of profile '{profile}': {why}. Unlock \
                 the keyring and retry, or log in again with {KEYRING_ENV}=off to keep the key \
                 in {}",
                self.file.path().display()
            ))),
        }
    }

    /// Saves the key: in the keyring when there is one (and then nowhere else), else in the file.
    pub fn save(&self, profile: &str, key: &str) -> Result<Saved> {
        check_name(profile)?;
        let reason = if self.use_keyring {
            match keyring::set(profile, key) {
                Ok(()) => {
                    self.file.remove(profile)?;
                    return Ok(Saved {
                        store: KeyStore::Keyring,
                        fallback_reason: None,
                        file: None,
                    });
                }
                Err(Failure::Unavailable(why) | Failure::Refused(why)) => why,
            }
        } else {
            format!("{KEYRING_ENV}=off")
        };
        self.file.put(profile, key)?;
        Ok(Saved {
            store: KeyStore::File,
            fallback_reason: Some(reason),
            file: Some(self.file.path().to_path_buf()),
        })
    }

    /// Deletes the profile's key from both stores; the stores it was in.
    pub fn delete(&self, profile: &str) -> Result<Vec<KeyStore>> {
        check_name(profile)?;
        let mut from = Vec::new();
        if self.file.remove(profile)? {
            from.push(KeyStore::File);
        }
        if self.use_keyring {
            match keyring::delete(profile) {
                Ok(true) => from.push(KeyStore::Keyring),
                Ok(false) | Err(Failure::Unavailable(_)) => {}
                Err(Failure::Refused(why)) => {
                    return Err(Error::Config(format!(
                        "the OS keyring would not delete the key of profile '{profile}': {why}"
                    )));
                }
            }
        }
        Ok(from)
    }
}
