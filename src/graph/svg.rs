//! A self-contained SVG of a laid-out diagram: one shape per state type, Catch edges dashed,
//! Map and Parallel as boxes holding their regions, a Distributed Map marked.

use super::diagram::{Diagram, Node, NodeKind, Region};
use super::layout::{self, Layout, Rect, RegionBox, TITLE_H};
use super::overlay::{EdgeMark, Overlay, OverlayKind};
use std::fmt::Write;

/// Text for XML content and attribute values.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
.node text{font:13px sans-serif;fill:#16191f}\
.node .type{font-size:11px;fill:#5f6b7a}\
.node.marker text{fill:#fff;font-weight:bold}\
.node .name{font-weight:bold}\
.edge path{fill:none;stroke:#5f6b7a;stroke-width:1.5}\
.edge.catch path{stroke:#d91515;stroke-dasharray:6 4}\
.edge text{font:11px sans-serif;fill:#16191f;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}\
.edge.catch text{fill:#d91515}\
.region-title{font:11px sans-serif;fill:#5f6b7a}\
";

/// The overlay's marks; CSS wins over the shapes' presentation attributes.
const OVERLAY_STYLE: &str = "\
.node.s-succeeded>rect:first-of-type,.node.s-succeeded>polygon{fill:#e9f7ea;stroke:#037f0c;stroke-width:2.5}\
.node.s-failed>rect:first-of-type,.node.s-failed>polygon{fill:#fde8e8;stroke:#d91515;stroke-width:2.5}\
.node.s-caught>rect:first-of-type,.node.s-caught>polygon{fill:#fff1e0;stroke:#e07700;stroke-width:2.5}\
.node.s-retried>rect:first-of-type,.node.s-retried>polygon{fill:#fffbe0;stroke:#b2911c;stroke-width:2.5}\
.node.s-stopped>rect:first-of-type,.node.s-stopped>polygon{fill:#f0f4fa;stroke:#5f6b7a;stroke-width:2;stroke-dasharray:4 3}\
.node.s-covered>rect:first-of-type,.node.s-covered>polygon{fill:#e9f7ea;stroke:#037f0c;stroke-width:2}\
.node.s-uncovered>rect:first-of-type,.node.s-uncovered>polygon{fill:#fde8e8;stroke:#d91515;stroke-dasharray:5 3}\
.node.dim{opacity:.35}\
.edge.taken path{stroke:#037f0c;stroke-width:2.5}\
.edge.taken.catch path{stroke:#e07700}\
.edge.taken text{font-weight:bold}\
.edge.dim{opacity:.3}\
.edge.uncovered path{stroke:#d91515;stroke-dasharray:3 3}\
.edge.uncovered text{fill:#d91515}\
";

/// The SVG document of `d`.
pub fn render(d: &Diagram) -> String {
    render_with(d, None)
}

/// The SVG document of `d` with an execution's path or coverage drawn over it.
pub fn render_with(d: &Diagram, overlay: Option<&Overlay>) -> String {
    match overlay {
        Some(o) => {
            let d = d.overlaid(o);
            let l = layout::layout(&d);
            svg(&d, &l, Some(o))
        }
        None => svg(d, &layout::layout(d), None),
    }
}

/// The SVG of `d` laid out as `l` (the HTML page embeds it); `d` is already
/// [`overlaid`](Diagram::overlaid) when there is an overlay.
pub fn svg(d: &Diagram, l: &Layout, overlay: Option<&Overlay>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\">",
        w = l.width,
        h = l.height
    );
    if let Some(c) = &d.comment {
        let _ = writeln!(out, "<title>{}</title>", xml(c));
    }
    let _ = writeln!(
        out,
        "<defs><style>{STYLE}{}</style>\
<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"12\" markerHeight=\"12\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#5f6b7a\"/></marker>\
<marker id=\"arrow-catch\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"12\" markerHeight=\"12\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#d91515\"/></marker>{}</defs>",
        if overlay.is_some() { OVERLAY_STYLE } else { "" },
        if overlay.is_some() {
            "<marker id=\"arrow-taken\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"12\" markerHeight=\"12\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#037f0c\"/></marker>"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{:.0}\" height=\"{:.0}\" fill=\"#fff\"/>",
        l.width, l.height
    );
    region(&mut out, &d.root, &l.root, overlay);
    out.push_str("</svg>\n");
    out
}

/// The extra classes of a node under an overlay: its mark, or `dim` when not entered (the
/// Start and End markers are never dimmed).
fn node_classes(n: &Node, overlay: Option<&Overlay>) -> String {
    let Some(o) = overlay else {
        return String::new();
    };
    if matches!(n.kind, NodeKind::Start | NodeKind::End) {
        return String::new();
    }
    match o.nodes.get(&n.pointer) {
        Some(no) => format!(" s-{}", no.mark.as_str()),
        None if o.kind == OverlayKind::Execution => " dim".to_string(),
        None => " s-uncovered".to_string(),
    }
}

fn region(out: &mut String, r: &Region, b: &RegionBox, overlay: Option<&Overlay>) {
    for (n, nb) in r.nodes.iter().zip(&b.nodes) {
        node(out, n, &nb.rect, &node_classes(n, overlay));
        for ((c, cb), _) in n.children.iter().zip(&nb.children).zip(0..) {
            let rr = &cb.rect;
            let _ = writeln!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\" fill=\"none\" stroke=\"#c6c6cd\" stroke-dasharray=\"3 3\"/>\
<text class=\"region-title\" x=\"{:.1}\" y=\"{:.1}\"><title>{}</title>{}</text>",
                rr.x - 6.0,
                rr.y - 6.0,
                rr.w + 12.0,
                rr.h + 12.0,
                rr.x - 4.0,
                rr.y - 9.0,
                xml(&c.note),
                xml(&c.title)
            );
            region(out, c, cb, overlay);
        }
    }
    for (e, p) in r.edges.iter().zip(&b.edges) {
        let catch = e.kind.is_catch();
        let mut d = String::new();
        for (i, (x, y)) in p.points.iter().enumerate() {
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
        }
        let (from, to) = (&r.nodes[e.from].id, &r.nodes[e.to].id);
        let mark = match overlay.map(|o| o.edge_mark(&r.nodes[e.from].pointer, e.kind)) {
            None | Some(EdgeMark::Plain) => "",
            Some(EdgeMark::Taken(_)) => " taken",
            Some(EdgeMark::Dim) => " dim",
            Some(EdgeMark::Uncovered) => " uncovered",
        };
        let _ = write!(
            out,
            "<g class=\"edge{}{mark}\" data-from=\"{from}\" data-to=\"{to}\">",
            if catch { " catch" } else { "" }
        );
        if !e.title.is_empty() {
            let _ = write!(out, "<title>{}</title>", xml(&e.title));
        }
        let marker = match (p.arrow, catch, mark == " taken") {
            (false, _, _) => "",
            (true, false, true) => " marker-end=\"url(#arrow-taken)\"",
            (true, true, _) => " marker-end=\"url(#arrow-catch)\"",
            (true, false, false) => " marker-end=\"url(#arrow)\"",
        };
        let _ = write!(out, "<path d=\"{d}\"{marker}/>");
        if !p.label.is_empty() {
            let (x, anchor) = if p.label_end {
                (
                    p.label_at.0 + layout::label_width(&p.label),
                    " text-anchor=\"end\"",
                )
            } else {
                (p.label_at.0, "")
            };
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"{:.1}\"{anchor}>{}</text>",
                p.label_at.1,
                xml(&p.label)
            );
        }
        out.push_str("</g>\n");
    }
}

/// One node: its shape by type, its name, and a line with its type and marks.
fn node(out: &mut String, n: &Node, b: &Rect, classes: &str) {
    let ty = n.type_name();
    let marker = matches!(n.kind, NodeKind::Start | NodeKind::End);
    let _ = write!(
        out,
        "<g class=\"node{} t-{}{classes}\" id=\"{}\" data-id=\"{}\" data-name=\"{}\"><title>{} ({ty})</title>",
        if marker { " marker" } else { "" },
        ty.to_ascii_lowercase(),
        n.id,
        n.id,
        xml(&n.name),
        xml(&n.name)
    );
    let (x, y, w, h) = (b.x, b.y, b.w, b.h);
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let rect = |out: &mut String, rx: f64, fill: &str, stroke: &str, extra: &str| {
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"{rx:.1}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{extra}/>"
        );
    };
    match ty {
        _ if marker => rect(out, h / 2.0, "#232f3e", "#232f3e", ""),
        "Task" => {
            rect(out, 6.0, "#f2f8fd", "#0972d3", "");
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"5\" height=\"{h:.1}\" fill=\"#0972d3\"/>"
            );
        }
        "Choice" => {
            let _ = write!(
                out,
                "<polygon points=\"{:.1},{y:.1} {:.1},{y:.1} {:.1},{cy:.1} {:.1},{:.1} {:.1},{:.1} {x:.1},{cy:.1}\" fill=\"#f7f2fd\" stroke=\"#8a5cd1\" stroke-width=\"1.5\"/>",
                x + 12.0,
                x + w - 12.0,
                x + w,
                x + w - 12.0,
                y + h,
                x + 12.0,
                y + h
            );
        }
        "Wait" => {
            rect(out, 6.0, "#fffaf0", "#b2911c", "");
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\" fill=\"none\" stroke=\"#b2911c\"/><path d=\"M{:.1},{:.1} v-4 M{:.1},{:.1} h3\" stroke=\"#b2911c\"/>",
                x + 14.0,
                y + 14.0,
                x + 14.0,
                y + 14.0,
                x + 14.0,
                y + 14.0
            );
        }
        "Succeed" => rect(out, h / 2.0, "#f2fcf3", "#037f0c", ""),
        "Fail" => rect(out, h / 2.0, "#fff5f5", "#d91515", ""),
        "Parallel" | "Map" => {
            let extra = if n.distributed {
                " stroke-dasharray=\"10 3\""
            } else {
                ""
            };
            rect(out, 8.0, "#fafafa", "#414d5c", extra);
            let title = n.tag();
            let _ = writeln!(
                out,
                "<text class=\"name\" x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"type\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text></g>",
                x + 10.0,
                y + TITLE_H / 2.0 + 5.0,
                xml(&n.name),
                x + w - 10.0,
                y + TITLE_H / 2.0 + 4.0,
                xml(&title)
            );
            return;
        }
        _ => rect(out, 2.0, "#f4f4f4", "#7d8998", ""),
    }
    if marker {
        let _ = writeln!(
            out,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            cy + 4.5,
            xml(&n.name)
        );
        return;
    }
    let line = n.tag();
    let _ = writeln!(
        out,
        "<text class=\"name\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text class=\"type\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
        y + 19.0,
        xml(&n.name),
        y + 35.0,
        xml(&line)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::load_value;
    use serde_json::{Value, json};

    fn draw(def: &Value) -> (Diagram, String) {
        let Some(m) = load_value(def).machine else {
            panic!("invalid test definition")
        };
        let d = Diagram::build(&m, def);
        let s = render(&d);
        (d, s)
    }

    #[test]
    fn every_state_and_edge_of_every_sample_is_drawn() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-samples");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.to_string_lossy().ends_with(".asl.json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let def: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let (d, svg) = draw(&def);
            for n in d.all_nodes() {
                assert!(
                    svg.contains(&format!("id=\"{}\"", n.id)),
                    "{}: no node for `{}`",
                    path.display(),
                    n.name
                );
                assert!(svg.contains(&format!(">{}</text>", xml(&n.name))));
            }
            let drawn = svg.matches("<g class=\"edge").count();
            assert_eq!(drawn, d.root.edge_count(), "{}", path.display());
        }
    }

    #[test]
    fn text_is_escaped_and_marks_show() {
        let def = json!({
            "Comment": "a <b> & \"c\"",
            "StartAt": "Go <now> & \"then\" 🎉",
            "States": {
                "Go <now> & \"then\" 🎉": {"Type": "Choice",
                    "Choices": [{"Variable": "$.s", "StringEquals": "</svg>", "Next": "M"}],
                    "Default": "M"},
                "M": {"Type": "Map", "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "T", "States": {"T": {"Type": "Pass", "End": true}}},
                      "Retry": [{"ErrorEquals": ["States.ALL"]}],
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
                      "End": true},
                "F": {"Type": "Fail"}
            }
        });
        let (_, svg) = draw(&def);
        assert!(svg.contains("Go &lt;now&gt; &amp; &quot;then&quot; 🎉"));
        assert!(svg.contains("$.s == &quot;&lt;/svg&gt;&quot;"));
        assert!(svg.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert_eq!(svg.matches("</svg>").count(), 1);
        assert!(svg.contains(">Distributed Map · ↻ Retry</text>"));
        assert!(svg.contains("<g class=\"edge catch\""));
        assert!(svg.contains(">Default</text>"));
        assert!(svg.contains(">ItemProcessor</text>"));
    }
}
