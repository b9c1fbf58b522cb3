//! Objects held in memory, over an optional store beneath (`asl test`'s `s3Objects`, over its
//! `s3Root`): reads look in memory first; writes stay in memory, so that each test case has an
//! S3 of its own that no other case sees. As on S3, a write to a bucket that exists neither
//! in memory nor beneath fails with `NoSuchBucket`.

use super::store::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

type Objects = Arc<Mutex<BTreeMap<(String, String), Vec<u8>>>>;

/// Objects by bucket and key, over `below`.
pub struct MemoryStore {
    objects: Objects,
    below: Option<Arc<dyn ObjectStore>>,
    /// The objects written since the store was made (bucket, key).
    written: Arc<Mutex<std::collections::BTreeSet<(String, String)>>>,
    /// Buckets made empty ([`MemoryStore::with_buckets`]).
    buckets: Mutex<std::collections::BTreeSet<String>>,
}

impl MemoryStore {
    pub fn new(
        objects: Vec<(String, String, Vec<u8>)>,
        below: Option<Arc<dyn ObjectStore>>,
    ) -> Self {
        let map = objects.into_iter().map(|(b, k, v)| ((b, k), v)).collect();
        MemoryStore {
            objects: Arc::new(Mutex::new(map)),
            below,
            written: Arc::default(),
            buckets: Mutex::default(),
        }
    }

    /// Empty buckets too (only a bucket that holds an object exists otherwise).
    pub fn with_buckets(self, buckets: &[&str]) -> Self {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(buckets.iter().map(|b| b.to_string()));
        self
    }

    fn has_bucket(&self, bucket: &str) -> bool {
        if self
            .buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(bucket)
        {
            return true;
        }
        let o = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        o.keys().any(|(b, _)| b == bucket)
    }

    /// A bucket exists when an object in memory is in it, or the store beneath has it.
    fn writable(&self, bucket: &str, key: &str) -> Result<(), StoreError> {
        if self.has_bucket(bucket) {
            return Ok(());
        }
        match &self.below {
            Some(b) => match b.get(bucket, key) {
                Err(StoreError::NoSuchBucket(_)) => {
                    Err(StoreError::NoSuchBucket(bucket.to_string()))
                }
                Err(e @ StoreError::Unreachable(_)) => Err(e),
                _ => Ok(()),
            },
            None => Err(StoreError::NoSuchBucket(bucket.to_string())),
        }
    }

    /// The objects written to this store, in bucket and key order.
    pub fn written(&self) -> Vec<(String, String, Vec<u8>)> {
        let keys = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let o = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| o.get(k).map(|v| (k.0.clone(), k.1.clone(), v.clone())))
            .collect()
    }
}

/// `s3://BUCKET/KEY` -> (`BUCKET`, `KEY`).
pub fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (b, k) = rest.split_once('/')?;
    (!b.is_empty() && !k.is_empty()).then(|| (b.to_string(), k.to_string()))
}

impl ObjectStore for MemoryStore {
    fn get(&self, bucket: &str, key: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let found = self
            .objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(bucket.to_string(), key.to_string()))
            .cloned();
        match (found, &self.below) {
            (Some(bytes), _) => Ok(Box::new(std::io::Cursor::new(bytes))),
            (None, Some(b)) => b.get(bucket, key),
            (None, None) if self.has_bucket(bucket) => Err(StoreError::NoSuchKey {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
            (None, None) => Err(StoreError::NoSuchBucket(bucket.to_string())),
        }
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let mut out: BTreeMap<String, ObjectInfo> = BTreeMap::new();
        match &self.below {
            Some(b) => match b.list(bucket, prefix) {
                Ok(l) => out.extend(l.into_iter().map(|o| (o.key.clone(), o))),
                Err(StoreError::NoSuchBucket(_)) if self.has_bucket(bucket) => {}
                Err(e) => return Err(e),
            },
            None if !self.has_bucket(bucket) => {
                return Err(StoreError::NoSuchBucket(bucket.to_string()));
            }
            None => {}
        }
        let o = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        for ((b, k), v) in o.iter() {
            if b == bucket && k.starts_with(prefix) {
                let hex: String = Md5::digest(v).iter().map(|x| format!("{x:02x}")).collect();
                out.insert(
                    k.clone(),
                    ObjectInfo {
                        key: k.clone(),
                        size: v.len() as u64,
                        etag: format!("\"{hex}\""),
                        last_modified: 0,
                        storage_class: "STANDARD".into(),
                    },
                );
            }
        }
        Ok(out.into_values().collect())
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        self.writable(bucket, key)?;
        let k = (bucket.to_string(), key.to_string());
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k.clone());
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k, body.to_vec());
        Ok(())
    }

    fn create(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        self.writable(bucket, key)?;
        Ok(Box::new(MemoryWriter {
            objects: self.objects.clone(),
            written: self.written.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            body: Vec::new(),
        }))
    }
}

struct MemoryWriter {
    objects: Objects,
    written: Arc<Mutex<std::collections::BTreeSet<(String, String)>>>,
    bucket: String,
    key: String,
    body: Vec<u8>,
}

impl std::io::Write for MemoryWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.body.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for MemoryWriter {
    fn finish(self: Box<Self>) -> Result<u64, StoreError> {
        let size = self.body.len() as u64;
        let k = (self.bucket, self.key);
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k.clone());
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(k, self.body);
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_in_memory_come_first_and_missing_ones_are_s3s_errors() {
        let m = MemoryStore::new(vec![("b".into(), "k.json".into(), b"[1]".to_vec())], None);
        let mut s = String::new();
        m.get("b", "k.json")
            .expect("object")
            .read_to_string(&mut s)
            .expect("read");
        assert_eq!(s, "[1]");
        assert!(matches!(m.get("b", "x"), Err(StoreError::NoSuchKey { .. })));
        assert!(matches!(m.get("c", "x"), Err(StoreError::NoSuchBucket(_))));
        m.put("b", "out/r.json", b"{}").expect("put");
        assert_eq!(m.list("b", "out/").expect("list").len(), 1);
        // As on S3, no bucket is made by writing to it.
        assert!(matches!(
            m.put("nope", "r.json", b"{}"),
            Err(StoreError::NoSuchBucket(_))
        ));
        assert!(matches!(
            m.create("nope", "r.json").map(|_| ()),
            Err(StoreError::NoSuchBucket(_))
        ));
        assert_eq!(
            m.written(),
            vec![("b".into(), "out/r.json".into(), b"{}".to_vec())]
        );
        assert_eq!(
            split_url("s3://b/a/c.csv"),
            Some(("b".into(), "a/c.csv".into()))
        );
        assert_eq!(split_url("s3://b"), None);
    }
}
