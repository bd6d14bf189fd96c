//! Where a sync writes: a local directory, or an object store (`s3://bucket/prefix`, `gs://`,
//! `az://`) through the `object_store` crate. The sync logic sees only [`Dest`]: keys are
//! `/`-separated paths below the destination's root.
//!
//! Locally a file appears by rename (the Parquet writer writes `<file>.part`, syncs it and
//! renames it; state files go through a synced temporary file). On an object store the Parquet
//! file is written to a local temporary directory first and then uploaded under its final key —
//! an object appears whole when its PUT (or multipart upload) completes, never in part.
//!
//! Object-store credentials and endpoint come from the standard environment: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP=true` (a local server); `GOOGLE_*` for gs://, `AZURE_*` for az://.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use object_store::{GetOptions, ObjectStore, PutOptions, PutPayload};
use tokio::io::AsyncWriteExt;

use crate::error::CliError;

/// A destination of a sync.
pub trait Dest: Send + Sync {
    /// The path or URL of `key`, for messages.
    fn describe(&self, key: &str) -> String;

    /// The local path the file of `key` is written to before [`Dest::publish`]: the final path
    /// for a directory, a temporary one for an object store.
    fn staging_path(&self, key: &str) -> PathBuf;

    /// Puts the file written at `staged` in its place under `key`.
    fn publish<'a>(&'a self, key: &'a str, staged: &'a Path)
    -> BoxFuture<'a, Result<(), CliError>>;

    /// Whether `key` exists.
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CliError>>;

    /// The content of `key`, `None` when there is none.
    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, CliError>>;

    /// Writes `key` whole, or not at all.
    fn write<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, Result<(), CliError>>;
}

/// Opens `--dest`: a URL with a scheme for an object store, else a directory.
pub fn open(dest: &str) -> Result<Box<dyn Dest>, CliError> {
    let Some((scheme, _)) = dest.split_once("://") else {
        return Ok(Box::new(LocalDest::new(PathBuf::from(dest))));
    };
    let url = url::Url::parse(dest)
        .map_err(|e| CliError::Usage(format!("--dest {dest:?} is not a URL: {e}")))?;
    let config = |e: object_store::Error| CliError::Usage(format!("cannot use --dest {dest}: {e}"));
    let store: Arc<dyn ObjectStore> = match scheme {
        "file" => {
            let path = url
                .to_file_path()
                .map_err(|_| CliError::Usage(format!("--dest {dest:?} is not a local file URL")))?;
            return Ok(Box::new(LocalDest::new(path)));
        }
        "s3" | "s3a" => Arc::new(
            object_store::aws::AmazonS3Builder::from_env()
                .with_url(dest)
                .build()
                .map_err(config)?,
        ),
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(dest)
                .build()
                .map_err(config)?,
        ),
        "az" | "azure" | "abfs" | "abfss" | "adl" => Arc::new(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(dest)
                .build()
                .map_err(config)?,
        ),
        other => {
            return Err(CliError::Usage(format!(
                "--dest scheme {other:?} is not supported: use a directory, s3://, gs:// or az://"
            )));
        }
    };
    let staging = tempfile::Builder::new()
        .prefix("ticksupply-sync-")
        .tempdir()
        .map_err(|e| CliError::Io {
            what: "cannot create a temporary directory".into(),
            source: e,
        })?;
    Ok(Box::new(StoreDest {
        store,
        url: dest.trim_end_matches('/').to_string(),
        prefix: url.path().trim_matches('/').to_string(),
        staging,
    }))
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |source| CliError::Io { what, source }
}

fn join_key(root: &Path, key: &str) -> PathBuf {
    key.split('/')
        .filter(|s| !s.is_empty())
        .fold(root.to_path_buf(), |p, s| p.join(s))
}

// ---------------------------------------------------------------------------------------------

/// A local directory.
pub struct LocalDest {
    root: PathBuf,
}

impl LocalDest {
    pub fn new(root: PathBuf) -> LocalDest {
        LocalDest { root }
    }
    fn path(&self, key: &str) -> PathBuf {
        join_key(&self.root, key)
    }
}

/// Writes a file whole or not at all: a temporary file beside it, synced, renamed over it, and
/// the directory synced so that the rename itself survives a crash.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    if let Err(e) = write_then_rename(&tmp, path, data) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(())
}

fn write_then_rename(tmp: &Path, path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(tmp, path)
}

/// Makes renames in `dir` durable (best effort: not every platform opens directories).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Dest for LocalDest {
    fn describe(&self, key: &str) -> String {
        self.path(key).display().to_string()
    }

    fn staging_path(&self, key: &str) -> PathBuf {
        self.path(key)
    }

    fn publish<'a>(
        &'a self,
        _key: &'a str,
        staged: &'a Path,
    ) -> BoxFuture<'a, Result<(), CliError>> {
        // The writer renamed the file into place; make that rename durable before the state
        // says the window is done.
        let dir = staged.parent().map(Path::to_path_buf);
        Box::pin(async move {
            if let Some(dir) = dir {
                let _ = tokio::task::spawn_blocking(move || sync_dir(&dir)).await;
            }
            Ok(())
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CliError>> {
        let path = self.path(key);
        Box::pin(async move {
            tokio::fs::try_exists(&path)
                .await
                .map_err(io(format!("cannot read {}", path.display())))
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, CliError>> {
        let path = self.path(key);
        Box::pin(async move {
            match tokio::fs::read(&path).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io(format!("cannot read {}", path.display()))(e)),
            }
        })
    }

    fn write<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, Result<(), CliError>> {
        let path = self.path(key);
        Box::pin(async move {
            let shown = path.display().to_string();
            tokio::task::spawn_blocking(move || write_atomic(&path, &data))
                .await
                .map_err(|e| CliError::Io {
                    what: format!("cannot write {shown}"),
                    source: std::io::Error::other(e),
                })?
                .map_err(io(format!("cannot write {shown}")))
        })
    }
}

// ---------------------------------------------------------------------------------------------

/// An object store bucket (or container) and a prefix in it.
pub struct StoreDest {
    store: Arc<dyn ObjectStore>,
    /// The `--dest` URL, for messages.
    url: String,
    /// Key prefix without leading or trailing `/` (empty: the bucket's root).
    prefix: String,
    /// Parquet files are written here before they are uploaded; removed when the sync ends.
    staging: tempfile::TempDir,
}

impl StoreDest {
    fn location(&self, key: &str) -> Result<object_store::path::Path, CliError> {
        let full = if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        };
        object_store::path::Path::parse(&full)
            .map_err(|e| CliError::Usage(format!("{full:?} cannot be an object key: {e}")))
    }

    fn failed(&self, what: &str, key: &str, e: object_store::Error) -> CliError {
        CliError::Store {
            what: format!("cannot {what} {}", self.describe(key)),
            message: e.to_string(),
        }
    }
}

impl Dest for StoreDest {
    fn describe(&self, key: &str) -> String {
        format!("{}/{key}", self.url)
    }

    fn staging_path(&self, key: &str) -> PathBuf {
        join_key(self.staging.path(), key)
    }

    fn publish<'a>(
        &'a self,
        key: &'a str,
        staged: &'a Path,
    ) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            let mut file = tokio::fs::File::open(staged)
                .await
                .map_err(io(format!("cannot read {}", staged.display())))?;
            // Small files go up in one PUT, large ones as a multipart upload; either way the
            // object only appears once the upload is complete.
            let mut upload = object_store::buffered::BufWriter::new(self.store.clone(), location);
            if let Err(e) = tokio::io::copy(&mut file, &mut upload).await {
                let _ = upload.abort().await;
                return Err(CliError::Store {
                    what: format!("cannot upload {}", self.describe(key)),
                    message: e.to_string(),
                });
            }
            upload.shutdown().await.map_err(|e| CliError::Store {
                what: format!("cannot upload {}", self.describe(key)),
                message: e.to_string(),
            })?;
            let _ = tokio::fs::remove_file(staged).await;
            Ok(())
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            match self
                .store
                .get_opts(&location, GetOptions::new().with_head(true))
                .await
            {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(self.failed("read", key, e)),
            }
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            let got = match self.store.get_opts(&location, GetOptions::default()).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.failed("read", key, e)),
            };
            let bytes = got.bytes().await.map_err(|e| self.failed("read", key, e))?;
            Ok(Some(bytes.to_vec()))
        })
    }

    fn write<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            self.store
                .put_opts(&location, PutPayload::from(data), PutOptions::default())
                .await
                .map_err(|e| self.failed("write", key, e))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_paths() {
        let d = LocalDest::new(PathBuf::from("/data"));
        assert_eq!(
            d.staging_path("a=1/b%2Fc/part.parquet"),
            PathBuf::from("/data/a=1/b%2Fc/part.parquet")
        );
    }

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s/state.json");
        write_atomic(&p, b"{}").unwrap();
        write_atomic(&p, b"{\"a\":1}").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{\"a\":1}");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }
}
