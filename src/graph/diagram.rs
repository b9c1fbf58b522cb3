//! The graph model of a definition: regions (the machine, each Parallel branch, each Map
//! processor) of nodes and edges.
//!
//! Invariants: every edge's `from` and `to` index a node of the same region; a region's `start`
//! indexes its first node to draw (the Start marker at the top level, the start state inside).

use super::{condition, integration};
use crate::definition::{Graph, Kind, MapMode, Next, State, StateMachine};
use serde_json::Value;

/// A whole definition as a graph.
#[derive(Debug, Clone)]
pub struct Diagram {
    pub comment: Option<String>,
    pub root: Region,
}

/// The nodes of one graph and the edges between them.
#[derive(Debug, Clone, Default)]
pub struct Region {
    /// What the region is inside its compound node: a Parallel branch by the qualified name
    /// `asl test` gives it (`Fan[1]`, so `Fan[1]/Inner` in a test is `Inner` under it), a Map's
    /// processor by the field the definition writes (`ItemProcessor`, or the legacy `Iterator`).
    pub title: String,
    /// The title explained, for a tooltip (empty at the top level).
    pub note: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub start: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A state, by its `Type`.
    State(&'static str),
    Start,
    End,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Unique in the diagram (`n0`, `n1`, ...): safe as an SVG, dot or mermaid identifier.
    pub id: String,
    /// The state's name (`Start`/`End` for the markers).
    pub name: String,
    /// The state's JSON pointer in the definition (`/States/A`, unique even where nested
    /// machines repeat names); empty for the markers. Overlays name states by it.
    pub pointer: String,
    pub kind: NodeKind,
    pub comment: Option<String>,
    /// How many `Retry` rules the state has.
    pub retriers: usize,
    /// A Map in `DISTRIBUTED` mode.
    pub distributed: bool,
    /// What a Task calls, as the console names it (`Lambda: Invoke`, `ECS: RunTask.sync`);
    /// shown instead of the type on the line under the name.
    pub integration: Option<String>,
    /// The state's JSON as written (Null for markers).
    pub json: Value,
    /// Parallel branches or the Map processor.
    pub children: Vec<Region>,
    /// What an overlay adds under the name (`×3`, `2 iterations, 1 failed`); set by
    /// [`Diagram::overlaid`] so the layout makes room for it.
    pub badge: Option<String>,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::State(t) => t,
            NodeKind::Start => "Start",
            NodeKind::End => "End",
        }
    }

    /// The line under the name: the type (`Distributed Map` for one, the integration for a
    /// Task that names one), and a mark when the state has `Retry` rules.
    pub fn tag(&self) -> String {
        let t = if self.distributed {
            "Distributed Map"
        } else if let Some(i) = &self.integration {
            i
        } else {
            self.type_name()
        };
        let mut line = if self.retriers > 0 {
            format!("{t} · ↻ Retry")
        } else {
            t.to_string()
        };
        if let Some(b) = &self.badge {
            line.push_str(" · ");
            line.push_str(b);
        }
        line
    }

    pub fn is_compound(&self) -> bool {
        !self.children.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    Next,
    /// A Choice rule, by index.
    Rule(usize),
    Default,
    /// A Catch clause, by index.
    Catch(usize),
}

impl EdgeKind {
    pub fn is_catch(self) -> bool {
        matches!(self, EdgeKind::Catch(_))
    }
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// Shown on the edge: a shortened condition, `Default`, or the caught error names.
    pub label: String,
    /// The full text, for a tooltip.
    pub title: String,
}

impl Diagram {
    /// The diagram of `machine`; `raw` is the definition's JSON, read for Choice conditions and
    /// each state's text (a missing piece shows as `?`, never fails).
    pub fn build(machine: &StateMachine, raw: &Value) -> Diagram {
        let mut ids = 0;
        Diagram {
            comment: machine.comment.clone(),
            root: region(
                &machine.root,
                raw,
                (String::new(), String::new()),
                true,
                &mut ids,
            ),
        }
    }

    /// Every node of every region, depth first.
    pub fn all_nodes(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        self.root.collect(&mut out);
        out
    }
}

impl Region {
    fn collect<'a>(&'a self, out: &mut Vec<&'a Node>) {
        for n in &self.nodes {
            out.push(n);
            for c in &n.children {
                c.collect(out);
            }
        }
    }

    /// Edges of this region and every region nested in it.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
            + self
                .nodes
                .iter()
                .flat_map(|n| &n.children)
                .map(Region::edge_count)
                .sum::<usize>()
    }
}

fn next_id(ids: &mut usize) -> String {
    let id = format!("n{ids}");
    *ids += 1;
    id
}

fn marker(kind: NodeKind, name: &str, ids: &mut usize) -> Node {
    Node {
        id: next_id(ids),
        name: name.to_string(),
        kind,
        pointer: String::new(),
        comment: None,
        retriers: 0,
        distributed: false,
        integration: None,
        json: Value::Null,
        children: Vec::new(),
        badge: None,
    }
}

/// The region of `graph`; with `markers`, a Start node before it and an End node after every
/// state that ends it with success (`End: true` or a Succeed state). A Fail state is terminal
/// on its own, as the console draws it: no edge leaves it, and a machine that can only fail
/// has no End node.
fn region(
    graph: &Graph,
    raw: &Value,
    (title, note): (String, String),
    markers: bool,
    ids: &mut usize,
) -> Region {
    let mut r = Region {
        title,
        note,
        ..Region::default()
    };
    // State i is node i + offset.
    let offset = usize::from(markers);
    if markers {
        r.nodes.push(marker(NodeKind::Start, "Start", ids));
    }
    for s in &graph.states {
        let node = state_node(s, raw, ids);
        r.nodes.push(node);
    }
    let ends = graph.states.iter().any(|s| match s.kind {
        Kind::Succeed => true,
        Kind::Fail(_) | Kind::Choice(_) => false,
        _ => s.next == Next::End,
    });
    let end = if markers && ends {
        r.nodes.push(marker(NodeKind::End, "End", ids));
        Some(r.nodes.len() - 1)
    } else {
        None
    };
    r.start = if markers { 0 } else { graph.start };
    if markers {
        r.edges
            .push(plain(0, graph.start + offset, EdgeKind::Next, ""));
    }
    for (i, s) in graph.states.iter().enumerate() {
        let from = i + offset;
        match &s.kind {
            Kind::Choice(c) => {
                for (k, b) in c.choices.iter().enumerate() {
                    let rule = raw
                        .pointer(&format!("{}/Choices/{k}", s.pointer))
                        .map_or_else(|| "?".to_string(), condition::text);
                    r.edges.push(Edge {
                        from,
                        to: b.next + offset,
                        kind: EdgeKind::Rule(k),
                        label: condition::short(&rule),
                        title: rule,
                    });
                }
                if let Some(d) = c.default {
                    r.edges
                        .push(plain(from, d + offset, EdgeKind::Default, "Default"));
                }
            }
            Kind::Succeed => {
                if let Some(e) = end {
                    r.edges.push(plain(from, e, EdgeKind::Next, ""));
                }
            }
            Kind::Fail(_) => {}
            _ => match s.next {
                Next::To(n) => r.edges.push(plain(from, n + offset, EdgeKind::Next, "")),
                Next::End => {
                    if let Some(e) = end {
                        r.edges.push(plain(from, e, EdgeKind::Next, ""));
                    }
                }
            },
        }
        for (k, c) in s.kind.catchers().iter().enumerate() {
            let names: Vec<&str> = c.error_equals.iter().map(|e| e.as_str()).collect();
            let names = names.join(", ");
            r.edges.push(Edge {
                from,
                to: c.next + offset,
                kind: EdgeKind::Catch(k),
                label: condition::short(&names),
                title: format!("Catch {names}"),
            });
        }
    }
    r
}

fn plain(from: usize, to: usize, kind: EdgeKind, label: &str) -> Edge {
    Edge {
        from,
        to,
        kind,
        label: label.to_string(),
        title: label.to_string(),
    }
}

fn state_node(s: &State, raw: &Value, ids: &mut usize) -> Node {
    let id = next_id(ids);
    let json = raw.pointer(&s.pointer).cloned().unwrap_or(Value::Null);
    let children = match &s.kind {
        Kind::Parallel(p) => p
            .branches
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let title = format!("{}[{i}]", s.name);
                let note = format!(
                    "Branch {} of {}: asl test names its states {title}/State",
                    i + 1,
                    s.name
                );
                region(g, raw, (title, note), false, ids)
            })
            .collect(),
        Kind::Map(m) => {
            let field = if json.get("Iterator").is_some() {
                "Iterator"
            } else {
                "ItemProcessor"
            };
            let note = format!(
                "The {field} of {}: asl test names its states {}[i]/State for iteration i",
                s.name, s.name
            );
            vec![region(
                &m.processor,
                raw,
                (field.to_string(), note),
                false,
                ids,
            )]
        }
        _ => Vec::new(),
    };
    Node {
        id,
        name: s.name.clone(),
        pointer: s.pointer.clone(),
        kind: NodeKind::State(s.kind.type_name()),
        comment: s.comment.clone(),
        retriers: s.kind.retriers().len(),
        distributed: matches!(&s.kind, Kind::Map(m) if m.mode == MapMode::Distributed),
        integration: match &s.kind {
            Kind::Task(t) => integration::label(&t.resource),
            _ => None,
        },
        json,
        children,
        badge: None,
    }
}
