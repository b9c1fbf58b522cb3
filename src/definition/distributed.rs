//! A Distributed Map's `ItemReader`, `ItemBatcher` and `ResultWriter`, compiled.

use super::io::Dynamic;
use crate::data::template::Template;

/// Which S3 call reads the items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderResource {
    /// `arn:aws:states:::s3:getObject`: the items of one object.
    GetObject,
    /// `arn:aws:states:::s3:listObjectsV2`: the objects of a listing (or, with
    /// `LOAD_AND_FLATTEN`, the items in each of them).
    ListObjects,
}

/// `ItemReader`.
#[derive(Debug, Clone)]
pub struct ItemReader {
    pub resource: ReaderResource,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): `Bucket`, `Key` or `Prefix`.
    pub parameters: Option<Template>,
    pub config: ReaderConfig,
}

/// `ItemReader.ReaderConfig`.
#[derive(Debug, Clone, Default)]
pub struct ReaderConfig {
    /// `CSV`, `JSON`, `JSONL`, `PARQUET` or `MANIFEST`.
    pub input_type: Option<String>,
    /// `NONE` or `LOAD_AND_FLATTEN`.
    pub transformation: Option<String>,
    /// `S3_INVENTORY` or `ATHENA_DATA`.
    pub manifest_type: Option<String>,
    /// `FIRST_ROW` (default) or `GIVEN`.
    pub csv_header_location: Option<String>,
    pub csv_headers: Option<Vec<String>>,
    /// `COMMA` (default), `PIPE`, `SEMICOLON`, `SPACE` or `TAB`.
    pub csv_delimiter: Option<String>,
    /// `MaxItems(Path)`: 0 or absent reads every item.
    pub max_items: Option<Dynamic<u64>>,
    /// A JSON pointer to the array of items inside a JSON object.
    pub items_pointer: Option<String>,
}

/// `ItemBatcher`.
#[derive(Debug, Clone, Default)]
pub struct ItemBatcher {
    pub max_items: Option<Dynamic<u64>>,
    pub max_bytes: Option<Dynamic<u64>>,
    pub batch_input: Option<Template>,
}

/// `ResultWriter`.
#[derive(Debug, Clone, Default)]
pub struct ResultWriter {
    /// `Parameters`/`Arguments` with `Bucket` and `Prefix`, when the results are written.
    pub target: Option<Template>,
    /// `JSON` (default) or `JSONL`.
    pub output_type: Option<String>,
    /// `NONE` (default when writing), `COMPACT` or `FLATTEN`.
    pub transformation: Option<String>,
}
