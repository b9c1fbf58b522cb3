//! A Parallel state: its branches, each a graph of its own, then its Retry and Catch.

use super::walker::{Obj, Walker};
use crate::definition::machine::QueryLanguage;
use crate::definition::parallel::Parallel;
use foldhash::HashMap;
use serde_json::Value;

impl Walker {
    pub(super) fn parallel(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<Parallel> {
        if !self.required(o, &["Branches"]) {
            return None;
        }
        let items = self.array(o, "Branches")?;
        let base = o.at("Branches");
        if items.is_empty() {
            self.schema(&base, "Value cannot be empty");
            return None;
        }
        let mut branches = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            match item {
                Value::Object(m) => branches.push(self.nested_graph(
                    m,
                    &p,
                    lang,
                    &["StartAt", "States", "Comment", "QueryLanguage"],
                )),
                _ => {
                    self.schema(&p, "A branch must be an object with `StartAt` and `States`");
                    branches.push(None);
                }
            }
        }
        let retry = self.retriers(o, lang);
        let catch = self.catchers(o, lang, index, names);
        Some(Parallel {
            branches: branches.into_iter().collect::<Option<Vec<_>>>()?,
            retry,
            catch,
        })
    }
}
