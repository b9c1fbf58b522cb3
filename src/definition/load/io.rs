//! The data-flow fields: paths and reference paths, payload templates (JSONPath `.$` keys or
//! JSONata `{% %}`), JSONata expressions, `Assign`, and numbers given directly or by a path or
//! an expression. Each is compiled here, once.

use super::walker::{Obj, Walker};
use crate::data::intrinsics;
use crate::data::jsonata::{self, Expression};
use crate::data::jsonpath::{Path, Root};
use crate::data::template::Template;
use crate::definition::diagnostic::{Code, Pointer};
use crate::definition::io::{Dynamic, Filter, Io, ResultPath};
use crate::definition::machine::QueryLanguage;
use serde_json::Value;

/// Variable names are Unicode identifiers (UAX #31) of at most 80 characters: an ID_Start
/// character (a letter; not `_`, not a digit), then ID_Continue characters (letters, digits,
/// `_`, combining marks; not `-`), as the Step Functions guide and the States Language say.
fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(unicode_ident::is_xid_start)
        && chars.all(unicode_ident::is_xid_continue)
        && name.chars().count() <= 80
}

impl Walker {
    /// The data-flow fields of a state, in its query language: `InputPath`, `Parameters`,
    /// `ResultSelector`, `ResultPath`, `OutputPath` (JSONPath) or `Arguments`, `Output`
    /// (JSONata). A Map's `Parameters` are its item selector, read by `map`.
    pub(super) fn io(&mut self, o: Obj, ty: &str, lang: QueryLanguage) -> Io {
        let mut io = Io::default();
        match lang {
            QueryLanguage::JsonPath => {
                io.input_path = self.filter(o, "InputPath");
                io.output_path = self.filter(o, "OutputPath");
                if ty != "Map" {
                    io.parameters = self.template_jsonpath(o, "Parameters").map(Box::new);
                }
                io.result_selector = self.template_jsonpath(o, "ResultSelector").map(Box::new);
                io.result_path = self.result_path(o);
            }
            QueryLanguage::Jsonata => {
                io.parameters = self.template_jsonata(o, "Arguments").map(Box::new);
                io.output = self.template_jsonata(o, "Output").map(Box::new);
            }
        }
        io
    }

    /// `ResultPath` of a state or a catcher: absent replaces the input, `null` discards the
    /// result, `$` replaces too.
    pub(super) fn result_path(&mut self, o: Obj) -> ResultPath {
        match o.get("ResultPath") {
            None => ResultPath::Replace,
            Some(Value::Null) => ResultPath::Discard,
            Some(_) => self
                .reference_path(o, "ResultPath", false)
                .map(|p| {
                    if p.is_root() {
                        ResultPath::Replace
                    } else {
                        ResultPath::At(Box::new(p))
                    }
                })
                .unwrap_or_default(),
        }
    }

    pub(super) fn path(&mut self, o: Obj, k: &str) -> Option<Path> {
        let s = self.string(o, k)?;
        match Path::parse(s) {
            Ok(p) => Some(p),
            Err(e) => {
                self.schema(
                    &o.at(k),
                    format!("The value of the field `{k}` must be a valid JSONPath: {e}"),
                );
                None
            }
        }
    }

    /// A reference path: names and indexes only, rooted at `$` (or `$$`/a variable where
    /// `allow_other_roots`).
    pub(super) fn reference_path(
        &mut self,
        o: Obj,
        k: &str,
        allow_other_roots: bool,
    ) -> Option<Path> {
        let p = self.path(o, k)?;
        if !p.is_reference() || (!allow_other_roots && *p.root() != Root::Input) {
            self.schema(
                &o.at(k),
                format!("The value of the field `{k}` must be a valid ReferencePath: only names and indexes from `$`"),
            );
            return None;
        }
        Some(p)
    }

    pub(super) fn filter(&mut self, o: Obj, k: &str) -> Filter {
        match o.get(k) {
            None => Filter::All,
            Some(Value::Null) => Filter::Nothing,
            Some(_) => self
                .path(o, k)
                .map(|p| Filter::Path(Box::new(p)))
                .unwrap_or_default(),
        }
    }

    pub(super) fn expression(
        &mut self,
        ptr: &Pointer,
        field: &str,
        body: &str,
    ) -> Option<Expression> {
        match Expression::compile(body) {
            Ok(e) => Some(e),
            Err(e) => {
                self.schema(
                    ptr,
                    format!(
                        "The field `{field}` holds an invalid JSONata expression: {e}{}",
                        crate::data::jsonata::position_note(&e)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn template_jsonpath(&mut self, o: Obj, k: &str) -> Option<Template> {
        // Any JSON value is a template: objects and arrays are walked for `.$` keys, and a
        // scalar is a constant (AWS accepts `"Parameters": "text"` and arrays).
        let v = o.get(k)?;
        self.no_dollar_warnings(v, &o.at(k));
        match Template::jsonpath(v) {
            Ok(t) => Some(t),
            Err(errors) => {
                for e in errors {
                    let mut p = o.at(k);
                    for seg in &e.at {
                        p = p.key(seg);
                    }
                    self.template_error(&o.at(k), &p, e.message);
                }
                None
            }
        }
    }

    /// AWS's `NO_DOLLAR` warning: a path-looking value under a key without `.$`.
    fn no_dollar_warnings(&mut self, v: &Value, ptr: &Pointer) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::String(s)
                            if !k.ends_with(".$")
                                && (s.starts_with("$.")
                                    || s.starts_with("$$.")
                                    || intrinsics::parse::looks_like_call(s)
                                        && s.ends_with(')')) =>
                        {
                            self.warn(
                                Code::NoDollar,
                                &ptr.key(k),
                                format!("The value of `{k}` looks like a path or an intrinsic call, but `{k}` does not end in `.$`, so it is used as a literal string"),
                            );
                        }
                        Value::Object(_) | Value::Array(_) => {
                            self.no_dollar_warnings(v, &ptr.key(k));
                        }
                        _ => {}
                    }
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    if matches!(v, Value::Object(_) | Value::Array(_)) {
                        self.no_dollar_warnings(v, &ptr.index(i));
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn template_jsonata(&mut self, o: Obj, k: &str) -> Option<Template> {
        let v = o.get(k)?;
        match Template::jsonata(v, k) {
            Ok(t) => Some(t),
            Err(errors) => {
                for e in errors {
                    let mut p = o.at(k);
                    for seg in &e.at {
                        p = p.key(seg);
                    }
                    self.template_error(&o.at(k), &p, e.message);
                }
                None
            }
        }
    }

    pub(super) fn template(&mut self, o: Obj, k: &str, lang: QueryLanguage) -> Option<Template> {
        match lang {
            QueryLanguage::JsonPath => self.template_jsonpath(o, k),
            QueryLanguage::Jsonata => self.template_jsonata(o, k),
        }
    }

    /// `Assign`: an object of variable names.
    pub(super) fn assign(&mut self, o: Obj, lang: QueryLanguage) -> Option<Template> {
        let m = self.object(o, "Assign")?;
        let ptr = o.at("Assign");
        for k in m.keys() {
            let name = k.strip_suffix(".$").unwrap_or(k);
            if !valid_variable_name(name) {
                self.schema(
                    &ptr.key(k),
                    format!("`{name}` is not a valid variable name: a variable name starts with a letter and goes on with letters, digits and `_` (a Unicode identifier of at most 80 characters)"),
                );
            } else if name == "states" {
                self.schema(&ptr.key(k), "`states` is reserved and cannot be assigned");
            }
        }
        self.template(o, "Assign", lang)
    }

    /// A number given directly or through `<k>Path` (JSONPath) or a `{% %}` string (JSONata).
    pub(super) fn dynamic_int(
        &mut self,
        o: Obj,
        k: &str,
        min: u64,
        lang: QueryLanguage,
    ) -> Option<Dynamic<u64>> {
        self.dynamic_int_in(o, k, min, super::walker::MAX_INT, lang)
    }

    /// [`Self::dynamic_int`] whose written integer must be in `[min, max]` (a path's or an
    /// expression's value is checked when the state runs).
    pub(super) fn dynamic_int_in(
        &mut self,
        o: Obj,
        k: &str,
        min: u64,
        max: u64,
        lang: QueryLanguage,
    ) -> Option<Dynamic<u64>> {
        let path_key = format!("{k}Path");
        if o.has(k) && o.has(&path_key) {
            self.schema(
                o.ptr,
                format!("The fields `{k}` and `{path_key}` cannot both be set"),
            );
        }
        if let Some(Value::String(s)) = o.get(k) {
            if lang == QueryLanguage::Jsonata
                && let Some(body) = jsonata::template_body(s)
            {
                return self.expression(&o.at(k), k, body).map(Dynamic::Expr);
            }
            self.schema(
                &o.at(k),
                format!(
                    "The field `{k}` must be an integer{}",
                    if lang == QueryLanguage::Jsonata {
                        " or a JSONata expression `{% ... %}`"
                    } else {
                        ""
                    }
                ),
            );
            return None;
        }
        if o.has(k) {
            return self.integer_in(o, k, min, max).map(Dynamic::Fixed);
        }
        if o.has(&path_key) {
            return self.reference_path(o, &path_key, true).map(Dynamic::Path);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::valid_variable_name;
    use crate::definition::load::loaded::errors;
    use serde_json::json;

    #[test]
    fn variable_names_are_unicode_identifiers_of_at_most_80_characters() {
        for ok in ["total", "x1", "snake_case", "Ünïcødé", "变量", "a\u{0301}"] {
            assert!(valid_variable_name(ok), "{ok}");
        }
        // `_` and digits continue a name but cannot start one; `-` and spaces never belong.
        for bad in [
            "",
            "_hidden",
            "9lives",
            "has-dash",
            "has space",
            "a.b",
            "x$",
        ] {
            assert!(!valid_variable_name(bad), "{bad}");
        }
        assert!(valid_variable_name(&"é".repeat(80)));
        assert!(!valid_variable_name(&"a".repeat(81)));
    }

    #[test]
    fn bad_paths_and_templates_are_located() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "x", "Parameters": {"a": {"b.$": "nope"}}, "End": true}}}));
        assert!(e.contains(&(
            "SCHEMA_VALIDATION_FAILED".into(),
            "/States/A/InputPath".into()
        )));
        assert!(e.contains(&(
            "SCHEMA_VALIDATION_FAILED".into(),
            "/States/A/Parameters".into()
        )));
    }
}
