//! Graphviz text: one node per state, a cluster per Map or Parallel holding a cluster per
//! branch; the compound state itself is a node at the top of its cluster, so edges to and from
//! it need no `lhead`.

use super::diagram::{Diagram, Node, NodeKind, Region};
use std::fmt::Write;

/// A double-quoted dot string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render(d: &Diagram) -> String {
    let mut out = String::from(
        "digraph asl {\n  rankdir=TB;\n  graph [fontname=\"sans-serif\", fontsize=12];\n  node [fontname=\"sans-serif\", fontsize=12, style=filled, fillcolor=\"#ffffff\"];\n  edge [fontname=\"sans-serif\", fontsize=10];\n",
    );
    region(&mut out, &d.root, 1);
    out.push_str("}\n");
    out
}

fn shape(n: &Node) -> &'static str {
    match n.kind {
        NodeKind::Start | NodeKind::End => {
            "shape=oval, fillcolor=\"#232f3e\", fontcolor=\"#ffffff\""
        }
        NodeKind::State("Task") => {
            "shape=box, style=\"rounded,filled\", fillcolor=\"#f2f8fd\", color=\"#0972d3\""
        }
        NodeKind::State("Choice") => "shape=diamond, fillcolor=\"#f7f2fd\", color=\"#8a5cd1\"",
        NodeKind::State("Wait") => {
            "shape=box, style=\"rounded,filled\", fillcolor=\"#fffaf0\", color=\"#b2911c\""
        }
        NodeKind::State("Succeed") => {
            "shape=box, style=\"rounded,filled\", fillcolor=\"#f2fcf3\", color=\"#037f0c\""
        }
        NodeKind::State("Fail") => {
            "shape=box, style=\"rounded,filled\", fillcolor=\"#fff5f5\", color=\"#d91515\""
        }
        NodeKind::State("Parallel" | "Map") => {
            "shape=box, style=\"bold,filled\", fillcolor=\"#fafafa\""
        }
        NodeKind::State(_) => "shape=box, fillcolor=\"#f4f4f4\"",
    }
}

fn label(n: &Node) -> String {
    match n.kind {
        NodeKind::Start | NodeKind::End => n.name.clone(),
        NodeKind::State(_) => format!("{}\n{}", n.name, n.tag()),
    }
}

fn region(out: &mut String, r: &Region, depth: usize) {
    let pad = "  ".repeat(depth);
    for n in &r.nodes {
        if n.is_compound() {
            let _ = writeln!(
                out,
                "{pad}subgraph cluster_{} {{\n{pad}  label={};\n{pad}  style=rounded;",
                n.id,
                quoted(&n.name)
            );
        }
        let inner = if n.is_compound() { "  " } else { "" };
        let _ = writeln!(
            out,
            "{pad}{inner}{} [label={}, {}];",
            n.id,
            quoted(&label(n)),
            shape(n)
        );
        for (k, c) in n.children.iter().enumerate() {
            let _ = writeln!(
                out,
                "{pad}  subgraph cluster_{}_{k} {{\n{pad}    label={};\n{pad}    style=dashed;",
                n.id,
                quoted(&c.title)
            );
            region(out, c, depth + 2);
            let _ = writeln!(out, "{pad}  }}");
            if let Some(first) = c.nodes.get(c.start) {
                let _ = writeln!(
                    out,
                    "{pad}  {} -> {} [style=dotted, arrowhead=none];",
                    n.id, first.id
                );
            }
        }
        if n.is_compound() {
            let _ = writeln!(out, "{pad}}}");
        }
    }
    for e in &r.edges {
        let mut attrs = Vec::new();
        if !e.label.is_empty() {
            attrs.push(format!("label={}", quoted(&e.label)));
        }
        if e.title != e.label {
            attrs.push(format!("tooltip={}", quoted(&e.title)));
        }
        if e.kind.is_catch() {
            attrs.push("style=dashed, color=\"#d91515\", fontcolor=\"#d91515\"".to_string());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(
            out,
            "{pad}{} -> {}{attrs};",
            r.nodes[e.from].id, r.nodes[e.to].id
        );
    }
}
