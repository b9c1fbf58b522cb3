//! `--format json`: AWS's ValidateStateMachineDefinition answer, `{result, diagnostics,
//! truncated}`, each diagnostic `{severity, code, message, location}` plus where it is written
//! (`file`, `line`, `column`) and, for templates, the resource (`stateMachine`). A file that
//! could not be read is an `UNREADABLE_FILE` error at `/` and makes the result `FAIL`.

use super::{Checked, Unreadable, file_of};
use crate::definition::Code;
use serde_json::{Map, Value, json};

pub fn json(checked: &[Checked], unreadable: &[Unreadable], strict: bool) -> String {
    let fails = !unreadable.is_empty() || checked.iter().any(|c| c.fails(strict));
    let mut diagnostics: Vec<Value> = unreadable
        .iter()
        .map(|u| {
            json!({
                "severity": "ERROR",
                "code": Code::UnreadableFile.as_str(),
                "message": u.message,
                "location": "/",
                "file": u.path,
            })
        })
        .collect();
    for c in checked {
        for f in &c.findings {
            let d = &f.diagnostic;
            let mut m = Map::new();
            m.insert("severity".into(), d.severity.as_str().into());
            m.insert("code".into(), d.code.as_str().into());
            m.insert("message".into(), d.message.clone().into());
            m.insert("location".into(), d.location.clone().into());
            m.insert("file".into(), file_of(c).into());
            if let Some(p) = f.position {
                m.insert("line".into(), p.line.into());
                m.insert("column".into(), p.column.into());
            }
            if let Some(n) = &c.definition.name {
                m.insert("stateMachine".into(), n.clone().into());
            }
            diagnostics.push(Value::Object(m));
        }
    }
    json!({
        "result": if fails { "FAIL" } else { "OK" },
        "diagnostics": diagnostics,
        "truncated": false,
    })
    .to_string()
}
