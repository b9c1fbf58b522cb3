//! Items from an object's bytes, by `ReaderConfig.InputType`, read as they are consumed.
//!
//! - JSON: the elements of the top-level array (or of the array `ItemsPointer` selects; that
//!   form reads the whole object). A top level that is not an array fails with AWS's
//!   `Attempting to map over non-iterable node.`
//! - JSONL: one JSON value per line; blank lines are skipped.
//! - CSV: each record an object from header to value, every value a string; short records
//!   padded with `""`, extra fields dropped; a whitespace-only line is a record, a trailing
//!   newline adds none; double quotes may hold delimiters and newlines, `""` is a quote; a
//!   backslash escapes a backslash, a quote or the delimiter. Headers from the first row
//!   (`FIRST_ROW`) or given (`GIVEN`: duplicates fail with `CSV headers cannot contain
//!   duplicates.`).
//!
//! - PARQUET: each row an object (`parquet`, with the cargo feature `parquet`).
//!
//! gzip and zstd objects are recognised by their first bytes and decompressed as they stream
//! (Parquet files compress their pages themselves).

use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};

/// Why items could not be read: AWS's `States.ItemReaderFailed` cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

/// A stream of items.
pub type Items = Box<dyn Iterator<Item = Result<Value, ReadError>> + Send>;

/// How to read an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Json {
        items_pointer: Option<String>,
    },
    Jsonl,
    Csv {
        delimiter: u8,
        /// `None`: the first row holds the headers.
        headers: Option<Vec<String>>,
    },
    /// Apache Parquet: each row an object (needs the cargo feature `parquet`).
    Parquet,
}

/// The delimiter byte of a `CSVDelimiter` value.
pub fn delimiter(name: Option<&str>) -> u8 {
    match name {
        Some("PIPE") => b'|',
        Some("SEMICOLON") => b';',
        Some("SPACE") => b' ',
        Some("TAB") => b'\t',
        _ => b',',
    }
}

/// The bytes of `body`, decompressed when they start like gzip or zstd.
pub fn decompressed(body: Box<dyn Read + Send>) -> Result<Box<dyn Read + Send>, ReadError> {
    let mut r = BufReader::new(body);
    let head = r
        .fill_buf()
        .map_err(|e| ReadError(e.to_string()))?
        .get(..4)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(r)))
    } else if head == [0x28, 0xb5, 0x2f, 0xfd] {
        let d = ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| ReadError(format!("cannot read the zstd object: {e}")))?;
        Ok(Box::new(d))
    } else {
        Ok(Box::new(r))
    }
}

/// The items of an object.
pub fn items(body: Box<dyn Read + Send>, format: &Format) -> Result<Items, ReadError> {
    let body = decompressed(body)?;
    match format {
        Format::Json {
            items_pointer: Some(p),
        } => {
            let v: Value = serde_json::from_reader(body)
                .map_err(|e| ReadError(format!("The object is not valid JSON: {e}")))?;
            match v.pointer(p) {
                Some(Value::Array(a)) => Ok(Box::new(a.clone().into_iter().map(Ok))),
                _ => Err(ReadError(
                    "Attempting to map over non-iterable node.".into(),
                )),
            }
        }
        Format::Json {
            items_pointer: None,
        } => Ok(Box::new(JsonArray::new(body)?)),
        Format::Jsonl => Ok(Box::new(
            BufReader::new(body)
                .lines()
                .filter(|l| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .map(|l| {
                    let l = l.map_err(|e| ReadError(e.to_string()))?;
                    serde_json::from_str(&l)
                        .map_err(|e| ReadError(format!("A line is not valid JSON: {e}")))
                }),
        )),
        Format::Parquet => parquet(body),
        Format::Csv { delimiter, headers } => {
            let mut records = CsvRecords {
                r: BufReader::new(body),
                delimiter: *delimiter,
            };
            let headers = match headers {
                Some(h) => {
                    let mut seen = std::collections::HashSet::new();
                    if !h.iter().all(|x| seen.insert(x)) {
                        return Err(ReadError("CSV headers cannot contain duplicates.".into()));
                    }
                    h.clone()
                }
                None => match records.next() {
                    Some(Ok(h)) => h,
                    Some(Err(e)) => return Err(e),
                    None => Vec::new(),
                },
            };
            Ok(Box::new(records.map(move |rec| {
                let rec = rec?;
                let mut m = Map::new();
                for (i, h) in headers.iter().enumerate() {
                    m.insert(
                        h.clone(),
                        Value::String(rec.get(i).cloned().unwrap_or_default()),
                    );
                }
                Ok(Value::Object(m))
            })))
        }
    }
}

#[cfg(feature = "parquet")]
fn parquet(body: Box<dyn Read + Send>) -> Result<Items, ReadError> {
    super::parquet::rows(body)
}

#[cfg(not(feature = "parquet"))]
fn parquet(_body: Box<dyn Read + Send>) -> Result<Items, ReadError> {
    Err(ReadError(
        "This build of asl cannot read Parquet objects: build it with the cargo feature `parquet`"
            .into(),
    ))
}

/// The elements of a top-level JSON array, one at a time.
struct JsonArray {
    r: BufReader<Box<dyn Read + Send>>,
    done: bool,
}

impl JsonArray {
    fn new(body: Box<dyn Read + Send>) -> Result<Self, ReadError> {
        let mut r = BufReader::new(body);
        match next_non_ws(&mut r)? {
            Some(b'[') => Ok(JsonArray { r, done: false }),
            _ => Err(ReadError(
                "Attempting to map over non-iterable node.".into(),
            )),
        }
    }
}

fn next_non_ws(r: &mut impl BufRead) -> Result<Option<u8>, ReadError> {
    loop {
        let buf = r.fill_buf().map_err(|e| ReadError(e.to_string()))?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        r.consume(1);
        if !b.is_ascii_whitespace() {
            return Ok(Some(b));
        }
    }
}

impl Iterator for JsonArray {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // Gather one element's bytes: up to the `,` or `]` at depth 0, outside strings.
        let mut bytes = Vec::new();
        let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
        loop {
            let b = match next_byte(&mut self.r) {
                Ok(Some(b)) => b,
                Ok(None) => {
                    self.done = true;
                    return Some(Err(ReadError(
                        "The object is not valid JSON: unexpected end".into(),
                    )));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if in_str {
                bytes.push(b);
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' if depth > 0 => depth -= 1,
                b']' if depth == 0 => {
                    self.done = true;
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        return None;
                    }
                    break;
                }
                b',' if depth == 0 => break,
                _ => {}
            }
            bytes.push(b);
        }
        Some(
            serde_json::from_slice(&bytes)
                .map_err(|e| ReadError(format!("The object is not valid JSON: {e}"))),
        )
    }
}

fn next_byte(r: &mut impl BufRead) -> Result<Option<u8>, ReadError> {
    let buf = r.fill_buf().map_err(|e| ReadError(e.to_string()))?;
    let Some(&b) = buf.first() else {
        return Ok(None);
    };
    r.consume(1);
    Ok(Some(b))
}

/// CSV records as lists of fields.
struct CsvRecords<R: BufRead> {
    r: R,
    delimiter: u8,
}

impl<R: BufRead> Iterator for CsvRecords<R> {
    type Item = Result<Vec<String>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let (mut quoted, mut any) = (false, false);
        loop {
            let b = match next_byte(&mut self.r) {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            let Some(b) = b else {
                if !any {
                    return None;
                }
                break;
            };
            any = true;
            if quoted {
                match b {
                    b'"' => {
                        // `""` inside quotes is a quote; a lone quote ends the quoted part.
                        if matches!(
                            self.r.fill_buf().ok().and_then(|x| x.first().copied()),
                            Some(b'"')
                        ) {
                            self.r.consume(1);
                            field.push(b'"');
                        } else {
                            quoted = false;
                        }
                    }
                    _ => field.push(b),
                }
                continue;
            }
            match b {
                b'"' => quoted = true,
                b'\\' => match next_byte(&mut self.r) {
                    Ok(Some(n)) if n == b'\\' || n == b'"' || n == self.delimiter => field.push(n),
                    Ok(Some(n)) => {
                        field.push(b'\\');
                        field.push(n);
                    }
                    Ok(None) => field.push(b'\\'),
                    Err(e) => return Some(Err(e)),
                },
                b'\n' => break,
                b'\r' => {
                    if matches!(
                        self.r.fill_buf().ok().and_then(|x| x.first().copied()),
                        Some(b'\n')
                    ) {
                        self.r.consume(1);
                    }
                    break;
                }
                d if d == self.delimiter => {
                    fields.push(String::from_utf8_lossy(&field).into_owned());
                    field.clear();
                }
                _ => field.push(b),
            }
        }
        fields.push(String::from_utf8_lossy(&field).into_owned());
        Some(Ok(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str, f: Format) -> Result<Vec<Value>, ReadError> {
        let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        items(body, &f)?.collect()
    }

    fn csv(headers: Option<Vec<&str>>) -> Format {
        Format::Csv {
            delimiter: b',',
            headers: headers.map(|h| h.into_iter().map(str::to_string).collect()),
        }
    }

    #[test]
    fn json_arrays_stream_their_elements() {
        let f = Format::Json {
            items_pointer: None,
        };
        assert_eq!(
            read(r#" [1, "a,]", {"b": [2, 3]}, []] "#, f.clone()),
            Ok(vec![
                json!(1),
                json!("a,]"),
                json!({"b": [2, 3]}),
                json!([])
            ])
        );
        assert_eq!(read("[]", f.clone()), Ok(vec![]));
        assert_eq!(
            read(r#"{"a": 1}"#, f),
            Err(ReadError(
                "Attempting to map over non-iterable node.".into()
            ))
        );
        let p = Format::Json {
            items_pointer: Some("/a/b".into()),
        };
        assert_eq!(
            read(r#"{"a": {"b": [1, 2]}}"#, p),
            Ok(vec![json!(1), json!(2)])
        );
    }

    #[test]
    fn jsonl_is_a_value_per_line() {
        assert_eq!(
            read("{\"a\":1}\n\n2\n", Format::Jsonl),
            Ok(vec![json!({"a": 1}), json!(2)])
        );
    }

    #[test]
    fn csv_values_are_strings_with_awss_padding_and_quoting() {
        let got = read("H1,H2,\n1,\"x,\"\"y\"\"\nz\"\n   \n5,6,7,8\n", csv(None)).expect("csv");
        assert_eq!(
            got,
            vec![
                json!({"H1": "1", "H2": "x,\"y\"\nz", "": ""}),
                json!({"H1": "   ", "H2": "", "": ""}),
                json!({"H1": "5", "H2": "6", "": "7"}),
            ]
        );
        let got = read("a\\,b,c\\\\d\n", csv(Some(vec!["x", "y"]))).expect("csv");
        assert_eq!(got, vec![json!({"x": "a,b", "y": "c\\d"})]);
        assert_eq!(
            read("1\n", csv(Some(vec!["x", "x"]))),
            Err(ReadError("CSV headers cannot contain duplicates.".into()))
        );
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn parquet_without_the_feature_names_it() {
        let Err(e) = read("PAR1", Format::Parquet) else {
            panic!("refused")
        };
        assert!(e.0.contains("cargo feature `parquet`"), "{e:?}");
    }

    #[test]
    fn gzip_objects_are_read_through() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"1\n2\n").expect("gzip");
        let gz = e.finish().expect("gzip");
        let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(gz));
        let got: Result<Vec<Value>, _> = items(body, &Format::Jsonl).expect("items").collect();
        assert_eq!(got, Ok(vec![json!(1), json!(2)]));
    }
}
