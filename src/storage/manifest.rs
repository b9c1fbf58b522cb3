//! Objects that list other objects, read as the items of the objects they list, one data
//! file at a time: an S3 Inventory `manifest.json` (`ManifestType` `S3_INVENTORY`, or the
//! older `InputType` `MANIFEST`) and an Athena `UNLOAD` manifest (`ManifestType`
//! `ATHENA_DATA`). The same chaining reads a listing's objects for `LOAD_AND_FLATTEN`.
//!
//! - S3 Inventory: the manifest names its CSV data files (`files[].key`, gzip-compressed as
//!   S3 writes them) in its `destinationBucket`, and their columns in `fileSchema`
//!   (`"Bucket, Key, Size, LastModifiedDate"`). Each row is an object from those names to the
//!   row's values, every value a string, as AWS gives them. Inventories in ORC or Parquet are
//!   refused, as Step Functions refuses them.
//! - Athena: the manifest is text, one `s3://bucket/key` URI per line; each data file is read
//!   in the `InputType` the `ReaderConfig` gives (CSV, JSONL or PARQUET).
//!
//! Manifests come from anyone too, so they are bounded: an Athena manifest is read a line at a
//! time as its files are reached (a line at most [`LINE_LIMIT`] bytes), never whole, and an
//! S3 Inventory `manifest.json` is read only up to [`INVENTORY_LIMIT`].

use super::items::{self, Format, Items, Line, ReadError};
use super::store::ObjectStore;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::sync::Arc;

/// The longest line of an Athena manifest: an S3 URI is at most 1,092 bytes (`s3://`, a
/// bucket name of 63, `/`, a key of 1,024), and this leaves room for whitespace around it.
pub const LINE_LIMIT: usize = 4096;

/// The largest S3 Inventory `manifest.json`: S3 writes one entry of about 200 bytes per data
/// file, so 16 MiB lists some 80,000 files, more than any inventory has.
pub const INVENTORY_LIMIT: u64 = 16 * 1024 * 1024;

/// The data files to read, one after another, as they are needed.
type Files = Box<dyn Iterator<Item = Result<(String, String, Format), ReadError>> + Send>;

/// Which kind of manifest an object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An S3 Inventory `manifest.json`.
    Inventory,
    /// An Athena `UNLOAD` manifest whose data files have this format.
    Athena(Format),
}

/// The items of the files a manifest lists.
pub fn items(
    store: Arc<dyn ObjectStore>,
    bucket: &str,
    key: &str,
    manifest: &Manifest,
) -> Result<Items, ReadError> {
    let body = store.get(bucket, key).map_err(store_error)?;
    let body = items::decompressed(body)?;
    match manifest {
        Manifest::Inventory => inventory(store, bucket, body),
        Manifest::Athena(format) => athena(store, body, format.clone()),
    }
}

fn store_error(e: super::StoreError) -> ReadError {
    ReadError(e.to_string())
}

fn inventory(
    store: Arc<dyn ObjectStore>,
    bucket: &str,
    body: Box<dyn Read + Send>,
) -> Result<Items, ReadError> {
    let mut text = Vec::new();
    body.take(INVENTORY_LIMIT + 1)
        .read_to_end(&mut text)
        .map_err(|e| ReadError(format!("The S3 inventory manifest cannot be read: {e}")))?;
    if text.len() as u64 > INVENTORY_LIMIT {
        return Err(ReadError(format!(
            "The S3 inventory manifest is larger than {INVENTORY_LIMIT} bytes, the most asl reads of one"
        )));
    }
    let m: Value = serde_json::from_slice(&text)
        .map_err(|e| ReadError(format!("The S3 inventory manifest is not valid JSON: {e}")))?;
    drop(text);
    let text = |k: &str| m.get(k).and_then(Value::as_str);
    match text("fileFormat") {
        Some(f) if f.eq_ignore_ascii_case("CSV") => {}
        Some(f) => {
            return Err(ReadError(format!(
                "The S3 inventory manifest lists {f} files: only CSV inventories can be read"
            )));
        }
        None => {
            return Err(ReadError(
                "The S3 inventory manifest has no `fileFormat`".into(),
            ));
        }
    }
    let headers: Vec<String> = text("fileSchema")
        .ok_or_else(|| ReadError("The S3 inventory manifest has no `fileSchema`".into()))?
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    // `destinationBucket` is an ARN (`arn:aws:s3:::name`); the manifest's own bucket otherwise.
    let data_bucket = text("destinationBucket")
        .map(|b| b.rsplit(':').next().unwrap_or(b).to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| bucket.to_string());
    let format = Format::Csv {
        delimiter: b',',
        headers: Some(headers),
    };
    let files: VecDeque<(String, String, Format)> = m
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| ReadError("The S3 inventory manifest has no `files` list".into()))?
        .iter()
        .filter_map(|f| f.get("key").and_then(Value::as_str))
        .map(|k| (data_bucket.clone(), k.to_string(), format.clone()))
        .collect();
    Ok(chain(store, files))
}

fn athena(
    store: Arc<dyn ObjectStore>,
    body: Box<dyn Read + Send>,
    format: Format,
) -> Result<Items, ReadError> {
    let files = AthenaFiles {
        r: BufReader::new(body),
        format,
        line: 0,
    };
    Ok(chain_from(store, Box::new(files)))
}

/// The files of an Athena manifest, a line at a time.
struct AthenaFiles {
    r: BufReader<Box<dyn Read + Send>>,
    format: Format,
    /// The number of the last line read (from 1).
    line: usize,
}

impl Iterator for AthenaFiles {
    type Item = Result<(String, String, Format), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = Vec::new();
        loop {
            self.line += 1;
            let n = self.line;
            match items::bounded_line(&mut self.r, &mut buf, LINE_LIMIT) {
                Err(e) => {
                    return Some(Err(ReadError(format!(
                        "The Athena manifest cannot be read: {e}"
                    ))));
                }
                Ok(Line::End) => return None,
                Ok(Line::TooLong) => {
                    return Some(Err(ReadError(format!(
                        "Line {n} of the Athena manifest is longer than {LINE_LIMIT} bytes: it cannot be an S3 URI (s3://bucket/key)"
                    ))));
                }
                Ok(Line::Read) => {}
            }
            let Ok(line) = std::str::from_utf8(&buf) else {
                return Some(Err(ReadError(format!(
                    "Line {n} of the Athena manifest is not UTF-8 text"
                ))));
            };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            return Some(match super::memory::split_url(line) {
                Some((b, k)) => Ok((b, k, self.format.clone())),
                None => Err(ReadError(format!(
                    "The Athena manifest lists `{line}`, which is not an S3 URI (s3://bucket/key)"
                ))),
            });
        }
    }
}

/// The items of `files` (bucket, key, format), read one after another: a file is opened only
/// when the one before it is exhausted.
pub fn chain(store: Arc<dyn ObjectStore>, files: VecDeque<(String, String, Format)>) -> Items {
    chain_from(store, Box::new(files.into_iter().map(Ok)))
}

fn chain_from(store: Arc<dyn ObjectStore>, files: Files) -> Items {
    Box::new(Chain {
        store,
        files,
        current: None,
        done: false,
    })
}

struct Chain {
    store: Arc<dyn ObjectStore>,
    files: Files,
    current: Option<Items>,
    /// Nothing is read after a file that cannot be.
    done: bool,
}

impl Iterator for Chain {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            if let Some(items) = &mut self.current {
                match items.next() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let opened = match self.files.next()? {
                Ok((bucket, key, format)) => self
                    .store
                    .get(&bucket, &key)
                    .map_err(store_error)
                    .and_then(|body| items::items(body, &format)),
                Err(e) => Err(e),
            };
            match opened {
                Ok(items) => self.current = Some(items),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{MemoryStore, ObjectInfo, ObjectWriter, StoreError};
    use serde_json::json;

    fn store() -> Arc<dyn ObjectStore> {
        Arc::new(MemoryStore::new(Vec::new(), None).with_buckets(&["inv", "b"]))
    }

    #[test]
    fn an_inventory_reads_its_csv_files_by_the_schema() {
        let s = store();
        let manifest = json!({
            "sourceBucket": "src",
            "destinationBucket": "arn:aws:s3:::inv",
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size",
            "files": [{"key": "data/1.csv"}, {"key": "data/2.csv"}]
        });
        s.put("inv", "m/manifest.json", manifest.to_string().as_bytes())
            .expect("put");
        s.put("inv", "data/1.csv", b"\"src\",\"a.txt\",\"3\"\n")
            .expect("put");
        s.put("inv", "data/2.csv", b"\"src\",\"b.txt\",\"10\"\n")
            .expect("put");
        let got: Result<Vec<Value>, _> = items(s, "inv", "m/manifest.json", &Manifest::Inventory)
            .expect("manifest")
            .collect();
        assert_eq!(
            got,
            Ok(vec![
                json!({"Bucket": "src", "Key": "a.txt", "Size": "3"}),
                json!({"Bucket": "src", "Key": "b.txt", "Size": "10"}),
            ])
        );
    }

    #[test]
    fn an_inventory_in_another_format_is_refused() {
        let s = store();
        let manifest = json!({"fileFormat": "Parquet", "fileSchema": "x", "files": []});
        s.put("inv", "manifest.json", manifest.to_string().as_bytes())
            .expect("put");
        let Err(e) = items(s, "inv", "manifest.json", &Manifest::Inventory) else {
            panic!("refused")
        };
        assert!(e.0.contains("only CSV inventories"), "{e:?}");
    }

    /// Objects whose bytes never end: `pattern` over and over.
    struct Endless {
        below: MemoryStore,
        pattern: &'static [u8],
    }

    struct Cycle(&'static [u8], usize);

    impl Read for Cycle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            for b in buf.iter_mut() {
                *b = self.0[self.1 % self.0.len()];
                self.1 += 1;
            }
            Ok(buf.len())
        }
    }

    impl ObjectStore for Endless {
        fn get(&self, b: &str, k: &str) -> Result<Box<dyn Read + Send>, StoreError> {
            if k == "endless" {
                Ok(Box::new(Cycle(self.pattern, 0)))
            } else {
                self.below.get(b, k)
            }
        }
        fn list(&self, b: &str, p: &str) -> Result<Vec<ObjectInfo>, StoreError> {
            self.below.list(b, p)
        }
        fn put(&self, b: &str, k: &str, body: &[u8]) -> Result<(), StoreError> {
            self.below.put(b, k, body)
        }
        fn create(&self, b: &str, k: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
            self.below.create(b, k)
        }
    }

    fn endless(pattern: &'static [u8]) -> Arc<dyn ObjectStore> {
        let below = MemoryStore::new(Vec::new(), None).with_buckets(&["b"]);
        below.put("b", "one.jsonl", b"1\n").expect("put");
        Arc::new(Endless { below, pattern })
    }

    /// Pins issue 21: an Athena manifest was read whole into a string before its first file
    /// was opened; it is read a line at a time as its files are reached, each line bounded.
    #[test]
    fn an_athena_manifest_is_read_a_line_at_a_time_and_bounded() {
        let m = Manifest::Athena(Format::Jsonl);
        let mut it = items(endless(b"s3://b/one.jsonl\n"), "b", "endless", &m).expect("opened");
        for _ in 0..1000 {
            assert_eq!(it.next(), Some(Ok(json!(1))));
        }
        let Err(e) =
            items(endless(b"s"), "b", "endless", &m).and_then(|mut i| i.next().transpose())
        else {
            panic!("refused")
        };
        assert_eq!(
            e.0,
            "Line 1 of the Athena manifest is longer than 4096 bytes: it cannot be an S3 URI (s3://bucket/key)"
        );
        let s = store();
        s.put("b", "m.csv", b"s3://b/one.jsonl\nnot a uri\n")
            .expect("put");
        s.put("b", "one.jsonl", b"1\n").expect("put");
        let got: Vec<_> = items(s, "b", "m.csv", &m).expect("opened").collect();
        assert_eq!(
            got,
            vec![
                Ok(json!(1)),
                Err(ReadError(
                    "The Athena manifest lists `not a uri`, which is not an S3 URI (s3://bucket/key)"
                        .into()
                ))
            ]
        );
    }

    #[test]
    fn an_inventory_manifest_is_read_only_up_to_its_bound() {
        let Err(e) = items(endless(b" "), "b", "endless", &Manifest::Inventory) else {
            panic!("refused")
        };
        assert_eq!(
            e.0,
            "The S3 inventory manifest is larger than 16777216 bytes, the most asl reads of one"
        );
    }

    #[test]
    fn an_athena_manifest_lists_uris_read_lazily() {
        let s = store();
        s.put(
            "b",
            "q-manifest.csv",
            b"s3://b/out/1.jsonl\ns3://b/out/missing.jsonl\n",
        )
        .expect("put");
        s.put("b", "out/1.jsonl", b"{\"n\":1}\n{\"n\":2}\n")
            .expect("put");
        let mut it =
            items(s, "b", "q-manifest.csv", &Manifest::Athena(Format::Jsonl)).expect("manifest");
        assert_eq!(it.next(), Some(Ok(json!({"n": 1}))));
        assert_eq!(it.next(), Some(Ok(json!({"n": 2}))));
        // The missing file fails only when it is reached.
        assert!(matches!(it.next(), Some(Err(ReadError(c))) if c.contains("NoSuchKey")));
        assert_eq!(it.next(), None);
    }
}
