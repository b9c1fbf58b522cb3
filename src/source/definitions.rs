//! From a file name to the state machine definitions it holds, each able to locate a pointer.
//!
//! A file is one definition (JSON or YAML), or a CloudFormation/SAM template holding any
//! number of them ([`super::cfn`]). Syntax errors are not load errors: they belong to the
//! definition (AWS answers them with `INVALID_JSON_DESCRIPTION`); only an unreadable file is.

use super::Position;
use super::cfn::{self, Source};
use super::document::{Document, Syntax, SyntaxError};
use super::duplicates::Duplicate;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Files larger than this are refused before parsing (AWS's limit is 1 MiB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.path, self.message)
    }
}

impl std::error::Error for LoadError {}

/// Why a definition has no value to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The text is not JSON/YAML; the position is in [`Definition::document`] when known.
    Syntax {
        syntax: Syntax,
        message: String,
        position: Option<Position>,
    },
    /// The file is empty.
    Empty,
    /// Expansion (YAML aliases, `${...}` substitutions) would make the definition larger than
    /// AWS accepts ([`super::cfn::MAX_DEFINITION_BYTES`]); stopped where it crossed the line:
    /// at `position` when known, else at `pointer` of the definition.
    TooLarge {
        message: String,
        pointer: String,
        position: Option<Position>,
    },
    /// The definition is somewhere this tool cannot read (S3), or in an odd shape.
    Unsupported(String),
    /// A template's `DefinitionUri` names a file `asl` will not or cannot read (outside the
    /// template's folder, missing, unreadable).
    Refused(String),
    /// A template's `DefinitionUri` names a file that parses but is not a state machine
    /// definition (no `StartAt`, no `States`); its content is not shown.
    NotADefinition(String),
}

/// One state machine definition and where it came from.
#[derive(Debug)]
pub struct Definition {
    /// The template resource's logical id; `None` for a plain definition file.
    pub name: Option<String>,
    /// The file the definition's positions are in.
    pub document: Rc<Document>,
    /// Where the definition sits in `document`.
    base: Base,
    pub value: Result<Value, Problem>,
    /// Keys written twice (object pointers relative to the definition).
    pub duplicates: Vec<Duplicate>,
    /// Placeholders its template gives values to at deploy time (none for a plain file).
    pub defined: cfn::TemplateNames,
}

#[derive(Debug, Clone)]
enum Base {
    /// The definition's pointers are the document's, under this prefix.
    Prefix(String),
    /// The definition was a string at this pointer: everything is shown there.
    Fixed(String),
    /// The definition was a string written as a YAML block (`DefinitionString: |`): a place in
    /// `text` at (line, column) is at (`first_line` + line - 1, `indent` + column) of the file.
    Block {
        text: String,
        first_line: usize,
        indent: usize,
        fallback: String,
    },
}

impl Definition {
    /// Where a pointer of the definition is written in [`Self::document`].
    pub fn position(&self, pointer: &str) -> Option<Position> {
        let pointer = if pointer == "/" { "" } else { pointer };
        match &self.base {
            Base::Prefix(p) => self.document.position(&format!("{p}{pointer}")),
            Base::Fixed(p) => self.document.position(p),
            Base::Block {
                text,
                first_line,
                indent,
                fallback,
            } => match super::locate(text, pointer) {
                Some(p) => Some(Position {
                    line: first_line + p.line - 1,
                    column: indent + p.column,
                }),
                None => self.document.position(fallback),
            },
        }
    }

    /// A label for messages: `file` or `file#LogicalId`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{}#{n}", self.document.path),
            None => self.document.path.clone(),
        }
    }
}

fn read(path: &Path) -> Result<String, LoadError> {
    let err = |m: String| LoadError {
        path: path.display().to_string(),
        message: m,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    if meta.is_dir() {
        return Err(err("is a directory, not a file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(format!(
            "the file is {} bytes; files over {MAX_FILE_BYTES} bytes are refused",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| err("the file is not UTF-8 text".into()))?;
    // A byte-order mark is how some editors save UTF-8; it is not part of the definition.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Reads a file and returns every state machine definition in it. `subs` are the user's
/// `--sub KEY=VALUE` pairs; they win over a template's `DefinitionSubstitutions`.
pub fn load(path: &Path, subs: &[(String, String)]) -> Result<Vec<Definition>, LoadError> {
    let text = read(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_text(
        &path.display().to_string(),
        text,
        Syntax::of(path),
        &dir,
        subs,
    )
}

/// [`load`] on text already read; `dir` resolves a template's relative `DefinitionUri`.
pub fn load_text(
    shown: &str,
    text: String,
    syntax: Syntax,
    dir: &Path,
    subs: &[(String, String)],
) -> Result<Vec<Definition>, LoadError> {
    let (doc, value) = match parse(shown, text, syntax) {
        (mut d, None) => {
            let v = std::mem::take(&mut d.value);
            (d, Ok(v))
        }
        (d, Some(problem)) => (d, Err(problem)),
    };
    let doc = Rc::new(doc);
    let value = match value {
        Ok(v) => v,
        Err(problem) => {
            return Ok(vec![Definition {
                name: None,
                document: doc,
                base: Base::Prefix(String::new()),
                value: Err(problem),
                duplicates: Vec::new(),
                defined: Default::default(),
            }]);
        }
    };
    if !cfn::is_template(&value) {
        let mut value = value;
        let value = match cfn::substitute(&mut value, subs) {
            Ok(()) => Ok(value),
            Err(o) => Err(too_large(o)),
        };
        let duplicates = doc.duplicates();
        return Ok(vec![Definition {
            name: None,
            document: doc,
            base: Base::Prefix(String::new()),
            value,
            duplicates,
            defined: Default::default(),
        }]);
    }
    let all_dups = doc.duplicates();
    let mut out = Vec::new();
    for m in cfn::machines(&value) {
        let mut vars = m.substitutions.clone();
        vars.extend(subs.iter().cloned());
        let defined = m.defined.clone();
        let mut def = match m.source {
            Source::Object { pointer } => {
                let mut v = value.pointer(&pointer).cloned().unwrap_or(Value::Null);
                let v = match cfn::substitute(&mut v, &vars) {
                    Ok(()) => Ok(v),
                    Err(o) => Err(too_large(o)),
                };
                let duplicates = all_dups
                    .iter()
                    .filter_map(|d| {
                        let rest = d.object.strip_prefix(&pointer)?;
                        (rest.is_empty() || rest.starts_with('/')).then(|| Duplicate {
                            object: rest.to_string(),
                            ..d.clone()
                        })
                    })
                    .collect();
                Definition {
                    name: Some(m.name),
                    document: doc.clone(),
                    base: Base::Prefix(pointer),
                    value: v,
                    duplicates,
                    defined: Default::default(),
                }
            }
            Source::Text { pointer, text } => {
                let text = match cfn::sub(&text, &vars, &mut cfn::Growth::default()) {
                    Ok(t) => t,
                    Err(o) => {
                        out.push(Definition {
                            name: Some(m.name),
                            document: doc.clone(),
                            base: Base::Fixed(pointer),
                            value: Err(too_large(o)),
                            duplicates: Vec::new(),
                            defined: Default::default(),
                        });
                        continue;
                    }
                };
                let block = block_of(&doc, &pointer, &text);
                let (value, duplicates) = if text.trim().is_empty() {
                    (Err(Problem::Empty), Vec::new())
                } else {
                    match super::json::parse(&text) {
                        // Positions inside the string map to the template only for a YAML block.
                        Ok((v, repeats)) => {
                            let found = if repeats {
                                super::duplicates::scan(&text)
                            } else {
                                Vec::new()
                            };
                            let located = found
                                .into_iter()
                                .map(|d| Duplicate {
                                    position: block.zip(d.position).map(|((line, indent), p)| {
                                        Position {
                                            line: line + p.line - 1,
                                            column: indent + p.column,
                                        }
                                    }),
                                    ..d
                                })
                                .collect();
                            (Ok(v), located)
                        }
                        Err(e) => (
                            Err(Problem::Syntax {
                                syntax: Syntax::Json,
                                message: format!(
                                    "{e} (line {}, column {} of the definition text{})",
                                    e.line(),
                                    e.column(),
                                    if text.contains("${") {
                                        "; it still holds `${...}` placeholders: pass their values with --sub KEY=VALUE"
                                    } else {
                                        ""
                                    }
                                ),
                                position: match block {
                                    Some((line, indent)) => Some(Position {
                                        line: line + e.line() - 1,
                                        column: indent + e.column(),
                                    }),
                                    None => doc.position(&pointer),
                                },
                            }),
                            Vec::new(),
                        ),
                    }
                };
                let base = match block {
                    Some((first_line, indent)) => Base::Block {
                        text,
                        first_line,
                        indent,
                        fallback: pointer,
                    },
                    None => Base::Fixed(pointer),
                };
                Definition {
                    name: Some(m.name),
                    document: doc.clone(),
                    base,
                    value,
                    duplicates,
                    defined: Default::default(),
                }
            }
            Source::File { pointer, path } => from_file(m.name, &doc, dir, pointer, &path, &vars),
            Source::TooLarge { pointer, overflow } => Definition {
                name: Some(m.name),
                document: doc.clone(),
                base: Base::Fixed(pointer),
                value: Err(too_large(overflow)),
                duplicates: Vec::new(),
                defined: Default::default(),
            },
            Source::Unsupported { pointer, why } => Definition {
                name: Some(m.name),
                document: doc.clone(),
                base: Base::Fixed(pointer),
                value: Err(Problem::Unsupported(why)),
                duplicates: Vec::new(),
                defined: Default::default(),
            },
        };
        def.defined = defined;
        out.push(def);
    }
    Ok(out)
}

/// A template's `DefinitionUri` to a local file: read only inside the template's folder, and
/// shown line by line only when it is a definition.
///
/// AWS SAM (`sam package`, like `aws cloudformation package`) resolves a relative local path
/// against the template's location. `asl` resolves it the same way but reads only files in the
/// template's folder or below it (after following links): a template from a pull request must
/// not make a CI job read `/proc/self/environ` or `~/.aws/credentials`. A file that is not a
/// state machine definition — it does not parse, or parses to something without `StartAt` and
/// `States` — is reported at the `DefinitionUri` key of the template, naming the file and what
/// was wrong, never with lines of its content (it may hold secrets). Files named `*.asl.json`,
/// `*.asl.yaml` or `*.asl.yml` are definitions by name: their syntax errors show their lines.
fn from_file(
    name: String,
    template: &Rc<Document>,
    dir: &Path,
    pointer: String,
    path: &str,
    vars: &[(String, String)],
) -> Definition {
    let at_key = |value: Result<Value, Problem>| Definition {
        name: Some(name.clone()),
        document: template.clone(),
        base: Base::Fixed(pointer.clone()),
        value,
        duplicates: Vec::new(),
        defined: Default::default(),
    };
    let full: PathBuf = dir.join(path);
    if let Err(why) = inside(dir, &full) {
        return at_key(Err(Problem::Refused(format!(
            "`DefinitionUri` names `{path}`, which {why}; asl reads a template's definition files only from the template's folder `{}` and below",
            if dir.as_os_str().is_empty() {
                ".".to_string()
            } else {
                dir.display().to_string()
            }
        ))));
    }
    let text = match read(&full) {
        Ok(t) => t,
        Err(e) => {
            return at_key(Err(Problem::Refused(format!(
                "`DefinitionUri` names `{path}`, which cannot be read: {}",
                e.message
            ))));
        }
    };
    let shown = full.display().to_string();
    let by_name = {
        let n = full
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        [".asl.json", ".asl.yaml", ".asl.yml"]
            .iter()
            .any(|e| n.ends_with(e))
    };
    let (mut inner, problem) = parse(&shown, text, Syntax::of(&full));
    match problem {
        None => {
            let mut v = std::mem::take(&mut inner.value);
            let looks_like_one = v
                .as_object()
                .is_some_and(|o| o.contains_key("StartAt") || o.contains_key("States"));
            if !looks_like_one {
                return at_key(Err(Problem::NotADefinition(format!(
                    "`DefinitionUri` names `{path}`, which is not a state machine definition: a {} object with `StartAt` and `States` was expected, but the file holds {}",
                    match inner.syntax {
                        Syntax::Json => "JSON",
                        Syntax::Yaml => "YAML",
                    },
                    match &v {
                        Value::Object(_) => "an object without them",
                        Value::Array(_) => "an array",
                        Value::String(_) => "a string",
                        Value::Number(_) => "a number",
                        Value::Bool(_) => "a boolean",
                        Value::Null => "null",
                    }
                ))));
            }
            let value = match cfn::substitute(&mut v, vars) {
                Ok(()) => Ok(v),
                Err(o) => Err(too_large(o)),
            };
            let duplicates = inner.duplicates();
            Definition {
                name: Some(name),
                document: Rc::new(inner),
                base: Base::Prefix(String::new()),
                value,
                duplicates,
                defined: Default::default(),
            }
        }
        Some(p) if by_name || matches!(p, Problem::Empty) => Definition {
            name: Some(name),
            document: Rc::new(inner),
            base: Base::Prefix(String::new()),
            value: Err(p),
            duplicates: Vec::new(),
            defined: Default::default(),
        },
        // Not a definition by name and not readable as one: where and why, never its lines.
        Some(Problem::Syntax {
            syntax,
            message,
            position,
        }) => at_key(Err(Problem::Syntax {
            syntax,
            message: format!(
                "`DefinitionUri` names `{path}`, which is not a state machine definition: {}{message}",
                position
                    .filter(|_| !message.contains(" line "))
                    .map(|p| format!("at line {}, column {}: ", p.line, p.column))
                    .unwrap_or_default()
            ),
            position: None,
        })),
        Some(Problem::TooLarge { message, .. }) => at_key(Err(Problem::TooLarge {
            message: format!("`DefinitionUri` names `{path}`: {message}"),
            pointer: String::new(),
            position: None,
        })),
        Some(p) => at_key(Err(p)),
    }
}

/// Whether `full` is `dir` or below it once links are followed; why not, if not. A path that
/// does not resolve (a missing file) passes: reading it fails and says so.
fn inside(dir: &Path, full: &Path) -> Result<(), String> {
    let base = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let base = base.canonicalize().map_err(|e| {
        format!("cannot be checked: the template's folder cannot be resolved ({e})")
    })?;
    match full.canonicalize() {
        Ok(target) if !target.starts_with(&base) => Err(if full.is_absolute() {
            "is outside the template's folder".into()
        } else {
            "resolves outside the template's folder".into()
        }),
        _ => Ok(()),
    }
}

/// The problem of a substitution that grew too much, at the string where it happened.
fn too_large(o: cfn::Overflow) -> Problem {
    Problem::TooLarge {
        message: o.message(),
        pointer: o.pointer,
        position: None,
    }
}

/// Where a string definition is written as a YAML block scalar (`DefinitionString: |` or
/// `!Sub |`): the first line and the indentation of its text in the file, when the file's
/// lines after the key are the text's lines (placeholders aside, which keep lines whole).
fn block_of(doc: &Document, pointer: &str, text: &str) -> Option<(usize, usize)> {
    if doc.syntax != Syntax::Yaml {
        return None;
    }
    let key = doc.position(pointer)?;
    let header = doc.line(key.line)?;
    if !header.trim_end().ends_with(['|', '>']) && !header.contains("|-") && !header.contains("|+")
    {
        return None;
    }
    let first_line = key.line + 1;
    let first = doc.line(first_line)?;
    let indent = first.len() - first.trim_start().len();
    // Check the first lines: equal once indentation is removed, or both hold a placeholder.
    for (i, want) in text.lines().take(5).enumerate() {
        let got = doc.line(first_line + i)?;
        let got = got.get(indent.min(got.len())..).unwrap_or("");
        if got.trim_end() != want.trim_end() && !(got.contains("${") || want.is_empty()) {
            return None;
        }
    }
    Some((first_line, indent))
}

/// The parsed document, or the text kept (to show its lines) with the problem.
fn parse(shown: &str, text: String, syntax: Syntax) -> (Document, Option<Problem>) {
    if text.trim().is_empty() {
        return (
            Document::unparsed(shown, text, syntax),
            Some(Problem::Empty),
        );
    }
    match Document::parse(shown, text, syntax) {
        Ok(d) => (d, None),
        Err((
            kept,
            SyntaxError {
                position,
                message,
                too_large,
            },
        )) => (
            Document::unparsed(shown, kept, syntax),
            Some(if too_large {
                Problem::TooLarge {
                    message,
                    pointer: String::new(),
                    position: Some(position),
                }
            } else {
                Problem::Syntax {
                    syntax,
                    message,
                    position: Some(position),
                }
            }),
        ),
    }
}
