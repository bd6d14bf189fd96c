//! `credentials.toml`: keys where no OS keyring is available, one `[profiles.NAME] api_key` per
//! profile, written with mode 0600 (readable by its owner only), as `gh` and `aws` do.

use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, value};

use super::profile_table;
use crate::error::{Error, Result};

pub const FILE: &str = "credentials.toml";

/// The text of a file, or `None` when it does not exist.
pub(super) fn read_text(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Replaces a file atomically with owner-only permissions: the text goes to a temporary file in
/// the same directory (created 0600) that is then renamed over the old one, so that no reader
/// sees half a file and no other user ever reads the key. Creates the directory (0700) when
/// needed.
pub(super) fn write_private(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = |what: &str, e: std::io::Error| {
        Error::Config(format!("cannot {what} {}: {e}", path.display()))
    };
    create_private_dir(dir).map_err(|e| fail("create the directory of", e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".ticksupply-")
        .tempfile_in(dir)
        .map_err(|e| fail("write", e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| fail("write", e))?;
    tmp.persist(path).map_err(|e| fail("replace", e.error))?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// The fallback key file of a config directory.
#[derive(Debug, Clone)]
pub struct Credentials {
    path: PathBuf,
}

impl Credentials {
    pub fn new(dir: &Path) -> Credentials {
        Credentials {
            path: dir.join(FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<DocumentMut> {
        match read_text(&self.path)? {
            None => Ok(DocumentMut::new()),
            // The parser's message could quote the file's text, which holds keys.
            Some(t) => t.parse::<DocumentMut>().map_err(|_| {
                Error::Config(format!(
                    "{} is not valid TOML; fix it, or remove it and log in again",
                    self.path.display()
                ))
            }),
        }
    }

    pub fn get(&self, profile: &str) -> Result<Option<String>> {
        let doc = self.load()?;
        let key = doc
            .get("profiles")
            .and_then(|p| p.get(profile))
            .and_then(|t| t.get("api_key"));
        match key {
            None => Ok(None),
            Some(k) => k.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                Error::Config(format!(
                    "{}: profiles.{profile}.api_key must be a string",
                    self.path.display()
                ))
            }),
        }
    }

    pub fn put(&self, profile: &str, key: &str) -> Result<()> {
        let mut doc = self.load()?;
        let t = profile_table(&mut doc, profile).ok_or_else(|| self.malformed())?;
        t.insert("api_key", value(key));
        write_private(&self.path, &doc.to_string())
    }

    /// Removes the profile's key; true when there was one. The file goes when it is empty.
    pub fn remove(&self, profile: &str) -> Result<bool> {
        let mut doc = self.load()?;
        let Some(profiles) = doc.get_mut("profiles").and_then(Item::as_table_like_mut) else {
            return Ok(false);
        };
        if profiles.remove(profile).is_none() {
            return Ok(false);
        }
        if profiles.is_empty() {
            std::fs::remove_file(&self.path).map_err(|e| {
                Error::Config(format!("cannot remove {}: {e}", self.path.display()))
            })?;
        } else {
            write_private(&self.path, &doc.to_string())?;
        }
        Ok(true)
    }

    fn malformed(&self) -> Error {
        Error::Config(format!(
            "{}: `profiles` must hold [profiles.NAME] tables",
            self.path.display()
        ))
    }
}
