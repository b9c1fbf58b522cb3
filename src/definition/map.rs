//! The Map state (inline and distributed modes, legacy `Iterator` form included).

use super::distributed::{ItemBatcher, ItemReader, ResultWriter};
use super::io::Dynamic;
use super::machine::Graph;
use super::retry::{Catcher, Retrier};
use crate::data::jsonpath::Path;
use crate::data::template::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    Inline,
    Distributed,
}

/// Where the items come from.
#[derive(Debug, Clone)]
pub enum ItemsSource {
    /// `ItemsPath` (JSONPath states; `$` when absent).
    Path(Path),
    /// `Items` (JSONata states): an array or an expression.
    Template(Template),
}

#[derive(Debug, Clone)]
pub struct Map {
    pub processor: Graph,
    pub mode: MapMode,
    pub execution_type: Option<String>,
    pub items: ItemsSource,
    /// `ItemSelector` (or the legacy `Parameters`), evaluated per item.
    pub item_selector: Option<Template>,
    /// 0 means no limit.
    pub max_concurrency: Dynamic<u64>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    pub item_reader: Option<ItemReader>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<ResultWriter>,
    pub label: Option<String>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}
