//! `--format github`: GitHub Actions workflow commands, one per diagnostic
//! (`::error file=F,line=L,col=C,title=CODE::message`), shown as annotations on the pull
//! request's diff. A file that could not be read is an error annotation on that file.

use super::{Checked, Unreadable, file_of, level, machine_prefix};
use crate::definition::Code;

/// Escapes a command's message (`%`, CR, LF).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(checked: &[Checked], unreadable: &[Unreadable]) -> String {
    let mut out = String::new();
    for u in unreadable {
        out.push_str(&format!(
            "::error file={},title={}::{}\n",
            property(&u.path),
            property(Code::UnreadableFile.as_str()),
            data(&u.message)
        ));
    }
    for c in checked {
        for f in &c.findings {
            let d = &f.diagnostic;
            let kind = level(d.severity);
            let mut props = vec![format!("file={}", property(&file_of(c)))];
            if let Some(p) = f.position {
                props.push(format!("line={}", p.line));
                props.push(format!("col={}", p.column));
            }
            props.push(format!("title={}", property(d.code.as_str())));
            let machine = machine_prefix(c);
            out.push_str(&format!(
                "::{kind} {}::{}\n",
                props.join(","),
                data(&format!("{machine}{} (at {})", d.message, d.shown_at()))
            ));
        }
    }
    out
}
