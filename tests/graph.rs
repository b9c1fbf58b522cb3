//! `asl graph` through the built binary: each format on a sample, the format taken from the
//! -o extension, templates with `#LogicalId`, and refusals.

use std::path::PathBuf;
use std::process::{Command, Output};

fn asl(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_asl")).args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run asl: {e}"),
    }
}

fn sample(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("asl-samples")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-graph-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

#[test]
fn svg_is_the_default_and_draws_every_state_and_choice_rule() {
    let out = stdout(&asl(&["graph", &sample("choice.asl.json")]));
    assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(out.trim_end().ends_with("</svg>"));
    for name in [
        "Route",
        "ManualReview",
        "Express",
        "Standard",
        "Start",
        "End",
    ] {
        assert!(out.contains(&format!(">{name}</text>")), "no {name}");
    }
    // Two rules and Default leave the Choice; the first rule's label is cut, its title full.
    assert!(out.contains(">$.express == true</text>"));
    assert!(out.contains(">Default</text>"));
    assert!(out.contains("<title>And($.amount &gt; 1000, $.country == &quot;DE&quot;)</title>"));
}

#[test]
fn dot_has_clusters_for_parallel_branches() {
    let out = stdout(&asl(&[
        "graph",
        &sample("parallel.asl.json"),
        "--format",
        "dot",
    ]));
    assert!(out.starts_with("digraph asl {"));
    assert!(out.contains("subgraph cluster_n1 {"), "{out}");
    // Branches by their qualified names, as `asl test` writes `FanOut[1]/Label`.
    assert!(out.contains("label=\"FanOut[0]\""), "{out}");
    assert!(out.contains("label=\"FanOut[1]\""));
    assert!(out.contains("label=\"Sum\\nPass\""));
    assert!(out.trim_end().ends_with('}'));
}

#[test]
fn mermaid_is_a_flowchart_with_map_subgraphs_and_dotted_catch_edges() {
    let out = stdout(&asl(&[
        "graph",
        &sample("pipeline.asl.json"),
        "--format",
        "mermaid",
    ]));
    assert!(out.starts_with("flowchart TD\n"));
    assert!(
        out.contains("subgraph n2[\"ParallelProcessing<br/>Map\"]"),
        "{out}"
    );
    assert!(out.contains("[\"ItemProcessor\"]"));
    let catch = stdout(&asl(&[
        "graph",
        &sample("task-retry-catch.asl.json"),
        "--format",
        "mermaid",
    ]));
    assert!(catch.contains("-.->|\"States.ALL\"|"), "{catch}");
    assert!(catch.contains("Lambda: Invoke · ↻ Retry"), "{catch}");
}

#[test]
fn html_from_the_output_extension_is_self_contained() {
    let file = temp("machine.html");
    let o = asl(&[
        "graph",
        &sample("task-retry-catch.asl.json"),
        "-o",
        &file.display().to_string(),
    ]);
    assert!(stdout(&o).is_empty(), "stdout must stay empty with -o");
    let html = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg xmlns="));
    assert!(html.contains("id=\"asl-states\""));
    assert!(
        html.contains("\"type\":\"Task · Lambda: Invoke\""),
        "{html}"
    );
    // Zoom, pan and fit come with the page: the toolbar and its script are inline.
    assert!(html.contains("<main id=\"view\">"));
    for zoom in ["in", "out", "fit"] {
        assert!(html.contains(&format!("data-zoom=\"{zoom}\"")), "{zoom}");
    }
    assert!(html.contains("id=\"zoom-level\""));
    // Nothing loads from elsewhere: the only URL is the SVG namespace.
    assert!(!html.contains("https://"));
    assert!(!html.contains("<script src") && !html.contains("<link"));
}

#[test]
fn html_keeps_script_text_in_state_json_inert() {
    let def = temp("script.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Comment": "</script><script>alert(1)</script>", "End": true}}}"#,
    );
    let html = stdout(&asl(&[
        "graph",
        &def.display().to_string(),
        "--format",
        "html",
    ]));
    // The page's own three: the states' data, the events' data, the script.
    assert_eq!(
        html.matches("</script>").count(),
        html.matches("<script").count(),
        "{html}"
    );
    assert_eq!(html.matches("</script>").count(), 3, "{html}");
    assert!(html.contains("\\u003c/script>\\u003cscript>alert(1)"));
}

#[test]
fn a_template_state_machine_is_named_by_logical_id() {
    let tpl = temp("template.yaml");
    let _ = std::fs::write(
        &tpl,
        "Resources:\n  Flow:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: Hello\n        States:\n          Hello:\n            Type: Pass\n            End: true\n  Other:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: Bye\n        States:\n          Bye:\n            Type: Succeed\n",
    );
    let out = stdout(&asl(&[
        "graph",
        &format!("{}#Flow", tpl.display()),
        "--format",
        "mermaid",
    ]));
    assert!(out.contains("[\"Hello<br/>Pass\"]"), "{out}");
    assert!(!out.contains("Bye"));
    let both = asl(&["graph", &tpl.display().to_string()]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("name one as"));
}

#[test]
fn refusals_exit_2() {
    let missing = asl(&["graph", "no-such-file.asl.json"]);
    assert_eq!(missing.status.code(), Some(2));
    let bad = asl(&["graph", &sample("choice.asl.json"), "--format", "png"]);
    assert_eq!(bad.status.code(), Some(2));
}

// ---- The drawing checked as a person sees it: boxes apart, edges around them. ----

/// A state's box as drawn: its `<g class="node ...">` and the outline of its first shape.
#[derive(Debug, Clone)]
struct Drawn {
    id: String,
    name: String,
    classes: String,
    badge: String,
    rect: (f64, f64, f64, f64),
}

#[derive(Debug, Clone)]
struct DrawnEdge {
    classes: String,
    from: String,
    to: String,
    label: String,
    /// Where the label's text is anchored, on the baseline: its left end, or its right end
    /// with `label_end`.
    label_at: (f64, f64),
    label_end: bool,
    points: Vec<(f64, f64)>,
}

fn attr(s: &str, name: &str) -> Option<String> {
    let start = s.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = s[start..].find('"')?;
    Some(s[start..start + end].to_string())
}

fn num(s: &str, name: &str) -> f64 {
    attr(s, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn drawn_nodes(svg: &str) -> Vec<Drawn> {
    let mut out = Vec::new();
    for piece in svg.split("<g class=\"node").skip(1) {
        let head = &piece[..piece.find('>').unwrap_or(0)];
        let classes = head.split('"').next().unwrap_or_default().to_string();
        let body = &piece[..piece.find("</g>").unwrap_or(piece.len())];
        const POLY: &str = "<polygon points=\"";
        let rect = if let Some(i) = body.find(POLY) {
            let pts: Vec<(f64, f64)> = body[i + POLY.len()..]
                .split('"')
                .next()
                .unwrap_or_default()
                .split(' ')
                .filter_map(|p| p.split_once(','))
                .filter_map(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
                .collect();
            let (x0, x1) = pts
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
            let (y0, y1) = pts
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            (x0, y0, x1 - x0, y1 - y0)
        } else {
            let r = &body[body.find("<rect").unwrap_or(0)..];
            (num(r, "x"), num(r, "y"), num(r, "width"), num(r, "height"))
        };
        let badge = body
            .split("<text class=\"type\"")
            .nth(1)
            .and_then(|t| t.split('>').nth(1))
            .and_then(|t| t.split('<').next())
            .unwrap_or_default()
            .to_string();
        out.push(Drawn {
            id: attr(head, "id").unwrap_or_default(),
            name: attr(head, "data-name").unwrap_or_default(),
            classes,
            badge,
            rect,
        });
    }
    out
}

fn drawn_edges(svg: &str) -> Vec<DrawnEdge> {
    let mut out = Vec::new();
    for piece in svg.split("<g class=\"edge").skip(1) {
        let body = &piece[..piece.find("</g>").unwrap_or(piece.len())];
        let head = &body[..body.find('>').unwrap_or(0)];
        let d = body
            .split("<path d=\"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .unwrap_or_default();
        let points = d
            .split(['M', 'L'])
            .filter_map(|p| p.trim().split_once(','))
            .filter_map(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
            .collect();
        let text = body.split("<text").nth(1).unwrap_or_default();
        let label = text
            .split('>')
            .nth(1)
            .and_then(|t| t.split('<').next())
            .unwrap_or_default()
            .to_string();
        out.push(DrawnEdge {
            classes: head.split('"').next().unwrap_or_default().to_string(),
            from: attr(head, "data-from").unwrap_or_default(),
            to: attr(head, "data-to").unwrap_or_default(),
            label,
            label_at: (num(text, "x"), num(text, "y")),
            label_end: text
                .split('>')
                .next()
                .unwrap_or_default()
                .contains("text-anchor=\"end\""),
            points,
        });
    }
    out
}

fn contains(outer: (f64, f64, f64, f64), inner: (f64, f64, f64, f64)) -> bool {
    outer.0 <= inner.0
        && outer.1 <= inner.1
        && inner.0 + inner.2 <= outer.0 + outer.2
        && inner.1 + inner.3 <= outer.1 + outer.3
}

/// No two state boxes meet unless one holds the other (a Map or Parallel and its states), and
/// no edge runs through a box other than its ends and the boxes holding them.
fn check_drawing(svg: &str, what: &str) {
    check_labels(svg, what);
    let nodes = drawn_nodes(svg);
    assert!(!nodes.is_empty(), "{what}: no states drawn");
    for n in &nodes {
        assert!(
            n.rect.2 > 0.0 && n.rect.3 > 0.0,
            "{what}: `{}` has no size: {:?}",
            n.name,
            n.rect
        );
    }
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            let (p, q) = (a.rect, b.rect);
            let meet = p.0 < q.0 + q.2 && q.0 < p.0 + p.2 && p.1 < q.1 + q.3 && q.1 < p.1 + p.3;
            assert!(
                !meet || contains(p, q) || contains(q, p),
                "{what}: `{}` {p:?} overlaps `{}` {q:?}",
                a.name,
                b.name
            );
        }
    }
    let by_id: std::collections::HashMap<&str, &Drawn> =
        nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    for e in drawn_edges(svg) {
        let (Some(from), Some(to)) = (by_id.get(e.from.as_str()), by_id.get(e.to.as_str())) else {
            panic!("{what}: an edge names a missing state: {e:?}");
        };
        for n in &nodes {
            if n.id == from.id
                || n.id == to.id
                || contains(n.rect, from.rect)
                || contains(n.rect, to.rect)
            {
                continue;
            }
            let (x, y, w, h) = n.rect;
            for s in e.points.windows(2) {
                let steps = ((s[1].0 - s[0].0).abs() + (s[1].1 - s[0].1).abs()).ceil() as usize + 1;
                for k in 0..=steps {
                    let t = k as f64 / steps as f64;
                    let (px, py) = (
                        s[0].0 + t * (s[1].0 - s[0].0),
                        s[0].1 + t * (s[1].1 - s[0].1),
                    );
                    assert!(
                        !(px > x + 1.0 && px < x + w - 1.0 && py > y + 1.0 && py < y + h - 1.0),
                        "{what}: the edge {} -> {} runs through `{}`",
                        from.name,
                        to.name,
                        n.name
                    );
                }
            }
        }
    }
}

type Box4 = (f64, f64, f64, f64);
type Point = (f64, f64);

/// Where a text of `chars` characters in the 11px font sits, from its left end on the
/// baseline: about 6.6px a character, 9px above the baseline and 2.5px below.
fn text_box(at: (f64, f64), chars: usize) -> Box4 {
    (at.0, at.1 - 9.0, chars as f64 * 6.6, 11.5)
}

/// Characters of SVG text as shown (`&lt;` is one).
fn shown_chars(s: &str) -> usize {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .chars()
        .count()
}

/// Whether the interiors of two boxes meet.
fn boxes_meet(p: Box4, q: Box4) -> bool {
    p.0 < q.0 + q.2 && q.0 < p.0 + p.2 && p.1 < q.1 + q.3 && q.1 < p.1 + p.3
}

/// Whether the axis-aligned segment a-b passes through the interior of `r`.
fn segment_meets(a: (f64, f64), b: (f64, f64), r: Box4) -> bool {
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    x1 > r.0 && x0 < r.0 + r.2 && y1 > r.1 && y0 < r.1 + r.3
}

/// The four sides of a box as segments.
fn sides(r: Box4) -> [((f64, f64), (f64, f64)); 4] {
    let (x, y, w, h) = r;
    [
        ((x, y), (x + w, y)),
        ((x + w, y), (x + w, y + h)),
        ((x, y + h), (x + w, y + h)),
        ((x, y), (x, y + h)),
    ]
}

/// Every text drawn on the picture's lines — edge labels and region titles — sits clear of
/// every edge (its own included), of every state box, of the borders and title bars of Map
/// and Parallel boxes and of their regions, and of every other such text.
fn check_labels(svg: &str, what: &str) {
    let nodes = drawn_nodes(svg);
    let edges = drawn_edges(svg);
    // (what it says, its box)
    let mut texts: Vec<(String, Box4)> = edges
        .iter()
        .filter(|e| !e.label.is_empty())
        .map(|e| {
            let chars = shown_chars(&e.label);
            // A label right-aligned at x ends there.
            let at = if e.label_end {
                (e.label_at.0 - chars as f64 * 6.6, e.label_at.1)
            } else {
                e.label_at
            };
            (format!("edge label `{}`", e.label), text_box(at, chars))
        })
        .collect();
    const REGION: &str = "stroke-dasharray=\"3 3\"/><text class=\"region-title\"";
    let mut regions = Vec::new();
    for (i, _) in svg.match_indices(REGION) {
        let rect = &svg[svg[..i].rfind("<rect").unwrap_or(0)..i];
        regions.push((
            num(rect, "x"),
            num(rect, "y"),
            num(rect, "width"),
            num(rect, "height"),
        ));
        let text = &svg[i + REGION.len() - "<text class=\"region-title\"".len()..];
        let title = text
            .split("</title>")
            .nth(1)
            .and_then(|t| t.split('<').next())
            .unwrap_or_default();
        texts.push((
            format!("region title `{title}`"),
            text_box((num(text, "x"), num(text, "y")), shown_chars(title)),
        ));
    }
    // Lines a text must not cross, and boxes it must stay out of.
    let mut lines: Vec<(String, Point, Point)> = Vec::new();
    for e in &edges {
        for s in e.points.windows(2) {
            lines.push((format!("the edge {} -> {}", e.from, e.to), s[0], s[1]));
        }
    }
    let mut solid: Vec<(String, Box4)> = Vec::new();
    for n in &nodes {
        if n.classes.contains("t-map") || n.classes.contains("t-parallel") {
            for (a, b) in sides(n.rect) {
                lines.push((format!("the border of `{}`", n.name), a, b));
            }
            let (x, y, w, _) = n.rect;
            solid.push((format!("the title bar of `{}`", n.name), (x, y, w, 30.0)));
        } else {
            solid.push((format!("the state `{}`", n.name), n.rect));
        }
    }
    for r in regions {
        for (a, b) in sides(r) {
            lines.push(("a region's border".to_string(), a, b));
        }
    }
    for (i, (t, b)) in texts.iter().enumerate() {
        for (l, p, q) in &lines {
            assert!(
                !segment_meets(*p, *q, *b),
                "{what}: the {t} at {b:?} is drawn over {l} ({p:?} - {q:?})"
            );
        }
        for (o, r) in &solid {
            assert!(
                !boxes_meet(*b, *r),
                "{what}: the {t} at {b:?} is drawn over {o} {r:?}"
            );
        }
        for (u, c) in &texts[i + 1..] {
            assert!(
                !boxes_meet(*b, *c),
                "{what}: the {t} at {b:?} meets the {u} at {c:?}"
            );
        }
    }
}

fn samples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("asl-samples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".asl.json"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_sample_is_drawn_without_overlaps_or_edges_through_states() {
    let all = samples();
    assert!(all.len() >= 10);
    for path in all {
        let svg = stdout(&asl(&["graph", &path.display().to_string()]));
        check_drawing(&svg, &path.display().to_string());
        let def: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
                .unwrap_or_default();
        // Every top-level state is drawn, by name.
        let names = drawn_nodes(&svg);
        for name in def["States"].as_object().into_iter().flat_map(|m| m.keys()) {
            assert!(
                names.iter().any(|n| &n.name == name),
                "{}: `{name}` missing",
                path.display()
            );
        }
    }
}

/// `asl run` of a sample with `--graph`, returning (stdout, exit code, the drawing).
fn run_drawn(args: &[&str], file: &str) -> (String, Option<i32>, String) {
    let out = temp(file);
    let mut all: Vec<&str> = vec!["run"];
    all.extend(args);
    let shown = out.display().to_string();
    all.extend(["--graph", &shown]);
    let o = asl(&all);
    let drawing = std::fs::read_to_string(&out).unwrap_or_default();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        o.status.code(),
        drawing,
    )
}

fn node<'a>(nodes: &'a [Drawn], name: &str) -> &'a Drawn {
    match nodes.iter().find(|n| n.name == name) {
        Some(n) => n,
        None => panic!("no state `{name}` in {nodes:?}"),
    }
}

#[test]
fn run_graph_marks_the_failed_path_and_dims_the_rest_with_stdout_unchanged() {
    let args = [
        sample("fail.asl.json"),
        "--input-file".into(),
        sample("fail.input.json"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plain = asl(&[&["run"], args.as_slice()].concat());
    let (out, code, svg) = run_drawn(&args, "fail-run.svg");
    assert_eq!(out, String::from_utf8_lossy(&plain.stdout));
    assert_eq!(code, Some(1));
    check_drawing(&svg, "fail run");
    let nodes = drawn_nodes(&svg);
    assert!(node(&nodes, "Check").classes.contains("s-succeeded"));
    assert!(node(&nodes, "Rejected").classes.contains("s-failed"));
    assert!(
        node(&nodes, "Rejected")
            .badge
            .contains("✗ Validation.Rejected")
    );
    assert!(node(&nodes, "Accepted").classes.contains("dim"));
    let edges = drawn_edges(&svg);
    let taken: Vec<&str> = edges
        .iter()
        .filter(|e| e.classes.contains("taken"))
        .map(|e| e.label.as_str())
        .collect();
    // Start -> Check, Check -> Rejected; nothing leaves the Fail state.
    assert_eq!(taken, ["×1", "Default ×1"], "{edges:?}");
    assert_eq!(
        edges.iter().filter(|e| e.classes.contains("dim")).count(),
        2
    );
}

#[test]
fn run_graph_shows_retries_catches_and_map_iterations() {
    let mocks = sample("task-retry-catch.mocks.json");
    let def = sample("task-retry-catch.asl.json");
    let input = sample("task-retry-catch.input.json");
    let base = [
        "--input-file",
        &input,
        "--mock-config",
        &mocks,
        "--test-case",
    ];
    let (_, code, svg) = run_drawn(
        &[&[def.as_str()], &base[..], &["ThrottledThenOk"]].concat(),
        "retried.svg",
    );
    assert_eq!(code, Some(0));
    let nodes = drawn_nodes(&svg);
    let call = node(&nodes, "CallService");
    assert!(call.classes.contains("s-retried"), "{call:?}");
    assert!(call.badge.ends_with("· 2 retries"), "{call:?}");
    assert!(node(&nodes, "Refund").classes.contains("dim"));

    let (_, code, svg) = run_drawn(
        &[&[def.as_str()], &base[..], &["Broken"]].concat(),
        "caught.svg",
    );
    assert_eq!(code, Some(0));
    let nodes = drawn_nodes(&svg);
    assert!(node(&nodes, "CallService").classes.contains("s-caught"));
    assert!(node(&nodes, "Refund").classes.contains("s-succeeded"));
    let edges = drawn_edges(&svg);
    assert!(
        edges.iter().any(|e| e.classes.contains("catch")
            && e.classes.contains("taken")
            && e.label == "States.ALL ×1"),
        "{edges:?}"
    );

    // A Map whose last iteration fails, caught by the Map's Catch.
    let def = temp("map-fails.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "ItemsPath": "$.items",
              "ItemProcessor": {"StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Good"},
                "Good": {"Type": "Pass", "End": true},
                "Bad": {"Type": "Fail", "Error": "Item.Bad"}}},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
              "End": true},
            "Handled": {"Type": "Pass", "End": true}}}"#,
    );
    let def = def.display().to_string();
    let (_, code, svg) = run_drawn(
        &[def.as_str(), "--input", r#"{"items": [1, 3, 2]}"#],
        "map.svg",
    );
    assert_eq!(code, Some(0));
    check_drawing(&svg, "map run");
    let nodes = drawn_nodes(&svg);
    let each = node(&nodes, "Each");
    assert!(each.classes.contains("s-caught"), "{each:?}");
    assert!(
        svg.contains("Map · 3 iterations, 1 failed · caught"),
        "{svg}"
    );
    assert!(node(&nodes, "Check").badge.ends_with("×3"));
    assert!(node(&nodes, "Good").badge.ends_with("×2"));
    assert!(node(&nodes, "Bad").classes.contains("s-failed"));
    let edges = drawn_edges(&svg);
    assert!(
        edges.iter().any(|e| e.label.ends_with("== 2 ×1")),
        "{edges:?}"
    );
    assert!(edges.iter().any(|e| e.label == "Default ×2"), "{edges:?}");
}

#[test]
fn run_graph_html_is_an_inspector_with_each_visit_and_the_events() {
    let (out, code, html) = run_drawn(
        &[
            &sample("task-retry-catch.asl.json"),
            "--input-file",
            &sample("task-retry-catch.input.json"),
            "--mock-config",
            &sample("task-retry-catch.mocks.json"),
            "--test-case",
            "Broken",
        ],
        "inspector.html",
    );
    assert_eq!(code, Some(0));
    assert!(out.contains("\"refund\":\"refunded\""));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1>Execution SUCCEEDED</h1>"));
    let events = html
        .split("<script type=\"application/json\" id=\"asl-events\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap_or_default();
    let events: serde_json::Value = serde_json::from_str(events).unwrap_or_default();
    assert_eq!(events[0]["type"], "ExecutionStarted", "{events}");
    assert!(events.as_array().is_some_and(|a| a.len() > 5));
    let states = html
        .split("<script type=\"application/json\" id=\"asl-states\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap_or_default();
    let states: serde_json::Value = serde_json::from_str(states).unwrap_or_default();
    let call = states
        .as_object()
        .and_then(|m| m.values().find(|s| s["name"] == "CallService"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(call["mark"], "caught");
    let fields = &call["details"][0]["fields"];
    assert_eq!(fields[0][0], "Input");
    assert_eq!(fields[0][1]["orderId"], "o-1", "{fields}");
    assert!(
        fields
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x[0] == "Caught")),
        "{fields}"
    );
    assert!(!html.contains("https://") && !html.contains("<script src"));
}

#[test]
fn run_graph_escapes_names_and_refuses_other_extensions() {
    let def = temp("names.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "Say \"hi\" <now> 🎉", "States": {"Say \"hi\" <now> 🎉": {"Type": "Pass", "Result": "</script>", "End": true}}}"#,
    );
    let def = def.display().to_string();
    let (_, code, svg) = run_drawn(&[def.as_str()], "names.svg");
    assert_eq!(code, Some(0));
    assert!(svg.contains("data-name=\"Say &quot;hi&quot; &lt;now&gt; 🎉\""));
    assert_eq!(
        drawn_nodes(&svg)[1].name,
        "Say &quot;hi&quot; &lt;now&gt; 🎉"
    );
    let (_, _, html) = run_drawn(&[def.as_str()], "names.html");
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(html.contains("\\u003c/script>"));

    let bad = asl(&["run", &def, "--graph", &temp("x.png").display().to_string()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("expected a file name ending in .svg or .html")
    );
}

#[test]
fn test_coverage_html_marks_uncovered_items_and_writes_an_index() {
    let dir = temp("cov-html");
    let _ = std::fs::remove_dir_all(&dir);
    let tests = temp("choice-partial.test.yaml");
    let _ = std::fs::write(
        &tests,
        format!(
            "definition: {}\ncases:\n  - name: express\n    input: {{amount: 5, country: FR, express: true}}\n    expect: {{status: SUCCEEDED}}\n  - name: express again\n    input: {{amount: 6, country: FR, express: true}}\n    expect: {{status: SUCCEEDED}}\n",
            sample("choice.asl.json")
        ),
    );
    let o = asl(&[
        "test",
        &tests.display().to_string(),
        "--coverage-html",
        &dir.display().to_string(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap_or_default();
    assert!(index.contains("<h1>Coverage</h1>"), "{index}");
    let href = attr(&index[index.find("<a ").unwrap_or(0)..], "href").unwrap_or_default();
    assert!(href.ends_with("choice.asl.json.html"), "{href}");
    // States 2/4 and Choice rules 1/3: 3 of 7.
    assert!(index.contains("class=\"pct\">42.9 %<"), "{index}");
    let page = std::fs::read_to_string(dir.join(&href)).unwrap_or_default();
    let svg = &page[page.find("<svg").unwrap_or(0)..page.find("</svg>").unwrap_or(0)];
    check_drawing(svg, "coverage page");
    let nodes = drawn_nodes(svg);
    assert!(node(&nodes, "Route").classes.contains("s-covered"));
    assert!(
        node(&nodes, "Route").badge.contains("×2 · rules 1/3"),
        "{:?}",
        node(&nodes, "Route")
    );
    assert!(node(&nodes, "Express").classes.contains("s-covered"));
    assert!(node(&nodes, "Standard").classes.contains("s-uncovered"));
    assert!(node(&nodes, "ManualReview").classes.contains("s-uncovered"));
    let edges = drawn_edges(svg);
    assert!(
        edges
            .iter()
            .any(|e| e.classes.contains("uncovered") && e.label == "Default ×0"),
        "{edges:?}"
    );
    assert!(
        edges
            .iter()
            .any(|e| e.classes.contains("taken") && e.label == "$.express == true ×2"),
        "{edges:?}"
    );
}

#[test]
fn every_sample_coverage_page_is_drawn_cleanly_and_fully_covered() {
    let dir = temp("cov-samples");
    let _ = std::fs::remove_dir_all(&dir);
    let samples_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("asl-samples");
    let o = asl(&[
        "test",
        &samples_dir.display().to_string(),
        "--coverage-html",
        &dir.display().to_string(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap_or_default();
    let pages: Vec<String> = index
        .split("<a href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect();
    assert!(pages.len() >= 10, "{index}");
    for p in pages {
        let page = std::fs::read_to_string(dir.join(&p)).unwrap_or_default();
        let svg = &page[page.find("<svg").unwrap_or(0)..page.find("</svg>").unwrap_or(0)];
        check_drawing(svg, &p);
        // The samples' tests cover every state.
        assert!(
            drawn_nodes(svg)
                .iter()
                .filter(|n| !n.classes.contains("marker"))
                .all(|n| n.classes.contains("s-covered")),
            "{p}"
        );
    }
}

#[test]
fn run_graph_marks_a_branch_stopped_by_its_failing_sibling() {
    let def = temp("stopped.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 5, "End": true}}},
            {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom"}}}], "End": true}}}"#,
    );
    let def = def.display().to_string();
    // On the real clock the Wait is still waiting when the other branch fails.
    let (_, code, svg) = run_drawn(&[def.as_str(), "--clock", "real"], "stopped.svg");
    assert_eq!(code, Some(1));
    let nodes = drawn_nodes(&svg);
    assert!(
        node(&nodes, "Slow").classes.contains("s-stopped"),
        "{nodes:?}"
    );
    assert!(node(&nodes, "Boom").classes.contains("s-failed"));
    let both = node(&nodes, "Both");
    assert!(both.classes.contains("s-failed"));
    assert!(
        svg.contains(">Parallel · 2 branches, 1 failed · ✗ Boom</text>"),
        "{svg}"
    );
}

#[test]
fn a_fail_state_is_terminal_with_no_edge_to_the_end_node() {
    let svg = stdout(&asl(&["graph", &sample("fail.asl.json")]));
    check_drawing(&svg, "fail");
    let nodes = drawn_nodes(&svg);
    let rejected = node(&nodes, "Rejected");
    let accepted = node(&nodes, "Accepted");
    let end = node(&nodes, "End");
    let edges = drawn_edges(&svg);
    assert!(
        edges.iter().all(|e| e.from != rejected.id),
        "an edge leaves the Fail state: {edges:?}"
    );
    assert!(
        edges
            .iter()
            .any(|e| e.from == accepted.id && e.to == end.id),
        "Succeed is wired to End: {edges:?}"
    );
    // The same in dot and mermaid, which draw the same diagram.
    let dot = stdout(&asl(&[
        "graph",
        &sample("fail.asl.json"),
        "--format",
        "dot",
    ]));
    assert_eq!(dot.matches(" -> ").count(), 4, "{dot}");

    // A machine that can only fail has no End node at all.
    let def = temp("only-fails.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "Try", "States": {
            "Try": {"Type": "Pass", "Next": "Boom"},
            "Boom": {"Type": "Fail", "Error": "E"}}}"#,
    );
    let svg = stdout(&asl(&["graph", &def.display().to_string()]));
    check_drawing(&svg, "only fails");
    let nodes = drawn_nodes(&svg);
    assert!(nodes.iter().all(|n| n.name != "End"), "{nodes:?}");
    assert_eq!(drawn_edges(&svg).len(), 2);
}

/// The titles of the regions inside Map and Parallel states, as drawn, in order.
fn region_titles(svg: &str) -> Vec<String> {
    svg.split("<text class=\"region-title\"")
        .skip(1)
        .filter_map(|t| t.split("</title>").nth(1))
        .filter_map(|t| t.split('<').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn regions_are_titled_as_the_definition_and_asl_test_name_them() {
    let def = temp("regions.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "Fan", "States": {
            "Fan": {"Type": "Parallel", "Next": "Old", "Branches": [
              {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
              {"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}}]},
            "Old": {"Type": "Map", "Next": "New",
              "Iterator": {"StartAt": "C", "States": {"C": {"Type": "Pass", "End": true}}}},
            "New": {"Type": "Map", "End": true,
              "ItemProcessor": {"StartAt": "D", "States": {"D": {"Type": "Pass", "End": true}}}}}}"#,
    );
    let def = def.display().to_string();
    let svg = stdout(&asl(&["graph", &def]));
    check_drawing(&svg, "regions");
    assert_eq!(
        region_titles(&svg),
        ["Fan[0]", "Fan[1]", "Inner[0]", "Iterator", "ItemProcessor"],
        "{svg}"
    );
    assert!(
        svg.contains("<title>Branch 2 of Fan: asl test names its states Fan[1]/State</title>"),
        "{svg}"
    );
    let mermaid = stdout(&asl(&["graph", &def, "--format", "mermaid"]));
    assert!(mermaid.contains("[\"Fan#91;1#93;\"]"), "{mermaid}");
    assert!(mermaid.contains("[\"Iterator\"]") && mermaid.contains("[\"ItemProcessor\"]"));

    // A test names a state in branch 1 `Fan[1]/Inner`: the region holding it is `Fan[1]`.
    let tests = temp("regions.test.yaml");
    let _ = std::fs::write(
        &tests,
        format!(
            "definition: {def}\ncases:\n  - name: both\n    input: [1]\n    expect:\n      status: SUCCEEDED\n      states:\n        Fan[1]/Inner: {{entered: 1}}\n"
        ),
    );
    let o = asl(&["test", &tests.display().to_string()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn task_boxes_name_the_integration_as_the_console_does() {
    let tasks = [
        ("Invoke", "arn:aws:states:::lambda:invoke", "Lambda: Invoke"),
        (
            "Fn",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Lambda: Invoke",
        ),
        (
            "Run",
            "arn:aws:states:::ecs:runTask.sync",
            "ECS: RunTask.sync",
        ),
        (
            "Put",
            "arn:aws:states:::dynamodb:putItem",
            "DynamoDB: PutItem",
        ),
        (
            "Ask",
            "arn:aws:states:::sns:publish.waitForTaskToken",
            "SNS: Publish.waitForTaskToken",
        ),
        (
            "Child",
            "arn:aws:states:::states:startExecution.sync:2",
            "Step Functions: StartExecution.sync:2",
        ),
        (
            "Get",
            "arn:aws:states:::aws-sdk:s3:getObject",
            "S3: GetObject",
        ),
        ("Call", "arn:aws:states:::http:invoke", "HTTP: Invoke"),
        (
            "Review",
            "arn:aws:states:us-east-1:123456789012:activity:review",
            "Activity",
        ),
        ("Local", "${SomeArn}", "Task"),
    ];
    let mut states = serde_json::Map::new();
    for (i, (name, arn, _)) in tasks.iter().enumerate() {
        let mut s = serde_json::json!({"Type": "Task", "Resource": arn});
        match tasks.get(i + 1) {
            Some((next, _, _)) => s["Next"] = serde_json::json!(next),
            None => s["End"] = serde_json::json!(true),
        }
        if name.contains("Run") {
            s["Retry"] = serde_json::json!([{"ErrorEquals": ["States.ALL"]}]);
        }
        states.insert(name.to_string(), s);
    }
    let def = temp("integrations.asl.json");
    let _ = std::fs::write(
        &def,
        serde_json::json!({"StartAt": "Invoke", "States": states}).to_string(),
    );
    let svg = stdout(&asl(&["graph", &def.display().to_string()]));
    check_drawing(&svg, "integrations");
    let nodes = drawn_nodes(&svg);
    for (name, _, want) in tasks {
        let n = node(&nodes, name);
        let want = if name == "Run" {
            format!("{want} · ↻ Retry")
        } else {
            want.to_string()
        };
        assert_eq!(n.badge, want, "{n:?}");
        // The box is wide enough for its second line (11px text, about 6.6px a character).
        assert!(
            n.rect.2 >= want.chars().count() as f64 * 6.6,
            "{name}: {:?} too narrow for `{want}`",
            n.rect
        );
    }
}

/// A Choice with many rules (one looping to itself, one cut for length), Catch edges with
/// long error lists, and a Map holding another Choice.
const LABELLED: &str = r#"{"Comment": "Labels everywhere", "StartAt": "Classify", "States": {
  "Classify": {"Type": "Choice", "Choices": [
     {"Variable": "$.kind", "StringEquals": "a-very-long-kind-name-that-gets-cut", "Next": "HandleA"},
     {"Variable": "$.kind", "StringEquals": "b", "Next": "HandleB"},
     {"Variable": "$.kind", "StringEquals": "c", "Next": "HandleC"},
     {"Variable": "$.retry", "BooleanEquals": true, "Next": "Classify"},
     {"Variable": "$.n", "NumericGreaterThan": 100, "Next": "Big"},
     {"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"}],
   "Default": "Unknown"},
  "HandleA": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Again?",
     "Catch": [{"ErrorEquals": ["States.Timeout", "Lambda.ServiceException"], "Next": "Unknown"},
               {"ErrorEquals": ["States.ALL"], "Next": "Negative"}]},
  "HandleB": {"Type": "Pass", "Next": "Again?"},
  "HandleC": {"Type": "Pass", "Next": "Again?"},
  "Big": {"Type": "Map", "ItemsPath": "$.items", "Next": "Again?", "ItemProcessor": {"StartAt": "Check", "States": {
      "Check": {"Type": "Choice", "Choices": [
          {"Variable": "$.x", "NumericEquals": 1, "Next": "One"},
          {"Variable": "$.x", "NumericEquals": 2, "Next": "Two"},
          {"Variable": "$.x", "IsPresent": false, "Next": "Check"}],
        "Default": "Other"},
      "One": {"Type": "Pass", "End": true}, "Two": {"Type": "Pass", "End": true},
      "Other": {"Type": "Fail", "Error": "Other"}}}},
  "Again?": {"Type": "Choice", "Choices": [
      {"Variable": "$.again", "BooleanEquals": true, "Next": "Classify"},
      {"Variable": "$.done", "BooleanEquals": true, "Next": "Done"}], "Default": "HandleB"},
  "Unknown": {"Type": "Fail", "Error": "Unknown"},
  "Negative": {"Type": "Fail", "Error": "Negative"},
  "Done": {"Type": "Succeed"}
}}"#;

#[test]
fn labels_are_drawn_clear_of_edges_boxes_and_each_other() {
    let def = temp("labelled.asl.json");
    let _ = std::fs::write(&def, LABELLED);
    let def = def.display().to_string();
    let svg = stdout(&asl(&["graph", &def]));
    check_drawing(&svg, "labelled");
    // Every rule is labelled; a label cut to fit keeps its full text in the title.
    let edges = drawn_edges(&svg);
    let classify = node(&drawn_nodes(&svg), "Classify").id.clone();
    let rules: Vec<&DrawnEdge> = edges.iter().filter(|e| e.from == classify).collect();
    assert_eq!(rules.len(), 7, "{rules:?}");
    assert!(rules.iter().all(|e| !e.label.is_empty()), "{rules:?}");
    assert!(
        svg.contains("<title>$.kind == &quot;a-very-long-kind-name-that-gets-cut&quot;</title>"),
        "{svg}"
    );
    // The HTML page draws the same picture.
    let html = stdout(&asl(&["graph", &def, "--format", "html"]));
    let page = &html[html.find("<svg").unwrap_or(0)..html.find("</svg>").unwrap_or(0)];
    check_drawing(page, "labelled page");
    // With an execution's counts on the labels, they still fit.
    let (_, code, run) = run_drawn(
        &[
            def.as_str(),
            "--input",
            r#"{"kind": "b", "again": false, "done": true}"#,
        ],
        "labelled-run.svg",
    );
    assert_eq!(code, Some(0));
    check_drawing(&run, "labelled run");
    assert!(
        drawn_edges(&run)
            .iter()
            .any(|e| e.label == "$.kind == &quot;b&quot; ×1"),
        "{run}"
    );
}

#[test]
fn run_graph_html_carries_each_visit_with_its_input_and_output() {
    let def = temp("visits.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "Visit", "States": {
              "Visit": {"Type": "Pass", "Parameters": {"id.$": "$"}, "End": true}}}}}}"#,
    );
    let (_, code, html) = run_drawn(
        &[
            def.display().to_string().as_str(),
            "--input",
            "[10, 11, 12]",
        ],
        "visits.html",
    );
    assert_eq!(code, Some(0));
    let states = html
        .split("<script type=\"application/json\" id=\"asl-states\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap_or_default();
    let states: serde_json::Value = serde_json::from_str(states).unwrap_or_default();
    let visit = states
        .as_object()
        .and_then(|m| m.values().find(|s| s["name"] == "Visit"))
        .cloned()
        .unwrap_or_default();
    let sections = visit["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(sections.len(), 3, "{visit}");
    for (i, sec) in sections.iter().enumerate() {
        assert_eq!(
            sec["title"],
            format!("Visit {} · Each[{i}]/Visit", i + 1),
            "{sec}"
        );
        let field = |name: &str| {
            sec["fields"]
                .as_array()
                .and_then(|f| f.iter().find(|x| x[0] == name))
                .map(|x| x[1].clone())
        };
        assert_eq!(field("Input"), Some(serde_json::json!(10 + i)), "{sec}");
        assert_eq!(
            field("Output"),
            Some(serde_json::json!({"id": 10 + i})),
            "{sec}"
        );
    }
    // The page cuts long values and offers to show them whole.
    assert!(html.contains("Show all (") && html.contains("Show less"));
}
