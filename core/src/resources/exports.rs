//! Historical export jobs: create, poll, list, cancel, delete and get artifact URLs.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::list_builder;
use super::export_schemas::SchemaContent;
use super::open_enum;
use crate::api_path;
use crate::client::Client;
use crate::request::{Call, json_decode, sendable};
use crate::timestamp::{IntoTimestamp, Nanos, Timestamp};
use crate::transport::RequestSpec;

open_enum! {
    /// Lifecycle state of an export job.
    ExportStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Canceled = "canceled",
        /// Deleted: `GET` still returns the job.
        Deleted = "deleted",
    } Unknown
}

impl ExportStatus {
    /// Whether the job will not change state any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Canceled | Self::Deleted
        )
    }
}

/// An export job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportJob {
    pub id: String,
    pub datastream_id: i64,
    /// Window start (inclusive), nanoseconds.
    pub start_time: Nanos,
    /// Window end (exclusive), nanoseconds.
    pub end_time: Nanos,
    #[serde(default)]
    pub format: String,
    /// Options the server resolved for `format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_options: Option<Value>,
    pub status: ExportStatus,
    /// Why the job failed (only when `failed`).
    #[serde(default)]
    pub reason: Option<String>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
}

/// One downloadable file of a succeeded export, at a presigned URL valid for minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactDownload {
    pub id: String,
    /// Presigned URL; fetch it without the API key.
    pub url: String,
    pub bytes: u64,
    pub filename: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDownloadResponse {
    #[serde(default)]
    pub artifacts: Vec<ArtifactDownload>,
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub total_bytes: u64,
}

impl ExportDownloadResponse {
    /// The artifact, when there is exactly one.
    pub fn single(&self) -> Option<&ArtifactDownload> {
        match self.artifacts.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

json_decode!(ExportJob, ExportDownloadResponse, ArtifactDownload);

pub struct ExportsResource<'a> {
    pub(crate) client: &'a Client,
}

impl ExportsResource<'_> {
    /// `GET /exports/{id}`.
    pub fn get(&self, id: &str) -> Call<ExportJob> {
        Call::plain(
            self.client,
            Method::GET,
            "/exports/{id}",
            api_path!("/exports/", id),
        )
    }

    /// `POST /exports/{id}/cancel` (queued or running jobs).
    pub fn cancel(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        Call::plain(
            self.client,
            Method::POST,
            "/exports/{id}/cancel",
            api_path!("/exports/", id; "/cancel"),
        )
    }

    /// `DELETE /exports/{id}`.
    pub fn delete(&self, id: impl Into<String>) -> Call<()> {
        let id = id.into();
        Call::plain(
            self.client,
            Method::DELETE,
            "/exports/{id}",
            api_path!("/exports/", id),
        )
    }

    /// `GET /exports/{id}/download`: fresh presigned URLs (succeeded jobs only).
    pub fn get_download(&self, id: &str) -> Call<ExportDownloadResponse> {
        Call::plain(
            self.client,
            Method::GET,
            "/exports/{id}/download",
            api_path!("/exports/", id; "/download"),
        )
    }

    /// Builder for `POST /exports` over `[start_time, end_time)`.
    pub fn create(
        &self,
        datastream_id: i64,
        start_time: impl IntoTimestamp,
        end_time: impl IntoTimestamp,
    ) -> CreateExportRequest {
        CreateExportRequest {
            client: self.client.clone(),
            body: CreateExportBody {
                datastream_id,
                start_time: start_time.into_timestamp_string(),
                end_time: end_time.into_timestamp_string(),
                schema: None,
                format: None,
                format_options: None,
            },
            idempotency_key: None,
        }
    }

    /// Waits until the export finishes: the job when it succeeds, [`crate::Error::ExportFailed`]
    /// when it fails or is canceled or deleted, [`crate::Error::WaitTimeout`] after `timeout`.
    pub fn wait(&self, id: impl Into<String>) -> crate::artifacts::WaitRequest {
        crate::artifacts::WaitRequest {
            client: self.client.clone(),
            id: id.into(),
            timeout: std::time::Duration::from_secs(900),
            poll_interval: std::time::Duration::from_secs(1),
        }
    }

    /// Downloads every artifact of a succeeded export into `dest_dir` (streamed, resumed,
    /// size-checked, renamed into place), returning the file paths.
    pub fn download(
        &self,
        id: impl Into<String>,
        dest_dir: impl Into<std::path::PathBuf>,
    ) -> crate::artifacts::DownloadRequest {
        crate::artifacts::DownloadRequest {
            client: self.client.clone(),
            id: id.into(),
            dest: dest_dir.into(),
            overwrite: false,
            concurrency: 4,
            progress: None,
            durable: false,
        }
    }

    /// Every row of a succeeded export's gzip CSV artifacts, keyed by their header, without
    /// writing a file.
    pub fn rows(
        &self,
        id: impl Into<String>,
    ) -> impl futures_core::Stream<Item = crate::error::Result<crate::artifacts::Row>> + Send + 'static
    {
        crate::artifacts::rows(self.client.clone(), id.into())
    }

    /// The data of a succeeded export as Arrow record batches, typed from its schema and
    /// decoded while the artifacts download (feature `arrow`).
    #[cfg(feature = "arrow")]
    pub fn data(&self, id: impl Into<String>) -> crate::data::ExportData {
        crate::data::ExportData::for_export(self.client.clone(), id.into())
    }

    /// Builder for `GET /exports`.
    pub fn list(&self) -> ListExportsRequest {
        ListExportsRequest {
            client: self.client.clone(),
            limit: None,
            page_token: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct CreateExportBody {
    datastream_id: i64,
    start_time: String,
    end_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format_options: Option<Value>,
}

/// Builder for `POST /exports`.
pub struct CreateExportRequest {
    client: Client,
    body: CreateExportBody,
    idempotency_key: Option<String>,
}

impl CreateExportRequest {
    /// Sets the `Idempotency-Key` (otherwise a UUID is generated for this call).
    pub fn idempotency_key(mut self, k: impl Into<String>) -> Self {
        self.idempotency_key = Some(k.into());
        self
    }
    /// A schema by name (`raw`, `normalized`, …) or id (`sch_…`). The last schema call wins.
    pub fn schema(mut self, s: impl Into<String>) -> Self {
        self.body.schema = Some(Value::String(s.into()));
        self
    }
    /// An inline schema as raw JSON (`{"columns": [...]}`).
    pub fn inline_schema(mut self, v: Value) -> Self {
        self.body.schema = Some(v);
        self
    }
    /// An inline schema built with the typed helpers.
    pub fn inline_content(mut self, content: SchemaContent) -> Self {
        self.body.schema = Some(serde_json::to_value(&content).unwrap_or(Value::Null));
        self
    }
    /// `csv` (default) or `parquet`.
    pub fn format(mut self, f: impl Into<String>) -> Self {
        self.body.format = Some(f.into());
        self
    }
    /// Options of the format (`{}` for csv).
    pub fn format_options(mut self, o: Value) -> Self {
        self.body.format_options = Some(o);
        self
    }
    fn into_call(self) -> Call<ExportJob> {
        let spec = RequestSpec::new(Method::POST, "/exports", "/exports".into())
            .json(&self.body)
            .idempotency_key(self.idempotency_key);
        Call::new(self.client, spec)
    }
}

sendable!(CreateExportRequest => ExportJob);

/// Builder for `GET /exports`.
pub struct ListExportsRequest {
    client: Client,
    limit: Option<u32>,
    page_token: Option<String>,
}

impl ListExportsRequest {
    fn spec(&self, token: Option<&str>) -> RequestSpec {
        RequestSpec::new(Method::GET, "/exports", "/exports".into())
            .query("limit", self.limit)
            .query("page_token", token)
    }
}

list_builder!(ListExportsRequest => ExportJob);
