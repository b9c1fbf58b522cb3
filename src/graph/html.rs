//! One self-contained HTML page: the SVG inline, CSS, and a small script that shows a clicked
//! state's type, Comment and JSON in a side panel. Nothing is fetched from the network.

use super::diagram::Diagram;
use super::layout;
use super::svg::{svg, xml};
use serde_json::{Map, Value};

const CSS: &str = "\
body{margin:0;font:14px sans-serif;display:flex;height:100vh;color:#16191f}\
main{flex:1;overflow:auto;padding:8px}\
aside{width:380px;border-left:1px solid #d1d5db;padding:12px;overflow:auto;background:#fafafa}\
aside h2{margin:0 0 4px;font-size:16px;word-break:break-word}\
aside .type{color:#5f6b7a;margin-bottom:8px}\
aside pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #e5e7eb;padding:8px;font-size:12px}\
.node{cursor:pointer}.node.selected>rect,.node.selected>polygon{stroke-width:3;stroke:#ff9900}";

const SCRIPT: &str = r#"
const states = JSON.parse(document.getElementById('asl-states').textContent);
const panel = document.getElementById('details');
function show(id) {
  const s = states[id];
  if (!s) return;
  document.querySelectorAll('.node.selected').forEach(n => n.classList.remove('selected'));
  const g = document.getElementById(id);
  if (g) g.classList.add('selected');
  panel.replaceChildren();
  const h = document.createElement('h2'); h.textContent = s.name; panel.append(h);
  const t = document.createElement('div'); t.className = 'type'; t.textContent = s.type; panel.append(t);
  if (s.comment) { const c = document.createElement('p'); c.textContent = s.comment; panel.append(c); }
  if (s.json !== null) { const p = document.createElement('pre'); p.textContent = JSON.stringify(s.json, null, 2); panel.append(p); }
}
document.querySelectorAll('.node').forEach(n => n.addEventListener('click', ev => { ev.stopPropagation(); show(n.id); }));
"#;

pub fn render(d: &Diagram) -> String {
    let l = layout::layout(d);
    let mut states = Map::new();
    for n in d.all_nodes() {
        let ty = if n.distributed {
            "Map (Distributed)"
        } else {
            n.type_name()
        };
        let mut s = Map::new();
        s.insert("name".into(), Value::String(n.name.clone()));
        s.insert("type".into(), Value::String(ty.to_string()));
        s.insert(
            "comment".into(),
            n.comment.clone().map_or(Value::Null, Value::String),
        );
        s.insert("json".into(), n.json.clone());
        states.insert(n.id.clone(), Value::Object(s));
    }
    // `<` only occurs inside JSON strings, where `\u003c` means the same and `</script>` cannot
    // end the element early.
    let data = Value::Object(states).to_string().replace('<', "\\u003c");
    let title = d.comment.as_deref().unwrap_or("State machine");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{}</main>\n<aside id=\"details\"><p>Click a state to see its details.</p></aside>\n<script type=\"application/json\" id=\"asl-states\">{data}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        xml(title),
        svg(d, &l)
    )
}
