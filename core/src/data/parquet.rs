//! Parquet artifacts carry their own types: read them as they are; and write batches to a
//! Parquet file (zstd), by atomic rename.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;

use super::DataError;
use super::schema::ReadSchema;

pub(crate) fn is_parquet(name: &str) -> bool {
    name.ends_with(".parquet")
}

/// Decodes one Parquet artifact (a file or downloaded bytes), sending its schema first and then
/// its batches to `out`.
pub(crate) fn decode<R: ChunkReader + 'static>(
    name: &str,
    input: R,
    batch_size: usize,
    on_schema: &mut dyn FnMut(&ReadSchema) -> Result<(), DataError>,
    out: &super::Out,
) {
    let run = || -> Result<(), DataError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(input).map_err(|e| {
            DataError::corrupt_msg(name, &format!("not a readable Parquet file: {e}"))
        })?;
        on_schema(&ReadSchema::from_arrow("parquet", builder.schema().clone()))?;
        let reader = builder
            .with_batch_size(batch_size)
            .build()
            .map_err(|e| DataError::corrupt_msg(name, &e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| DataError::corrupt_msg(name, &e.to_string()))?;
            if out.blocking_send(Ok(batch)).is_err() {
                break;
            }
        }
        Ok(())
    };
    if let Err(e) = run() {
        let _ = out.blocking_send(Err(e));
    }
}

/// A row group is closed at this many rows or this many encoded bytes, whichever comes first:
/// the second bounds the memory a writer holds, whatever the width of the rows.
const MAX_ROW_GROUP_ROWS: usize = 1_048_576;
const MAX_ROW_GROUP_BYTES: usize = 64 << 20;

/// A Parquet file being written (zstd) to `path` through `<path>.part`, renamed into place only
/// when [`ParquetFile::finish`]ed; dropped unfinished (an error, a cancellation), it leaves
/// nothing behind.
pub struct ParquetFile {
    part: PathBuf,
    target: PathBuf,
    /// `None` once finished.
    writer: Option<ArrowWriter<std::fs::File>>,
}

impl ParquetFile {
    /// Starts the file (its directory is created).
    pub fn create(target: &Path, schema: SchemaRef) -> Result<ParquetFile, DataError> {
        let part = part_path(target);
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, "cannot create", &e))?;
        }
        let file =
            std::fs::File::create(&part).map_err(|e| DataError::io(&part, "cannot create", &e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(MAX_ROW_GROUP_BYTES))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props))
            .map_err(|e| DataError::io_msg(&part, &e.to_string()))?;
        Ok(ParquetFile {
            part,
            target: target.to_path_buf(),
            writer: Some(writer),
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DataError> {
        self.writer
            .as_mut()
            .expect("not finished")
            .write(batch)
            .map_err(|e| DataError::io_msg(&self.part, &e.to_string()))
    }

    /// Writes the rows buffered so far as a row group, freeing their memory.
    pub fn flush(&mut self) -> Result<(), DataError> {
        self.writer
            .as_mut()
            .expect("not finished")
            .flush()
            .map_err(|e| DataError::io_msg(&self.part, &e.to_string()))
    }

    /// Bytes buffered in memory for the row group being written.
    pub fn in_progress_size(&self) -> usize {
        self.writer
            .as_ref()
            .map_or(0, ArrowWriter::in_progress_size)
    }

    /// Closes the file, syncs it and renames it into place; returns its size in bytes.
    pub fn finish(mut self) -> Result<u64, DataError> {
        let file = self
            .writer
            .take()
            .expect("not finished")
            .into_inner()
            .map_err(|e| DataError::io_msg(&self.part, &e.to_string()))?;
        file.sync_all()
            .map_err(|e| DataError::io(&self.part, "cannot sync", &e))?;
        let bytes = file
            .metadata()
            .map_err(|e| DataError::io(&self.part, "cannot read", &e))?
            .len();
        drop(file);
        std::fs::rename(&self.part, &self.target)
            .map_err(|e| DataError::io(&self.target, "cannot rename into", &e))?;
        Ok(bytes)
    }
}

impl Drop for ParquetFile {
    fn drop(&mut self) {
        // Unfinished (an error or a drop mid-way): no half-written file stays behind.
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

pub(crate) fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}
