//! A Task state: its resource, timeouts, `Credentials`, then its Retry and Catch.

use super::walker::{Obj, Walker, type_of};
use crate::definition::diagnostic::Pointer;
use crate::definition::io::Dynamic;
use crate::definition::machine::QueryLanguage;
use crate::definition::resource::Resource;
use crate::definition::task::Task;
use foldhash::HashMap;
use serde_json::{Map as JsonMap, Value};

impl Walker {
    pub(super) fn task(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<Task> {
        if !self.required(o, &["Resource"]) {
            return None;
        }
        let resource = match o.get("Resource") {
            // A CloudFormation intrinsic (`{"Fn::GetAtt": [...]}`, `{"Ref": ...}`) left in a
            // definition that a template will resolve at deploy time.
            Some(Value::Object(m))
                if m.len() == 1 && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::")) =>
            {
                Resource::parse(&Value::Object(m.clone()).to_string())
            }
            _ => Resource::parse(self.nonempty_string(o, "Resource")?),
        };
        let timeout = self.dynamic_int(o, "TimeoutSeconds", 1, lang);
        let heartbeat = self.dynamic_int(o, "HeartbeatSeconds", 1, lang);
        if let (Some(Dynamic::Fixed(t)), Some(Dynamic::Fixed(h))) = (&timeout, &heartbeat)
            && h >= t
        {
            self.schema(
                &o.at("HeartbeatSeconds"),
                format!("`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"),
            );
        }
        let credentials = if let Some(c) = o.get("Credentials")
            && !c.is_object()
        {
            self.schema(
                &o.at("Credentials"),
                format!(
                    "The field `Credentials` must be an object, but it is {}",
                    type_of(c)
                ),
            );
            None
        } else if let Some(Value::Object(c)) = o.get("Credentials") {
            self.credentials_fields(&o.at("Credentials"), c, lang);
            self.template(o, "Credentials", lang)
        } else {
            None
        };
        let retry = self.retriers(o, lang);
        let catch = self.catchers(o, lang, index, names);
        Some(Task {
            resource,
            timeout,
            heartbeat,
            credentials,
            retry,
            catch,
        })
    }

    /// A Task's `Credentials` names the role to assume and nothing else: exactly one of
    /// `RoleArn` or (JSONPath only) `RoleArn.$`, holding a string.
    fn credentials_fields(
        &mut self,
        at: &Pointer,
        c: &JsonMap<String, Value>,
        lang: QueryLanguage,
    ) {
        let allowed: &[&str] = match lang {
            QueryLanguage::JsonPath => &["RoleArn", "RoleArn.$"],
            QueryLanguage::Jsonata => &["RoleArn"],
        };
        let wanted = allowed
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        let unknown: Vec<&str> = c
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .collect();
        if !unknown.is_empty() {
            let listed = unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.schema(
                at,
                format!("The field `Credentials` may only hold {wanted}, but it also has {listed}"),
            );
        } else if c.len() != 1 {
            self.schema(
                at,
                format!(
                    "The field `Credentials` must hold exactly one of {wanted}, but it has {}",
                    c.len()
                ),
            );
        } else if let Some((k, v)) = c.iter().next()
            && !v.is_string()
        {
            self.schema(
                at,
                format!(
                    "The field `{k}` of `Credentials` must be a string, but it is {}",
                    type_of(v)
                ),
            );
        }
    }
}
