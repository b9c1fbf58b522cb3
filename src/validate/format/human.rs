//! The default output, for people: `file:line:col: error[CODE]: message (at /pointer)`, the
//! source line and a caret under the place; then one summary line per definition.

use super::Checked;
use crate::definition::Severity;

pub fn human(checked: &[Checked], strict: bool, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for c in checked {
        let doc = &c.definition.document;
        let label = c.definition.label();
        for f in &c.findings {
            let d = &f.diagnostic;
            let level = match d.severity {
                Severity::Error => paint("1;31", "error"),
                Severity::Warning => paint("1;33", "warning"),
            };
            let machine = c
                .definition
                .name
                .as_ref()
                .map(|n| format!("[{n}] "))
                .unwrap_or_default();
            let at = match f.position {
                Some(p) => format!("{}:{}:{}", doc.path, p.line, p.column),
                None => doc.path.clone(),
            };
            out.push_str(&format!(
                "{at}: {level}[{}]: {machine}{} (at {})\n",
                d.code.as_str(),
                d.message,
                d.shown_at()
            ));
            if let Some(p) = f.position
                && let Some(line) = doc.line(p.line)
            {
                let shown: String = line.chars().take(160).collect();
                let pad: String = line
                    .chars()
                    .take(p.column.saturating_sub(1).min(160))
                    .map(|ch| if ch == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!("  {shown}\n  {pad}{}\n", paint("1;32", "^")));
            }
        }
        let errors = c
            .findings
            .iter()
            .filter(|f| f.diagnostic.is_error())
            .count();
        let warnings = c.findings.len() - errors;
        let verdict = if c.fails(strict) {
            paint("1;31", "invalid")
        } else {
            paint("1;32", "valid")
        };
        out.push_str(&format!(
            "{label}: {verdict} ({errors} error{}, {warnings} warning{})\n",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        ));
    }
    out
}
