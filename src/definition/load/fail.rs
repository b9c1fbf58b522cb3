//! A Fail state: `Error` and `Cause`, fixed, by path, by intrinsic call or by expression.

use super::walker::{Obj, Walker};
use crate::data::intrinsics;
use crate::data::jsonata;
use crate::definition::fail::Fail;
use crate::definition::io::Dynamic;
use crate::definition::machine::QueryLanguage;

impl Walker {
    pub(super) fn fail(&mut self, o: Obj, lang: QueryLanguage) -> Fail {
        let mut f = Fail::default();
        for (k, slot) in [("Error", &mut f.error), ("Cause", &mut f.cause)] {
            let path_key = format!("{k}Path");
            if o.has(k) && o.has(&path_key) {
                self.schema(
                    o.ptr,
                    format!("The fields `{k}` and `{path_key}` cannot both be set"),
                );
            }
            if let Some(s) = self.string(o, k) {
                *slot = match (lang, jsonata::template_body(s)) {
                    (QueryLanguage::Jsonata, Some(body)) => {
                        self.expression(&o.at(k), k, body).map(Dynamic::Expr)
                    }
                    _ => Some(Dynamic::Fixed(s.to_string())),
                };
            } else if let Some(s) = self.string(o, &path_key) {
                *slot = if intrinsics::parse::looks_like_call(s) {
                    match intrinsics::parse_call(s) {
                        Ok(c) => Some(Dynamic::Intrinsic(c)),
                        Err(e) => {
                            self.schema(&o.at(&path_key), format!("The value of `{path_key}` is not a valid intrinsic function call: {e}"));
                            None
                        }
                    }
                } else {
                    self.path(o, &path_key).map(Dynamic::Path)
                };
            }
        }
        f
    }
}
