//! A parsed definition file (JSON or YAML) that can say where each JSON pointer sits.

use super::Position;
use super::duplicates::Duplicate;
use super::locate::locate;
use super::yaml;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    /// YAML for `.yaml`/`.yml` files, JSON for everything else (`.json`, `.asl.json`, `.txt`):
    /// AWS reads definitions as JSON, so an unknown extension gets AWS's JSON diagnostics.
    pub fn of(path: &Path) -> Syntax {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                Syntax::Yaml
            }
            _ => Syntax::Json,
        }
    }
}

/// Why a text could not be parsed: where, and the parser's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: Position,
    pub message: String,
    /// Not bad syntax: YAML aliases expand past AWS's limit on a definition.
    pub too_large: bool,
}

/// A parsed file: its text, its value, and the positions of its members.
#[derive(Debug)]
pub struct Document {
    /// The file name as the user gave it (for messages).
    pub path: String,
    pub text: String,
    pub syntax: Syntax,
    /// The parsed value; [`crate::source::load`] moves it into the definitions it finds.
    pub value: Value,
    /// YAML only: pointer -> position (JSON positions are found by scanning the text).
    positions: HashMap<String, Position>,
    /// YAML only: keys written twice (`(pointer of the mapping, key)`); for JSON the
    /// validator scans the text.
    pub yaml_duplicates: Vec<Duplicate>,
    /// JSON only: whether the parse saw a repeated key (else there is nothing to scan for).
    json_repeats: bool,
}

impl Document {
    /// Parses `text`; on a syntax error the text is handed back (to show lines of it).
    pub fn parse(
        path: &str,
        text: String,
        syntax: Syntax,
    ) -> Result<Document, (String, SyntaxError)> {
        match syntax {
            Syntax::Json => {
                let (value, json_repeats) = match super::json::parse(&text) {
                    Ok(v) => v,
                    Err(e) => {
                        let err = SyntaxError {
                            position: Position {
                                line: e.line(),
                                column: e.column(),
                            },
                            message: e.to_string(),
                            too_large: false,
                        };
                        return Err((text, err));
                    }
                };
                Ok(Document {
                    path: path.to_string(),
                    text,
                    syntax,
                    value,
                    positions: HashMap::new(),
                    yaml_duplicates: Vec::new(),
                    json_repeats,
                })
            }
            Syntax::Yaml => {
                let doc = match yaml::parse(&text) {
                    Ok(d) => d,
                    Err(e) => {
                        let err = SyntaxError {
                            position: e.position,
                            message: e.message,
                            too_large: e.too_large,
                        };
                        return Err((text, err));
                    }
                };
                Ok(Document {
                    path: path.to_string(),
                    text,
                    syntax,
                    value: doc.value,
                    positions: doc.positions,
                    yaml_duplicates: doc.duplicates,
                    json_repeats: false,
                })
            }
        }
    }

    /// Where the member named by `pointer` is written (or its deepest existing ancestor).
    pub fn position(&self, pointer: &str) -> Option<Position> {
        let pointer = if pointer == "/" { "" } else { pointer };
        match self.syntax {
            Syntax::Json => locate(&self.text, pointer),
            Syntax::Yaml => {
                let mut p = pointer;
                loop {
                    if let Some(pos) = self.positions.get(p) {
                        return Some(*pos);
                    }
                    match p.rfind('/') {
                        Some(i) => p = &p[..i],
                        None => return None,
                    }
                }
            }
        }
    }

    /// A file that could not be parsed: kept for its text (to show lines of it).
    pub fn unparsed(path: &str, text: String, syntax: Syntax) -> Document {
        Document {
            path: path.to_string(),
            text,
            syntax,
            value: Value::Null,
            positions: HashMap::new(),
            yaml_duplicates: Vec::new(),
            json_repeats: false,
        }
    }

    /// Keys written twice in one object.
    pub fn duplicates(&self) -> Vec<Duplicate> {
        match self.syntax {
            Syntax::Json if self.json_repeats => super::duplicates::scan(&self.text),
            Syntax::Json => Vec::new(),
            Syntax::Yaml => self.yaml_duplicates.clone(),
        }
    }

    /// The text of line `n` (1-based).
    pub fn line(&self, n: usize) -> Option<&str> {
        self.text.lines().nth(n.checked_sub(1)?)
    }
}
