//! A layered, top-to-bottom layout (Sugiyama style), as the AWS console draws machines.
//!
//! Per region: back edges found by a depth-first walk are reversed, ranks are longest paths,
//! an edge spanning several ranks gets a thin dummy vertex in each rank between, the order in
//! each rank comes from barycenter sweeps, and x positions from the neighbours' barycenters
//! with a left and a right packing averaged (both keep the order and the spacing, so their
//! mean does too). Nodes of a rank align at the top; edges run vertically inside their own
//! column of a rank (a node's or a dummy's, which nothing else occupies) and horizontally only
//! in the gaps between ranks, so no edge crosses a box. A label (a Choice condition, Catch
//! error names, an overlay's count) sits on its own row just above its edge's run, beside the
//! edge's own line where no other edge's line crosses it (`arrange` orders each gap's rows
//! to make room, and shortens a label only when it fits nowhere); a self-loop's label stands
//! in room its node's column keeps for it. Compound nodes (Map, Parallel) are laid out inside
//! first, their regions side by side under a title bar, each at least as wide as its title.
//!
//! No crate: of the candidates, `dagre_rust` is at 0.0.5, `dagre-rs` (0.1.0) states no
//! license, and `layout-rs` is a whole Graphviz-like renderer without compound nodes we could
//! rely on; this is small, deterministic and near-linear for thousands of states.

use super::diagram::{Diagram, Node, NodeKind, Region};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Vertical space between ranks (edges and their labels run there).
pub const RANK_GAP: f64 = 56.0;
/// Horizontal space between neighbours in a rank.
pub const NODE_GAP: f64 = 40.0;
pub const TITLE_H: f64 = 30.0;
/// Where a compound node's regions start: below its title and theirs.
pub const REGION_TOP: f64 = TITLE_H + 22.0;
pub const PAD: f64 = 18.0;
pub const MARGIN: f64 = 20.0;
const NODE_H: f64 = 46.0;
const MARKER_W: f64 = 64.0;
const MARKER_H: f64 = 28.0;
const DUMMY_W: f64 = 12.0;
/// How far a self-loop reaches right of its node, each further loop of the node a step more,
/// and the rows of their stacked labels.
const LOOP_W: f64 = NODE_GAP / 2.0 - 2.0;
const LOOP_STEP: f64 = 6.0;
const LOOP_LABEL_ROW: f64 = 12.0;
/// A label's distance from the line it is beside, and the least room it keeps from others.
const LABEL_GAP: f64 = 4.0;
const LABEL_CLEAR: f64 = 2.0;
/// A label's baseline above its run.
const LABEL_LIFT: f64 = 3.0;
/// Rows of a gap between ranks: a margin at each end, a row per edge segment crossing it.
const ROW_PAD: f64 = 12.0;
const LABEL_ROW: f64 = 15.0;
const PLAIN_ROW: f64 = 6.0;
/// Estimated width of one character of the 13px sans-serif labels.
pub const CHAR_W: f64 = 8.0;
/// Estimated width of one character of the 11px edge labels.
const LABEL_CHAR_W: f64 = 6.6;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    /// Whether the interiors of the two rectangles meet.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// Where one region's nodes and edges are drawn, index for index with [`Region`].
#[derive(Debug, Clone, Default)]
pub struct RegionBox {
    pub rect: Rect,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<EdgePath>,
}

#[derive(Debug, Clone, Default)]
pub struct NodeBox {
    pub rect: Rect,
    pub children: Vec<RegionBox>,
}

#[derive(Debug, Clone, Default)]
pub struct EdgePath {
    /// Axis-aligned polyline from the source to the target (arrow at the end).
    pub points: Vec<(f64, f64)>,
    /// The label as drawn: the edge's, or shortened with `…` where it would not fit whole
    /// (the edge's title keeps the full text).
    pub label: String,
    /// Where the label's left end sits (on its baseline).
    pub label_at: (f64, f64),
    /// Whether the label stands left of the line it belongs to: renderers then align its
    /// right end (at `label_at` plus its estimated width) so it hugs the line whatever the
    /// font's real width.
    pub label_end: bool,
    /// Whether the line ends at its target with an arrowhead; `false` when it joins a trunk
    /// of edges to the same target that another edge draws to the end.
    pub arrow: bool,
}

/// The whole drawing, in absolute coordinates.
#[derive(Debug, Clone)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub root: RegionBox,
}

pub fn layout(d: &Diagram) -> Layout {
    let mut root = region(&d.root);
    root.shift(MARGIN, MARGIN);
    Layout {
        width: root.rect.w + 2.0 * MARGIN,
        height: root.rect.h + 2.0 * MARGIN,
        root,
    }
}

/// The label text width estimate renderers and the layout share.
pub fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_W
}

/// The width of an edge label (11px text, about 6.6px a character).
pub fn label_width(s: &str) -> f64 {
    s.chars().count() as f64 * LABEL_CHAR_W
}

impl RegionBox {
    /// Makes the region at least `w` wide, its content centred in it.
    fn widen(&mut self, w: f64) {
        let extra = w - self.rect.w;
        if extra <= 0.0 {
            return;
        }
        let (x, y) = (self.rect.x, self.rect.y);
        self.shift(extra / 2.0, 0.0);
        self.rect.x = x;
        self.rect.y = y;
        self.rect.w = w;
    }

    fn shift(&mut self, dx: f64, dy: f64) {
        self.rect.x += dx;
        self.rect.y += dy;
        for n in &mut self.nodes {
            n.rect.x += dx;
            n.rect.y += dy;
            for c in &mut n.children {
                c.shift(dx, dy);
            }
        }
        for e in &mut self.edges {
            for p in &mut e.points {
                p.0 += dx;
                p.1 += dy;
            }
            e.label_at.0 += dx;
            e.label_at.1 += dy;
        }
    }
}

/// A node's size, laying out its regions first (relative to the node's top left).
fn node_box(n: &Node) -> NodeBox {
    if n.is_compound() {
        let mut children: Vec<RegionBox> = n.children.iter().map(region).collect();
        // A region is at least as wide as its title, its content centred, so titles of
        // neighbouring regions never run into each other.
        for (c, r) in children.iter_mut().zip(&n.children) {
            c.widen(label_width(&r.title) + 4.0);
        }
        let mut x = PAD;
        let mut h: f64 = 0.0;
        for c in &mut children {
            c.shift(x, REGION_TOP);
            x += c.rect.w + NODE_GAP;
            h = h.max(c.rect.h);
        }
        let inner = x - NODE_GAP + PAD;
        let title = text_width(&n.name) + text_width(&n.tag()) + 60.0;
        let w = inner.max(title);
        // Centre the regions when the title is wider.
        let dx = (w - inner) / 2.0;
        for c in &mut children {
            c.shift(dx, 0.0);
        }
        return NodeBox {
            rect: Rect {
                w,
                h: REGION_TOP + h + PAD,
                ..Rect::default()
            },
            children,
        };
    }
    let (w, h) = match n.kind {
        NodeKind::Start | NodeKind::End => (MARKER_W, MARKER_H),
        NodeKind::State(_) => (
            (text_width(&n.name).max(text_width(&n.tag())) + 28.0).max(110.0),
            NODE_H,
        ),
    };
    NodeBox {
        rect: Rect {
            w,
            h,
            ..Rect::default()
        },
        children: Vec::new(),
    }
}

/// A vertex of the layered graph: a node or a dummy on a long edge.
struct Vertex {
    node: Option<usize>,
    w: f64,
    rank: usize,
    x: f64,
    preds: Vec<usize>,
    succs: Vec<usize>,
}

/// Lays out one region with its top left at (0, 0).
fn region(r: &Region) -> RegionBox {
    let n = r.nodes.len();
    let mut boxes: Vec<NodeBox> = r.nodes.iter().map(node_box).collect();
    let back = back_edges(r);

    // Ranks: longest path over the edges with back edges reversed (a DAG).
    let oriented: Vec<Option<(usize, usize)>> = r
        .edges
        .iter()
        .zip(&back)
        .map(|(e, &b)| match (e.from == e.to, b) {
            (true, _) => None,
            (false, true) => Some((e.to, e.from)),
            (false, false) => Some((e.from, e.to)),
        })
        .collect();
    let rank = ranks(n, &oriented);

    let mut vs: Vec<Vertex> = (0..n)
        .map(|i| Vertex {
            node: Some(i),
            // A self-loop and its label need room beside the box; the box stays centred.
            w: boxes[i].rect.w + 2.0 * loop_room(r, i),
            rank: rank[i],
            x: 0.0,
            preds: Vec::new(),
            succs: Vec::new(),
        })
        .collect();
    // Each edge's chain of vertices, in layout direction.
    // Long edges to one target share their dummies (a trunk the sources join), and so do back
    // edges from one state: twenty Catch edges to one Fail state make one trunk, not twenty
    // parallel lines, which keeps a machine where every state catches to one handler from
    // growing quadratically.
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(r.edges.len());
    let mut trunks: HashMap<(usize, usize, bool, bool), usize> = HashMap::new();
    let mut linked: HashSet<(usize, usize)> = HashSet::new();
    for (ei, o) in oriented.iter().enumerate() {
        let Some((a, b)) = *o else {
            chains.push(Vec::new());
            continue;
        };
        let catch = r.edges[ei].kind.is_catch();
        let anchor = if back[ei] { a } else { b };
        let mut chain = vec![a];
        for k in rank[a] + 1..rank[b] {
            let d = *trunks
                .entry((anchor, k, back[ei], catch))
                .or_insert_with(|| {
                    vs.push(Vertex {
                        node: None,
                        w: DUMMY_W,
                        rank: k,
                        x: 0.0,
                        preds: Vec::new(),
                        succs: Vec::new(),
                    });
                    vs.len() - 1
                });
            chain.push(d);
        }
        chain.push(b);
        for pair in chain.windows(2) {
            if linked.insert((pair[0], pair[1])) {
                vs[pair[0]].succs.push(pair[1]);
                vs[pair[1]].preds.push(pair[0]);
            }
        }
        chains.push(chain);
    }
    // The segment of each edge that carries its label: the one leaving its source.
    let label_seg: Vec<Option<usize>> = chains
        .iter()
        .enumerate()
        .map(|(ei, c)| {
            (!r.edges[ei].label.is_empty() && c.len() >= 2)
                .then(|| if back[ei] { c.len() - 2 } else { 0 })
        })
        .collect();

    let ranks_n = vs.iter().map(|v| v.rank + 1).max().unwrap_or(0);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); ranks_n];
    for i in first_seen_order(&vs, r.start) {
        layers[vs[i].rank].push(i);
    }
    order(&mut layers, &vs);
    place_x(&layers, &mut vs);

    // x first: where edges leave and enter decides the order of their rows and where their
    // labels fit.
    let min_x = vs
        .iter()
        .map(|v| v.x - v.w / 2.0)
        .fold(f64::INFINITY, f64::min);
    let min_x = if min_x.is_finite() { min_x } else { 0.0 };
    for v in &mut vs {
        v.x -= min_x;
    }
    let mut max_x = vs.iter().map(|v| v.x + v.w / 2.0).fold(0.0, f64::max);
    for (i, b) in boxes.iter_mut().enumerate() {
        b.rect.x = vs[i].x - b.rect.w / 2.0;
    }
    let ports = Ports::new(&chains, &label_seg, &vs, &boxes);

    // Each gap between ranks gives every segment crossing it a row for its horizontal run;
    // a labelled segment's row is tall enough for its label above the run, so labels never
    // sit on one another, and [`arrange`] orders the rows and places each label where no
    // other edge's vertical line crosses it. The label goes on the segment leaving the edge's
    // source (entering it, for a back edge).
    let mut row_of: Vec<Vec<f64>> = chains
        .iter()
        .map(|c| vec![0.0; c.len().saturating_sub(1)])
        .collect();
    let mut placed: Vec<Option<Placed>> = vec![None; chains.len()];
    // A shared segment has one row; a labelled one has its own.
    let mut runs: Vec<Vec<Run>> = (0..ranks_n).map(|_| Vec::new()).collect();
    let mut run_of: HashMap<(usize, usize, Option<usize>), (usize, usize)> = HashMap::new();
    let mut segs_of_run: Vec<Vec<Vec<(usize, usize)>>> = vec![Vec::new(); ranks_n];
    for (ei, c) in chains.iter().enumerate() {
        for (s, pair) in c.windows(2).enumerate() {
            let k = vs[pair[0]].rank;
            let labelled = label_seg[ei] == Some(s);
            let key = (pair[0], pair[1], labelled.then_some(ei));
            let at = *run_of.entry(key).or_insert_with(|| {
                let xp = if s == 0 { ports.out[ei] } else { vs[pair[0]].x };
                let xq = if s + 2 == c.len() {
                    ports.into[ei]
                } else {
                    vs[pair[1]].x
                };
                runs[k].push(Run {
                    xp,
                    xq,
                    label: labelled.then(|| label_width(&r.edges[ei].label)),
                });
                segs_of_run[k].push(Vec::new());
                (k, runs[k].len() - 1)
            });
            segs_of_run[at.0][at.1].push((ei, s));
        }
    }
    let mut gap_h = vec![RANK_GAP; ranks_n];
    for k in 0..ranks_n {
        let (order, xs) = arrange(&runs[k]);
        let mut used = ROW_PAD;
        for ri in order {
            used += if runs[k][ri].label.is_some() {
                LABEL_ROW
            } else {
                PLAIN_ROW
            };
            for &(ei, s) in &segs_of_run[k][ri] {
                row_of[ei][s] = used;
                if let Some(p) = xs[ri] {
                    placed[ei] = Some(p);
                }
            }
        }
        gap_h[k] = gap_h[k].max(used + ROW_PAD);
    }

    // Rank bands: tops aligned, height of the tallest node.
    let mut band_top = vec![0.0; ranks_n];
    let mut band_h = vec![0.0f64; ranks_n];
    let mut y = 0.0;
    for (k, layer) in layers.iter().enumerate() {
        band_top[k] = y;
        band_h[k] = layer
            .iter()
            .filter_map(|&v| vs[v].node.map(|i| boxes[i].rect.h))
            .fold(0.0, f64::max);
        y += band_h[k] + gap_h[k];
    }
    let height = (y - gap_h.last().copied().unwrap_or(0.0)).max(0.0);
    for (i, b) in boxes.iter_mut().enumerate() {
        let (dx, dy) = (b.rect.x, band_top[vs[i].rank]);
        b.rect.y = dy;
        for c in &mut b.children {
            c.shift(dx, dy);
        }
    }

    let mut drawn: HashSet<(usize, usize)> = HashSet::new();
    let mut edges = Vec::with_capacity(r.edges.len());
    let mut lo_x: f64 = 0.0;
    for (ei, e) in r.edges.iter().enumerate() {
        let path = if e.from == e.to {
            let mine: Vec<usize> = r
                .edges
                .iter()
                .enumerate()
                .filter(|(_, o)| o.from == e.from && o.to == e.from)
                .map(|(j, _)| j)
                .collect();
            let k = mine.iter().position(|&j| j == ei).unwrap_or(0);
            self_loop(&boxes[e.from].rect, &e.label, k, mine.len())
        } else {
            let chain = &chains[ei];
            let mut parts: Vec<[(f64, f64); 4]> = Vec::new();
            let mut label_at = (0.0, 0.0);
            let mut label_end = false;
            let mut label = e.label.clone();
            for (s, pair) in chain.windows(2).enumerate() {
                let (p, q) = (pair[0], pair[1]);
                let k = vs[p].rank;
                let xp = if s == 0 { ports.out[ei] } else { vs[p].x };
                let xq = if s + 2 == chain.len() {
                    ports.into[ei]
                } else {
                    vs[q].x
                };
                let bottom = match vs[p].node {
                    Some(i) => boxes[i].rect.y + boxes[i].rect.h,
                    None => band_top[k] + band_h[k],
                };
                let yh = band_top[k] + band_h[k] + row_of[ei][s];
                if let (Some(p), true) = (placed[ei], label_seg[ei] == Some(s)) {
                    label_at = (p.x, yh - LABEL_LIFT);
                    label_end = p.end;
                    if let Some(c) = p.chars {
                        label = shorten(&e.label, c);
                    }
                }
                parts.push([(xp, bottom), (xp, yh), (xq, yh), (xq, band_top[k + 1])]);
            }
            let kept = parts.clone();
            // A segment another edge already drew (a shared trunk) is left out: the edge ends
            // where it joins the trunk, without an arrowhead, unless all of it is shared.
            let mut segs: Vec<[(f64, f64); 4]> = Vec::new();
            let mut joined = false;
            for (s, seg) in parts.into_iter().enumerate() {
                let pair = (chain[s], chain[s + 1]);
                let fresh = label_seg[ei] == Some(s) || drawn.insert(pair);
                if fresh {
                    segs.push(seg);
                } else {
                    joined = true;
                }
            }
            let all_shared = segs.is_empty();
            if all_shared {
                segs = kept;
            }
            if back[ei] {
                segs.reverse();
                for s in &mut segs {
                    s.reverse();
                }
            }
            let mut pts: Vec<(f64, f64)> = segs.into_iter().flatten().collect();
            pts.dedup();
            EdgePath {
                points: pts,
                label,
                label_at,
                label_end,
                arrow: !joined || all_shared,
            }
        };
        if !path.label.is_empty() {
            max_x = max_x.max(path.label_at.0 + label_width(&path.label));
            lo_x = lo_x.min(path.label_at.0);
        }
        // A self-loop bulges to the right of its node.
        max_x = path.points.iter().map(|p| p.0).fold(max_x, f64::max);
        edges.push(path);
    }

    let mut b = RegionBox {
        rect: Rect {
            x: 0.0,
            y: 0.0,
            w: max_x,
            h: height,
        },
        nodes: boxes,
        edges,
    };
    // A label placed left of everything widens the region to the left.
    if lo_x < 0.0 {
        b.shift(-lo_x, 0.0);
        b.rect.x = 0.0;
        b.rect.w = max_x - lo_x;
    }
    b
}

/// The `k`th of a node's `m` loops (edges from it to itself), on the node's right, nested
/// (the first innermost), their labels stacked beside the outermost; the node's vertex is
/// wide enough for them (see [`loop_room`]). Labels of many loops may reach past the box's
/// top and bottom by a few pixels, into the margin no run of a gap uses.
fn self_loop(b: &Rect, label: &str, k: usize, m: usize) -> EdgePath {
    let x = b.x + b.w;
    let half = (b.h * 0.2 + 2.5 * k as f64).min(b.h * 0.45);
    let (y1, y2) = (b.y + b.h / 2.0 - half, b.y + b.h / 2.0 + half);
    let out = x + LOOP_W + LOOP_STEP * k as f64;
    let outer = x + LOOP_W + LOOP_STEP * m.saturating_sub(1) as f64;
    let row = k as f64 - m.saturating_sub(1) as f64 / 2.0;
    EdgePath {
        points: vec![(x, y1), (out, y1), (out, y2), (x, y2)],
        label: label.to_string(),
        label_at: (
            outer + LABEL_GAP,
            b.y + b.h / 2.0 + 4.0 + LOOP_LABEL_ROW * row,
        ),
        label_end: false,
        arrow: true,
    }
}

/// How far a node's self-loops and their labels reach out of its box on the right.
fn loop_room(r: &Region, node: usize) -> f64 {
    let loops: Vec<&str> = r
        .edges
        .iter()
        .filter(|e| e.from == node && e.to == node)
        .map(|e| e.label.as_str())
        .collect();
    if loops.is_empty() {
        return 0.0;
    }
    let widest = loops.iter().map(|l| label_width(l)).fold(0.0, f64::max);
    LOOP_W + LOOP_STEP * (loops.len() - 1) as f64 + LABEL_GAP + widest
}

/// One horizontal run in a gap between ranks: from `xp` (where it comes down from above) to
/// `xq` (where it goes on down), with the width of the label it carries.
#[derive(Debug, Clone, Copy)]
struct Run {
    xp: f64,
    xq: f64,
    label: Option<f64>,
}

/// Where a run's label goes: its left end, whether it stands left of the line it belongs to,
/// and how many characters of it fit there (`None`: all).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Placed {
    x: f64,
    end: bool,
    chars: Option<usize>,
}

/// The fewest characters a shortened label keeps (its `…` included).
const MIN_LABEL_CHARS: usize = 8;
/// How many runs [`arrange`] tries for a row before shortening a label.
const LOOKAHEAD: usize = 16;

/// The runs of one gap, top row first, and where each run's label goes.
///
/// A label sits in the band just above its run. Every other run crosses that band with one
/// vertical line: a run in a row below comes down through it at its `xp`, a run in a row
/// above goes on down through it at its `xq`; and the run's own line comes down at its `xp`.
/// Rows start in the order that keeps runs from crossing each other (runs going right, the
/// rightmost start on top; then straight ones; then runs going left, the leftmost start on
/// top). Row by row, the first of the next few runs whose label fits beside its own lines —
/// right or left of where it comes down, then at either end of its run, then past a line it
/// crosses — takes the row; a plain run always fits. When none of them fits, the first is
/// shortened (`…`, the full text stays in the tooltip) to the widest room beside its lines,
/// or, with no room for even a few characters, goes beyond every line of the gap. So no label
/// is ever drawn over an edge.
fn arrange(runs: &[Run]) -> (Vec<usize>, Vec<Option<Placed>>) {
    const EPS: f64 = 0.5;
    let mut natural: Vec<usize> = (0..runs.len()).collect();
    let key = |r: &Run| -> (u8, f64, f64) {
        if r.xq > r.xp + EPS {
            (0, -r.xp, -r.xq)
        } else if r.xq < r.xp - EPS {
            (2, r.xp, r.xq)
        } else {
            (1, r.xp, 0.0)
        }
    };
    natural.sort_by(|&a, &b| {
        let (ka, kb) = (key(&runs[a]), key(&runs[b]));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.total_cmp(&kb.2))
            .then(a.cmp(&b))
    });
    let mut order = Vec::with_capacity(runs.len());
    let mut placed: Vec<Option<Placed>> = vec![None; runs.len()];
    let mut above: Vec<f64> = Vec::new();
    let mut left = natural;
    // The lines crossing the label band of `ri` if it took the next row.
    let lines_for = |ri: usize, left: &[usize], above: &[f64]| -> Vec<f64> {
        above
            .iter()
            .copied()
            .chain(left.iter().filter(|&&o| o != ri).map(|&o| runs[o].xp))
            .chain(std::iter::once(runs[ri].xp))
            .collect()
    };
    while !left.is_empty() {
        let mut pick = None;
        // A few runs ahead at most: the search stays near-quadratic in a gap of thousands.
        for (pos, &ri) in left.iter().enumerate().take(LOOKAHEAD) {
            let r = runs[ri];
            let Some(w) = r.label else {
                pick = Some((pos, None));
                break;
            };
            let mut lines = lines_for(ri, &left, &above);
            lines.sort_by(f64::total_cmp);
            // Free when the first line right of the label's left margin is past its right one.
            let free = |x: f64| {
                let i = lines.partition_point(|&l| l <= x - LABEL_CLEAR);
                lines.get(i).is_none_or(|&l| l >= x + w + LABEL_CLEAR)
            };
            if let Some((x, end)) = candidates(r, w, &lines).into_iter().find(|&(x, _)| free(x)) {
                pick = Some((
                    pos,
                    Some(Placed {
                        x,
                        end,
                        chars: None,
                    }),
                ));
                break;
            }
        }
        let (pos, p) = match pick {
            Some(p) => p,
            None => {
                let ri = left[0];
                let lines = lines_for(ri, &left, &above);
                (0, Some(squeeze(runs[ri], &lines, runs)))
            }
        };
        let ri = left.remove(pos);
        placed[ri] = p;
        above.push(runs[ri].xq);
        order.push(ri);
    }
    (order, placed)
}

/// Where a label of width `w` may start, best first: beside the line the run comes down
/// (on the side it goes), at the run's far end, then just past each line it crosses.
fn candidates(r: Run, w: f64, lines: &[f64]) -> Vec<(f64, bool)> {
    let right_of = |x: f64| (x + LABEL_GAP, false);
    let left_of = |x: f64| (x - LABEL_GAP - w, true);
    let mut out = if r.xq < r.xp {
        vec![left_of(r.xp), right_of(r.xp), right_of(r.xq), left_of(r.xq)]
    } else {
        vec![right_of(r.xp), left_of(r.xp), left_of(r.xq), right_of(r.xq)]
    };
    let (lo, hi) = (r.xp.min(r.xq), r.xp.max(r.xq));
    for &l in lines {
        if l > lo && l < hi {
            out.push(right_of(l));
            out.push(left_of(l));
        }
    }
    out
}

/// A label that fits whole nowhere beside its run: shortened to the widest room beside its
/// own lines, or, with too little room anywhere, whole beyond every line of the gap on the
/// side nearer to it.
fn squeeze(r: Run, lines: &[f64], all: &[Run]) -> Placed {
    let w = r.label.unwrap_or(0.0);
    let mut best: Option<(f64, Placed)> = None;
    for (at, right) in [(r.xp, true), (r.xp, false), (r.xq, false), (r.xq, true)] {
        let room = if right {
            lines
                .iter()
                .filter(|&&l| l > at + LABEL_CLEAR)
                .fold(f64::INFINITY, |m, &l| m.min(l))
                - at
        } else {
            at - lines
                .iter()
                .filter(|&&l| l < at - LABEL_CLEAR)
                .fold(f64::NEG_INFINITY, |m, &l| m.max(l))
        } - LABEL_GAP
            - LABEL_CLEAR;
        if best.as_ref().is_none_or(|(b, _)| room > *b) {
            let chars = (room / LABEL_CHAR_W).floor().max(0.0) as usize;
            let width = chars as f64 * LABEL_CHAR_W;
            let x = if right {
                at + LABEL_GAP
            } else {
                at - LABEL_GAP - width
            };
            best = Some((
                room,
                Placed {
                    x,
                    end: !right,
                    chars: Some(chars),
                },
            ));
        }
    }
    match best {
        Some((_, p)) if p.chars.is_some_and(|c| c >= MIN_LABEL_CHARS) => p,
        _ => {
            let xs = all.iter().flat_map(|o| [o.xp, o.xq]);
            let hi = xs.clone().fold(f64::NEG_INFINITY, f64::max);
            let lo = xs.fold(f64::INFINITY, f64::min);
            if hi - r.xp <= r.xp - lo {
                Placed {
                    x: hi + LABEL_GAP,
                    end: false,
                    chars: None,
                }
            } else {
                Placed {
                    x: lo - LABEL_GAP - w,
                    end: true,
                    chars: None,
                }
            }
        }
    }
}

/// `label` cut to `chars` characters with `…`, keeping an overlay's count (` ×3`) whole.
fn shorten(label: &str, chars: usize) -> String {
    if label.chars().count() <= chars {
        return label.to_string();
    }
    let (head, tail) = match label.rsplit_once(" ×") {
        Some((h, t)) if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => {
            (h, format!(" ×{t}"))
        }
        _ => (label, String::new()),
    };
    let keep = chars.saturating_sub(tail.chars().count() + 1);
    let mut out: String = head.chars().take(keep).collect();
    out.push('…');
    out.push_str(&tail);
    out
}

/// Which edges are back edges of a depth-first walk from the start (then from any node left).
fn back_edges(r: &Region) -> Vec<bool> {
    let n = r.nodes.len();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in r.edges.iter().enumerate() {
        out_edges[e.from].push(i);
    }
    let mut back = vec![false; r.edges.len()];
    // 0 unseen, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let roots = std::iter::once(r.start).chain(0..n);
    for root in roots {
        if root >= n || state[root] != 0 {
            continue;
        }
        state[root] = 1;
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(top) = stack.last_mut() {
            let (v, k) = *top;
            if let Some(&ei) = out_edges[v].get(k) {
                top.1 += 1;
                let w = r.edges[ei].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[ei] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    back
}

/// Longest-path ranks over acyclic edges (Kahn's order).
fn ranks(n: usize, edges: &[Option<(usize, usize)>]) -> Vec<usize> {
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for &(a, b) in edges.iter().flatten() {
        succ[a].push(b);
        indeg[b] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut queue: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut head = 0;
    while let Some(&v) = queue.get(head) {
        head += 1;
        for &w in &succ[v] {
            rank[w] = rank[w].max(rank[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push(w);
            }
        }
    }
    rank
}

/// Vertices in breadth-first order from the start, then the rest: the initial order in ranks.
fn first_seen_order(vs: &[Vertex], start: usize) -> Vec<usize> {
    let mut seen = vec![false; vs.len()];
    let mut out = Vec::with_capacity(vs.len());
    for root in std::iter::once(start).chain(0..vs.len()) {
        if root >= vs.len() || seen[root] {
            continue;
        }
        seen[root] = true;
        let mut head = out.len();
        out.push(root);
        while let Some(&v) = out.get(head) {
            head += 1;
            for &w in &vs[v].succs {
                if !seen[w] {
                    seen[w] = true;
                    out.push(w);
                }
            }
        }
    }
    out
}

/// Barycenter sweeps, down then up, a few times; ties keep their order (stable sort).
fn order(layers: &mut [Vec<usize>], vs: &[Vertex]) {
    let mut pos = vec![0usize; vs.len()];
    let index = |layers: &[Vec<usize>], pos: &mut [usize]| {
        for l in layers {
            for (i, &v) in l.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    index(layers, &mut pos);
    for _ in 0..4 {
        for layer in layers.iter_mut().skip(1) {
            sort_layer(layer, &mut pos, |v| &vs[v].preds);
        }
        for k in (0..layers.len().saturating_sub(1)).rev() {
            sort_layer(&mut layers[k], &mut pos, |v| &vs[v].succs);
        }
    }
}

fn sort_layer<'a>(layer: &mut [usize], pos: &mut [usize], nbrs: impl Fn(usize) -> &'a Vec<usize>) {
    let mut keyed: Vec<(f64, usize)> = layer
        .iter()
        .map(|&v| {
            let ns = nbrs(v);
            let key = if ns.is_empty() {
                pos[v] as f64
            } else {
                ns.iter().map(|&u| pos[u] as f64).sum::<f64>() / ns.len() as f64
            };
            (key, v)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (i, (_, v)) in keyed.into_iter().enumerate() {
        layer[i] = v;
        pos[v] = i;
    }
}

/// x centres: packed first, then each rank pulled toward its neighbours, down, up and down
/// again. A node wants the mean x of its neighbouring nodes (dummies only when it has no node
/// neighbour, so a trunk beside a chain does not drag the chain sideways); within a rank, nodes
/// are placed before dummies and the busier first, each as close to where it wants as the
/// ones already placed allow while leaving room for the rest (Sugiyama's priority method).
fn place_x(layers: &[Vec<usize>], vs: &mut [Vertex]) {
    for l in layers {
        let mut x = 0.0;
        for &v in l {
            vs[v].x = x + vs[v].w / 2.0;
            x += vs[v].w + NODE_GAP;
        }
    }
    for pass in 0..3 {
        let down = pass != 1;
        let ks: Vec<usize> = if down {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for k in ks {
            let l = &layers[k];
            let want: Vec<f64> = l
                .iter()
                .map(|&v| {
                    let ns = if down { &vs[v].preds } else { &vs[v].succs };
                    let real: Vec<usize> = if vs[v].node.is_some() {
                        ns.iter()
                            .copied()
                            .filter(|&u| vs[u].node.is_some())
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let ns = if real.is_empty() { ns } else { &real };
                    if ns.is_empty() {
                        vs[v].x
                    } else {
                        ns.iter().map(|&u| vs[u].x).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            let xs = priority_place(l, &want, vs);
            for (i, &v) in l.iter().enumerate() {
                vs[v].x = xs[i];
            }
        }
    }
}

/// One rank's x centres, in its order, nearest to `want` by priority (see [`place_x`]).
fn priority_place(l: &[usize], want: &[f64], vs: &[Vertex]) -> Vec<f64> {
    let n = l.len();
    // before[i]: room from the left edge of vertex 0 to the left edge of vertex i.
    let mut before = vec![0.0; n + 1];
    for i in 0..n {
        before[i + 1] = before[i] + vs[l[i]].w + NODE_GAP;
    }
    // Centre-to-centre distance from vertex i to a later vertex j.
    let span = |i: usize, j: usize| before[j] - before[i] - vs[l[i]].w / 2.0 + vs[l[j]].w / 2.0;
    let mut by_priority: Vec<usize> = (0..n).collect();
    by_priority.sort_by_key(|&i| {
        let v = &vs[l[i]];
        let weight = if v.node.is_some() {
            1_000_000 + v.preds.len() + v.succs.len()
        } else {
            0
        };
        (std::cmp::Reverse(weight), i)
    });
    let mut x: Vec<Option<f64>> = vec![None; n];
    for i in by_priority {
        let mut lo = f64::NEG_INFINITY;
        if let Some(j) = (0..i).rev().find(|&j| x[j].is_some()) {
            lo = x[j].unwrap_or(0.0) + span(j, i);
        }
        let mut hi = f64::INFINITY;
        if let Some(j) = (i + 1..n).find(|&j| x[j].is_some()) {
            hi = x[j].unwrap_or(0.0) - span(i, j);
        }
        x[i] = Some(want[i].max(lo).min(hi));
    }
    x.into_iter().map(|v| v.unwrap_or(0.0)).collect()
}

/// Where each edge leaves its source and enters its target: the edges at one side of a node
/// spread evenly along it, ordered by where they go, so they do not start on top of each other.
struct Ports {
    out: Vec<f64>,
    into: Vec<f64>,
}

impl Ports {
    fn new(
        chains: &[Vec<usize>],
        label_seg: &[Option<usize>],
        vs: &[Vertex],
        boxes: &[NodeBox],
    ) -> Ports {
        let mut out = vec![f64::NAN; chains.len()];
        let mut into = vec![f64::NAN; chains.len()];
        // (vertex, bottom side?) -> (other end's x, other end, own port for a labelled edge)
        // -> the edges through that port. Edges sharing a segment share its port.
        type Side = BTreeMap<(u64, usize, Option<usize>), Vec<usize>>;
        let mut sides: BTreeMap<(usize, bool), Side> = BTreeMap::new();
        // Positions are finite and the order only needs to be total: sort by the bits of a
        // non-negative x (the region is shifted to x >= 0 before ports are made).
        let key = |v: usize| vs[v].x.max(0.0).to_bits();
        for (ei, c) in chains.iter().enumerate() {
            let n = c.len();
            if n < 2 {
                continue;
            }
            let own = |s: usize| (label_seg[ei] == Some(s)).then_some(ei);
            sides
                .entry((c[0], true))
                .or_default()
                .entry((key(c[1]), c[1], own(0)))
                .or_default()
                .push(ei);
            sides
                .entry((c[n - 1], false))
                .or_default()
                .entry((key(c[n - 2]), c[n - 2], own(n - 2)))
                .or_default()
                .push(ei);
        }
        for ((v, bottom), ports) in sides {
            let (x, w) = match vs[v].node {
                Some(i) => (boxes[i].rect.x, boxes[i].rect.w),
                None => (vs[v].x - vs[v].w / 2.0, vs[v].w),
            };
            // Each port straight above or below where its edges go when that lies on the side
            // and the ports stay apart (so chains draw straight); else spread evenly.
            let m = ports.len() as f64;
            // Clear of rounded ends (Succeed and Fail are pills with a radius of half their height).
            let inset = (w / 2.0).min(24.0);
            let straight: Vec<f64> = ports
                .keys()
                .map(|&(_, o, _)| vs[o].x.clamp(x + inset, x + w - inset))
                .collect();
            let apart = straight.windows(2).all(|p| p[1] - p[0] >= 10.0);
            for (k, edges) in ports.into_values().enumerate() {
                let px = if apart {
                    straight[k]
                } else {
                    x + w * (k as f64 + 1.0) / (m + 1.0)
                };
                for ei in edges {
                    if bottom { out[ei] = px } else { into[ei] = px }
                }
            }
        }
        Ports { out, into }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::load_value;
    use serde_json::{Value, json};

    fn diagram(def: &Value) -> Diagram {
        let loaded = load_value(def);
        let Some(m) = loaded.machine else {
            panic!("invalid test definition: {:?}", loaded.diagnostics)
        };
        Diagram::build(&m, def)
    }

    /// Whether an axis-aligned segment passes through the interior of `r`.
    fn crosses(a: (f64, f64), b: (f64, f64), r: &Rect) -> bool {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        let e = 0.01;
        x1 > r.x + e && x0 < r.x + r.w - e && y1 > r.y + e && y0 < r.y + r.h - e
    }

    fn inside(inner: &Rect, outer: &Rect) -> bool {
        inner.x >= outer.x
            && inner.y >= outer.y
            && inner.x + inner.w <= outer.x + outer.w
            && inner.y + inner.h <= outer.y + outer.h
    }

    /// The layout's promises: sibling boxes never overlap, regions sit inside their node, and
    /// no edge segment runs through a box of its region; each edge is axis-aligned and starts
    /// and ends on its nodes' borders.
    fn check(r: &Region, b: &RegionBox, what: &str) {
        labels_clear(r, b, what);
        assert_eq!(r.nodes.len(), b.nodes.len());
        assert_eq!(r.edges.len(), b.edges.len());
        for i in 0..b.nodes.len() {
            for j in i + 1..b.nodes.len() {
                let (p, q) = (&b.nodes[i].rect, &b.nodes[j].rect);
                assert!(
                    !p.overlaps(q),
                    "{what}: `{}` {p:?} overlaps `{}` {q:?}",
                    r.nodes[i].name,
                    r.nodes[j].name
                );
            }
            for (c, cb) in r.nodes[i].children.iter().zip(&b.nodes[i].children) {
                assert!(
                    inside(&cb.rect, &b.nodes[i].rect),
                    "{what}: region outside its node"
                );
                check(c, cb, what);
            }
        }
        for (e, p) in r.edges.iter().zip(&b.edges) {
            assert!(p.points.len() >= 2, "{what}: edge without points");
            let r0 = &b.rect;
            for &(x, y) in &p.points {
                assert!(
                    x >= r0.x - 0.01
                        && x <= r0.x + r0.w + 0.01
                        && y >= r0.y - 0.01
                        && y <= r0.y + r0.h + 0.01,
                    "{what}: edge point ({x}, {y}) outside its region {r0:?}"
                );
            }
            for w in p.points.windows(2) {
                assert!(
                    w[0].0 == w[1].0 || w[0].1 == w[1].1,
                    "{what}: diagonal segment {w:?}"
                );
                for (k, nb) in b.nodes.iter().enumerate() {
                    assert!(
                        !crosses(w[0], w[1], &nb.rect),
                        "{what}: edge {} -> {} crosses `{}`",
                        r.nodes[e.from].name,
                        r.nodes[e.to].name,
                        r.nodes[k].name
                    );
                }
            }
        }
    }

    /// Where a label is drawn (11px text: 9px above its baseline, 2.5px below).
    fn label_box(p: &EdgePath) -> Rect {
        Rect {
            x: p.label_at.0,
            y: p.label_at.1 - 9.0,
            w: label_width(&p.label),
            h: 11.5,
        }
    }

    /// No label of the region is drawn over an edge of it, over a box (a compound one's title
    /// bar or border), over a nested region's border or over another label.
    fn labels_clear(r: &Region, b: &RegionBox, what: &str) {
        let labels: Vec<(usize, Rect)> = b
            .edges
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.label.is_empty())
            .map(|(i, p)| (i, label_box(p)))
            .collect();
        for (n, (i, l)) in labels.iter().enumerate() {
            let name = &b.edges[*i].label;
            for (j, p) in b.edges.iter().enumerate() {
                for w in p.points.windows(2) {
                    assert!(
                        !crosses(w[0], w[1], l),
                        "{what}: label `{name}` {l:?} over the edge {} -> {}",
                        r.nodes[r.edges[j].from].name,
                        r.nodes[r.edges[j].to].name
                    );
                }
            }
            for (k, nb) in b.nodes.iter().enumerate() {
                if r.nodes[k].is_compound() {
                    let bar = Rect {
                        h: TITLE_H,
                        ..nb.rect
                    };
                    assert!(!l.overlaps(&bar), "{what}: label `{name}` over a title bar");
                    let inside_node = inside(l, &nb.rect);
                    assert!(
                        inside_node || !l.overlaps(&nb.rect),
                        "{what}: label `{name}` across the border of `{}`",
                        r.nodes[k].name
                    );
                    for c in &nb.children {
                        assert!(
                            inside(l, &c.rect) || !l.overlaps(&c.rect),
                            "{what}: label `{name}` across a region of `{}`",
                            r.nodes[k].name
                        );
                    }
                } else {
                    assert!(
                        !l.overlaps(&nb.rect),
                        "{what}: label `{name}` {l:?} over `{}`",
                        r.nodes[k].name
                    );
                }
            }
            for (_, o) in &labels[n + 1..] {
                assert!(!l.overlaps(o), "{what}: label `{name}` over another label");
            }
        }
    }

    #[test]
    fn samples_have_no_overlaps_and_no_edge_through_a_box() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-samples");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.to_string_lossy().ends_with(".asl.json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let def: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let d = diagram(&def);
            let l = layout(&d);
            check(&d.root, &l.root, &path.display().to_string());
            seen += 1;
        }
        assert!(seen >= 10, "only {seen} samples found");
    }

    #[test]
    fn loops_self_loops_and_long_edges_route_around_boxes() {
        let def = json!({
            "StartAt": "Poll",
            "States": {
                "Poll": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                         "Catch": [{"ErrorEquals": ["Retryable"], "Next": "Poll"},
                                   {"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                         "Next": "Done?"},
                "Done?": {"Type": "Choice",
                          "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "Ok"},
                                      {"Variable": "$.skip", "BooleanEquals": true, "Next": "Failed"}],
                          "Default": "Sleep"},
                "Sleep": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
                "Ok": {"Type": "Succeed"},
                "Failed": {"Type": "Fail", "Error": "E"}
            }
        });
        let d = diagram(&def);
        let l = layout(&d);
        check(&d.root, &l.root, "loop");
        // Start, 5 states, End; Next + 2 Catch + 3 Choice + Wait + Ok to End + Start (the
        // Fail state has no edge out).
        assert_eq!(d.root.nodes.len(), 7);
        assert_eq!(d.root.edges.len(), 9);
        // The back edge Sleep -> Poll ends at Poll's border.
        let sleep_poll = d
            .root
            .edges
            .iter()
            .position(|e| d.root.nodes[e.from].name == "Sleep")
            .unwrap_or(usize::MAX);
        let last = l.root.edges[sleep_poll]
            .points
            .last()
            .copied()
            .unwrap_or_default();
        let poll = l.root.nodes[1].rect;
        assert!(
            (last.1 - (poll.y + poll.h)).abs() < 0.01 || (last.1 - poll.y).abs() < 0.01,
            "back edge ends at {last:?}, Poll is {poll:?}"
        );
    }

    /// 1,000 states: a chain of Choice states, each also jumping two ahead, with a Default.
    fn big(n: usize) -> Value {
        let mut states = serde_json::Map::new();
        for i in 0..n {
            let name = format!("S{i}");
            let s = if i + 1 == n {
                json!({"Type": "Succeed"})
            } else if i % 2 == 0 && i + 2 < n {
                json!({"Type": "Choice",
                       "Choices": [{"Variable": "$.n", "NumericGreaterThan": i, "Next": format!("S{}", i + 2)}],
                       "Default": format!("S{}", i + 1)})
            } else {
                json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
            };
            states.insert(name, s);
        }
        json!({"StartAt": "S0", "States": states})
    }

    /// Every state of a 1,000-state chain catching to one Fail state: the Catch edges share
    /// one trunk, so the drawing stays narrow and its size linear, and still nothing overlaps.
    #[test]
    fn catch_edges_to_one_handler_share_a_trunk() {
        let n = 1000;
        let mut states = serde_json::Map::new();
        for i in 0..n {
            let mut s = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                               "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]});
            if i + 1 < n {
                s["Next"] = json!(format!("T{}", i + 1));
            } else {
                s["End"] = json!(true);
            }
            states.insert(format!("T{i}"), s);
        }
        states.insert("Failed".into(), json!({"Type": "Fail"}));
        let d = diagram(&json!({"StartAt": "T0", "States": states}));
        let t = std::time::Instant::now();
        let l = layout(&d);
        assert!(
            t.elapsed().as_secs_f64() < 5.0,
            "layout took {:?}",
            t.elapsed()
        );
        assert!(l.width < 600.0, "width {}", l.width);
        let points: usize = l.root.edges.iter().map(|e| e.points.len()).sum();
        assert!(
            points < 20 * d.root.edges.len(),
            "{points} points: trunks not shared"
        );
        // Exactly one Catch line reaches Failed with an arrowhead; the others join it.
        let arrows = d
            .root
            .edges
            .iter()
            .zip(&l.root.edges)
            .filter(|(e, p)| e.kind.is_catch() && p.arrow)
            .count();
        assert!(arrows <= 2, "{arrows} Catch arrowheads");
        check(&d.root, &l.root, "catch-all");
    }

    /// A Choice fanning out to `n` states with long conditions, some rules looping back to
    /// it or to itself, the states joining again; inside a Map and a Parallel too.
    fn fan(n: usize, p: &str) -> Value {
        let mut states = serde_json::Map::new();
        let mut choices = Vec::new();
        for i in 0..n {
            let next = match i % 5 {
                3 => format!("{p}Fan"),
                4 => format!("{p}Start over"),
                _ => format!("{p}Handle {i}"),
            };
            choices.push(
                json!({"Variable": format!("$.some.rather.long.field.name{i}"),
                                "StringEquals": format!("value number {i}"), "Next": next}),
            );
            if !next.contains("Handle") {
                continue;
            }
            let mut s = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                               "Next": format!("{p}Join")});
            if i % 3 == 0 {
                s["Catch"] = json!([{"ErrorEquals": ["States.Timeout", "Custom.Error"], "Next": format!("{p}Fan")},
                                    {"ErrorEquals": ["States.ALL"], "Next": format!("{p}Failed")}]);
            }
            states.insert(format!("{p}Handle {i}"), s);
        }
        states.insert(
            format!("{p}Fan"),
            json!({"Type": "Choice", "Choices": choices, "Default": format!("{p}Join")}),
        );
        states.insert(
            format!("{p}Start over"),
            json!({"Type": "Pass", "Next": format!("{p}Fan")}),
        );
        states.insert(
            format!("{p}Join"),
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.again", "BooleanEquals": true, "Next": format!("{p}Fan")}],
                "Default": format!("{p}Done")}),
        );
        states.insert(format!("{p}Done"), json!({"Type": "Succeed"}));
        states.insert(format!("{p}Failed"), json!({"Type": "Fail"}));
        json!({"StartAt": format!("{p}Fan"), "States": states})
    }

    #[test]
    fn choice_labels_sit_clear_of_every_edge_box_and_label() {
        for n in [2, 3, 6, 12, 25] {
            let mut def = fan(n, "");
            def["States"]["Done"] = json!({"Type": "Parallel", "Next": "Each", "Branches": [
                fan(n, "a."), fan(n, "b.")]});
            def["States"]["Each"] = json!({"Type": "Map", "ItemProcessor": fan(n, "m."),
                                           "End": true});
            let d = diagram(&def);
            let l = layout(&d);
            check(&d.root, &l.root, &format!("fan of {n}"));
        }
    }

    #[test]
    fn arranged_labels_go_beside_their_own_lines() {
        // Three runs leaving one node to the right and left, each with a label of 60px.
        let runs = [
            Run {
                xp: 100.0,
                xq: 20.0,
                label: Some(60.0),
            },
            Run {
                xp: 120.0,
                xq: 300.0,
                label: Some(60.0),
            },
            Run {
                xp: 140.0,
                xq: 500.0,
                label: Some(60.0),
            },
        ];
        let (order, placed) = arrange(&runs);
        // Runs to the right first, the rightmost start on top; then the one to the left.
        assert_eq!(order, [2, 1, 0]);
        // The furthest-right run's label beside its line, to the right.
        assert_eq!(
            placed[2],
            Some(Placed {
                x: 144.0,
                end: false,
                chars: None
            })
        );
        // The run going left has its label left of its line.
        assert_eq!(placed[0].map(|p| p.end), Some(true));
        assert!(placed[0].is_some_and(|p| p.x + 60.0 <= 100.0 - LABEL_GAP + 0.01));
        // No label anywhere is crossed by a line that passes its row.
        for (row, &ri) in order.iter().enumerate() {
            let Some(p) = placed[ri] else { continue };
            let lines: Vec<f64> = order[..row]
                .iter()
                .map(|&o| runs[o].xq)
                .chain(order[row + 1..].iter().map(|&o| runs[o].xp))
                .chain([runs[ri].xp])
                .collect();
            for l in lines {
                assert!(l <= p.x || l >= p.x + 60.0, "line {l} through {p:?}");
            }
        }
    }

    #[test]
    fn a_label_with_no_room_is_shortened_beside_its_line() {
        // Lines every 30px: a 200px label fits nowhere whole.
        let mut runs: Vec<Run> = (0..8)
            .map(|i| Run {
                xp: 100.0 + 30.0 * i as f64,
                xq: 100.0 + 30.0 * i as f64,
                label: None,
            })
            .collect();
        runs.push(Run {
            xp: 115.0,
            xq: 115.0,
            label: Some(200.0),
        });
        let (_, placed) = arrange(&runs);
        let p = placed[8].unwrap_or(Placed {
            x: 0.0,
            end: false,
            chars: None,
        });
        // Shortened to what fits left of its line, before the region's first line... or
        // beyond every line when even a few characters do not fit.
        match p.chars {
            Some(c) => assert!(c >= MIN_LABEL_CHARS, "{p:?}"),
            None => assert!(p.x >= 100.0 + 30.0 * 7.0 || p.x + 200.0 <= 100.0, "{p:?}"),
        }
        assert_eq!(shorten("$.amount > 1000 ×12", 10), "$.amo… ×12");
        assert_eq!(shorten("States.Timeout, Custom.Error", 12), "States.Time…");
        assert_eq!(shorten("short", 12), "short");
    }

    /// Six hundred labelled runs in one gap (a Choice of 600 rules), none with room beside its
    /// line: every label still gets a place (shortened or beyond the lines), in bounded time.
    #[test]
    fn a_crowded_gap_is_arranged_in_bounded_time() {
        let runs: Vec<Run> = (0..600)
            .map(|i| Run {
                xp: 20.0 * i as f64,
                xq: 20.0 * ((i * 7) % 600) as f64,
                label: Some(200.0),
            })
            .collect();
        let t = std::time::Instant::now();
        let (order, placed) = arrange(&runs);
        assert!(t.elapsed().as_secs_f64() < 10.0, "took {:?}", t.elapsed());
        assert_eq!(order.len(), runs.len());
        assert!(placed.iter().all(Option::is_some));
    }

    #[test]
    /// How fast is measured by `benches/hot_paths.rs` (docs/PERFORMANCE.md), not by a test.
    fn a_thousand_states_lay_out_without_overlaps() {
        let def = big(1000);
        let d = diagram(&def);
        let l = layout(&d);
        assert_eq!(l.root.nodes.len(), 1002);
        check(&d.root, &l.root, "big");
    }
}
