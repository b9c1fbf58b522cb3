//! A Distributed Map's `ItemReader`, `ItemBatcher` and `ResultWriter`, compiled. Their field
//! rules are `validate`'s (`validate/rules.rs`); here only what runs is built.

use super::walker::{Obj, Walker};
use crate::definition::distributed::{
    ItemBatcher, ItemReader, ReaderConfig, ReaderResource, ResultWriter,
};
use crate::definition::machine::QueryLanguage;
use serde_json::Value;

impl Walker {
    /// `ItemReader`: its resource, `Parameters`/`Arguments` and `ReaderConfig`, compiled.
    /// Field rules are `validate`'s (`validate/rules.rs`); here only what runs is built.
    pub(super) fn item_reader(&mut self, o: Obj, lang: QueryLanguage) -> Option<ItemReader> {
        let m = match o.get("ItemReader") {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let ptr = o.at("ItemReader");
        let r = Obj { map: m, ptr: &ptr };
        let resource = match m.get("Resource").and_then(Value::as_str) {
            Some(arn) if arn.contains("s3:listObjectsV2") => ReaderResource::ListObjects,
            _ => ReaderResource::GetObject,
        };
        let params_key = match lang {
            QueryLanguage::JsonPath => "Parameters",
            QueryLanguage::Jsonata => "Arguments",
        };
        let parameters = if r.has(params_key) {
            self.template(r, params_key, lang)
        } else {
            None
        };
        let mut config = ReaderConfig::default();
        if let Some(Value::Object(c)) = m.get("ReaderConfig") {
            let cp = ptr.key("ReaderConfig");
            let co = Obj { map: c, ptr: &cp };
            let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
            config.input_type = text("InputType");
            config.transformation = text("Transformation");
            config.manifest_type = text("ManifestType");
            config.csv_header_location = text("CSVHeaderLocation");
            config.csv_delimiter = text("CSVDelimiter");
            config.items_pointer = text("ItemsPointer");
            config.csv_headers = c.get("CSVHeaders").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
            // 0 reads every item; at most 100,000,000 (the developer guide's ItemReader).
            config.max_items = self.dynamic_int_in(co, "MaxItems", 0, 100_000_000, lang);
        }
        Some(ItemReader {
            resource,
            parameters,
            config,
        })
    }

    /// `ItemBatcher`, compiled.
    pub(super) fn item_batcher(&mut self, o: Obj, lang: QueryLanguage) -> Option<ItemBatcher> {
        let m = match o.get("ItemBatcher") {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let ptr = o.at("ItemBatcher");
        let b = Obj { map: m, ptr: &ptr };
        Some(ItemBatcher {
            // Positive integers (the States Language's batching); a batch's input is at most
            // 256 KiB (the developer guide's ItemBatcher).
            max_items: self.dynamic_int(b, "MaxItemsPerBatch", 1, lang),
            max_bytes: self.dynamic_int_in(b, "MaxInputBytesPerBatch", 1, 262_144, lang),
            batch_input: if b.has("BatchInput") {
                self.template(b, "BatchInput", lang)
            } else {
                None
            },
        })
    }

    /// `ResultWriter`, compiled.
    pub(super) fn result_writer(&mut self, o: Obj, lang: QueryLanguage) -> Option<ResultWriter> {
        let m = match o.get("ResultWriter") {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let ptr = o.at("ResultWriter");
        let w = Obj { map: m, ptr: &ptr };
        let params_key = match lang {
            QueryLanguage::JsonPath => "Parameters",
            QueryLanguage::Jsonata => "Arguments",
        };
        // The results go to `Bucket` under `Prefix`; AWS accepts nothing else there, and a
        // field such as `Key` would otherwise pass and be ignored by the run.
        if let Some(Value::Object(p)) = m.get(params_key) {
            let allowed: &[&str] = match lang {
                QueryLanguage::JsonPath => &["Bucket", "Bucket.$", "Prefix", "Prefix.$"],
                QueryLanguage::Jsonata => &["Bucket", "Prefix"],
            };
            let at = ptr.key(params_key);
            for k in p.keys().filter(|k| !allowed.contains(&k.as_str())) {
                let hint = crate::definition::diagnostic::did_you_mean_in(k, allowed);
                self.unknown(
                    &at,
                    k,
                    format!(
                        "Field `{k}` is not supported in `ResultWriter.{params_key}`, which takes `Bucket` and `Prefix`{hint}"
                    ),
                );
            }
            if !p.contains_key("Bucket") && !p.contains_key("Bucket.$") {
                self.schema(&at, "These fields are required: [Bucket]");
            }
        }
        let target = if w.has("Resource") && w.has(params_key) {
            self.template(w, params_key, lang)
        } else {
            None
        };
        let cfg = m.get("WriterConfig").and_then(Value::as_object);
        let text = |k: &str| {
            cfg.and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(ResultWriter {
            target,
            output_type: text("OutputType"),
            transformation: text("Transformation"),
        })
    }
}
