//! The web view: `GET /` lists the state machines and executions; `GET /execution?arn=ARN`
//! draws an execution over its definition (the picture `asl graph` draws, the states it
//! entered marked, its history beside it), refreshed every two seconds while it runs.

use super::Server;
use super::store::lock;
use crate::graph::{Diagram, Mark, NodeOverlay, Overlay, OverlayKind};
use serde_json::{Value, json};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The page for `path` and `query`, or `None` (404).
pub fn page(server: &Server, path: &str, query: &str) -> Option<String> {
    match path {
        "/" => Some(index(server)),
        "/execution" => {
            let arn = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("arn="))
                .map(|a| {
                    percent_encoding::percent_decode_str(a)
                        .decode_utf8_lossy()
                        .to_string()
                })?;
            execution(server, &arn)
        }
        _ => None,
    }
}

fn index(server: &Server) -> String {
    let mut html = String::from(
        "<!doctype html><meta charset=utf-8><title>asl serve</title><meta http-equiv=refresh content=5>\
         <style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}\
         .SUCCEEDED{color:#2a7}.FAILED,.TIMED_OUT{color:#c33}.ABORTED{color:#888}.RUNNING{color:#27c}</style>\
         <h1>asl serve</h1><h2>State machines</h2><table><tr><th>name<th>type<th>ARN",
    );
    for m in lock(&server.store.machines).values() {
        html.push_str(&format!(
            "<tr><td>{}<td>{}<td>{}",
            escape(&m.name),
            escape(&m.kind),
            escape(&m.arn)
        ));
    }
    html.push_str("</table><h2>Executions</h2><table><tr><th>name<th>state machine<th>status");
    for e in lock(&server.store.executions).values().rev().take(500) {
        let status = lock(&e.state).status.clone();
        html.push_str(&format!(
            "<tr><td><a href=\"/execution?arn={}\">{}</a><td>{}<td class={status}>{status}",
            encode(&e.arn),
            escape(&e.name),
            escape(&e.machine.name)
        ));
    }
    html.push_str("</table>");
    html
}

fn execution(server: &Server, arn: &str) -> Option<String> {
    let e = server.store.execution(arn)?;
    let raw: Value = serde_json::from_str(&e.machine.definition).ok()?;
    let diagram = Diagram::build(&e.machine.compiled, &raw);
    let events = lock(&e.events).clone();
    let (status, output, error, cause) = {
        let p = lock(&e.state);
        (
            p.status.clone(),
            p.output.clone(),
            p.error.clone(),
            p.cause.clone(),
        )
    };
    let mut overlay = Overlay::new(OverlayKind::Execution, format!("{} — {status}", e.name));
    overlay.summary.push(("status".into(), json!(status)));
    overlay.summary.push(("input".into(), json!(e.input)));
    for (k, v) in [("output", output), ("error", error), ("cause", cause)] {
        if let Some(v) = v {
            overlay.summary.push((k.into(), json!(v)));
        }
    }
    let top: Vec<String> = e
        .machine
        .compiled
        .root
        .states
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut last = None;
    for ev in &events {
        if let Some(name) = ev
            .as_object()
            .and_then(|o| o.get("stateEnteredEventDetails"))
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            && top.iter().any(|t| t == name)
        {
            let pointer = crate::definition::Pointer::root()
                .key("States")
                .key(name)
                .to_string();
            overlay.nodes.insert(
                pointer.clone(),
                NodeOverlay {
                    mark: Mark::Succeeded,
                    badge: String::new(),
                    details: Vec::new(),
                },
            );
            last = Some(pointer);
        }
    }
    if let Some(p) = last
        && let Some(n) = overlay.nodes.get_mut(&p)
    {
        n.mark = match status.as_str() {
            "FAILED" | "TIMED_OUT" => Mark::Failed,
            "ABORTED" | "RUNNING" => Mark::Stopped,
            _ => Mark::Succeeded,
        };
    }
    overlay.events = events;
    let page = crate::graph::html_with(&diagram, Some(&overlay));
    Some(if status == "RUNNING" {
        page.replacen("<head>", "<head><meta http-equiv=refresh content=2>", 1)
    } else {
        page
    })
}
