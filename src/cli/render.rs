//! Rendering located problems for people: `file:line:col`, the source line and a caret.

use crate::definition::Severity;
use crate::source::locate;

/// One problem in a file: `path:line:col: error: message (at /pointer)` and the source line.
pub fn located(path: &str, text: &str, pointer: &str, severity: &str, message: &str) -> String {
    let at = if pointer.is_empty() { "/" } else { pointer };
    match locate(text, pointer) {
        Some(pos) => {
            let mut s = format!(
                "{path}:{}:{}: {severity}: {message} (at {at})",
                pos.line, pos.column
            );
            if let Some(line) = text.lines().nth(pos.line - 1) {
                let shown: String = line.chars().take(160).collect();
                s.push_str(&format!(
                    "\n  {shown}\n  {}^",
                    " ".repeat(pos.column.saturating_sub(1).min(160))
                ));
            }
            s
        }
        None => format!("{path}: {severity}: {message} (at {at})"),
    }
}

/// A JSON syntax error from serde_json, located.
pub fn json_error(path: &str, text: &str, e: &serde_json::Error) -> String {
    let mut s = format!(
        "{path}:{}:{}: error: invalid JSON: {e}",
        e.line(),
        e.column()
    );
    if let Some(line) = text.lines().nth(e.line().saturating_sub(1)) {
        let shown: String = line.chars().take(160).collect();
        s.push_str(&format!(
            "\n  {shown}\n  {}^",
            " ".repeat(e.column().saturating_sub(1).min(160))
        ));
    }
    s
}

/// A located validation finding: `file:line:col: error: message [CODE] (at /pointer)` and the
/// source line with a caret.
pub fn finding(doc: &crate::source::Document, f: &crate::validate::Finding) -> String {
    let d = &f.diagnostic;
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let msg = format!("{} [{}]", d.message, d.code.as_str());
    match f.position {
        Some(p) => {
            let mut s = format!(
                "{}:{}:{}: {sev}: {msg} (at {})",
                doc.path,
                p.line,
                p.column,
                d.shown_at()
            );
            if let Some(line) = doc.line(p.line) {
                let shown: String = line.chars().take(160).collect();
                s.push_str(&format!(
                    "\n  {shown}\n  {}^",
                    " ".repeat(p.column.saturating_sub(1).min(160))
                ));
            }
            s
        }
        None => format!("{}: {sev}: {msg} (at {})", doc.path, d.shown_at()),
    }
}
