//! Profiles: one API key per environment, kept out of code and shell history.
//!
//! The config directory (`TICKSUPPLY_CONFIG_DIR`, else the platform's) holds `config.toml`:
//! `default_profile = "dev"` and `[profiles.NAME]` tables with a `base_url`. It never holds a
//! key. Keys live in the OS keyring (service `ticksupply`, account = the profile's name), or,
//! where no keyring service runs (a headless server) or `TICKSUPPLY_KEYRING=off`, in
//! `credentials.toml` beside it, written with mode 0600.
//!
//! [`resolve`] is the one precedence rule the clients of every language and the command line
//! use: an explicit key or profile (naming both is a configuration error) >
//! `TICKSUPPLY_API_KEY` > `TICKSUPPLY_PROFILE` > the config's `default_profile`.

mod config_file;
mod credentials;
mod keyring;
mod keys;
mod resolve;

use std::path::PathBuf;

use crate::error::{Error, Result};

pub use config_file::{Config, Profile};
pub use keys::{KeyStore, Keys, Saved};
pub use resolve::{ProfileOrigin, Resolved, resolve};

/// Names the profile clients use when none is given.
pub const PROFILE_ENV: &str = "TICKSUPPLY_PROFILE";
/// Overrides the config directory.
pub const CONFIG_DIR_ENV: &str = "TICKSUPPLY_CONFIG_DIR";
/// `off` keeps keys out of the OS keyring (in `credentials.toml` only): containers, CI.
pub const KEYRING_ENV: &str = "TICKSUPPLY_KEYRING";
/// The keyring service keys are stored under; the account is the profile's name.
pub const KEYRING_SERVICE: &str = "ticksupply";

/// The config directory: `TICKSUPPLY_CONFIG_DIR`, else the platform's (`~/.config/ticksupply`
/// on Linux, `~/Library/Application Support/ticksupply` on macOS, `%APPDATA%\ticksupply` on
/// Windows). It need not exist.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("ticksupply"))
        .ok_or_else(|| {
            Error::Config(format!(
                "cannot find this system's config directory (no home directory?); set \
                 {CONFIG_DIR_ENV} to the directory that holds config.toml"
            ))
        })
}

/// The `[profiles.<name>]` table of a TOML file, created (under an implicit
/// `[profiles]`) when missing; `None` when the file gives either another type.
fn profile_table<'a>(
    doc: &'a mut toml_edit::DocumentMut,
    name: &str,
) -> Option<&'a mut dyn toml_edit::TableLike> {
    use toml_edit::{Item, Table};
    doc.entry("profiles")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_like_mut()?
        .entry(name)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
}

/// Profile names are file- and keyring-safe: letters, digits, `-`, `_` and `.`, at most 64.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "profile name {name:?} is not valid: use 1 to 64 letters, digits, '-', '_' or '.' \
             (not starting with '.')"
        )))
    }
}
