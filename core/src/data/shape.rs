//! Values reshaped for consumers with weak Arrow support: decimals as exact text and
//! timestamps as plain `int64` (arrow-js reads `timestamp[ns]` into lossy milliseconds).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::Shape;
use crate::error::{Error, Result};

fn target_type(t: &DataType, shape: Shape) -> Option<DataType> {
    match t {
        DataType::Decimal128(..) if shape.decimals_as_text => Some(DataType::Utf8),
        DataType::Timestamp(..) if shape.timestamps_as_int64 => Some(DataType::Int64),
        _ => None,
    }
}

/// The schema after reshaping; a changed field keeps its original type in its metadata
/// (`ticksupply.type`).
pub(crate) fn schema(schema: &SchemaRef, shape: Shape) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match target_type(f.data_type(), shape) {
            None => f.as_ref().clone(),
            Some(t) => {
                let mut meta = f.metadata().clone();
                meta.insert("ticksupply.type".into(), f.data_type().to_string());
                Field::new(f.name(), t, f.is_nullable()).with_metadata(meta)
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

pub(crate) fn batch(b: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> =
        b.columns()
            .iter()
            .zip(target.fields())
            .map(|(a, f)| {
                if a.data_type() == f.data_type() {
                    return Ok(a.clone());
                }
                match (a.data_type(), f.data_type()) {
                    // Same bits, another label: no copy.
                    (DataType::Timestamp(..), DataType::Int64) => {
                        let data = a.to_data().into_builder().data_type(DataType::Int64);
                        let data = data.build().map_err(|e| Error::internal(&e.to_string()))?;
                        Ok(Arc::new(
                            arrow_array::make_array(data)
                                .as_primitive::<Int64Type>()
                                .clone(),
                        ) as ArrayRef)
                    }
                    _ => arrow_cast::cast(a, f.data_type())
                        .map_err(|e| Error::internal(&e.to_string())),
                }
            })
            .collect::<Result<_>>()?;
    RecordBatch::try_new(target.clone(), columns).map_err(|e| Error::internal(&e.to_string()))
}
