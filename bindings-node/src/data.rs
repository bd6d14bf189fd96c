//! Export data for JavaScript as Arrow IPC streams in `Buffer`s (`apache-arrow`'s
//! `tableFromIPC` reads them). Every method opens a fresh read of the export or the files.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ticksupply::Client;
use ticksupply::data::DataStream;

use crate::{CallScope, CancelHandle, cancellable, reject};

/// What to read (JSON arguments, parsed by the core) and the client for an export.
#[napi]
pub struct NativeData {
    client: Option<std::sync::Arc<Client>>,
    args: String,
    /// The stream `next` reads, opened on its first call.
    stream: std::sync::Arc<tokio::sync::Mutex<Option<DataStream>>>,
}

impl NativeData {
    pub(crate) fn new(client: Option<std::sync::Arc<Client>>, args: String) -> NativeData {
        NativeData {
            client,
            args,
            stream: Default::default(),
        }
    }

    fn request(&self) -> ticksupply::Result<ticksupply::data::ExportData> {
        ticksupply::bindings::data::request(self.client.as_deref(), &self.args)
    }
}

/// Files on disk (`{"paths": […], "schema": …}`), without a client.
#[napi]
pub fn read_artifacts(args: String) -> NativeData {
    NativeData::new(None, args)
}

#[napi]
impl NativeData {
    /// Every batch, as one IPC stream.
    #[napi]
    pub async fn all(&self, cancel: Option<&CancelHandle>) -> Result<Buffer> {
        let rx = CallScope::of(cancel);
        let request = self.request().map_err(reject)?;
        let (schema, batches) = cancellable(request.collect(), rx).await.map_err(reject)?;
        let bytes = ticksupply::bindings::data::ipc(&schema, &batches).map_err(reject)?;
        Ok(bytes.into())
    }

    /// The next batch as an IPC stream of its own (schema and one batch), or `null` after the
    /// last.
    #[napi]
    pub async fn next(&self, cancel: Option<&CancelHandle>) -> Result<Option<Buffer>> {
        let rx = CallScope::of(cancel);
        let slot = self.stream.clone();
        let request = self.request();
        let step = async move {
            use futures_util::StreamExt;
            let mut slot = slot.lock().await;
            if slot.is_none() {
                *slot = Some(request?.open().await?);
            }
            let stream = slot.as_mut().expect("opened");
            match stream.next().await {
                None => Ok(None),
                Some(batch) => {
                    let batch = batch?;
                    ticksupply::bindings::data::ipc(&stream.schema(), &[batch]).map(Some)
                }
            }
        };
        let out = cancellable(step, rx).await.map_err(reject)?;
        Ok(out.map(Buffer::from))
    }

    /// Writes one Parquet file (zstd) through `<path>.part`; resolves to the number of rows.
    #[napi]
    pub async fn to_parquet(&self, path: String, cancel: Option<&CancelHandle>) -> Result<f64> {
        let rx = CallScope::of(cancel);
        let request = self.request().map_err(reject)?;
        let written = cancellable(request.to_parquet(path), rx)
            .await
            .map_err(reject)?;
        Ok(written.rows as f64)
    }
}
