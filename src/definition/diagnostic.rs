//! Located problems in a definition: what the loader and the validator report.
//!
//! Diagnostics are data (`{severity, code, location, message}`), shaped like the answer of
//! AWS's `ValidateStateMachineDefinition`; only the CLI renders them.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// AWS's diagnostic codes (ValidateStateMachineDefinition's API model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidJsonDescription,
    MissingDescription,
    SchemaValidationFailed,
    InvalidResource,
    MissingEndState,
    DuplicateStateName,
    InvalidStateName,
    MissingTransitionTarget,
    TooDeeplyNested,
    DuplicateLabelName,
    InvalidLabelName,
    NoDollar,
    NoPath,
    PassResultIsStatic,
    /// Not an AWS code: a reachability or variable problem only `asl` reports.
    UnreachableState,
    UndefinedVariable,
    /// Not an AWS code: a `States.` error name that is not predefined (it can never match).
    UnknownErrorName,
    /// Not an AWS code: a `${Name}` placeholder (DefinitionSubstitutions, `Fn::Sub`) left
    /// without a value, so the fields holding it were not checked.
    UnresolvedPlaceholder,
    /// Not an AWS code: the definition, once YAML aliases and `${...}` substitutions are
    /// expanded, would be larger than the 1,048,576 characters AWS accepts (AWS refuses it
    /// before validating, with a `ValidationException`).
    DefinitionTooLarge,
    /// Not an AWS code: a file given to `asl validate` could not be read (missing, a folder,
    /// not UTF-8 text, too large); the machine formats report it so that they say the run
    /// failed (exit code 2).
    UnreadableFile,
    /// Not an AWS code: a JSONata call of a function that is neither JSONata's nor one AWS
    /// adds, nor bound in the expression (`$uppercse(...)`); AWS accepts the definition and
    /// the call fails when it is evaluated (T1006). `$eval` too, which Step Functions disables.
    UnknownFunction,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidJsonDescription => "INVALID_JSON_DESCRIPTION",
            Code::MissingDescription => "MISSING_DESCRIPTION",
            Code::SchemaValidationFailed => "SCHEMA_VALIDATION_FAILED",
            Code::InvalidResource => "INVALID_RESOURCE",
            Code::MissingEndState => "MISSING_END_STATE",
            Code::DuplicateStateName => "DUPLICATE_STATE_NAME",
            Code::InvalidStateName => "INVALID_STATE_NAME",
            Code::MissingTransitionTarget => "MISSING_TRANSITION_TARGET",
            Code::TooDeeplyNested => "TOO_DEEPLY_NESTED",
            Code::DuplicateLabelName => "DUPLICATE_LABEL_NAME",
            Code::InvalidLabelName => "INVALID_LABEL_NAME",
            Code::NoDollar => "NO_DOLLAR",
            Code::NoPath => "NO_PATH",
            Code::PassResultIsStatic => "PASS_RESULT_IS_STATIC",
            Code::UnreachableState => "UNREACHABLE_STATE",
            Code::UndefinedVariable => "UNDEFINED_VARIABLE",
            Code::UnknownErrorName => "UNKNOWN_ERROR_NAME",
            Code::UnresolvedPlaceholder => "UNRESOLVED_PLACEHOLDER",
            Code::DefinitionTooLarge => "DEFINITION_TOO_LARGE",
            Code::UnreadableFile => "UNREADABLE_FILE",
            Code::UnknownFunction => "UNKNOWN_FUNCTION",
        }
    }
}

/// One problem at one place of the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// RFC 6901 JSON pointer into the definition (`/States/Foo/Next`); `""` is the whole document.
    /// It is where AWS reports the problem: for an unknown field or a bad payload template
    /// that is the object holding it, not the field itself.
    pub location: String,
    pub message: String,
    /// A more precise pointer for showing the place (the field inside `location`), when
    /// `location` is coarser than the problem.
    pub focus: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, location: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            location: location.into(),
            message: message.into(),
            focus: None,
        }
    }

    pub fn warning(code: Code, location: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            location: location.into(),
            message: message.into(),
            focus: None,
        }
    }

    /// Sets [`Diagnostic::focus`].
    pub fn with_focus(mut self, focus: impl Into<String>) -> Self {
        self.focus = Some(focus.into());
        self
    }

    /// The pointer to show: [`Diagnostic::focus`], or else the location.
    pub fn shown_at(&self) -> &str {
        self.focus.as_deref().unwrap_or(&self.location)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.location.is_empty() {
            "/"
        } else {
            &self.location
        };
        write!(f, "{}: {} at {}", self.code.as_str(), self.message, at)
    }
}

/// Builds RFC 6901 pointers one segment at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pointer(String);

impl Pointer {
    pub fn root() -> Self {
        Pointer(String::new())
    }

    pub fn key(&self, key: &str) -> Pointer {
        let mut s = String::with_capacity(self.0.len() + key.len() + 1);
        s.push_str(&self.0);
        s.push('/');
        if !key.contains(['~', '/']) {
            s.push_str(key);
            return Pointer(s);
        }
        for c in key.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Pointer(s)
    }

    pub fn index(&self, i: usize) -> Pointer {
        Pointer(format!("{}/{}", self.0, i))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits a JSON pointer into its unescaped segments.
pub fn pointer_segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// ` (did you mean `X`?)` when `wanted` is a small edit away from one of `names`.
pub fn did_you_mean_in(wanted: &str, names: &[&str]) -> String {
    let best = names
        .iter()
        .map(|n| (edit_distance(&wanted.to_lowercase(), &n.to_lowercase()), n))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, n)) if d <= 2.max(wanted.len() / 4) => format!(" (did you mean `{n}`?)"),
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_slash_and_tilde() {
        let p = Pointer::root().key("States").key("a/b~c").index(2);
        assert_eq!(p.as_str(), "/States/a~1b~0c/2");
        assert_eq!(pointer_segments(p.as_str()), vec!["States", "a/b~c", "2"]);
    }
}
