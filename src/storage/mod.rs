//! Where a Distributed Map's `ItemReader` reads and its `ResultWriter` writes: S3 objects,
//! behind one trait ([`ObjectStore`]). `local` keeps buckets as folders of a directory
//! (`--s3-root DIR`: `s3://BUCKET/KEY` is the file `DIR/BUCKET/KEY`); `items` turns an object
//! into a stream of items by its `ReaderConfig` (JSON, JSONL, CSV, S3 inventory manifests),
//! gzip and zstd included, reading as the Map consumes the items.

pub mod items;
pub mod local;
pub mod memory;
pub mod store;

pub use local::LocalStore;
pub use memory::MemoryStore;
pub use store::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
