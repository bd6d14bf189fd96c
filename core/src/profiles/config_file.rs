//! `config.toml`: the default profile and each profile's base URL, edited in place so that a
//! user's comments and layout survive `auth login` and `auth switch`.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, value};

use super::{check_name, profile_table};
use crate::error::{Error, Result};

pub const FILE: &str = "config.toml";

/// One `[profiles.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// The API this profile's key belongs to; unset means `TICKSUPPLY_BASE_URL`, else
    /// production.
    pub base_url: Option<String>,
}

/// `config.toml` of a config directory, parsed (a missing file is an empty config).
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    doc: DocumentMut,
}

impl Config {
    pub fn load(dir: &Path) -> Result<Config> {
        let path = dir.join(FILE);
        let doc = match super::credentials::read_text(&path)? {
            None => DocumentMut::new(),
            Some(text) => text.parse::<DocumentMut>().map_err(|e| {
                Error::Config(format!(
                    "{} is not valid TOML: {}; fix or remove the file",
                    path.display(),
                    e.to_string().trim()
                ))
            })?,
        };
        let config = Config { path, doc };
        config.check()?;
        Ok(config)
    }

    /// Types are checked once, here, so that readers below can trust them; and a key written
    /// into this file by hand is refused rather than used.
    fn check(&self) -> Result<()> {
        let at = self.path.display();
        if let Some(d) = self.doc.get("default_profile")
            && d.as_str().is_none()
        {
            return Err(Error::Config(format!(
                "{at}: default_profile must be a string (a profile's name)"
            )));
        }
        let Some(profiles) = self.doc.get("profiles") else {
            return Ok(());
        };
        let Some(profiles) = profiles.as_table_like() else {
            return Err(Error::Config(format!(
                "{at}: `profiles` must be a table of [profiles.NAME] tables"
            )));
        };
        for (name, item) in profiles.iter() {
            check_name(name).map_err(|e| Error::Config(format!("{at}: {e}")))?;
            let Some(t) = item.as_table_like() else {
                return Err(Error::Config(format!(
                    "{at}: profiles.{name} must be a table"
                )));
            };
            if let Some(u) = t.get("base_url")
                && u.as_str().is_none()
            {
                return Err(Error::Config(format!(
                    "{at}: profiles.{name}.base_url must be a string"
                )));
            }
            if t.contains_key("api_key") {
                return Err(Error::Config(format!(
                    "{at}: profiles.{name} holds an api_key; keys do not belong in config.toml. \
                     Remove the line, then run `ticksupply auth login --profile {name}` to keep \
                     the key in the OS keyring"
                )));
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn default_profile(&self) -> Option<&str> {
        self.doc
            .get("default_profile")
            .and_then(Item::as_str)
            .filter(|s| !s.is_empty())
    }

    fn profiles_table(&self) -> Option<&dyn toml_edit::TableLike> {
        self.doc.get("profiles").and_then(Item::as_table_like)
    }

    pub fn profile(&self, name: &str) -> Option<Profile> {
        let t = self.profiles_table()?.get(name)?.as_table_like()?;
        Some(Profile {
            name: name.to_string(),
            base_url: t.get("base_url").and_then(Item::as_str).map(str::to_string),
        })
    }

    /// Every profile, in file order.
    pub fn profiles(&self) -> Vec<Profile> {
        let Some(t) = self.profiles_table() else {
            return Vec::new();
        };
        t.iter()
            .filter_map(|(name, _)| self.profile(name))
            .collect()
    }

    /// Creates the profile, or updates its base URL when one is given.
    pub fn upsert(&mut self, name: &str, base_url: Option<&str>) -> Result<()> {
        check_name(name)?;
        let t = profile_table(&mut self.doc, name).expect("checked at load");
        if let Some(u) = base_url {
            t.insert("base_url", value(u));
        }
        Ok(())
    }

    pub fn set_default(&mut self, name: Option<&str>) {
        match name {
            // Indexing keeps the key and its decor (a comment above it); `insert` would not.
            Some(n) => self.doc["default_profile"] = value(n),
            None => {
                self.doc.remove("default_profile");
            }
        }
    }

    /// Removes the profile; true when it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let removed = self
            .doc
            .get_mut("profiles")
            .and_then(Item::as_table_like_mut)
            .and_then(|t| t.remove(name))
            .is_some();
        if self.default_profile() == Some(name) {
            self.set_default(None);
        }
        removed
    }

    /// Writes the file atomically (a reader never sees half of it).
    pub fn save(&self) -> Result<()> {
        super::credentials::write_private(&self.path, &self.doc.to_string())
    }
}
