//! Rendering located problems for people: `file:line:col`, the source line and a caret.

use crate::definition::{Diagnostic, Severity};
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

/// A definition diagnostic, located in its file.
pub fn diagnostic(path: &str, text: &str, d: &Diagnostic) -> String {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    located(
        path,
        text,
        &d.location,
        sev,
        &format!("{} [{}]", d.message, d.code.as_str()),
    )
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
