//! Parquet objects as items: each row a JSON object from column name to value, with the
//! values' own types (numbers, booleans, strings, nested lists and structs), timestamps as
//! integer epoch milliseconds. Built only with the cargo feature `parquet`.
//!
//! A Parquet file keeps its schema and row-group index at its end, so it cannot be read
//! front to back like JSONL or CSV: the object is read into memory once, then its rows are
//! decoded one at a time as the Map consumes them.

use super::items::{Items, ReadError};
use bytes::Bytes;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use serde_json::{Map, Value};
use std::io::Read;

/// The rows of a Parquet object.
pub fn rows(mut body: Box<dyn Read + Send>) -> Result<Items, ReadError> {
    let mut buf = Vec::new();
    body.read_to_end(&mut buf)
        .map_err(|e| ReadError(e.to_string()))?;
    let reader = SerializedFileReader::new(Bytes::from(buf))
        .map_err(|e| ReadError(format!("The object is not a valid Parquet file: {e}")))?;
    let boxed: Box<dyn FileReader> = Box::new(reader);
    let rows = RowIter::from_file_into(boxed);
    Ok(Box::new(rows.map(|r| {
        r.map(|row| row_value(&row))
            .map_err(|e| ReadError(format!("The Parquet file cannot be read: {e}")))
    })))
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
mod tests {
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
