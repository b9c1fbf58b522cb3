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

use super::items::{self, Format, Items, ReadError};
use super::store::ObjectStore;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;

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
    let m: Value = serde_json::from_reader(body)
        .map_err(|e| ReadError(format!("The S3 inventory manifest is not valid JSON: {e}")))?;
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
    mut body: Box<dyn Read + Send>,
    format: Format,
) -> Result<Items, ReadError> {
    let mut text = String::new();
    body.read_to_string(&mut text)
        .map_err(|e| ReadError(format!("The Athena manifest cannot be read: {e}")))?;
    let mut files = VecDeque::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((b, k)) = super::memory::split_url(line) else {
            return Err(ReadError(format!(
                "The Athena manifest lists `{line}`, which is not an S3 URI (s3://bucket/key)"
            )));
        };
        files.push_back((b, k, format.clone()));
    }
    Ok(chain(store, files))
}

/// The items of `files` (bucket, key, format), read one after another: a file is opened only
/// when the one before it is exhausted.
pub fn chain(store: Arc<dyn ObjectStore>, files: VecDeque<(String, String, Format)>) -> Items {
    Box::new(Chain {
        store,
        files,
        current: None,
    })
}

struct Chain {
    store: Arc<dyn ObjectStore>,
    files: VecDeque<(String, String, Format)>,
    current: Option<Items>,
}

impl Iterator for Chain {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(items) = &mut self.current {
                match items.next() {
                    Some(item) => return Some(item),
                    None => self.current = None,
                }
            }
            let (bucket, key, format) = self.files.pop_front()?;
            let opened = self
                .store
                .get(&bucket, &key)
                .map_err(store_error)
                .and_then(|body| items::items(body, &format));
            match opened {
                Ok(items) => self.current = Some(items),
                Err(e) => {
                    // Nothing is read after a file that cannot be.
                    self.files.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStore;
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
