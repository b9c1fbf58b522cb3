//! Items from an object's bytes, by `ReaderConfig.InputType`, read as they are consumed.
//!
//! - JSON: the elements of the top-level array, or of the array `ItemsPointer` selects (`json`).
//!   A top level that is not an array fails with AWS's `Attempting to map over non-iterable
//!   node.`
//! - JSONL: one JSON value per line; blank lines are skipped.
//! - CSV: each record an object from header to value, every value a string; short records
//!   padded with `""`, extra fields dropped; a whitespace-only line is a record, a trailing
//!   newline adds none; quoting and escapes as AWS reads them (`csv`). Headers from the first
//!   row (`FIRST_ROW`) or given (`GIVEN`: duplicates fail with `CSV headers cannot contain
//!   duplicates.`).
//! - PARQUET: each row an object (`parquet`, with the cargo feature `parquet`).
//!
//! gzip and zstd objects are recognised by their first bytes and decompressed as they stream:
//! only as much is inflated as the items read so far need, never the whole object.
//!
//! Every item is bounded by [`ITEM_LIMIT`] while it is read: a line, record or array element
//! longer fails the map run (`States.ItemReaderFailed`) as soon as the limit is passed,
//! without buffering the rest of it.

use super::csv::CsvRecords;
use super::json::JsonItems;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};

/// The largest item read from an object, 8 MiB: AWS documents that a Distributed Map reads an
/// item of up to 8 MB from a JSON, JSON Lines or CSV file (ItemReader), as long as
/// `ItemSelector` brings what a child gets under the 256 KiB payload limit.
pub const ITEM_LIMIT: usize = 8 * 1024 * 1024;

/// Why items could not be read: AWS's `States.ItemReaderFailed` cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

/// The cause for `what` (an item, a line, a record) over `limit` bytes.
pub fn too_large(what: &str, limit: usize) -> ReadError {
    ReadError(format!(
        "{what} is larger than {limit} bytes, the most a Distributed Map reads for one item"
    ))
}

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

/// The bytes of `body`, decompressed as they are read when they start like gzip or zstd.
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
        // Streaming: a block at a time, its window bounded by the decoder (128 MiB).
        let d = ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| ReadError(format!("cannot read the zstd object: {e}")))?;
        Ok(Box::new(d))
    } else {
        Ok(Box::new(r))
    }
}

/// The items of an object.
pub fn items(body: Box<dyn Read + Send>, format: &Format) -> Result<Items, ReadError> {
    items_within(body, format, ITEM_LIMIT)
}

/// [`items`] with `limit` in place of [`ITEM_LIMIT`].
pub fn items_within(
    body: Box<dyn Read + Send>,
    format: &Format,
    limit: usize,
) -> Result<Items, ReadError> {
    let body = decompressed(body)?;
    match format {
        Format::Json { items_pointer } => Ok(Box::new(JsonItems::new(
            body,
            items_pointer.as_deref(),
            limit,
        )?)),
        Format::Jsonl => Ok(Box::new(JsonLines {
            r: BufReader::new(body),
            limit,
            line: 0,
            done: false,
        })),
        Format::Parquet => parquet(body),
        Format::Csv { delimiter, headers } => csv(body, *delimiter, headers.as_deref(), limit),
    }
}

/// The JSON text of a string's length, for sizing items before they are built.
fn json_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn csv(
    body: Box<dyn Read + Send>,
    delimiter: u8,
    given: Option<&[String]>,
    limit: usize,
) -> Result<Items, ReadError> {
    let mut records = CsvRecords::new(BufReader::new(body), delimiter, limit);
    let headers = match given {
        Some(h) => {
            let mut seen = std::collections::HashSet::new();
            if !h.iter().all(|x| seen.insert(x)) {
                return Err(ReadError("CSV headers cannot contain duplicates.".into()));
            }
            h.to_vec()
        }
        None => {
            // Each name is in every item with at least an empty value: `"name":"",`.
            records.per_field = 6;
            let first = records.next();
            records.per_field = 0;
            match first {
                Some(Ok(h)) => h,
                Some(Err(e)) => return Err(e),
                None => Vec::new(),
            }
        }
    };
    // What every item holds whatever its values: `{}`, and each `"name":""` with its comma.
    let floor = 1 + headers.iter().map(|h| json_len(h) + 4).sum::<usize>();
    if floor > limit {
        return Err(ReadError(format!(
            "The CSV headers alone make every item larger than {limit} bytes, the most a Distributed Map reads for one item"
        )));
    }
    records.keep = headers.len();
    Ok(Box::new(records.map(move |rec| {
        let rec = rec?;
        // Values that JSON escapes grow (a control character to `\u0001`): the item's size
        // as a child will get it, before it is built.
        let size = floor + rec.iter().map(|v| json_len(v) - 2).sum::<usize>();
        if size > limit {
            return Err(too_large("An item of the CSV object", limit));
        }
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

/// How [`bounded_line`] ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line (maybe empty) is in the buffer.
    Read,
    /// The input ended before any byte of a line.
    End,
    /// The line passed the limit; the rest of it is not read.
    TooLong,
}

/// Reads the next line, without its `\n`, into `buf` (cleared first), reading no further than
/// `limit` bytes into it.
pub fn bounded_line(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Line> {
    buf.clear();
    let mut any = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(if any { Line::Read } else { Line::End });
        }
        any = true;
        let (take, newline) = match avail.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        if buf.len() + take > limit {
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(&avail[..take]);
        r.consume(take + usize::from(newline));
        if newline {
            return Ok(Line::Read);
        }
    }
}

/// JSON Lines: one value per line, blank lines skipped.
struct JsonLines {
    r: BufReader<Box<dyn Read + Send>>,
    limit: usize,
    /// The number of the last line read (from 1).
    line: usize,
    done: bool,
}

impl Iterator for JsonLines {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = Vec::new();
        while !self.done {
            self.line += 1;
            match bounded_line(&mut self.r, &mut buf, self.limit) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(ReadError(e.to_string())));
                }
                Ok(Line::End) => self.done = true,
                Ok(Line::TooLong) => {
                    self.done = true;
                    return Some(Err(too_large(
                        &format!("Line {} of the JSONL object", self.line),
                        self.limit,
                    )));
                }
                Ok(Line::Read) if buf.iter().all(u8::is_ascii_whitespace) => {}
                Ok(Line::Read) => {
                    return Some(
                        serde_json::from_slice(&buf)
                            .map_err(|e| ReadError(format!("A line is not valid JSON: {e}"))),
                    );
                }
            }
        }
        None
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

    /// A zstd frame of `head`, then `byte` repeated `count` times in RLE blocks (four bytes
    /// per 128 KiB), then `tail`: 4 GiB in 129 KiB.
    pub(crate) fn zstd_bomb(head: &[u8], byte: u8, count: u64, tail: &[u8]) -> Vec<u8> {
        const BLOCK: u64 = 128 * 1024;
        let header = |last: bool, kind: u32, size: u64| {
            let v = u32::from(last) | (kind << 1) | ((size as u32) << 3);
            v.to_le_bytes()[..3].to_vec()
        };
        // Magic, no content size or checksum, a 128 KiB window.
        let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
        out.extend(header(false, 0, head.len() as u64));
        out.extend_from_slice(head);
        let mut left = count;
        while left > 0 {
            let n = left.min(BLOCK);
            out.extend(header(false, 1, n));
            out.push(byte);
            left -= n;
        }
        out.extend(header(true, 0, tail.len() as u64));
        out.extend_from_slice(tail);
        out
    }

    /// Pins issue 21: a 129 KiB zstd object holding one 4 GiB string was inflated into memory
    /// (an allocation abort), and JSONL and CSV held a whole line (a 1 GiB line took 3.1 GB).
    /// Each fails once past the item limit, having inflated little more than that, quickly.
    #[test]
    fn decompression_bombs_fail_at_the_item_limit_quickly() {
        let four_gib = 4u64 << 30;
        let cases = [
            (
                zstd_bomb(b"[\"", b'a', four_gib, b"\"]"),
                Format::Json {
                    items_pointer: None,
                },
                "Item 0 of the JSON array",
            ),
            (
                zstd_bomb(b"{\"a\": [\"", b'a', four_gib, b"\"]}"),
                Format::Json {
                    items_pointer: Some("/a".into()),
                },
                "Item 0 of the JSON array",
            ),
            (
                zstd_bomb(b"{\"x\": 1}\n\"", b'a', four_gib, b"\"\n"),
                Format::Jsonl,
                "Line 2 of the JSONL object",
            ),
            (
                zstd_bomb(b"h\n", b'a', four_gib, b"\n"),
                csv(None),
                "Record 2 of the CSV object",
            ),
        ];
        for (object, format, what) in cases {
            assert!(object.len() < 130 * 1024);
            let started = std::time::Instant::now();
            let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(object));
            let got: Result<Vec<Value>, _> = items(body, &format).and_then(|i| i.collect());
            assert_eq!(got, Err(too_large(what, ITEM_LIMIT)), "{format:?}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{format:?} took {:?}",
                started.elapsed()
            );
        }
    }

    #[test]
    fn items_are_sized_as_json_and_lines_by_their_bytes() {
        let within = |text: &str, f: Format, limit| {
            let body: Box<dyn Read + Send> =
                Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
            items_within(body, &f, limit).and_then(|i| i.collect::<Result<Vec<_>, _>>())
        };
        // `{"h":"abc"}` is 11 bytes; control characters grow sixfold as JSON.
        assert_eq!(
            within("h\nabc\n", csv(None), 11),
            Ok(vec![json!({"h": "abc"})])
        );
        assert_eq!(
            within("h\n\u{1}\n", csv(None), 11),
            Err(too_large("An item of the CSV object", 11))
        );
        assert_eq!(
            within("abcdefghij\n1\n", csv(None), 11),
            Err(too_large("Record 1 of the CSV object", 11))
        );
        assert_eq!(
            within("1\n", csv(Some(vec!["abcdefghij"])), 11),
            Err(ReadError("The CSV headers alone make every item larger than 11 bytes, the most a Distributed Map reads for one item".into()))
        );
        assert_eq!(
            within("1\n\n  \n[1, 2, 3]\n", Format::Jsonl, 9),
            Ok(vec![json!(1), json!([1, 2, 3])])
        );
        assert_eq!(
            within("1\n[1, 2, 3, 4]\n2\n", Format::Jsonl, 9),
            Err(too_large("Line 2 of the JSONL object", 9))
        );
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
