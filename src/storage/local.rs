//! S3 buckets as folders of a local directory: `s3://BUCKET/KEY` is `ROOT/BUCKET/KEY`.

use super::store::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
use md5::{Digest, Md5};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Buckets under `root`; a bucket exists when its folder does.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    fn bucket(&self, bucket: &str) -> Result<PathBuf, StoreError> {
        // A bucket name never holds `/` or `..`: refuse what would leave the root.
        if bucket.is_empty() || bucket.contains('/') || bucket == "." || bucket == ".." {
            return Err(StoreError::NoSuchBucket(bucket.to_string()));
        }
        let dir = self.root.join(bucket);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(StoreError::NoSuchBucket(bucket.to_string()))
        }
    }

    /// The file of `key` in `dir`, refusing keys that climb out of the bucket.
    fn file(dir: &Path, bucket: &str, key: &str) -> Result<PathBuf, StoreError> {
        let missing = || StoreError::NoSuchKey {
            bucket: bucket.to_string(),
            key: key.to_string(),
        };
        if key.is_empty() || key.split('/').any(|s| s == "..") || key.starts_with('/') {
            return Err(missing());
        }
        Ok(dir.join(key))
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        let key = format!("{prefix}{name}");
        if p.is_dir() {
            walk(&p, &format!("{key}/"), out);
        } else {
            out.push((key, p));
        }
    }
}

impl ObjectStore for LocalStore {
    fn get(&self, bucket: &str, key: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let dir = self.bucket(bucket)?;
        let path = Self::file(&dir, bucket, key)?;
        match std::fs::File::open(&path) {
            Ok(f) if path.is_file() => Ok(Box::new(std::io::BufReader::new(f))),
            _ => Err(StoreError::NoSuchKey {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
        }
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let dir = self.bucket(bucket)?;
        let mut files = Vec::new();
        walk(&dir, "", &mut files);
        // S3 lists keys in the byte order of their UTF-8.
        files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut out = Vec::new();
        for (key, path) in files.into_iter().filter(|(k, _)| k.starts_with(prefix)) {
            let bytes = std::fs::read(&path).map_err(|e| StoreError::Io(e.to_string()))?;
            let meta = std::fs::metadata(&path).map_err(|e| StoreError::Io(e.to_string()))?;
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            let digest = Md5::digest(&bytes);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.push(ObjectInfo {
                key,
                size: bytes.len() as u64,
                etag: format!("\"{hex}\""),
                last_modified: modified,
                storage_class: "STANDARD".into(),
            });
        }
        Ok(out)
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        let dir = self.bucket(bucket)?;
        let path = Self::file(&dir, bucket, key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Io(e.to_string()))?;
        }
        std::fs::write(&path, body).map_err(|e| StoreError::Io(e.to_string()))
    }

    fn create(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let dir = self.bucket(bucket)?;
        let path = Self::file(&dir, bucket, key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Io(e.to_string()))?;
        }
        let f = std::fs::File::create(&path).map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Box::new(FileWriter {
            out: std::io::BufWriter::new(f),
            size: 0,
        }))
    }
}

/// A local object being written.
struct FileWriter {
    out: std::io::BufWriter<std::fs::File>,
    size: u64,
}

impl std::io::Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl ObjectWriter for FileWriter {
    fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        use std::io::Write;
        self.out
            .flush()
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_folders_and_keys_may_hold_slashes() {
        let root = std::env::temp_dir().join(format!("asl-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("b")).expect("dir");
        let s = LocalStore::new(&root);
        s.put("b", "a/b/c.json", b"[1]").expect("put");
        let mut text = String::new();
        s.get("b", "a/b/c.json")
            .expect("get")
            .read_to_string(&mut text)
            .expect("read");
        assert_eq!(text, "[1]");
        let l = s.list("b", "a/").expect("list");
        assert_eq!(l[0].key, "a/b/c.json");
        assert_eq!(l[0].size, 3);
        assert!(matches!(
            s.get("nope", "k"),
            Err(StoreError::NoSuchBucket(_))
        ));
        assert!(matches!(
            s.get("b", "missing"),
            Err(StoreError::NoSuchKey { .. })
        ));
        assert!(matches!(
            s.get("b", "../b/a/b/c.json"),
            Err(StoreError::NoSuchKey { .. })
        ));
    }
}
