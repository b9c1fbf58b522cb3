//! Whole-definition validation: every rule AWS enforces when a state machine is created, plus
//! a few warnings of our own, collected as located [`Diagnostic`]s (never short-circuited).
//!
//! The pipeline, in [`validate_value`]:
//! 1. the loader (`crate::definition::load_value`) checks every field of every state: unknown,
//!    missing, wrong type or range, bad paths, templates, intrinsics, JSONata, transitions;
//! 2. [`rules`] checks what needs the whole graph or the machine type: a reachable terminal
//!    state, unreachable states, Express-only rules, resource ARN shapes, Map fields;
//! 3. [`variables`] checks variable reads and `$states` scoping;
//! 4. [`placeholders`] drops what `${Name}` placeholders left without a value make unknowable,
//!    and warns once for each.
//!
//! [`validate_text`] adds what only the text can show: syntax errors (with line and column)
//! and duplicate keys, which a JSON parser silently collapses (`crate::source::duplicates`).
//!
//! Validation never executes anything and never touches the network. Rendering is in
//! [`format`]; the CLI (`crate::cli::validate`) only reads files and picks a format.

pub mod format;
mod integrations;
mod intrinsics;
mod placeholders;
mod rules;
mod variables;

use crate::definition::diagnostic::pointer_segments;
use crate::definition::{Code, Diagnostic, load_value};
use crate::source::cfn::TemplateNames;
use crate::source::duplicates::Duplicate;
use crate::source::{Definition, Position, Problem};
use serde_json::Value;

/// The state machine type: some rules apply only to Express or only to Standard machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineType {
    #[default]
    Standard,
    Express,
}

/// What to validate against.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub machine_type: MachineType,
}

/// A diagnostic and where it sits in the file that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub position: Option<Position>,
}

/// Validates a parsed definition: the loader's diagnostics, then the whole-machine rules.
pub fn validate_value(value: &Value, opts: &Options) -> Vec<Diagnostic> {
    validate_in_template(value, opts, &TemplateNames::default())
}

/// [`validate_value`] of a definition whose template gives `defined` placeholders their values
/// at deploy time: those are not reported as unresolved.
fn validate_in_template(value: &Value, opts: &Options, defined: &TemplateNames) -> Vec<Diagnostic> {
    let mut diags = load_value(value).diagnostics;
    rules::check(value, opts, &mut diags);
    variables::check(value, &mut diags);
    placeholders::settle(value, &mut diags, defined);
    finish(diags)
}

/// Validates a definition written as JSON text: syntax, duplicate keys, then [`validate_value`].
pub fn validate_text(text: &str, opts: &Options) -> Vec<Diagnostic> {
    if text.trim().is_empty() {
        return vec![empty()];
    }
    let (value, repeats) = match crate::source::json::parse(text) {
        Ok(v) => v,
        Err(e) => return vec![json_syntax(&e)],
    };
    let mut diags = if repeats {
        duplicate_keys(&crate::source::duplicates::scan(text))
    } else {
        Vec::new()
    };
    diags.extend(validate_value(&value, opts));
    finish(diags)
}

/// A blank definition: AWS's `MISSING_DESCRIPTION`, "Received a null or empty workflow input"
/// (the API reference of `ValidateStateMachineDefinitionDiagnostic`).
fn empty() -> Diagnostic {
    Diagnostic::error(
        Code::MissingDescription,
        "/",
        "The definition is empty (received a null or empty workflow input); it must be a JSON object with `StartAt` and `States`",
    )
}

/// AWS's `INVALID_JSON_DESCRIPTION`; like AWS, the location is the parser's position.
pub fn json_syntax(e: &serde_json::Error) -> Diagnostic {
    Diagnostic::error(
        syntax_code(&e.to_string()),
        format!("line: {}, column: {}", e.line(), e.column()),
        format!("The definition is invalid JSON: {e}"),
    )
}

/// The parsers stop at 128 levels of nesting: that is `TOO_DEEPLY_NESTED`, not bad syntax.
fn syntax_code(message: &str) -> Code {
    if message.contains("recursion limit exceeded") || message.contains("nests deeper than") {
        Code::TooDeeplyNested
    } else {
        Code::InvalidJsonDescription
    }
}

/// Diagnostics for keys written twice in one object: state names are AWS's
/// `DUPLICATE_STATE_NAME`; any other field is refused too, since only one of the two values
/// would reach AWS.
pub fn duplicate_keys(dups: &[Duplicate]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for Duplicate {
        object: obj, key, ..
    } in dups
    {
        let segs = pointer_segments(obj);
        let at = format!("{obj}/{}", key.replace('~', "~0").replace('/', "~1"));
        if is_states_object(&segs) {
            out.push(Diagnostic::error(
                Code::DuplicateStateName,
                at,
                format!("The state name `{key}` is used twice in the same `States` object; state names must be unique"),
            ));
        } else {
            out.push(Diagnostic::error(
                Code::SchemaValidationFailed,
                at,
                format!("The field `{key}` is written twice in the same object; only one value would be kept"),
            ));
        }
    }
    out
}

/// Whether the segments name a `States` object of the machine, a branch or an item processor.
fn is_states_object(segs: &[String]) -> bool {
    match segs.split_last() {
        Some((last, rest)) if last == "States" => {
            rest.is_empty()
                || matches!(
                    rest.last().map(String::as_str),
                    Some("ItemProcessor" | "Iterator")
                )
                || (rest.len() >= 2 && rest[rest.len() - 2] == "Branches")
        }
        _ => false,
    }
}

/// Root locations as AWS writes them (`/`), errors first, duplicates removed.
fn finish(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    for d in &mut diags {
        if d.location.is_empty() {
            d.location = "/".to_string();
        }
    }
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.code.as_str(), d.location.clone(), d.message.clone())));
    diags.sort_by_key(|d| d.severity);
    diags
}

/// The keys a definition writes twice, each located at its second occurrence (which a pointer
/// cannot name).
pub fn duplicate_findings(def: &Definition) -> Vec<Finding> {
    def.duplicates
        .iter()
        .zip(duplicate_keys(&def.duplicates))
        .map(|(dup, d)| Finding {
            position: dup.position.or_else(|| def.position(d.shown_at())),
            diagnostic: d,
        })
        .collect()
}

/// Validates one definition read by [`crate::source::load`], locating every diagnostic in its
/// file.
pub fn validate_definition(def: &Definition, opts: &Options) -> Vec<Finding> {
    let diags = match &def.value {
        Ok(v) => {
            let mut out = duplicate_findings(def);
            out.extend(
                validate_in_template(v, opts, &def.defined)
                    .into_iter()
                    .map(|d| Finding {
                        position: def.position(d.shown_at()),
                        diagnostic: d,
                    }),
            );
            out.sort_by_key(|f| f.diagnostic.severity);
            return out;
        }
        Err(Problem::Syntax {
            syntax,
            message,
            position,
        }) => {
            let location = match position {
                Some(p) => format!("line: {}, column: {}", p.line, p.column),
                None => "/".to_string(),
            };
            return vec![Finding {
                diagnostic: Diagnostic::error(
                    syntax_code(message),
                    location,
                    format!(
                        "The definition is invalid {}: {message}",
                        match syntax {
                            crate::source::Syntax::Json => "JSON",
                            crate::source::Syntax::Yaml => "YAML",
                        }
                    ),
                ),
                // Without a place in the file read (a `DefinitionUri` file that is not shown),
                // the definition's own place in the template.
                position: position.or_else(|| def.position("")),
            }];
        }
        Err(Problem::Empty) => vec![empty()],
        Err(Problem::Refused(why)) => vec![Diagnostic::error(
            Code::MissingDescription,
            "/",
            format!("No definition was read: {why}"),
        )],
        Err(Problem::NotADefinition(why)) => vec![Diagnostic::error(
            Code::SchemaValidationFailed,
            "/",
            why.clone(),
        )],
        Err(Problem::TooLarge {
            message,
            pointer,
            position,
        }) => {
            return vec![Finding {
                diagnostic: Diagnostic::error(
                    Code::DefinitionTooLarge,
                    if pointer.is_empty() { "/" } else { pointer },
                    message.clone(),
                ),
                position: position.or_else(|| def.position(pointer)),
            }];
        }
        Err(Problem::Unsupported(why)) => vec![Diagnostic::warning(
            Code::MissingDescription,
            "/",
            format!("The definition was not checked: {why}"),
        )],
    };
    diags
        .into_iter()
        .map(|d| Finding {
            position: def.position(d.shown_at()),
            diagnostic: d,
        })
        .collect()
}

/// Whether the diagnostics make the definition invalid (`strict`: warnings do too).
pub fn fails(diags: &[Diagnostic], strict: bool) -> bool {
    diags.iter().any(|d| strict || d.is_error())
}
