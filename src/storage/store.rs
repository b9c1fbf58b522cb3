//! The object store trait and its errors.

use std::io::Read;

/// One object of a listing, as `s3:listObjectsV2` items show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// The entity tag with its quotes (`"\"05704f...\""`), as S3 returns it.
    pub etag: String,
    /// Seconds since the epoch.
    pub last_modified: i64,
    /// `STANDARD`, `GLACIER`, ... (local objects are `STANDARD`).
    pub storage_class: String,
}

/// Why an object could not be read or written; the Map turns it into AWS's
/// `States.ItemReaderFailed` (or `States.ResultWriterFailed`) with the cause S3 gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "The specified bucket does not exist (Service: S3, Status Code: 404, Error Code: NoSuchBucket)"
    )]
    NoSuchBucket(String),
    #[error(
        "The specified key does not exist. (Service: S3, Status Code: 404, Error Code: NoSuchKey)"
    )]
    NoSuchKey { bucket: String, key: String },
    #[error("{0}")]
    Io(String),
    /// The store could not be reached at all (no credentials, no network): not an answer of
    /// S3's, so it ends the run instead of failing the Map.
    #[error("cannot reach S3: {0}")]
    Unreachable(String),
}

impl StoreError {
    /// S3's `AccessDenied`, with why: the object may be there, but `asl` will not touch it.
    pub fn access_denied(why: &str) -> Self {
        StoreError::Io(format!(
            "Access Denied: {why} (Service: S3, Status Code: 403, Error Code: AccessDenied)"
        ))
    }
}

/// S3 as `asl` needs it. Implementations must be cheap to share between concurrent children.
pub trait ObjectStore: Send + Sync {
    /// The object's bytes, as a stream.
    fn get(&self, bucket: &str, key: &str) -> Result<Box<dyn Read + Send>, StoreError>;
    /// Every object whose key starts with `prefix`, in key order (all pages).
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError>;
    /// Writes an object, replacing any with the same key.
    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError>;
    /// Starts an object written piece by piece (results too large to hold at once).
    fn create(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError>;
}

/// An object being written; [`ObjectWriter::finish`] stores it and says its size.
pub trait ObjectWriter: std::io::Write + Send {
    fn finish(self: Box<Self>) -> Result<u64, StoreError>;
}
