//! Column builders for CSV cells: each cell is parsed straight into its column's buffer (text
//! unescaped into the values of a string column, numbers parsed exactly), and a batch's arrays
//! are made from the buffers without another copy.
//!
//! Nulls: an unquoted empty field or an unquoted `\N` is null in every column; a quoted field
//! is text — `""` is the empty string and `"\N"` the two characters — in a string column, and
//! null when empty or `\N` in any other (a number cannot be either).

use std::sync::Arc;

use arrow_array::types::{
    Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{ArrayRef, BooleanArray, PrimitiveArray, StringArray};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, TimeUnit};

use super::cells::{self, CellError};
use super::scan::{QUOTE, check_unquoted, unquote_into};
use super::schema::{Cell, UTC};

/// How a column's cells are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Utf8,
    Int64,
    /// An integer count of a unit since the epoch.
    Epoch(TimeUnit),
    /// RFC 3339 text, to nanoseconds.
    Iso,
    Decimal(u8),
    Float64,
    Bool,
}

impl Kind {
    /// The kind of a column of `ty` read as `cell`.
    pub(crate) fn of(ty: &DataType, cell: Cell) -> Kind {
        match (cell, ty) {
            (Cell::EpochInt(unit), _) => Kind::Epoch(unit),
            (Cell::Rfc3339, _) => Kind::Iso,
            (Cell::AsIs, DataType::Int64) => Kind::Int64,
            (Cell::AsIs, DataType::Decimal128(_, s)) => Kind::Decimal(*s as u8),
            (Cell::AsIs, DataType::Float64) => Kind::Float64,
            (Cell::AsIs, DataType::Boolean) => Kind::Bool,
            (Cell::AsIs, _) => Kind::Utf8,
        }
    }
}

/// Validity bits, made only once a null appears.
#[derive(Default)]
struct Nulls {
    bits: Option<BooleanBufferBuilder>,
    len: usize,
}

impl Nulls {
    #[inline]
    fn push(&mut self, valid: bool) {
        match &mut self.bits {
            Some(b) => b.append(valid),
            None if valid => {}
            None => {
                let mut b = BooleanBufferBuilder::new(self.len.max(1024) * 2);
                b.append_n(self.len, true);
                b.append(false);
                self.bits = Some(b);
            }
        }
        self.len += 1;
    }

    fn finish(&mut self) -> Option<NullBuffer> {
        self.len = 0;
        self.bits.take().map(|mut b| NullBuffer::new(b.finish()))
    }
}

enum Values {
    Utf8 { bytes: Vec<u8>, offsets: Vec<i32> },
    I64(Vec<i64>),
    I128(Vec<i128>),
    F64(Vec<f64>),
    Bool(BooleanBufferBuilder),
}

/// One column of a batch being built.
pub(crate) struct Column {
    kind: Kind,
    values: Values,
    nulls: Nulls,
    /// A quoted non-text cell, unescaped.
    scratch: Vec<u8>,
}

impl Column {
    /// A column for about `rows` rows and at most `text` bytes of text (room reserved, not
    /// touched: a string column never grows by copying).
    pub(crate) fn new(kind: Kind, rows: usize, text: usize) -> Column {
        let values = match kind {
            Kind::Utf8 => Values::Utf8 {
                bytes: huge_pages(Vec::with_capacity(text)),
                offsets: {
                    let mut o = Vec::with_capacity(rows + 1);
                    o.push(0);
                    o
                },
            },
            Kind::Int64 | Kind::Epoch(_) | Kind::Iso => Values::I64(Vec::with_capacity(rows)),
            Kind::Decimal(_) => Values::I128(Vec::with_capacity(rows)),
            Kind::Float64 => Values::F64(Vec::with_capacity(rows)),
            Kind::Bool => Values::Bool(BooleanBufferBuilder::new(rows)),
        };
        Column {
            kind,
            values,
            nulls: Nulls::default(),
            scratch: Vec::new(),
        }
    }

    /// Appends one cell: `field` as it is in the file (quotes included) holding `quotes`
    /// quote characters; a quoted field is checked and unescaped on the way.
    #[inline]
    pub(crate) fn push(&mut self, field: &[u8], quotes: u32) -> Result<(), CellError> {
        let null_text = |t: &[u8]| t.is_empty() || t == b"\\N";
        let quoted = field.first() == Some(&QUOTE);
        if let Values::Utf8 { bytes, offsets } = &mut self.values {
            if quoted {
                unquote_into(field, quotes, bytes).map_err(|m| m.message().to_string())?;
                self.nulls.push(true);
            } else {
                check_unquoted(quotes).map_err(|m| m.message().to_string())?;
                if null_text(field) {
                    self.nulls.push(false);
                } else {
                    bytes.extend_from_slice(field);
                    self.nulls.push(true);
                }
            }
            offsets.push(i32::try_from(bytes.len()).map_err(|_| {
                "more than 2 GiB of text in one batch: read with fewer rows per batch".to_string()
            })?);
            return Ok(());
        }
        let text: &[u8] = if quoted {
            self.scratch.clear();
            unquote_into(field, quotes, &mut self.scratch).map_err(|m| m.message().to_string())?;
            &self.scratch
        } else {
            check_unquoted(quotes).map_err(|m| m.message().to_string())?;
            field
        };
        let valid = !null_text(text);
        match (&mut self.values, self.kind) {
            (Values::I64(v), Kind::Iso) => v.push(if valid { cells::iso8601_ns(text)? } else { 0 }),
            (Values::I64(v), _) => v.push(if valid { cells::int64(text)? } else { 0 }),
            (Values::I128(v), Kind::Decimal(scale)) => v.push(if valid {
                cells::decimal(text, scale)?
            } else {
                0
            }),
            (Values::F64(v), _) => v.push(if valid { cells::float64(text)? } else { 0.0 }),
            (Values::Bool(v), _) => v.append(valid && cells::boolean(text)?),
            _ => unreachable!("the values match the kind"),
        }
        self.nulls.push(valid);
        Ok(())
    }

    /// The column's array, and the column emptied for the next batch. A string column's text
    /// must be UTF-8: `Err((row, message))` names the first row that is not.
    pub(crate) fn finish(&mut self, rows: usize) -> Result<ArrayRef, (usize, CellError)> {
        let nulls = self.nulls.finish();
        let kind = self.kind;
        let text = match &self.values {
            Values::Utf8 { bytes, .. } => bytes.capacity(),
            _ => 0,
        };
        let fresh = Column::new(kind, rows, text);
        let values = std::mem::replace(&mut self.values, fresh.values);
        Ok(match values {
            Values::Utf8 { bytes, offsets } => {
                check_utf8(&bytes, &offsets)?;
                // SAFETY: offsets start at 0, never decrease and end at `bytes.len()` (one is
                // pushed after each value); the text was checked to be UTF-8 with every value
                // starting on a character boundary.
                let offsets = unsafe { OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)) };
                let array =
                    unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(bytes), nulls) };
                Arc::new(array)
            }
            Values::I64(v) => {
                let v = ScalarBuffer::from(v);
                match kind {
                    Kind::Epoch(TimeUnit::Second) => ts::<TimestampSecondType>(v, nulls),
                    Kind::Epoch(TimeUnit::Millisecond) => ts::<TimestampMillisecondType>(v, nulls),
                    Kind::Epoch(TimeUnit::Microsecond) => ts::<TimestampMicrosecondType>(v, nulls),
                    Kind::Epoch(TimeUnit::Nanosecond) | Kind::Iso => {
                        ts::<TimestampNanosecondType>(v, nulls)
                    }
                    _ => Arc::new(PrimitiveArray::<Int64Type>::new(v, nulls)),
                }
            }
            Values::I128(v) => {
                let Kind::Decimal(scale) = kind else {
                    unreachable!("decimal values")
                };
                Arc::new(
                    PrimitiveArray::<Decimal128Type>::new(ScalarBuffer::from(v), nulls)
                        .with_precision_and_scale(super::schema::DECIMAL_PRECISION, scale as i8)
                        .expect("scale within precision"),
                )
            }
            Values::F64(v) => Arc::new(PrimitiveArray::<Float64Type>::new(
                ScalarBuffer::from(v),
                nulls,
            )),
            Values::Bool(mut b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
        })
    }
}

/// Asks Linux to back a large buffer with 2 MiB pages: its pages are touched once each as text
/// is written, and a 4 KiB page fault per 4 KiB of text costs as much as a fifth of the parse.
/// Elsewhere (or when the kernel says no) nothing changes.
fn huge_pages(v: Vec<u8>) -> Vec<u8> {
    #[cfg(target_os = "linux")]
    if v.capacity() >= 4 << 20 {
        let page = 4096;
        let start = (v.as_ptr() as usize).next_multiple_of(page);
        let end = (v.as_ptr() as usize + v.capacity()) & !(page - 1);
        if end > start {
            // SAFETY: the range lies inside the vector's allocation; MADV_HUGEPAGE only changes
            // how its pages are backed, never their content.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}

fn ts<T: arrow_array::types::ArrowTimestampType>(
    v: ScalarBuffer<i64>,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(v, nulls).with_timezone(UTC))
}

/// Whether every value is UTF-8: the whole text at once, then each value's start on a
/// character boundary (the text of two values could be valid only together).
fn check_utf8(bytes: &[u8], offsets: &[i32]) -> Result<(), (usize, CellError)> {
    let at_boundary = |o: usize| bytes.get(o).is_none_or(|b| (*b as i8) >= -0x40);
    let bad_row = match simdutf8::compat::from_utf8(bytes) {
        // A value that starts inside a character: the one before it ends in the middle of one.
        Ok(_) => offsets
            .iter()
            .position(|&o| !at_boundary(o as usize))
            .map(|i| i.saturating_sub(1)),
        Err(e) => Some(
            offsets
                .partition_point(|&o| (o as usize) <= e.valid_up_to())
                .saturating_sub(1),
        ),
    };
    match bad_row {
        None => Ok(()),
        Some(row) => Err((row, "the text is not UTF-8".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;
    use arrow_array::cast::AsArray;

    #[test]
    fn nulls_and_quoted_text() {
        let mut c = Column::new(Kind::Utf8, 4, 64);
        c.push(b"", 0).unwrap();
        c.push(b"\\N", 0).unwrap();
        c.push(b"\"\"", 2).unwrap();
        c.push(b"\"\\N\"", 2).unwrap();
        c.push(b"\"a\"\"b\"", 4).unwrap();
        assert!(c.push(b"a\"b", 1).is_err());
        assert!(c.push(b"\"a\"b\"", 3).is_err());
        let a = c.finish(4).unwrap();
        let s = a.as_string::<i32>();
        assert_eq!(
            (s.is_null(0), s.is_null(1), s.is_null(2)),
            (true, true, false)
        );
        assert_eq!((s.value(2), s.value(3), s.value(4)), ("", "\\N", "a\"b"));

        let mut n = Column::new(Kind::Decimal(2), 4, 0);
        n.push(b"1.5", 0).unwrap();
        n.push(b"\"\\N\"", 2).unwrap();
        n.push(b"\"\"", 2).unwrap();
        assert!(n.push(b"1.239", 0).unwrap_err().contains("decimal places"));
        let a = n.finish(4).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a.as_primitive::<Decimal128Type>().value(0), 150);
        assert!(a.is_null(1) && a.is_null(2));
    }

    #[test]
    fn text_that_is_not_utf8_names_its_row() {
        let mut c = Column::new(Kind::Utf8, 3, 64);
        c.push(b"ok", 0).unwrap();
        c.push(b"\xc3", 0).unwrap();
        c.push(b"\xa9", 0).unwrap();
        assert_eq!(c.finish(3).unwrap_err().0, 1);
    }
}
