//! The pictures' overlays: what `asl run --graph` and `asl test --coverage-html` draw over a
//! definition. An execution's overlay comes from the [`Record`] the engine's probe left (the
//! same one `asl test` checks its expectations against), coverage's from the [`Coverage`]
//! counts; [`crate::graph`] only draws what it is given.

use crate::engine::{Outcome, Status};
use crate::graph::{EdgeKind, Mark, NodeOverlay, Overlay, OverlayKind, Section};
use crate::testing::coverage::{Category, Coverage, Detail};
use crate::testing::record::{Record, Visit};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// How many visits of one state the detail panel lists (a Map of thousands of items would
/// otherwise carry every item's input into the page).
const VISITS_SHOWN: usize = 50;

/// The overlay of one execution: its record, its outcome and its history events as JSON.
pub fn execution(record: &Record, outcome: &Outcome, events: Vec<Value>) -> Overlay {
    let status = outcome.status.as_str();
    let heading = match &outcome.error {
        Some(e) if outcome.status != Status::Succeeded => format!("Execution {status}: {e}"),
        _ => format!("Execution {status}"),
    };
    let mut o = Overlay::new(OverlayKind::Execution, heading);
    o.summary.push(("status".into(), json!(status)));
    if let Some(e) = &outcome.error {
        o.summary.push(("error".into(), json!(e)));
    }
    if let Some(c) = &outcome.cause {
        o.summary.push(("cause".into(), json!(shorten(c, 200))));
    }
    o.summary
        .push(("states entered".into(), json!(record.visits.len())));
    if let Some(out) = &outcome.output {
        o.summary
            .push(("output".into(), json!(shorten(&out.to_string(), 200))));
    }
    o.events = events;

    // Direct children of each Map or Parallel visit, by branch or iteration index.
    let mut children: HashMap<u64, BTreeMap<usize, Vec<&Visit>>> = HashMap::new();
    for (_, v) in &record.visits {
        if let Some(f) = v.frame {
            children
                .entry(f.parent)
                .or_default()
                .entry(f.index)
                .or_default()
                .push(v);
        }
    }
    let mut by_state: Vec<(&str, Vec<(&str, &Visit)>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (q, v) in &record.visits {
        let i = *at.entry(v.pointer.as_str()).or_insert_with(|| {
            by_state.push((v.pointer.as_str(), Vec::new()));
            by_state.len() - 1
        });
        by_state[i].1.push((q.as_str(), v));
    }
    if !record.visits.is_empty() {
        o.count_edge("", EdgeKind::Next, 1);
    }
    for (pointer, visits) in by_state {
        let mut node = NodeOverlay {
            mark: Mark::Succeeded,
            badge: String::new(),
            details: Vec::new(),
        };
        let failed = visits.iter().find_map(|(_, v)| v.failed.as_ref());
        let caught = visits.iter().any(|(_, v)| v.caught.is_some());
        let retries: usize = visits.iter().map(|(_, v)| v.retries.len()).sum();
        node.mark = if failed.is_some() {
            Mark::Failed
        } else if caught {
            Mark::Caught
        } else if retries > 0 {
            Mark::Retried
        } else if visits.iter().all(|(_, v)| v.output.is_none()) {
            Mark::Stopped
        } else {
            Mark::Succeeded
        };
        let mut badge = Vec::new();
        if visits.len() > 1 {
            badge.push(format!("×{}", visits.len()));
        }
        // Iterations or branches started, and how many ended failing.
        let (mut runs, mut failures) = (0, 0);
        let mut fanout = None;
        for (_, v) in &visits {
            if let Some(kids) = children.get(&v.id) {
                fanout = Some(v.kind);
                runs += kids.len();
                failures += kids
                    .values()
                    .filter(|path| path.last().is_some_and(|l| l.failed.is_some()))
                    .count();
            }
        }
        if let Some(kind) = fanout {
            let what = match (kind, runs) {
                ("Parallel", 1) => "branch",
                ("Parallel", _) => "branches",
                (_, 1) => "iteration",
                _ => "iterations",
            };
            badge.push(if failures > 0 {
                format!("{runs} {what}, {failures} failed")
            } else {
                format!("{runs} {what}")
            });
        }
        if retries > 0 {
            badge.push(if retries == 1 {
                "1 retry".to_string()
            } else {
                format!("{retries} retries")
            });
        }
        if let Some(f) = failed {
            badge.push(format!("✗ {}", shorten(&f.error, 40)));
        } else if caught {
            badge.push("caught".to_string());
        }
        node.badge = badge.join(" · ");
        for (n, (q, v)) in visits.iter().enumerate() {
            count_edges(&mut o, pointer, v);
            if n < VISITS_SHOWN {
                let title = if visits.len() > 1 {
                    format!("Visit {} · {q}", n + 1)
                } else {
                    (*q).to_string()
                };
                node.details.push(visit_section(title, v));
            }
        }
        if visits.len() > VISITS_SHOWN {
            node.details.push(Section {
                title: format!("… and {} more visits", visits.len() - VISITS_SHOWN),
                fields: Vec::new(),
            });
        }
        o.nodes.insert(pointer.to_string(), node);
    }
    o
}

/// The edge a visit left by.
fn count_edges(o: &mut Overlay, pointer: &str, v: &Visit) {
    let kind = if let Some(rule) = v.chose {
        match rule {
            Some(k) => EdgeKind::Rule(k),
            None => EdgeKind::Default,
        }
    } else if let Some((clause, _)) = v.caught {
        EdgeKind::Catch(clause)
    } else if v.output.is_some() && v.kind != "Fail" {
        // A Fail state leaves by no edge: the drawing shows it terminal.
        EdgeKind::Next
    } else {
        return;
    };
    o.count_edge(pointer, kind, 1);
}

fn visit_section(title: String, v: &Visit) -> Section {
    let mut fields = vec![("Input".to_string(), v.input.value())];
    if !v.retries.is_empty() {
        let list: Vec<Value> = v
            .retries
            .iter()
            .map(|(r, e)| json!({"rule": r, "error": e}))
            .collect();
        fields.push(("Retries".to_string(), Value::Array(list)));
    }
    if let Some(r) = v.exhausted {
        fields.push((
            "Retry exhausted".to_string(),
            json!(format!("rule #{r} had no attempts left")),
        ));
    }
    if let Some((c, e)) = &v.caught {
        fields.push((
            "Caught".to_string(),
            json!(format!("{e} (Catch clause #{c})")),
        ));
    }
    if let Some(f) = &v.failed {
        fields.push(("Error".to_string(), json!(f.error)));
        if let Some(c) = &f.cause {
            fields.push(("Cause".to_string(), json!(c)));
        }
    }
    if let Some(rule) = v.chose {
        let taken = match rule {
            Some(k) => format!("rule #{k}"),
            None => "Default".to_string(),
        };
        fields.push(("Choice".to_string(), json!(taken)));
    }
    if let Some(out) = &v.output {
        fields.push(("Output".to_string(), out.value()));
    }
    if let Some(vars) = v.variables.as_ref().filter(|m| !m.is_empty()) {
        fields.push(("Variables".to_string(), Value::Object(vars.clone())));
    }
    for (i, call) in v.calls.iter().enumerate() {
        let label = if v.calls.len() > 1 {
            format!("Task call {} (parameters)", i + 1)
        } else {
            "Task call (parameters)".to_string()
        };
        fields.push((label, call.clone()));
    }
    Section { title, fields }
}

/// The overlay of a definition's coverage over the cases that ran it.
pub fn coverage(cov: &Coverage, key: &str) -> Overlay {
    let mut o = Overlay::new(
        OverlayKind::Coverage,
        format!("Coverage of {key}: {:.1} %", cov.percent()),
    );
    for c in Category::ALL {
        let (covered, total) = cov.totals(c);
        if total > 0 {
            o.summary
                .push((c.label().to_string(), json!(format!("{covered}/{total}"))));
        }
    }
    // Per state: hits, and covered/total of its rules, catches, retry outcomes, branches.
    let mut tallies: HashMap<&str, [(usize, usize); 4]> = HashMap::new();
    let mut fields: HashMap<&str, Vec<(String, Value)>> = HashMap::new();
    let mut hits: HashMap<&str, u64> = HashMap::new();
    // Catch counts by (state, target), taken out of the plain edge they share a target with.
    let mut caught_to: HashMap<(&str, &str), u64> = HashMap::new();
    for (item, n) in cov.entries() {
        let state = item.state.as_str();
        let slot = match &item.detail {
            Detail::State { .. } => {
                hits.insert(state, n);
                None
            }
            Detail::ChoiceRule { rule, .. } => {
                let kind = rule.map_or(EdgeKind::Default, EdgeKind::Rule);
                o.count_edge(state, kind, n);
                Some(0)
            }
            Detail::Catch { clause, next, .. } => {
                o.count_edge(state, EdgeKind::Catch(*clause), n);
                *caught_to.entry((state, next.as_str())).or_insert(0) += n;
                Some(1)
            }
            Detail::Retry { .. } => Some(2),
            Detail::Branch { .. } => Some(3),
            Detail::Edge { .. } => None,
        };
        if let Some(k) = slot {
            let t = &mut tallies.entry(state).or_default()[k];
            t.0 += usize::from(n > 0);
            t.1 += 1;
        }
        if !matches!(item.detail, Detail::State { .. }) {
            let text = if n > 0 {
                format!("covered ×{n}")
            } else {
                "not covered".to_string()
            };
            fields
                .entry(state)
                .or_default()
                .push((item.name.clone(), json!(text)));
        }
    }
    for (item, n) in cov.entries() {
        if let Detail::Edge { to, label } = &item.detail
            && label.split(", ").any(|how| how == "Next")
        {
            let state = item.state.as_str();
            let caught = caught_to.get(&(state, to.as_str())).copied().unwrap_or(0);
            o.count_edge(state, EdgeKind::Next, n.saturating_sub(caught));
        }
    }
    for (state, n) in hits {
        let mut badge = vec![format!("×{n}")];
        if let Some(t) = tallies.get(state) {
            for ((covered, total), what) in t.iter().zip(["rules", "catch", "retry", "branches"]) {
                if *total > 0 {
                    badge.push(format!("{what} {covered}/{total}"));
                }
            }
        }
        let mut list = vec![(
            "state".to_string(),
            json!(if n > 0 {
                format!("entered ×{n}")
            } else {
                "never entered".to_string()
            }),
        )];
        list.extend(fields.remove(state).unwrap_or_default());
        o.nodes.insert(
            state.to_string(),
            NodeOverlay {
                mark: if n > 0 {
                    Mark::Covered
                } else {
                    Mark::Uncovered
                },
                badge: badge.join(" · "),
                details: vec![Section {
                    title: "Coverage".to_string(),
                    fields: list,
                }],
            },
        );
    }
    o
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}
