//! One self-contained HTML page: the SVG inline, CSS, and a small script that shows a clicked
//! state's type, Comment and JSON in a side panel. With an [`Overlay`] the page is an offline
//! inspector: the panel shows what the run recorded for the state (each visit's input and
//! output, variables, retries and error, long JSON cut to a few lines with "Show all";
//! coverage's items with their counts), and an execution's history events are listed beside
//! the graph. The drawing zooms and pans as the console's does: the wheel or a pinch zooms
//! at the pointer, a drag pans, the toolbar's buttons and the keys `+`, `-` and `0` zoom in,
//! out and fit (the page opens fitted), arrow keys pan. Nothing is fetched from the network.

use super::diagram::Diagram;
use super::layout;
use super::overlay::{Overlay, OverlayKind};
use super::svg::{svg, xml};
use serde_json::{Map, Value, json};

const CSS: &str = "\
body{margin:0;font:14px sans-serif;display:flex;flex-direction:column;height:100vh;color:#16191f}\
header{padding:8px 12px;border-bottom:1px solid #d1d5db;background:#fafafa}\
header h1{margin:0;font-size:17px}\
header .facts{color:#414d5c;font-size:13px;margin-top:2px}\
.legend span{display:inline-block;margin-right:10px;font-size:12px}\
.legend i{display:inline-block;width:11px;height:11px;border:2px solid;border-radius:3px;vertical-align:-2px;margin-right:3px}\
.wrap{flex:1;display:flex;min-height:0}\
main{flex:1;position:relative;overflow:hidden;touch-action:none;cursor:grab;background:#fff}\
main.panning{cursor:grabbing}\
main>svg{display:block;width:100%;height:100%;user-select:none;-webkit-user-select:none}\
.zoom{position:absolute;right:10px;top:10px;display:flex;align-items:center;gap:2px;background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:2px;box-shadow:0 1px 3px rgba(0,0,0,.12);cursor:default}\
.zoom button{font:14px sans-serif;min-width:30px;height:28px;border:0;background:none;border-radius:4px;cursor:pointer;color:#16191f}\
.zoom button:hover{background:#eef4fb}\
.zoom span{font-size:12px;color:#414d5c;min-width:42px;text-align:center}\
aside{width:420px;border-left:1px solid #d1d5db;background:#fafafa;display:flex;flex-direction:column;min-height:0}\
#details{padding:12px;flex:1;overflow:auto}\
aside h2{margin:0 0 4px;font-size:16px;word-break:break-word}\
aside h3{margin:12px 0 4px;font-size:14px}\
aside h4{margin:8px 0 2px;font-size:12px;color:#414d5c}\
aside .type{color:#5f6b7a;margin-bottom:8px}\
aside pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #e5e7eb;padding:8px;font-size:12px;margin:0}\
aside .text{font-size:13px;white-space:pre-wrap;word-break:break-word}\
aside details.visit{border:1px solid #e5e7eb;border-radius:4px;background:#fff;margin:8px 0;padding:0 8px 8px}\
aside details.visit>summary{cursor:pointer;font-weight:bold;font-size:13px;padding:6px 0}\
aside details.visit pre{background:#fafafa}\
aside button.more{margin-top:2px;font-size:12px;border:1px solid #d1d5db;background:#fff;border-radius:4px;padding:2px 8px;cursor:pointer;color:#0972d3}\
#events{border-top:1px solid #d1d5db;padding:8px 12px;flex:0 0 38%;overflow:auto}#events:empty{display:none}\
#events table{border-collapse:collapse;width:100%;font-size:12px}\
#events td,#events th{text-align:left;padding:2px 4px;border-bottom:1px solid #eee}\
#events tr.ev{cursor:pointer}#events tr.ev:hover{background:#eef4fb}#events tr.hl{background:#fff3cd}\
.node{cursor:pointer}.node.selected>rect:first-of-type,.node.selected>polygon{stroke-width:3.5!important;stroke:#ff9900!important}";

const SCRIPT: &str = r#"
const states = JSON.parse(document.getElementById('asl-states').textContent);
// Zoom and pan: the drawing's viewBox follows a scale and an offset (screen = drawing * scale
// + offset), so the SVG stays sharp at every zoom.
const view = document.getElementById('view');
const pic = view.querySelector('svg');
const level = document.getElementById('zoom-level');
const W = pic.viewBox.baseVal.width, H = pic.viewBox.baseVal.height;
const MIN = 0.05, MAX = 8;
let scale = 1, ox = 0, oy = 0;
function apply() {
  const r = view.getBoundingClientRect();
  if (!r.width || !r.height) return;
  pic.setAttribute('viewBox', (-ox / scale) + ' ' + (-oy / scale) + ' ' + (r.width / scale) + ' ' + (r.height / scale));
  level.textContent = Math.round(scale * 100) + '%';
  view.dataset.scale = String(scale);
}
function fit() {
  const r = view.getBoundingClientRect(), pad = 16;
  scale = Math.max(MIN, Math.min(1, (r.width - 2 * pad) / W, (r.height - 2 * pad) / H));
  ox = (r.width - W * scale) / 2;
  oy = Math.max(pad, (r.height - H * scale) / 2);
  apply();
}
// Zooms by `f` keeping the drawing's point under (x, y) (relative to the view) in place.
function zoomAt(f, x, y) {
  const s = Math.min(MAX, Math.max(MIN, scale * f));
  ox = x - (x - ox) * s / scale;
  oy = y - (y - oy) * s / scale;
  scale = s;
  apply();
}
function zoomCentre(f) {
  const r = view.getBoundingClientRect();
  zoomAt(f, r.width / 2, r.height / 2);
}
view.addEventListener('wheel', e => {
  e.preventDefault();
  const r = view.getBoundingClientRect();
  const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * r.height : e.deltaY;
  // A pinch on a touchpad arrives as a wheel with ctrlKey and small steps.
  zoomAt(Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
}, {passive: false});
const pointers = new Map();
let travel = 0;
view.addEventListener('pointerdown', e => {
  if (e.target.closest('.zoom') || (e.pointerType === 'mouse' && e.button !== 0)) return;
  if (!pointers.size) { travel = 0; view.dataset.dragged = '0'; }
  pointers.set(e.pointerId, {x: e.clientX, y: e.clientY});
});
window.addEventListener('pointermove', e => {
  const p = pointers.get(e.pointerId);
  if (!p) return;
  const r = view.getBoundingClientRect();
  if (pointers.size === 1) {
    const dx = e.clientX - p.x, dy = e.clientY - p.y;
    travel += Math.abs(dx) + Math.abs(dy);
    if (travel > 4) { view.dataset.dragged = '1'; view.classList.add('panning'); }
    ox += dx; oy += dy;
    apply();
  } else if (pointers.size === 2) {
    // A pinch: the distance between the two pointers zooms, their midpoint pans.
    const [a, b] = [...pointers.values()];
    const other = a === p ? b : a;
    const before = Math.hypot(p.x - other.x, p.y - other.y);
    const after = Math.hypot(e.clientX - other.x, e.clientY - other.y);
    travel += 10;
    view.dataset.dragged = '1';
    if (before > 0) zoomAt(after / before, (e.clientX + other.x) / 2 - r.left, (e.clientY + other.y) / 2 - r.top);
  }
  p.x = e.clientX; p.y = e.clientY;
});
function release(e) {
  pointers.delete(e.pointerId);
  if (!pointers.size) view.classList.remove('panning');
}
window.addEventListener('pointerup', release);
window.addEventListener('pointercancel', release);
document.querySelectorAll('.zoom button').forEach(b => b.addEventListener('click', () => {
  if (b.dataset.zoom === 'in') zoomCentre(1.25);
  else if (b.dataset.zoom === 'out') zoomCentre(0.8);
  else fit();
}));
document.addEventListener('keydown', e => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest && e.target.closest('input, textarea, select, [contenteditable]')) return;
  const step = 60, keys = {
    '+': () => zoomCentre(1.25), '=': () => zoomCentre(1.25),
    '-': () => zoomCentre(0.8), '_': () => zoomCentre(0.8), '0': fit,
    ArrowLeft: () => { ox += step; apply(); }, ArrowRight: () => { ox -= step; apply(); },
    ArrowUp: () => { oy += step; apply(); }, ArrowDown: () => { oy -= step; apply(); },
  };
  const f = keys[e.key];
  if (f) { e.preventDefault(); f(); }
});
window.addEventListener('resize', apply);
fit();
const events = JSON.parse(document.getElementById('asl-events').textContent);
const panel = document.getElementById('details');
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
// A value longer than this many lines or characters shows its start and a "Show all".
const LINES = 30, CHARS = 3000;
function size(n) {
  return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KB' : (n / 1048576).toFixed(1) + ' MB';
}
function value(v) {
  const text = typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  const box = typeof v === 'string' ? el('div', undefined, 'text') : el('pre');
  const lines = text.split('\n');
  if (lines.length <= LINES && text.length <= CHARS) {
    box.textContent = text;
    return box;
  }
  let start = lines.slice(0, LINES).join('\n');
  if (start.length > CHARS) start = start.slice(0, CHARS);
  start += '\n…';
  box.textContent = start;
  box.dataset.cut = '1';
  const label = 'Show all (' + lines.length + ' lines, ' + size(new Blob([text]).size) + ')';
  const more = el('button', label, 'more');
  more.type = 'button';
  more.addEventListener('click', () => {
    const all = box.dataset.cut === '1';
    box.textContent = all ? text : start;
    box.dataset.cut = all ? '0' : '1';
    more.textContent = all ? 'Show less' : label;
  });
  const wrap = el('div', undefined, 'value');
  wrap.append(box, more);
  return wrap;
}
function eventState(ev) {
  for (const k of Object.keys(ev)) {
    const d = ev[k];
    if (k.endsWith('EventDetails') && d && typeof d.name === 'string') return d.name;
  }
  return '';
}
function show(id) {
  const s = states[id];
  if (!s) return;
  document.querySelectorAll('.node.selected').forEach(n => n.classList.remove('selected'));
  const g = document.getElementById(id);
  if (g) g.classList.add('selected');
  panel.replaceChildren();
  panel.append(el('h2', s.name));
  panel.append(el('div', s.type + (s.mark ? ' · ' + s.mark : ''), 'type'));
  if (s.comment) panel.append(el('p', s.comment));
  // Each visit (or coverage's one section) folds; a few are open, else the first.
  const sections = s.details.filter(sec => sec.fields.length);
  sections.forEach((sec, i) => {
    const d = el('details', undefined, 'visit');
    d.open = sections.length <= 3 || i === 0;
    d.append(el('summary', sec.title));
    for (const [label, v] of sec.fields) { d.append(el('h4', label)); d.append(value(v)); }
    panel.append(d);
  });
  for (const sec of s.details) if (!sec.fields.length) panel.append(el('p', sec.title, 'text'));
  if (s.json !== null) {
    const d = el('details'); d.append(el('summary', 'Definition')); d.append(value(s.json));
    panel.append(d);
  }
  document.querySelectorAll('#events tr.ev').forEach(r => r.classList.toggle('hl', r.dataset.state === s.name));
}
function showEvent(i) {
  const ev = events[i];
  panel.replaceChildren();
  panel.append(el('h2', ev.type));
  panel.append(el('div', 'event ' + ev.id, 'type'));
  panel.append(value(ev));
}
document.querySelectorAll('.node').forEach(n => n.addEventListener('click', ev => {
  ev.stopPropagation();
  if (view.dataset.dragged !== '1') show(n.id);
}));
const list = document.getElementById('events');
if (events.length) {
  list.append(el('h3', 'Events (' + events.length + ')'));
  const t = el('table');
  const head = el('tr');
  for (const h of ['#', 'type', 'state']) head.append(el('th', h));
  t.append(head);
  // An event without a state name belongs to the state of the event it follows (Task
  // events after their TaskStateEntered), as the console shows them.
  const owner = {};
  events.forEach((ev, i) => {
    const r = el('tr', undefined, 'ev');
    let name = eventState(ev);
    if (!name && !ev.type.startsWith('Execution')) name = owner[ev.previousEventId] || '';
    owner[ev.id] = name;
    r.dataset.state = name;
    r.append(el('td', String(ev.id)), el('td', ev.type), el('td', r.dataset.state));
    r.addEventListener('click', () => showEvent(i));
    t.append(r);
  });
  list.append(t);
}
"#;

/// The page of `d`.
pub fn render(d: &Diagram) -> String {
    render_with(d, None)
}

/// The page of `d` with an execution's path or coverage drawn over it.
pub fn render_with(d: &Diagram, overlay: Option<&Overlay>) -> String {
    let overlaid;
    let d = match overlay {
        Some(o) => {
            overlaid = d.overlaid(o);
            &overlaid
        }
        None => d,
    };
    let l = layout::layout(d);
    let mut states = Map::new();
    for n in d.all_nodes() {
        let ty = match &n.integration {
            _ if n.distributed => "Map (Distributed)".to_string(),
            Some(i) => format!("{} · {i}", n.type_name()),
            None => n.type_name().to_string(),
        };
        let on = overlay.and_then(|o| o.nodes.get(&n.pointer));
        let mark = match (overlay, on) {
            (_, Some(x)) => Value::String(x.mark.as_str().to_string()),
            (Some(o), None) if !n.pointer.is_empty() => Value::String(
                match o.kind {
                    OverlayKind::Execution => "not entered",
                    OverlayKind::Coverage => "uncovered",
                }
                .to_string(),
            ),
            _ => Value::Null,
        };
        let details: Vec<Value> = on
            .map(|x| {
                x.details
                    .iter()
                    .map(|s| json!({"title": s.title, "fields": s.fields}))
                    .collect()
            })
            .unwrap_or_default();
        let mut s = Map::new();
        s.insert("name".into(), Value::String(n.name.clone()));
        s.insert("type".into(), Value::String(ty));
        s.insert(
            "comment".into(),
            n.comment.clone().map_or(Value::Null, Value::String),
        );
        s.insert("mark".into(), mark);
        s.insert("details".into(), Value::Array(details));
        s.insert("json".into(), n.json.clone());
        states.insert(n.id.clone(), Value::Object(s));
    }
    let events = overlay.map_or_else(Vec::new, |o| o.events.clone());
    let title = match overlay {
        Some(o) => o.heading.clone(),
        None => d
            .comment
            .clone()
            .unwrap_or_else(|| "State machine".to_string()),
    };
    let mut header = format!("<h1>{}</h1>", xml(&title));
    if let Some(o) = overlay {
        let facts: Vec<String> = o
            .summary
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                format!("{}: {}", xml(k), xml(&v))
            })
            .collect();
        header.push_str(&format!("<div class=\"facts\">{}</div>", facts.join(" · ")));
        header.push_str(legend(o.kind));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>{header}</header>\n<div class=\"wrap\">\n<main id=\"view\">\n{}<div class=\"zoom\" title=\"Wheel or pinch to zoom, drag to pan; keys + - 0\"><button type=\"button\" data-zoom=\"out\" title=\"Zoom out (-)\">−</button><span id=\"zoom-level\">100%</span><button type=\"button\" data-zoom=\"in\" title=\"Zoom in (+)\">+</button><button type=\"button\" data-zoom=\"fit\" title=\"Fit the drawing (0)\">Fit</button></div></main>\n<aside><div id=\"details\"><p>Click a state to see its details.</p></div><div id=\"events\"></div></aside>\n</div>\n<script type=\"application/json\" id=\"asl-states\">{}</script>\n<script type=\"application/json\" id=\"asl-events\">{}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        xml(&title),
        svg(d, &l, overlay),
        inert(&Value::Object(states)),
        inert(&Value::Array(events)),
    )
}

/// JSON for a `<script>` element: `<` only occurs inside JSON strings, where `\u003c` means
/// the same and `</script>` cannot end the element early.
fn inert(v: &Value) -> String {
    v.to_string().replace('<', "\\u003c")
}

fn legend(kind: OverlayKind) -> &'static str {
    match kind {
        OverlayKind::Execution => {
            "<div class=\"legend\"><span><i style=\"border-color:#037f0c;background:#e9f7ea\"></i>succeeded</span><span><i style=\"border-color:#b2911c;background:#fffbe0\"></i>retried</span><span><i style=\"border-color:#e07700;background:#fff1e0\"></i>caught</span><span><i style=\"border-color:#d91515;background:#fde8e8\"></i>failed</span><span><i style=\"border-color:#5f6b7a;background:#f0f4fa;border-style:dashed\"></i>stopped</span><span><i style=\"border-color:#c6c6cd;opacity:.4\"></i>not entered</span> ×N: times an edge was followed</div>"
        }
        OverlayKind::Coverage => {
            "<div class=\"legend\"><span><i style=\"border-color:#037f0c;background:#e9f7ea\"></i>covered</span><span><i style=\"border-color:#d91515;background:#fde8e8;border-style:dashed\"></i>uncovered</span> ×N: hits over all cases</div>"
        }
    }
}

/// One line of an [`index`] page: a page it links to and what to say about it.
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// Relative to the index page.
    pub href: String,
    pub name: String,
    /// The figure shown first (`83.3 %`).
    pub headline: String,
    /// `(column, value)`, the same columns in every row.
    pub facts: Vec<(String, String)>,
    /// Whether the row is complete (100 %), for its colour.
    pub complete: bool,
}

/// A page listing other pages (coverage's per-definition pages), self-contained like the rest.
pub fn index(title: &str, rows: &[IndexRow]) -> String {
    let mut table = String::from("<table><tr><th>definition</th><th>coverage</th>");
    for (k, _) in rows.first().map(|r| r.facts.as_slice()).unwrap_or_default() {
        table.push_str(&format!("<th>{}</th>", xml(k)));
    }
    table.push_str("</tr>\n");
    for r in rows {
        table.push_str(&format!(
            "<tr class=\"{}\"><td><a href=\"{}\">{}</a></td><td class=\"pct\">{}</td>",
            if r.complete { "full" } else { "partial" },
            xml(&r.href),
            xml(&r.name),
            xml(&r.headline)
        ));
        for (_, v) in &r.facts {
            table.push_str(&format!("<td>{}</td>", xml(v)));
        }
        table.push_str("</tr>\n");
    }
    table.push_str("</table>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>body{{font:14px sans-serif;margin:16px;color:#16191f}}table{{border-collapse:collapse}}td,th{{text-align:left;padding:4px 10px;border-bottom:1px solid #e5e7eb}}tr.full .pct{{color:#037f0c;font-weight:bold}}tr.partial .pct{{color:#d91515;font-weight:bold}}</style>\n</head>\n<body>\n<h1>{t}</h1>\n{table}\n</body>\n</html>\n",
        t = xml(title)
    )
}
