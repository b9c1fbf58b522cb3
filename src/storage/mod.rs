//! Where a Distributed Map's `ItemReader` reads and its `ResultWriter` writes: S3 objects,
//! behind one trait ([`ObjectStore`]). `local` keeps buckets as folders of a directory
//! (`--s3-root DIR`: `s3://BUCKET/KEY` is the file `DIR/BUCKET/KEY`); `s3` is the real S3
//! (cargo feature `aws`; a Map state routed to AWS); `memory` holds `asl test`'s inline
//! objects over either; `items` turns an object into a stream of items by its `ReaderConfig`
//! (JSON through `json`, JSONL, CSV through `csv`, Parquet through `parquet`), `manifest`
//! reads S3 Inventory and Athena manifests as the items of the files they list; gzip and zstd
//! included, reading as the Map consumes the items.
//!
//! What is read may come from anyone (a pull request's files): every item is bounded while it
//! streams, manifests are read a bounded line or size at a time, a Parquet file cannot crash
//! the process (`parquet_footer`, `crate::contain`), and `local` never leaves its root or
//! loops in it. Going over a bound is an error the Map reports as `States.ItemReaderFailed`.

mod csv;
pub mod items;
mod json;
pub mod local;
pub mod manifest;
pub mod memory;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "parquet")]
mod parquet_footer;
#[cfg(feature = "aws")]
pub mod s3;
pub mod store;

pub use local::LocalStore;
pub use memory::MemoryStore;
#[cfg(feature = "aws")]
pub use s3::{S3Settings, S3Store};
pub use store::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
