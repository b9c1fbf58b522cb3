//! The handler configuration: which Task state is answered by a mock, a local command or AWS.
//!
//! ```json
//! {
//!   "States":    {"ProcessChunk": {"Command": ["sh", "process-chunk.sh"], "Env": {"MODE": "fast"}}},
//!   "Resources": {"arn:aws:states:::lambda:invoke*": "aws"},
//!   "Default":   "mock"
//! }
//! ```
//!
//! A route is `"mock"`, `"aws"`, or a command object (`Command`: program and arguments,
//! optional `Env` and `Cwd`; `Cwd` is relative to the configuration file and defaults to its
//! folder). Keys of `States` are state names, keys of `Resources` are resource ARNs; both may
//! use the globs `*` (any run of characters) and `?` (one character). A state takes the first
//! match of: its exact name in `States`, a glob in `States`, a glob in `Resources` (in file
//! order), then `Default`. The CLI's flags (`--local`, `--aws`, `--aws-all`) are layered on top
//! in `cli/run.rs`.

use super::command::CommandSpec;
use crate::definition::{Pattern, Pointer, Resource, ResourceKind};
use serde_json::{Map, Value};
use std::path::Path;

/// Where a Task state goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Mock,
    Command(CommandSpec),
    Aws,
}

impl Route {
    pub fn name(&self) -> &'static str {
        match self {
            Route::Mock => "mock",
            Route::Command(_) => "command",
            Route::Aws => "aws",
        }
    }
}

/// A problem in the configuration, located by JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub pointer: String,
    pub message: String,
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    route: Route,
    pointer: String,
}

/// A parsed handler configuration file.
#[derive(Debug, Clone, Default)]
pub struct HandlerConfig {
    states: Vec<Rule>,
    resources: Vec<Rule>,
    default: Option<Rule>,
    /// `Machines`: state machine name, definition file (resolved), pointer.
    pub machines: Vec<(String, std::path::PathBuf, String)>,
}

/// A route and the JSON pointer of the configuration entry that chose it.
pub type Chosen<'a> = (&'a Route, &'a str);

impl HandlerConfig {
    /// Reads a configuration; relative `Cwd`s (and the default `Cwd`) are taken from `base`.
    pub fn from_value(doc: &Value, base: &Path) -> Result<HandlerConfig, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let root = Pointer::root();
        let Some(top) = doc.as_object() else {
            return Err(vec![ConfigError {
                pointer: String::new(),
                message: "a handler configuration must be a JSON object with `States`, `Resources` and/or `Default`".into(),
            }]);
        };
        let mut cfg = HandlerConfig::default();
        for (k, v) in top {
            let p = root.key(k);
            match k.as_str() {
                "States" | "Resources" => {
                    let Some(m) = v.as_object() else {
                        errors.push(err(&p, format!("`{k}` must be an object mapping names to routes")));
                        continue;
                    };
                    for (name, r) in m {
                        let rp = p.key(name);
                        if let Some(route) = route(r, &rp, base, &mut errors) {
                            let rule = Rule {
                                pattern: name.clone(),
                                route,
                                pointer: rp.to_string(),
                            };
                            if k == "States" {
                                cfg.states.push(rule);
                            } else {
                                cfg.resources.push(rule);
                            }
                        }
                    }
                }
                "Default" => {
                    if let Some(route) = route(v, &p, base, &mut errors) {
                        cfg.default = Some(Rule {
                            pattern: "*".into(),
                            route,
                            pointer: p.to_string(),
                        });
                    }
                }
                "Machines" => {
                    let Some(m) = v.as_object() else {
                        errors.push(err(&p, "`Machines` must be an object mapping state machine names to definition files".to_string()));
                        continue;
                    };
                    for (name, file) in m {
                        match file.as_str() {
                            Some(f) => cfg.machines.push((name.clone(), base.join(f), p.key(name).to_string())),
                            None => errors.push(err(&p.key(name), format!("the definition file of `{name}` must be a string (a path relative to this file)"))),
                        }
                    }
                }
                _ => errors.push(err(
                    &p,
                    format!("unknown field `{k}`: a handler configuration has `States`, `Resources`, `Default` and `Machines`"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

    /// The route of a state, and the pointer of the entry that decided it.
    pub fn route(&self, state: &str, arn: &str) -> Option<Chosen<'_>> {
        let found = self
            .states
            .iter()
            .find(|r| r.pattern == state)
            .or_else(|| self.states.iter().find(|r| glob(&r.pattern, state)))
            .or_else(|| self.resources.iter().find(|r| glob(&r.pattern, arn)))
            .or(self.default.as_ref());
        found.map(|r| (&r.route, r.pointer.as_str()))
    }

    /// Whether any entry sends states to AWS (so the AWS clients are built).
    pub fn routes_to_aws(&self) -> bool {
        self.states
            .iter()
            .chain(&self.resources)
            .chain(&self.default)
            .any(|r| matches!(r.route, Route::Aws))
    }

    /// `States` entries without glob characters that name no Task state: likely typos.
    pub fn unknown_states(&self, tasks: &[&str]) -> Vec<ConfigError> {
        self.states
            .iter()
            .filter(|r| !r.pattern.contains(['*', '?']) && !tasks.contains(&r.pattern.as_str()))
            .map(|r| ConfigError {
                pointer: r.pointer.clone(),
                message: format!(
                    "`{}` is not a Task state of the definition{}",
                    r.pattern,
                    crate::definition::diagnostic::did_you_mean_in(&r.pattern, tasks)
                ),
            })
            .collect()
    }
}

fn err(p: &Pointer, message: String) -> ConfigError {
    ConfigError {
        pointer: p.to_string(),
        message,
    }
}

fn route(v: &Value, p: &Pointer, base: &Path, errors: &mut Vec<ConfigError>) -> Option<Route> {
    match v {
        Value::String(s) if s == "mock" => Some(Route::Mock),
        Value::String(s) if s == "aws" => Some(Route::Aws),
        Value::Object(m) => command(m, p, base, errors),
        _ => {
            errors.push(err(
                p,
                format!(
                    "expected \"mock\", \"aws\" or a command object {{\"Command\": [\"program\", \"arg\"]}}, found {v}"
                ),
            ));
            None
        }
    }
}

fn command(
    m: &Map<String, Value>,
    p: &Pointer,
    base: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<Route> {
    let before = errors.len();
    let argv: Vec<String> = match m.get("Command") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .enumerate()
            .filter_map(|(i, x)| match x {
                Value::String(s) => Some(s.clone()),
                _ => {
                    errors.push(err(
                        &p.key("Command").index(i),
                        "a command argument must be a string".into(),
                    ));
                    None
                }
            })
            .collect(),
        Some(_) => {
            errors.push(err(
                &p.key("Command"),
                "`Command` must be a non-empty array of strings: [\"program\", \"arg\", ...]"
                    .into(),
            ));
            Vec::new()
        }
        None => {
            errors.push(err(
                p,
                "a command route needs `Command`: [\"program\", \"arg\", ...]".into(),
            ));
            Vec::new()
        }
    };
    let mut env = Vec::new();
    match m.get("Env") {
        None => {}
        Some(Value::Object(e)) => {
            for (k, v) in e {
                match v {
                    Value::String(s) => env.push((k.clone(), s.clone())),
                    _ => errors.push(err(
                        &p.key("Env").key(k),
                        "an environment value must be a string".into(),
                    )),
                }
            }
        }
        Some(_) => errors.push(err(
            &p.key("Env"),
            "`Env` must be an object of strings".into(),
        )),
    }
    let cwd = match m.get("Cwd") {
        None => Some(base.to_path_buf()),
        Some(Value::String(s)) => Some(base.join(s)),
        Some(_) => {
            errors.push(err(&p.key("Cwd"), "`Cwd` must be a string".into()));
            None
        }
    };
    for k in m.keys() {
        if !matches!(k.as_str(), "Command" | "Env" | "Cwd") {
            errors.push(err(
                &p.key(k),
                format!("unknown field `{k}`: a command route has `Command`, `Env` and `Cwd`"),
            ));
        }
    }
    (errors.len() == before).then_some(Route::Command(CommandSpec { argv, env, cwd }))
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// Whether `asl` can run a resource on AWS: see [`aws_refusal`].
pub fn aws_supports(r: &Resource) -> bool {
    aws_refusal(r).is_none()
}

/// Why `asl` cannot run a resource on AWS, or `None` when it can: Lambda invoke (optimised,
/// and the legacy function ARN), ECS runTask (request-response, `.sync`,
/// `.waitForTaskToken`), child state machines (`states:startExecution`, `.sync`, `.sync:2`;
/// `aws-sdk:sfn:startSyncExecution`), and every other optimized integration and AWS SDK
/// integration the embedded API models describe, with the patterns Step Functions offers.
pub fn aws_refusal(r: &Resource) -> Option<String> {
    match &r.kind {
        ResourceKind::LambdaFunction { .. } => None,
        ResourceKind::Activity { .. } => Some(
            "an Activity is answered by a worker polling Step Functions, which a local run has no way to reach".into(),
        ),
        ResourceKind::Service { service, action } => match (service.as_str(), action.as_str()) {
            ("lambda", "invoke") => (!matches!(
                r.pattern,
                Pattern::RequestResponse | Pattern::WaitForTaskToken
            ))
            .then(|| "Step Functions offers `lambda:invoke` as request-response and `.waitForTaskToken` only".into()),
            ("ecs", "runTask") => (!matches!(
                r.pattern,
                Pattern::RequestResponse | Pattern::Sync | Pattern::WaitForTaskToken
            ))
            .then(|| "`ecs:runTask` runs as request-response, `.sync` or `.waitForTaskToken`".into()),
            ("states", "startExecution") => (!matches!(
                r.pattern,
                Pattern::RequestResponse | Pattern::Sync | Pattern::Sync2
            ))
            .then(|| "a child machine on Step Functions cannot call back to this run's local endpoint (`.waitForTaskToken`)".into()),
            _ => crate::handlers::aws::api_supports(&r.kind, r.pattern).err(),
        },
        ResourceKind::AwsSdk { service, action }
            if service == "sfn" && action == "startSyncExecution" =>
        {
            (r.pattern != Pattern::RequestResponse)
                .then(|| "`aws-sdk:sfn:startSyncExecution` is request-response only".into())
        }
        ResourceKind::AwsSdk { .. } => crate::handlers::aws::api_supports(&r.kind, r.pattern).err(),
        ResourceKind::Other => Some("the resource is not an ARN Step Functions can call".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("*", "", true),
            ("abc", "abc", true),
            ("a?c", "abc", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b", "abc", false),
            (
                "arn:aws:states:::lambda:*",
                "arn:aws:states:::lambda:invoke",
                true,
            ),
            (
                "arn:aws:states:::ecs:*",
                "arn:aws:states:::lambda:invoke",
                false,
            ),
            ("Process*", "Prepare", false),
        ] {
            assert_eq!(glob(p, t), want, "{p} ~ {t}");
        }
    }

    #[test]
    fn routes_by_name_then_glob_then_resource_then_default() {
        let doc = json!({
            "States": {"Proc*": "aws", "ProcessChunk": {"Command": ["sh", "x.sh"], "Cwd": "sub"}},
            "Resources": {"arn:aws:states:::lambda:*": "aws", "*": "mock"},
            "Default": "mock"
        });
        let c = HandlerConfig::from_value(&doc, Path::new("/base")).unwrap();
        let (r, at) = c.route("ProcessChunk", "x").unwrap();
        assert_eq!(at, "/States/ProcessChunk");
        assert_eq!(
            r,
            &Route::Command(CommandSpec {
                argv: vec!["sh".into(), "x.sh".into()],
                env: vec![],
                cwd: Some("/base/sub".into())
            })
        );
        assert_eq!(c.route("ProcessOther", "x").unwrap().0, &Route::Aws);
        assert_eq!(
            c.route("Prepare", "arn:aws:states:::lambda:invoke")
                .unwrap()
                .1,
            "/Resources/arn:aws:states:::lambda:*"
        );
        assert_eq!(c.route("Other", "arn:x").unwrap().1, "/Resources/*");
        assert!(c.unknown_states(&["ProcessChunk"]).is_empty());
        let e = c.unknown_states(&["Other"]);
        assert_eq!(e[0].pointer, "/States/ProcessChunk");
    }

    #[test]
    fn refuses_bad_routes_with_pointers() {
        let doc = json!({
            "States": {"A": "lambda", "B": {"Command": []}, "C": {"Command": ["x", 1], "Env": {"K": 2}, "Shell": true}},
            "Extra": 1
        });
        let e = HandlerConfig::from_value(&doc, Path::new(".")).unwrap_err();
        let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            [
                "/States/A",
                "/States/B/Command",
                "/States/C/Command/1",
                "/States/C/Env/K",
                "/States/C/Shell",
                "/Extra"
            ]
        );
    }

    #[test]
    fn knows_what_aws_can_run() {
        for (arn, ok) in [
            ("arn:aws:states:::lambda:invoke", true),
            ("arn:aws:states:::lambda:invoke.waitForTaskToken", true),
            ("arn:aws:lambda:us-east-1:123:function:f", true),
            ("arn:aws:states:::ecs:runTask.sync", true),
            ("arn:aws:states:::ecs:runTask", true),
            ("arn:aws:states:::ecs:runTask.waitForTaskToken", true),
            ("arn:aws:states:::sqs:sendMessage", true),
            ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", true),
            ("arn:aws:states:::sqs:sendMessage.sync", false),
            ("arn:aws:states:::dynamodb:query", false),
            ("arn:aws:states:::aws-sdk:lambda:invoke", true),
            ("arn:aws:states:::aws-sdk:ec2:describeInstances", true),
            ("arn:aws:states:::aws-sdk:ec2:describeInstances.sync", false),
            ("arn:aws:states:::aws-sdk:ec2:noSuchAction", false),
            ("arn:aws:states:::aws-sdk:nosuchservice:getThing", false),
            ("arn:aws:states:::glue:startJobRun.sync", true),
            ("arn:aws:states:::batch:submitJob.sync", true),
            ("arn:aws:states:us-east-1:123:activity:a", false),
            ("arn:aws:states:::states:startExecution", true),
            ("arn:aws:states:::states:startExecution.sync", true),
            ("arn:aws:states:::states:startExecution.sync:2", true),
            (
                "arn:aws:states:::states:startExecution.waitForTaskToken",
                false,
            ),
            ("arn:aws:states:::aws-sdk:sfn:startSyncExecution", true),
            ("arn:aws:states:::aws-sdk:sfn:startExecution", true),
        ] {
            assert_eq!(aws_supports(&Resource::parse(arn)), ok, "{arn}");
        }
    }
}
