//! `asl eval`: one JSONata expression, JSONPath path or intrinsic call against a document.

use super::CliError;
use super::render;
use super::run::read_file;
use crate::data::intrinsics::{looks_like_call, parse_call};
use crate::data::jsonata::{Expression, JsonataError};
use crate::data::jsonpath::Path;
use crate::data::roots::{ReadError, StaticRoots, read};
use crate::data::template::eval_call;
use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Examples:
  asl eval --jsonata '$sum(items.price)' --input-file order.json
  asl eval --jsonata '$sum(items.price)' --input '{\"items\": [{\"price\": 2}]}'
  cat order.json | asl eval --jsonata '$count(items)'
  asl eval --jsonata '$total * 2' --bindings-file vars.json
  asl eval --jsonpath '$.items[0].price' --input-file order.json
  asl eval --jsonpath \"States.Format('{} items', States.ArrayLength($.items))\" --input-file order.json

With --result-format json the reply is always one object on stdout and exit code 0:
{\"result\": VALUE}, {\"undefined\": true} or {\"error\": {\"code\": \"T2001\", \"message\": \"...\"}}.";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
#[command(group(clap::ArgGroup::new("expr").required(true).args(["jsonata", "jsonpath"])))]
pub struct EvalArgs {
    /// A JSONata expression (without `{% %}`); `$states` and variables come from the bindings.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub jsonata: Option<String>,
    /// A JSONPath path (`$.a`, `$$.Execution.Id`, `$var.x`) or an intrinsic call (`States.*`).
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub jsonpath: Option<String>,
    /// The document (`$` / the JSONata input) as JSON text.
    #[arg(
        long,
        value_name = "JSON",
        conflicts_with = "input_file",
        allow_hyphen_values = true
    )]
    pub input: Option<String>,
    /// Read the document from FILE (`-`: standard input). Without --input or --input-file,
    /// standard input is read when it is not a terminal; with none (or an empty one) the input
    /// is undefined (JSONata) or `{}` (JSONPath).
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
    /// A JSON object of variables to bind (`{"name": value}`, no `$`).
    #[arg(long, value_name = "FILE")]
    pub bindings_file: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = EvalFormat::Output)]
    pub result_format: EvalFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// The value as JSON (nothing for undefined); errors on stderr with exit code 1.
    Output,
    /// One object: {"result"}, {"undefined": true} or {"error": {"code", "message"}}.
    Json,
}

/// What an evaluation gave.
enum Reply {
    Value(Value),
    Undefined,
    Error { code: String, message: String },
}

fn read_json(path: &std::path::Path) -> Result<Value, CliError> {
    let text = read_file(path)?;
    parse_json(&path.display().to_string(), &text)
}

fn parse_json(shown: &str, text: &str) -> Result<Value, CliError> {
    serde_json::from_str(text).map_err(|e| CliError::Input(render::json_error(shown, text, &e)))
}

/// Standard input's text, or `None` when it holds only whitespace.
fn read_stdin() -> Result<Option<String>, CliError> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::Input(format!("stdin: error: cannot read the input: {e}")))?;
    Ok((!text.trim().is_empty()).then_some(text))
}

/// The document: `--input`, `--input-file` (`-` is standard input), else standard input when it
/// is not a terminal; `None` when there is none (undefined for JSONata, `{}` for JSONPath).
fn read_input(args: &EvalArgs) -> Result<Option<Value>, CliError> {
    use std::io::IsTerminal;
    if let Some(text) = &args.input {
        return parse_json("--input", text).map(Some);
    }
    match args.input_file.as_deref() {
        Some(p) if p.as_os_str() == "-" => {
            read_stdin()?.map(|t| parse_json("stdin", &t)).transpose()
        }
        Some(p) => read_json(p).map(Some),
        None if std::io::stdin().is_terminal() => Ok(None),
        None => read_stdin()?.map(|t| parse_json("stdin", &t)).transpose(),
    }
}

pub fn eval(args: EvalArgs) -> Result<ExitCode, CliError> {
    let input = read_input(&args)?;
    let bindings = match args.bindings_file.as_deref().map(read_json).transpose()? {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(CliError::Usage(format!(
                "the bindings file must hold a JSON object of variables, not {}",
                crate::data::jsonata::type_name(&other)
            )));
        }
    };
    let reply = match (&args.jsonata, &args.jsonpath) {
        (Some(expr), _) => jsonata(expr, input.as_ref(), &bindings),
        (None, Some(expr)) => jsonpath(expr, input.unwrap_or_else(|| json!({})), bindings)?,
        (None, None) => return Err(CliError::Usage("give --jsonata or --jsonpath".into())),
    };
    print(reply, args.result_format)
}

fn jsonata(expr: &str, input: Option<&Value>, bindings: &Map<String, Value>) -> Reply {
    let result = Expression::compile(expr)
        .and_then(|e| e.evaluate_document(input, bindings, &StaticRoots::default()));
    match result {
        Ok(Some(v)) => Reply::Value(v),
        Ok(None) => Reply::Undefined,
        // Every error carries a code; one the engine left without (a failure inside one of
        // AWS's added functions) is what a state would fail with.
        Err(JsonataError { code, message, .. }) if code.is_empty() => Reply::Error {
            code: "States.QueryEvaluationError".into(),
            message,
        },
        Err(JsonataError { code, message, .. }) => Reply::Error { code, message },
    }
}

fn jsonpath(expr: &str, input: Value, bindings: Map<String, Value>) -> Result<Reply, CliError> {
    let roots = StaticRoots {
        input,
        vars: bindings.into_iter().collect(),
        ..StaticRoots::default()
    };
    let failed = |e: crate::data::roots::DataError| Reply::Error {
        code: e.error.to_string(),
        message: e.message,
    };
    if looks_like_call(expr) {
        let call = parse_call(expr)
            .map_err(|e| CliError::Usage(format!("invalid intrinsic call `{expr}`: {e}")))?;
        return Ok(eval_call(&call, &roots).map_or_else(failed, Reply::Value));
    }
    let path =
        Path::parse(expr).map_err(|e| CliError::Usage(format!("invalid path `{expr}`: {e}")))?;
    Ok(match read(&path, &roots) {
        Ok(v) => Reply::Value(v.into_owned()),
        Err(ReadError::UndefinedVariable(name)) => Reply::Error {
            code: "States.Runtime".into(),
            message: format!("The variable '${name}' is not defined"),
        },
        Err(ReadError::Miss(m)) => Reply::Error {
            code: "States.Runtime".into(),
            message: m.to_string(),
        },
        Err(ReadError::Unsupported(m)) => Reply::Error {
            code: "States.Runtime".into(),
            message: format!("Invalid path '{expr}' : {m}"),
        },
    })
}

fn print(reply: Reply, format: EvalFormat) -> Result<ExitCode, CliError> {
    let line = |v: &Value| {
        super::stdout::write(|out| {
            serde_json::to_writer(&mut *out, v)?;
            writeln!(out)
        })
    };
    Ok(match format {
        EvalFormat::Json => {
            let doc = match reply {
                Reply::Value(v) => json!({"result": v}),
                Reply::Undefined => json!({"undefined": true}),
                Reply::Error { code, message } => {
                    json!({"error": {"code": code, "message": message}})
                }
            };
            line(&doc)?;
            ExitCode::SUCCESS
        }
        EvalFormat::Output => match reply {
            Reply::Value(v) => {
                line(&v)?;
                ExitCode::SUCCESS
            }
            Reply::Undefined => {
                say!("(undefined)");
                ExitCode::SUCCESS
            }
            Reply::Error { code, message } if code.is_empty() => {
                say!("error: {message}");
                ExitCode::from(1)
            }
            Reply::Error { code, message } => {
                say!("error: {code}: {message}");
                ExitCode::from(1)
            }
        },
    })
}
