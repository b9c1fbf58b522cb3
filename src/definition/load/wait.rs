//! A Wait state: exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`.

use super::walker::{Obj, Walker};
use crate::data::jsonata;
use crate::data::timestamp;
use crate::definition::io::Dynamic;
use crate::definition::machine::QueryLanguage;
use crate::definition::wait::Wait;

impl Walker {
    pub(super) fn wait(&mut self, o: Obj, lang: QueryLanguage) -> Option<Wait> {
        let set: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|k| o.has(k))
            .collect();
        if set.len() != 1 {
            self.schema(
                o.ptr,
                if set.is_empty() {
                    "A Wait state needs exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`".to_string()
                } else {
                    format!("A Wait state needs exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`, but it has {}", set.join(", "))
                },
            );
            return None;
        }
        match set[0] {
            "Seconds" | "SecondsPath" => self.dynamic_int(o, "Seconds", 0, lang).map(Wait::Seconds),
            "Timestamp" => {
                let s = self.string(o, "Timestamp")?;
                if lang == QueryLanguage::Jsonata
                    && let Some(body) = jsonata::template_body(s)
                {
                    return self
                        .expression(&o.at("Timestamp"), "Timestamp", body)
                        .map(|e| Wait::Timestamp(Dynamic::Expr(e)));
                }
                match timestamp::parse(s) {
                    Some(t) => Some(Wait::Timestamp(Dynamic::Fixed(t))),
                    None => {
                        self.schema(
                            &o.at("Timestamp"),
                            "String does not match RFC3339 timestamp",
                        );
                        None
                    }
                }
            }
            _ => self
                .reference_path(o, "TimestampPath", true)
                .map(|p| Wait::Timestamp(Dynamic::Path(p))),
        }
    }
}
