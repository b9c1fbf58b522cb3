//! `--format sarif`: SARIF 2.1.0, the format GitHub code scanning (and other tools) ingest.
//! One run, tool `asl`, one rule per diagnostic code; each result located by file, line and
//! column, with the JSON pointer kept as a logical location. The run's invocation says whether
//! it succeeded: a file that could not be read makes `executionSuccessful` false, with a
//! notification naming the file and why.

use super::{Checked, Unreadable, file_of, level, machine_prefix};
use crate::definition::Code;
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn sarif(checked: &[Checked], unreadable: &[Unreadable]) -> String {
    let mut rules = BTreeSet::new();
    let mut results = Vec::new();
    for c in checked {
        for f in &c.findings {
            let d = &f.diagnostic;
            rules.insert(d.code.as_str());
            let mut region = serde_json::Map::new();
            let p = f
                .position
                .unwrap_or(crate::source::Position { line: 1, column: 1 });
            region.insert("startLine".into(), p.line.into());
            region.insert("startColumn".into(), p.column.into());
            let machine = machine_prefix(c);
            results.push(json!({
                "ruleId": d.code.as_str(),
                "level": level(d.severity),
                "message": {"text": format!("{machine}{}", d.message)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&file_of(c))},
                        "region": Value::Object(region),
                    },
                    "logicalLocations": [{"fullyQualifiedName": d.shown_at(), "kind": "member"}],
                }],
            }));
        }
    }
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|r| json!({"id": r, "name": r, "shortDescription": {"text": r}}))
        .collect();
    let notifications: Vec<Value> = unreadable
        .iter()
        .map(|u| {
            json!({
                "level": "error",
                "descriptor": {"id": Code::UnreadableFile.as_str()},
                "message": {"text": format!("{}: {}", u.path, u.message)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&u.path)}}}],
            })
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "asl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://states-language.net/spec.html",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": unreadable.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A relative URI for a path as given (forward slashes, no leading `./`).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    p.strip_prefix("./").map(str::to_string).unwrap_or(p)
}
