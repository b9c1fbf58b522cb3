//! Parquet objects as items: each row a JSON object from column name to value, with the
//! values' own types (numbers, booleans, strings, nested lists and structs), timestamps as
//! integer epoch milliseconds. Built only with the cargo feature `parquet`.
//!
//! A Parquet file keeps its schema and row-group index at its end, so it cannot be read
//! front to back like JSONL or CSV: the object is read into memory once (at most
//! [`OBJECT_LIMIT`] bytes, however small it is compressed), then its rows are decoded one at a
//! time as the Map consumes them.
//!
//! The file may come from anyone, and the `parquet` crate panics on some malformed files: every
//! call into it runs inside [`contain`], so a panic becomes a `ReadError` (the Map's
//! `States.ItemReaderFailed`) instead of ending `asl`. A panic the crate cannot unwind from, a
//! stack overflow on a schema nested thousands of levels deep, is kept from happening:
//! `parquet_footer` checks the schema's shape before the crate builds it.

use super::items::{Items, ReadError};
use super::parquet_footer;
use crate::contain::{Panicked, contain};
use bytes::Bytes;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use serde_json::{Map, Value};
use std::io::Read;

/// The largest Parquet object read, after gzip or zstd: 512 MiB. AWS documents no size for a
/// Parquet object; this one keeps a small compressed object from filling memory as it is
/// held whole.
pub const OBJECT_LIMIT: u64 = 512 << 20;

/// The rows of a Parquet object.
pub fn rows(body: Box<dyn Read + Send>) -> Result<Items, ReadError> {
    rows_within(body, OBJECT_LIMIT)
}

fn rows_within(mut body: Box<dyn Read + Send>, limit: u64) -> Result<Items, ReadError> {
    // In pieces, so that the buffer never grows past the limit to find out it is over.
    let mut buf = Vec::new();
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        let n = match body.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError(e.to_string())),
        };
        if (buf.len() + n) as u64 > limit {
            return Err(ReadError(format!(
                "The Parquet object is larger than {limit} bytes, the most asl holds in memory to read one"
            )));
        }
        buf.extend_from_slice(&piece[..n]);
    }
    let invalid = |e: &dyn std::fmt::Display| {
        ReadError(format!("The object is not a valid Parquet file: {e}"))
    };
    parquet_footer::check_schema(&buf).map_err(|e| invalid(&e))?;
    let reader = contain(|| SerializedFileReader::new(Bytes::from(buf)))
        .map_err(|p| invalid(&crashed(&p)))?
        .map_err(|e| invalid(&e))?;
    let boxed: Box<dyn FileReader> = Box::new(reader);
    let rows = contain(|| RowIter::from_file_into(boxed)).map_err(|p| invalid(&crashed(&p)))?;
    Ok(Box::new(Rows { rows: Some(rows) }))
}

/// What a panic of the crate's says about the file.
fn crashed(p: &Panicked) -> String {
    format!("the Parquet reader failed on it ({p})")
}

/// Rows decoded one at a time; after an error or a panic nothing more is read.
struct Rows {
    rows: Option<RowIter<'static>>,
}

impl Iterator for Rows {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rows = self.rows.as_mut()?;
        match contain(|| rows.next().map(|r| r.map(|row| row_value(&row)))) {
            Ok(Some(Ok(v))) => Some(Ok(v)),
            Ok(None) => {
                self.rows = None;
                None
            }
            Ok(Some(Err(e))) => {
                self.rows = None;
                Some(Err(ReadError(format!(
                    "The Parquet file cannot be read: {e}"
                ))))
            }
            Err(p) => {
                // The reader was left half-way through a row: only dropping it is safe.
                let rows = self.rows.take();
                let _ = contain(move || drop(rows));
                Some(Err(ReadError(format!(
                    "The Parquet file cannot be read: {}",
                    crashed(&p)
                ))))
            }
        }
    }
}

fn row_value(row: &Row) -> Value {
    Value::Object(
        row.get_column_iter()
            .map(|(name, f)| (name.clone(), field_value(f)))
            .collect::<Map<String, Value>>(),
    )
}

fn field_value(f: &Field) -> Value {
    match f {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(n) => Value::from(*n),
        Field::Short(n) => Value::from(*n),
        Field::Int(n) => Value::from(*n),
        Field::Long(n) => Value::from(*n),
        Field::UByte(n) => Value::from(*n),
        Field::UShort(n) => Value::from(*n),
        Field::UInt(n) => Value::from(*n),
        Field::ULong(n) => Value::from(*n),
        Field::Float16(n) => Value::from(f64::from(*n)),
        Field::Float(n) => Value::from(f64::from(*n)),
        Field::Double(n) => Value::from(*n),
        // Decimals keep their digits: as a JSON number when they read as one.
        Field::Decimal(_) => {
            let text = f.to_string();
            serde_json::from_str::<serde_json::Number>(&text)
                .map(Value::Number)
                .unwrap_or(Value::String(text))
        }
        Field::Str(s) => Value::String(s.clone()),
        Field::Bytes(b) => Value::String(String::from_utf8_lossy(b.data()).into_owned()),
        Field::TimestampMillis(ms) => Value::from(*ms),
        Field::TimestampMicros(us) => Value::from(us.div_euclid(1000)),
        // Dates and times of day as the crate writes them (`2024-01-31`, `10:20:30.400`).
        Field::Date(_) | Field::TimeMillis(_) | Field::TimeMicros(_) => {
            Value::String(f.to_string().trim_matches('"').to_string())
        }
        Field::Group(row) => row_value(row),
        Field::ListInternal(l) => Value::Array(l.elements().iter().map(field_value).collect()),
        Field::MapInternal(m) => Value::Object(
            m.entries()
                .iter()
                .map(|(k, v)| {
                    let key = match field_value(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, field_value(v))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use serde_json::json;
    use std::sync::Arc;

    /// A small Parquet file written by the crate's own writer, Snappy-compressed.
    pub(crate) fn sample() -> Vec<u8> {
        let schema = Arc::new(
            parse_message_type(
                "message m { required int64 id; optional binary name (UTF8); \
                 required int64 at (TIMESTAMP(MILLIS,true)); }",
            )
            .expect("schema"),
        );
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .build(),
        );
        let mut out = Vec::new();
        let mut w = SerializedFileWriter::new(&mut out, schema, props).expect("writer");
        let mut rg = w.next_row_group().expect("row group");
        let mut col = rg.next_column().expect("col").expect("id");
        col.typed::<Int64Type>()
            .write_batch(&[1, 2], None, None)
            .expect("ids");
        col.close().expect("close");
        let mut col = rg.next_column().expect("col").expect("name");
        col.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from("ann")], Some(&[1, 0]), None)
            .expect("names");
        col.close().expect("close");
        let mut col = rg.next_column().expect("col").expect("at");
        col.typed::<Int64Type>()
            .write_batch(&[1_700_000_000_000, 0], None, None)
            .expect("ats");
        col.close().expect("close");
        rg.close().expect("row group");
        w.close().expect("file");
        out
    }

    #[test]
    fn rows_become_objects_with_typed_values() {
        let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(sample()));
        let got: Result<Vec<Value>, _> = rows(body).expect("parquet").collect();
        assert_eq!(
            got,
            Ok(vec![
                json!({"id": 1, "name": "ann", "at": 1_700_000_000_000_i64}),
                json!({"id": 2, "name": null, "at": 0}),
            ])
        );
    }

    fn read_all(bytes: Vec<u8>) -> Result<Vec<Value>, ReadError> {
        let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes));
        rows(body)?.collect()
    }

    /// Pins issue 21: the crate panics on some corrupt files ("column start and length should
    /// not be negative", "Decoder for dict should have been set"), which ended `asl` with exit
    /// 101. Every truncation and every byte changed of a valid file is rows or a `ReadError`.
    #[test]
    fn corrupt_files_are_read_errors_never_panics() {
        let good = sample();
        let mut refused = 0;
        for at in 0..good.len() {
            let mut variants = vec![good[..at].to_vec()];
            for change in [0xff_u8, 0x01, 0x80] {
                let mut b = good.clone();
                b[at] ^= change;
                variants.push(b);
            }
            let mut big = good.clone();
            for (i, x) in [0xfe_u8, 0xff, 0xff, 0xff, 0x0f].into_iter().enumerate() {
                if let Some(b) = big.get_mut(at + i) {
                    *b = x;
                }
            }
            variants.push(big);
            for v in variants {
                match std::panic::catch_unwind(|| read_all(v)) {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        refused += 1;
                        assert!(e.0.contains("Parquet"), "{e:?}");
                    }
                    Err(_) => panic!("a corrupt file at byte {at} panicked through `rows`"),
                }
            }
        }
        assert!(refused > 0);
    }

    /// Pins issue 21: a schema nested 100,000 groups deep overflowed the stack inside the
    /// crate (SIGSEGV, beyond any `catch_unwind`); it is refused before the crate reads it.
    #[test]
    fn a_deeply_nested_schema_is_refused_before_the_crate_reads_it() {
        let deep = crate::storage::parquet_footer::tests::nested(100_000, None);
        let e = read_all(deep).expect_err("too deep");
        assert_eq!(
            e.0,
            "The object is not a valid Parquet file: its schema nests groups more than 64 levels deep"
        );
        // A shallow hand-made footer (no rows) is read by the crate as usual.
        let shallow = crate::storage::parquet_footer::tests::nested(3, None);
        assert_eq!(read_all(shallow), Ok(vec![]));
    }

    /// Pins issue 21: the object is held in memory, so it is read only up to a bound (a zstd
    /// object of 129 KiB can hold gigabytes).
    #[test]
    fn an_object_over_the_bound_is_refused_without_reading_it_all() {
        let body: Box<dyn Read + Send> = Box::new(std::io::repeat(b'x'));
        let Err(e) = rows_within(body, 1 << 20) else {
            panic!("refused")
        };
        assert_eq!(
            e.0,
            "The Parquet object is larger than 1048576 bytes, the most asl holds in memory to read one"
        );
    }

    #[test]
    fn other_bytes_fail_with_a_clear_cause() {
        let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(b"a,b\n".to_vec()));
        let Err(e) = rows(body) else {
            panic!("not parquet")
        };
        assert!(
            e.0.starts_with("The object is not a valid Parquet file"),
            "{e:?}"
        );
    }
}
