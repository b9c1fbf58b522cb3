//! A mermaid `flowchart TD` that GitHub renders as it is: labels quoted with mermaid's
//! `#NN;` entities for the characters its parser or HTML would take, Map and Parallel states
//! as subgraphs (edges may end at a subgraph), Catch edges dotted.

use super::diagram::{Diagram, Node, NodeKind, Region};
use std::fmt::Write;

/// Text for inside a mermaid `"..."` label.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '#' | '&' | '<' | '>' | '`' | '\\' | '|' | '[' | ']' | '{' | '}' | '(' | ')' => {
                let _ = write!(out, "#{};", c as u32);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(d: &Diagram) -> String {
    let mut out = String::from("flowchart TD\n");
    region(&mut out, &d.root, 1);
    out.push_str(
        "  classDef marker fill:#232f3e,stroke:#232f3e,color:#fff\n  \
classDef task fill:#f2f8fd,stroke:#0972d3\n  \
classDef choice fill:#f7f2fd,stroke:#8a5cd1\n  \
classDef wait fill:#fffaf0,stroke:#b2911c\n  \
classDef succeed fill:#f2fcf3,stroke:#037f0c\n  \
classDef fail fill:#fff5f5,stroke:#d91515\n  \
classDef pass fill:#f4f4f4,stroke:#7d8998\n",
    );
    out
}

fn label(n: &Node) -> String {
    format!("{}<br/>{}", text(&n.name), text(&n.tag()))
}

fn region(out: &mut String, r: &Region, depth: usize) {
    let pad = "  ".repeat(depth);
    for n in &r.nodes {
        if n.is_compound() {
            let _ = writeln!(out, "{pad}subgraph {}[\"{}\"]", n.id, label(n));
            let _ = writeln!(out, "{pad}  direction TB");
            for (k, c) in n.children.iter().enumerate() {
                let _ = writeln!(out, "{pad}  subgraph {}_{k}[\"{}\"]", n.id, text(&c.title));
                let _ = writeln!(out, "{pad}    direction TB");
                region(out, c, depth + 2);
                let _ = writeln!(out, "{pad}  end");
            }
            let _ = writeln!(out, "{pad}end");
            continue;
        }
        let id = &n.id;
        let line = match n.kind {
            NodeKind::Start | NodeKind::End => format!("{id}([\"{}\"]):::marker", text(&n.name)),
            NodeKind::State("Task") => format!("{id}(\"{}\"):::task", label(n)),
            NodeKind::State("Choice") => format!("{id}{{\"{}\"}}:::choice", label(n)),
            NodeKind::State("Wait") => format!("{id}[/\"{}\"/]:::wait", label(n)),
            NodeKind::State("Succeed") => format!("{id}([\"{}\"]):::succeed", label(n)),
            NodeKind::State("Fail") => format!("{id}([\"{}\"]):::fail", label(n)),
            NodeKind::State(_) => format!("{id}[\"{}\"]:::pass", label(n)),
        };
        let _ = writeln!(out, "{pad}{line}");
    }
    for e in &r.edges {
        let arrow = if e.kind.is_catch() { "-.->" } else { "-->" };
        let (from, to) = (&r.nodes[e.from].id, &r.nodes[e.to].id);
        if e.label.is_empty() {
            let _ = writeln!(out, "{pad}{from} {arrow} {to}");
        } else {
            let _ = writeln!(out, "{pad}{from} {arrow}|\"{}\"| {to}", text(&e.label));
        }
    }
}
