//! The one precedence rule for a client's key: what the caller names beats what the environment
//! holds, as with `aws --profile`.

use std::fmt;
use std::path::PathBuf;

use super::{Config, Keys, PROFILE_ENV, check_name, config_dir};
use crate::config::{API_KEY_ENV, ApiKey, KeySource};
use crate::error::{Error, Result};

/// What chose the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileOrigin {
    /// `profile=` / `--profile`.
    Argument,
    /// `TICKSUPPLY_PROFILE`.
    Environment,
    /// `default_profile` of `config.toml`.
    Default,
}

impl fmt::Display for ProfileOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProfileOrigin::Argument => "the profile argument",
            ProfileOrigin::Environment => PROFILE_ENV,
            ProfileOrigin::Default => "default_profile",
        })
    }
}

/// A key and, when it came from a profile, that profile.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub key: ApiKey,
    pub profile: Option<ResolvedProfile>,
}

#[derive(Debug, Clone)]
pub struct ResolvedProfile {
    pub name: String,
    pub origin: ProfileOrigin,
    /// The profile's `base_url`, which travels with its key.
    pub base_url: Option<String>,
    pub config: PathBuf,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The key a client uses: an explicit key (`api_key=`, a key file) or an explicit profile —
/// naming both is a configuration error — else `TICKSUPPLY_API_KEY`, else `TICKSUPPLY_PROFILE`,
/// else the config's `default_profile`. The config is read only when a profile is needed.
pub fn resolve(explicit_key: Option<(&str, KeySource)>, profile: Option<&str>) -> Result<Resolved> {
    match (explicit_key, profile) {
        (Some((_, source)), Some(p)) => Err(Error::Config(format!(
            "both an API key ({source}) and a profile ('{p}') were given; name one: the key, or \
             the profile whose key to use"
        ))),
        (Some((k, source)), None) => Ok(Resolved {
            key: ApiKey::new(k, source)?,
            profile: None,
        }),
        (None, Some(p)) => from_profile(p.trim(), ProfileOrigin::Argument),
        (None, None) => {
            if let Some(k) = env(API_KEY_ENV) {
                return Ok(Resolved {
                    key: ApiKey::new(&k, KeySource::Environment)?,
                    profile: None,
                });
            }
            if let Some(p) = env(PROFILE_ENV) {
                return from_profile(p.trim(), ProfileOrigin::Environment);
            }
            let dir = config_dir().ok();
            let config = dir.as_deref().map(Config::load).transpose()?;
            if let Some(name) = config.as_ref().and_then(Config::default_profile) {
                return from_profile(name, ProfileOrigin::Default);
            }
            let looked = match &config {
                Some(c) => format!("default_profile in {}", c.path().display()),
                None => "default_profile (no config directory)".to_string(),
            };
            Err(Error::Config(format!(
                "API key is required: pass it as the api_key argument, set {API_KEY_ENV}, or log \
                 in a profile with `ticksupply auth login` (looked in: api_key argument, \
                 {API_KEY_ENV}, {PROFILE_ENV}, {looked})"
            )))
        }
    }
}

fn from_profile(name: &str, origin: ProfileOrigin) -> Result<Resolved> {
    check_name(name)?;
    let dir = config_dir()?;
    let config = Config::load(&dir)?;
    let Some(profile) = config.profile(name) else {
        let known: Vec<String> = config.profiles().into_iter().map(|p| p.name).collect();
        let known = if known.is_empty() {
            "it has none".to_string()
        } else {
            format!("it has {}", known.join(", "))
        };
        return Err(Error::Config(format!(
            "profile '{name}' (from {origin}) is not in {} ({known}); create it with \
             `ticksupply auth login --profile {name}`",
            config.path().display()
        )));
    };
    let keys = Keys::new(&dir)?;
    let Some((key, store)) = keys.get(name)? else {
        return Err(Error::Config(format!(
            "profile '{name}' (from {origin}) has no key stored (looked in the OS keyring and \
             {}); run `ticksupply auth login --profile {name}`",
            keys.file_path().display()
        )));
    };
    let source = KeySource::Profile {
        name: name.to_string(),
        store,
    };
    Ok(Resolved {
        key: ApiKey::new(&key, source)?,
        profile: Some(ResolvedProfile {
            name: name.to_string(),
            origin,
            base_url: profile.base_url,
            config: config.path().to_path_buf(),
        }),
    })
}
