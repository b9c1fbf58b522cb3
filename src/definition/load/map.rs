//! A Map state: its item processor (inline, or a Distributed Map's child workflow), where
//! its items come from, the item selector, concurrency and tolerated failures, then Retry and
//! Catch. A Distributed Map's reader, batcher and writer are in `distributed.rs`.

use super::walker::{Obj, Walker, type_of};
use crate::data::jsonata;
use crate::data::jsonpath::Path;
use crate::definition::io::{Dynamic, Io};
use crate::definition::machine::QueryLanguage;
use crate::definition::map::{ItemsSource, Map, MapMode};
use foldhash::HashMap;
use serde_json::Value;

impl Walker {
    pub(super) fn map(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
        io: &mut Io,
    ) -> Option<Map> {
        let proc_key = match (o.has("ItemProcessor"), o.has("Iterator")) {
            (true, true) => {
                self.schema(
                    o.ptr,
                    "A Map state cannot have both `ItemProcessor` and `Iterator`",
                );
                return None;
            }
            (true, false) => "ItemProcessor",
            (false, true) => "Iterator",
            (false, false) => {
                self.schema(o.ptr, "These fields are required: [ItemProcessor]");
                return None;
            }
        };
        let proc_ptr = o.at(proc_key);
        let pm = self.object(o, proc_key)?;
        let mut mode = MapMode::Inline;
        let mut execution_type = None;
        if let Some(Value::Object(cfg)) = pm.get("ProcessorConfig") {
            let cp = proc_ptr.key("ProcessorConfig");
            let c = Obj { map: cfg, ptr: &cp };
            for k in cfg.keys() {
                if !matches!(k.as_str(), "Mode" | "ExecutionType") {
                    self.unknown(
                        c.ptr,
                        k,
                        format!("Field `{k}` is not supported in `ProcessorConfig`"),
                    );
                }
            }
            match self.string(c, "Mode") {
                None | Some("INLINE") => {}
                Some("DISTRIBUTED") => mode = MapMode::Distributed,
                Some(other) => self.schema(
                    &c.at("Mode"),
                    format!("`Mode` must be `INLINE` or `DISTRIBUTED`, but it is `{other}`"),
                ),
            }
            if mode == MapMode::Distributed && !c.has("ExecutionType") {
                // A distributed Map runs child workflows, whose type must be chosen.
                self.required(c, &["ExecutionType"]);
            }
            execution_type = self.string(c, "ExecutionType").map(str::to_string);
            if let Some(t) = &execution_type
                && t != "STANDARD"
                && t != "EXPRESS"
            {
                self.schema(
                    &c.at("ExecutionType"),
                    format!("`ExecutionType` must be `STANDARD` or `EXPRESS`, but it is `{t}`"),
                );
            }
        }
        // `Iterator` (legacy) and `ItemProcessor` accept the same fields.
        let allowed: &[&str] = &[
            "StartAt",
            "States",
            "Comment",
            "QueryLanguage",
            "ProcessorConfig",
        ];
        let outer_child = self.in_child_workflow;
        self.in_child_workflow |= mode == MapMode::Distributed;
        let processor = self.nested_graph(pm, &proc_ptr, lang, allowed);
        self.in_child_workflow = outer_child;

        let items = match lang {
            QueryLanguage::JsonPath => match o.get("ItemsPath") {
                None => ItemsSource::Path(Path::parse("$").ok()?),
                Some(_) => ItemsSource::Path(self.reference_path(o, "ItemsPath", true)?),
            },
            QueryLanguage::Jsonata => match o.get("Items") {
                None => ItemsSource::Path(Path::parse("$").ok()?),
                Some(Value::Array(_)) | Some(Value::String(_)) => {
                    ItemsSource::Template(self.template_jsonata(o, "Items")?)
                }
                Some(other) => {
                    self.schema(
                        &o.at("Items"),
                        format!(
                            "`Items` must be an array or a JSONata expression, but it is {}",
                            type_of(other)
                        ),
                    );
                    return None;
                }
            },
        };
        if o.has("ItemSelector") && o.has("Parameters") {
            self.schema(
                o.ptr,
                "A Map state cannot have both `ItemSelector` and `Parameters`",
            );
        }
        let sel_key = if o.has("Parameters") {
            "Parameters"
        } else {
            "ItemSelector"
        };
        let item_selector = if o.has(sel_key) {
            self.template(o, sel_key, lang)
        } else {
            None
        };
        io.parameters = None;

        let max_concurrency = self
            .dynamic_int(o, "MaxConcurrency", 0, lang)
            .unwrap_or(Dynamic::Fixed(0));
        let tolerated_failure_count = self.dynamic_int(o, "ToleratedFailureCount", 0, lang);
        let tolerated_failure_percentage = self.dynamic_percentage(o, lang);
        let label = self.string(o, "Label").map(str::to_string);
        let item_reader = self.item_reader(o, lang);
        let item_batcher = self.item_batcher(o, lang);
        let result_writer = self.result_writer(o, lang);
        let retry = self.retriers(o, lang);
        let catch = self.catchers(o, lang, index, names);
        Some(Map {
            processor: processor?,
            mode,
            execution_type,
            items,
            item_selector,
            max_concurrency,
            tolerated_failure_count,
            tolerated_failure_percentage,
            item_reader,
            item_batcher,
            result_writer,
            label,
            retry,
            catch,
        })
    }

    fn dynamic_percentage(&mut self, o: Obj, lang: QueryLanguage) -> Option<Dynamic<f64>> {
        let k = "ToleratedFailurePercentage";
        let pk = "ToleratedFailurePercentagePath";
        if o.has(k) && o.has(pk) {
            self.schema(
                o.ptr,
                format!("The fields `{k}` and `{pk}` cannot both be set"),
            );
        }
        match o.get(k) {
            Some(Value::String(s)) if lang == QueryLanguage::Jsonata => {
                match jsonata::template_body(s) {
                    Some(body) => self.expression(&o.at(k), k, body).map(Dynamic::Expr),
                    None => {
                        self.schema(
                            &o.at(k),
                            format!("`{k}` must be a number or a JSONata expression"),
                        );
                        None
                    }
                }
            }
            Some(_) => {
                let n = self.number(o, k)?;
                if !(0.0..=100.0).contains(&n) {
                    self.schema(
                        &o.at(k),
                        format!("`{k}` must be between 0 and 100, but it is {n}"),
                    );
                    return None;
                }
                Some(Dynamic::Fixed(n))
            }
            None if o.has(pk) => self.reference_path(o, pk, true).map(Dynamic::Path),
            None => None,
        }
    }
}
