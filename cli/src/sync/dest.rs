//! Where a sync writes: a local directory, or an object store (`s3://bucket/prefix`, `gs://`,
//! `az://`) through the `object_store` crate. The sync logic sees only [`Dest`]: keys are
//! `/`-separated paths below the destination's root.
//!
//! * Data files are written to a local staging directory first, then [`Dest::publish`]ed: a
//!   rename into place locally, an upload under the final key on an object store. Either way a
//!   reader sees the old file or the new one whole, never a part. Staging never sits in a
//!   partition directory (locally it is `DIR/.ticksupply-sync/tmp/<run>/`).
//! * State and lease files are small and written with a condition ([`PutIf`]): create only if
//!   absent, or replace only the version that was read. Object stores do that natively
//!   (`PutMode::Create` / `PutMode::Update` with the ETag); locally every conditional write holds
//!   an exclusive lock on `DIR/.ticksupply-sync/lock` while it compares and renames, so writers
//!   in other processes of the machine are serialised too.
//!
//! Object-store credentials and endpoint come from the standard environment: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ALLOW_HTTP=true` (a local server); `GOOGLE_*` for gs://, `AZURE_*` for az://.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::process;
use crate::error::CliError;

/// Where state lives below the destination's root.
pub const STATE_DIR: &str = ".ticksupply-sync";
const LOCK_FILE: &str = "lock";
const TMP_DIR: &str = "tmp";
/// Prefix of an object-store run's staging directory in the system's temporary directory.
const STORE_STAGING_PREFIX: &str = "ticksupply-sync-";

/// The version of a state object as read: an ETag on object stores, a digest of the content
/// locally. Only ever compared for equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    e_tag: Option<String>,
    version: Option<String>,
}

/// The condition of a conditional write.
#[derive(Debug, Clone)]
pub enum PutIf {
    /// Only if no object exists under the key.
    Absent,
    /// Only if the object is still at this version.
    Matches(Version),
}

/// A conditional write was refused: another writer got there first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

pub type PutResult = Result<Result<Version, Conflict>, CliError>;
/// A state object's content and version, `None` when there is none.
pub type GetResult = Result<Option<(Vec<u8>, Version)>, CliError>;

/// A destination of a sync.
pub trait Dest: Send + Sync {
    /// The path or URL of `key`, for messages.
    fn describe(&self, key: &str) -> String;

    /// This run's local staging directory: created on first use, removed when the run ends (or
    /// by a later run, when this one was killed).
    fn staging(&self) -> &Path;

    /// Puts the file written at `staged` in place under `key`, replacing what is there at once.
    fn publish<'a>(&'a self, key: &'a str, staged: &'a Path)
    -> BoxFuture<'a, Result<(), CliError>>;

    /// A local path holding the content of `key` (the file itself locally; a copy in the
    /// staging directory from an object store), `None` when there is no such object.
    fn local_copy<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<PathBuf>, CliError>>;

    /// Whether `key` exists.
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CliError>>;

    /// The content of a state object and its version, `None` when there is none.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, GetResult>;

    /// Writes a state object whole, under a condition.
    fn put_if<'a>(&'a self, key: &'a str, data: Vec<u8>, cond: PutIf) -> BoxFuture<'a, PutResult>;

    /// Writes a small object whole, whatever is there (hints nobody depends on).
    fn put<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, Result<(), CliError>>;

    /// Removes what killed runs left in staging directories.
    fn remove_stale_staging(&self) -> BoxFuture<'_, ()>;
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
    let staging = std::env::temp_dir().join(format!("{STORE_STAGING_PREFIX}{}", process::run_id()));
    Ok(Box::new(StoreDest {
        store,
        url: dest.trim_end_matches('/').to_string(),
        prefix: url.path().trim_matches('/').to_string(),
        staging: Staging(staging),
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

/// A digest of local content, its version.
fn digest(data: &[u8]) -> Version {
    let d = Sha256::digest(data);
    Version {
        e_tag: Some(d.iter().take(12).map(|b| format!("{b:02x}")).collect()),
        version: None,
    }
}

/// A staging directory, removed when the run ends.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes the staging directories in `parent` named `<prefix><run id>` whose run is over (a
/// process of this machine that no longer runs, or one of another machine a day old).
fn remove_dead_runs(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(run) = name.strip_prefix(prefix) else {
            continue;
        };
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 86_400);
        if process::run_is_over(run, old) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// A local directory.
pub struct LocalDest {
    root: PathBuf,
    staging: Staging,
}

impl LocalDest {
    pub fn new(root: PathBuf) -> LocalDest {
        let staging = join_key(
            &root,
            &format!("{STATE_DIR}/{TMP_DIR}/{}", process::run_id()),
        );
        LocalDest {
            root,
            staging: Staging(staging),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        join_key(&self.root, key)
    }
}

/// Runs `f` holding the exclusive lock of the state below `root` (blocking): conditional
/// writes of every process on this machine take turns.
fn locked<T>(root: &Path, f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let dir = join_key(root, STATE_DIR);
    std::fs::create_dir_all(&dir)?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))?;
    lock.lock()?;
    let out = f();
    let _ = lock.unlock();
    out
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

fn read_optional(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs blocking file work off the async workers, as an error naming `what` on failure.
async fn blocking<T: Send + 'static>(
    what: String,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, CliError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(io(what)),
        Err(e) => Err(CliError::Io {
            what,
            source: std::io::Error::other(e),
        }),
    }
}

impl Dest for LocalDest {
    fn describe(&self, key: &str) -> String {
        self.path(key).display().to_string()
    }

    fn staging(&self) -> &Path {
        &self.staging.0
    }

    fn publish<'a>(
        &'a self,
        key: &'a str,
        staged: &'a Path,
    ) -> BoxFuture<'a, Result<(), CliError>> {
        let (from, to) = (staged.to_path_buf(), self.path(key));
        Box::pin(blocking(
            format!("cannot publish {}", to.display()),
            move || {
                let dir = to.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(dir)?;
                // The staged file was synced by its writer; the rename replaces the old file at
                // once, and the directory sync makes the rename durable before the state says so.
                std::fs::rename(&from, &to)?;
                sync_dir(dir);
                Ok(())
            },
        ))
    }

    fn local_copy<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<PathBuf>, CliError>> {
        let path = self.path(key);
        Box::pin(async move {
            let there = tokio::fs::try_exists(&path)
                .await
                .map_err(io(format!("cannot read {}", path.display())))?;
            Ok(there.then_some(path))
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

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, GetResult> {
        let path = self.path(key);
        Box::pin(blocking(
            format!("cannot read {}", path.display()),
            move || {
                Ok(read_optional(&path)?.map(|b| {
                    let v = digest(&b);
                    (b, v)
                }))
            },
        ))
    }

    fn put_if<'a>(&'a self, key: &'a str, data: Vec<u8>, cond: PutIf) -> BoxFuture<'a, PutResult> {
        let (root, path) = (self.root.clone(), self.path(key));
        Box::pin(blocking(
            format!("cannot write {}", path.display()),
            move || {
                locked(&root, || {
                    let current = read_optional(&path)?;
                    let allowed = match (&cond, &current) {
                        (PutIf::Absent, None) => true,
                        (PutIf::Matches(v), Some(c)) => digest(c) == *v,
                        _ => false,
                    };
                    if !allowed {
                        return Ok(Err(Conflict));
                    }
                    write_atomic(&path, &data)?;
                    Ok(Ok(digest(&data)))
                })
            },
        ))
    }

    fn put<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, Result<(), CliError>> {
        let path = self.path(key);
        Box::pin(blocking(
            format!("cannot write {}", path.display()),
            move || write_atomic(&path, &data),
        ))
    }

    fn remove_stale_staging(&self) -> BoxFuture<'_, ()> {
        let dir = self.path(&format!("{STATE_DIR}/{TMP_DIR}"));
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(move || remove_dead_runs(&dir, "")).await;
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
    /// Data files are written here before they are uploaded.
    staging: Staging,
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

    fn staging(&self) -> &Path {
        &self.staging.0
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

    fn local_copy<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<PathBuf>, CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            let got = match self.store.get_opts(&location, GetOptions::default()).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.failed("read", key, e)),
            };
            let to = self
                .staging
                .0
                .join(format!("old-{}.parquet", uuid::Uuid::new_v4().simple()));
            tokio::fs::create_dir_all(&self.staging.0)
                .await
                .map_err(io(format!("cannot create {}", self.staging.0.display())))?;
            let mut file = tokio::fs::File::create(&to)
                .await
                .map_err(io(format!("cannot create {}", to.display())))?;
            let mut stream = got.into_stream();
            use futures_util::StreamExt;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| self.failed("read", key, e))?;
                file.write_all(&chunk)
                    .await
                    .map_err(io(format!("cannot write {}", to.display())))?;
            }
            file.flush()
                .await
                .map_err(io(format!("cannot write {}", to.display())))?;
            Ok(Some(to))
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            match self.store.head(&location).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(self.failed("read", key, e)),
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, GetResult> {
        Box::pin(async move {
            let location = self.location(key)?;
            let got = match self.store.get_opts(&location, GetOptions::default()).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.failed("read", key, e)),
            };
            let version = Version {
                e_tag: got.meta.e_tag.clone(),
                version: got.meta.version.clone(),
            };
            let bytes = got.bytes().await.map_err(|e| self.failed("read", key, e))?;
            Ok(Some((bytes.to_vec(), version)))
        })
    }

    fn put_if<'a>(&'a self, key: &'a str, data: Vec<u8>, cond: PutIf) -> BoxFuture<'a, PutResult> {
        Box::pin(async move {
            let location = self.location(key)?;
            let mode = match cond {
                PutIf::Absent => PutMode::Create,
                PutIf::Matches(v) => PutMode::Update(UpdateVersion {
                    e_tag: v.e_tag,
                    version: v.version,
                }),
            };
            match self
                .store
                .put_opts(&location, PutPayload::from(data), PutOptions::from(mode))
                .await
            {
                Ok(r) => Ok(Ok(Version {
                    e_tag: r.e_tag,
                    version: r.version,
                })),
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => Ok(Err(Conflict)),
                Err(e @ object_store::Error::NotImplemented { .. }) => Err(CliError::Store {
                    what: format!(
                        "{} cannot write conditionally, which sync needs to keep concurrent runs \
                         apart (on S3, conditional writes must not be disabled)",
                        self.url
                    ),
                    message: e.to_string(),
                }),
                Err(e) => Err(self.failed("write", key, e)),
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, Result<(), CliError>> {
        Box::pin(async move {
            let location = self.location(key)?;
            self.store
                .put_opts(&location, PutPayload::from(data), PutOptions::default())
                .await
                .map_err(|e| self.failed("write", key, e))?;
            Ok(())
        })
    }

    fn remove_stale_staging(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(|| {
                remove_dead_runs(&std::env::temp_dir(), STORE_STAGING_PREFIX)
            })
            .await;
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
            d.describe("a=1/b%2Fc/part.parquet"),
            "/data/a=1/b%2Fc/part.parquet"
        );
        assert!(d.staging().starts_with("/data/.ticksupply-sync/tmp/"));
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

    #[tokio::test]
    async fn conditional_writes_refuse_a_stale_version() {
        let dir = tempfile::tempdir().unwrap();
        let d = LocalDest::new(dir.path().to_path_buf());
        let v1 = d
            .put_if("s/x", b"1".to_vec(), PutIf::Absent)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            d.put_if("s/x", b"2".to_vec(), PutIf::Absent).await.unwrap(),
            Err(Conflict)
        );
        let v2 = d
            .put_if("s/x", b"2".to_vec(), PutIf::Matches(v1.clone()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            d.put_if("s/x", b"3".to_vec(), PutIf::Matches(v1))
                .await
                .unwrap(),
            Err(Conflict)
        );
        let (data, v) = d.get("s/x").await.unwrap().unwrap();
        assert_eq!((data, v), (b"2".to_vec(), v2));
    }
}
