//! Whole-machine rules: what one field at a time cannot show.
//!
//! Works on the JSON value (not the loaded model), so it still runs when the loader found
//! errors, and every graph is checked: the machine, each Parallel branch, each Map processor.
//!
//! - graphs: every state reachable from `StartAt` (AWS: `MISSING_TRANSITION_TARGET ... is not
//!   reachable`), and a terminal state reachable at all (`MISSING_END_STATE`);
//! - `Resource` shapes: ARN partition, Lambda function qualifiers, the optimized integrations
//!   and their patterns, and what Express workflows refuse (`.sync`, `.waitForTaskToken`,
//!   activities);
//! - Map fields: `Label`, `ItemReader`, `ItemBatcher`, `ResultWriter`;
//! - the `{% ... %}` delimiters of JSONata strings, and `.$` values that start with a space.

use super::{MachineType, Options};
use crate::definition::{Code, Diagnostic, Pointer};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet, VecDeque};

pub fn check(v: &Value, opts: &Options, diags: &mut Vec<Diagnostic>) {
    let Value::Object(m) = v else { return };
    let lang = match m.get("QueryLanguage") {
        Some(Value::String(s)) if s == "JSONata" => Lang::Jsonata,
        _ => Lang::JsonPath,
    };
    let mut cx = Cx {
        diags,
        labels: HashMap::new(),
    };
    cx.graph(
        m,
        &Pointer::root(),
        lang,
        opts.machine_type == MachineType::Express,
        0,
    );
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    JsonPath,
    Jsonata,
}

struct Cx<'d> {
    diags: &'d mut Vec<Diagnostic>,
    /// Map `Label`s seen, with where.
    labels: HashMap<String, String>,
}

const MAX_DEPTH: usize = 64;

fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn schema(diags: &mut Vec<Diagnostic>, at: &Pointer, msg: impl Into<String>) {
    diags.push(Diagnostic::error(
        Code::SchemaValidationFailed,
        at.as_str(),
        msg,
    ));
}

/// A problem inside a template or an expression-bearing field: AWS reports it at the field
/// (`/States/S/Parameters`); the precise place is kept as the focus.
fn in_field(diags: &mut Vec<Diagnostic>, field: &Pointer, at: &Pointer, msg: impl Into<String>) {
    let d = Diagnostic::error(Code::SchemaValidationFailed, field.as_str(), msg);
    diags.push(if field == at {
        d
    } else {
        d.with_focus(at.as_str())
    });
}

impl Cx<'_> {
    fn graph(
        &mut self,
        g: &Map<String, Value>,
        ptr: &Pointer,
        lang: Lang,
        express: bool,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let lang = match str_of(g, "QueryLanguage") {
            Some("JSONata") => Lang::Jsonata,
            Some("JSONPath") => Lang::JsonPath,
            _ => lang,
        };
        let Some(Value::Object(states)) = g.get("States") else {
            return;
        };
        let states_ptr = ptr.key("States");
        self.reachability(g, states, &states_ptr, ptr);
        for (name, s) in states {
            let Value::Object(s) = s else { continue };
            let sp = states_ptr.key(name);
            let slang = match str_of(s, "QueryLanguage") {
                Some("JSONata") => Lang::Jsonata,
                Some("JSONPath") => Lang::JsonPath,
                _ => lang,
            };
            self.state(s, &sp, slang, express, depth);
        }
    }

    /// Unreachable states, and whether any reachable state ends the graph.
    fn reachability(
        &mut self,
        g: &Map<String, Value>,
        states: &Map<String, Value>,
        states_ptr: &Pointer,
        graph_ptr: &Pointer,
    ) {
        let Some(start) = str_of(g, "StartAt") else {
            return;
        };
        if !states.contains_key(start) {
            return;
        }
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue = VecDeque::from([start]);
        seen.insert(start);
        let mut terminal = false;
        let mut broken = false;
        while let Some(n) = queue.pop_front() {
            let Some(Value::Object(s)) = states.get(n) else {
                continue;
            };
            let ty = str_of(s, "Type").unwrap_or("");
            if matches!(ty, "Succeed" | "Fail") || s.get("End") == Some(&Value::Bool(true)) {
                terminal = true;
            }
            let mut targets: Vec<&str> = Vec::new();
            targets.extend(str_of(s, "Next"));
            targets.extend(str_of(s, "Default"));
            for list in ["Choices", "Catch"] {
                if let Some(Value::Array(items)) = s.get(list) {
                    for it in items {
                        if let Some(t) = it.get("Next").and_then(Value::as_str) {
                            targets.push(t);
                        }
                    }
                }
            }
            for t in targets {
                broken |= !states.contains_key(t);
                if states.contains_key(t) && seen.insert(t) {
                    queue.push_back(t);
                }
            }
        }
        for name in states.keys() {
            if !seen.contains(name.as_str()) {
                self.diags.push(Diagnostic::error(
                    Code::MissingTransitionTarget,
                    states_ptr.key(name).as_str(),
                    format!("The state `{name}` is not reachable: no `StartAt`, `Next` or `Default` names it"),
                ));
            }
        }
        // A transition to a missing state (reported by the loader) may well have been the way
        // to the end: do not pile a second error on the same typo.
        if !terminal && !broken {
            self.diags.push(Diagnostic::error(
                Code::MissingEndState,
                if graph_ptr.as_str().is_empty() {
                    "/"
                } else {
                    graph_ptr.as_str()
                },
                "No terminal state can be reached from `StartAt`: expected a Succeed or Fail state, or a state with `End: true`",
            ));
        }
    }

    fn state(
        &mut self,
        s: &Map<String, Value>,
        sp: &Pointer,
        lang: Lang,
        express: bool,
        depth: usize,
    ) {
        let ty = str_of(s, "Type").unwrap_or("");
        if ty == "Task"
            && let Some(Value::String(r)) = s.get("Resource")
        {
            resource(
                self.diags,
                r,
                &sp.key("Resource"),
                express,
                ResourceUse::Task,
            );
            super::integrations::check(self.diags, r, s, sp);
        }
        match lang {
            Lang::Jsonata => {
                for (k, v) in s {
                    if matches!(
                        k.as_str(),
                        "Type"
                            | "Comment"
                            | "Next"
                            | "Default"
                            | "Resource"
                            | "QueryLanguage"
                            | "Branches"
                            | "ItemProcessor"
                            | "Iterator"
                            | "Label"
                            | "Retry"
                    ) {
                        continue;
                    }
                    if let ("Choices" | "Catch", Value::Array(items)) = (k.as_str(), v) {
                        // Only the expression-bearing fields of rules and catchers.
                        for (i, it) in items.iter().enumerate() {
                            let Value::Object(it) = it else { continue };
                            let ip = sp.key(k).index(i);
                            for (ik, iv) in it {
                                if !matches!(ik.as_str(), "Comment" | "Next" | "ErrorEquals") {
                                    let fp = ip.key(ik);
                                    jsonata_delimiters(self.diags, &fp, iv, &fp, 0);
                                }
                            }
                        }
                        continue;
                    }
                    jsonata_delimiters(self.diags, &sp.key(k), v, &sp.key(k), 0);
                }
            }
            Lang::JsonPath => {
                if ty == "Fail" {
                    for k in ["Error", "Cause"] {
                        if let Some(Value::String(v)) = s.get(k)
                            && (v.starts_with("$.")
                                || v.starts_with("$$.")
                                || v.starts_with("States."))
                        {
                            self.diags.push(Diagnostic::warning(
                                Code::NoPath,
                                sp.key(k).as_str(),
                                format!("The value of `{k}` looks like a path or an intrinsic call, but it is used as a literal string; use `{k}Path` to evaluate it"),
                            ));
                        }
                    }
                }
                for k in [
                    "Parameters",
                    "ResultSelector",
                    "ItemSelector",
                    "Assign",
                    "Credentials",
                ] {
                    if let Some(v) = s.get(k) {
                        dollar_values(self.diags, &sp.key(k), v, &sp.key(k), 0);
                    }
                }
                for list in ["Catch", "Choices"] {
                    if let Some(Value::Array(items)) = s.get(list) {
                        for (i, it) in items.iter().enumerate() {
                            if let Some(a) = it.get("Assign") {
                                let p = sp.key(list).index(i).key("Assign");
                                dollar_values(self.diags, &p, a, &p, 0);
                            }
                        }
                    }
                }
                for (outer, inner) in [("ItemReader", "Parameters"), ("ResultWriter", "Parameters")]
                {
                    if let Some(v) = s.get(outer).and_then(|o| o.get(inner)) {
                        let p = sp.key(outer).key(inner);
                        dollar_values(self.diags, &p, v, &p, 0);
                    }
                }
            }
        }
        if let Some(Value::Array(branches)) = s.get("Branches") {
            for (i, b) in branches.iter().enumerate() {
                if let Value::Object(b) = b {
                    self.graph(b, &sp.key("Branches").index(i), lang, express, depth + 1);
                }
            }
        }
        if ty == "Map" {
            self.map(s, sp, lang, express, depth);
        }
    }

    fn map(
        &mut self,
        s: &Map<String, Value>,
        sp: &Pointer,
        lang: Lang,
        express: bool,
        depth: usize,
    ) {
        let proc_key = if s.contains_key("ItemProcessor") {
            "ItemProcessor"
        } else {
            "Iterator"
        };
        let proc = match s.get(proc_key) {
            Some(Value::Object(p)) => Some(p),
            _ => None,
        };
        let config = proc.and_then(|p| p.get("ProcessorConfig"));
        let distributed =
            config.and_then(|c| c.get("Mode")).and_then(Value::as_str) == Some("DISTRIBUTED");
        let child_express = if distributed {
            config
                .and_then(|c| c.get("ExecutionType"))
                .and_then(Value::as_str)
                == Some("EXPRESS")
        } else {
            express
        };
        if let Some(p) = proc {
            self.graph(p, &sp.key(proc_key), lang, child_express, depth + 1);
        }
        if let Some(label) = s.get("Label") {
            self.label(label, &sp.key("Label"));
        }
        if let Some(r) = s.get("ItemReader") {
            item_reader(self.diags, r, &sp.key("ItemReader"), lang);
        }
        if let Some(b) = s.get("ItemBatcher") {
            item_batcher(self.diags, b, &sp.key("ItemBatcher"), lang);
        }
        if let Some(w) = s.get("ResultWriter") {
            result_writer(self.diags, w, &sp.key("ResultWriter"), lang);
        }
    }

    /// Map run labels: at most 40 characters, none of whitespace, brackets, wildcards, some
    /// punctuation or control characters; unique in the machine.
    fn label(&mut self, v: &Value, at: &Pointer) {
        let Value::String(l) = v else {
            schema(self.diags, at, "`Label` must be a string");
            return;
        };
        if l.is_empty() {
            self.diags.push(Diagnostic::error(
                Code::InvalidLabelName,
                at.as_str(),
                "`Label` cannot be empty",
            ));
            return;
        }
        if l.chars().count() > 40 {
            self.diags.push(Diagnostic::error(
                Code::InvalidLabelName,
                at.as_str(),
                format!(
                    "`Label` can have at most 40 characters, but it has {}",
                    l.chars().count()
                ),
            ));
        }
        if let Some(c) = l.chars().find(|c| {
            c.is_whitespace()
                || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(*c)
                || ('\u{0}'..='\u{1f}').contains(c)
                || ('\u{7f}'..='\u{9f}').contains(c)
        }) {
            self.diags.push(Diagnostic::error(
                Code::InvalidLabelName,
                at.as_str(),
                format!("`Label` cannot contain the character {c:?}"),
            ));
        }
        if let Some(first) = self.labels.get(l) {
            self.diags.push(Diagnostic::error(
                Code::DuplicateLabelName,
                at.as_str(),
                format!("The label `{l}` is already used at {first}; Map labels must be unique"),
            ));
        } else {
            self.labels.insert(l.clone(), at.to_string());
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ResourceUse {
    Task,
    ItemReader,
    ResultWriter,
}

/// Optimized integrations: service -> actions (AWS developer guide, "Optimized integrations").
const OPTIMIZED: &[(&str, &[&str])] = &[
    ("lambda", &["invoke"]),
    ("batch", &["submitJob"]),
    (
        "dynamodb",
        &["getItem", "putItem", "updateItem", "deleteItem"],
    ),
    ("ecs", &["runTask"]),
    ("sns", &["publish"]),
    ("sqs", &["sendMessage"]),
    ("glue", &["startJobRun"]),
    (
        "sagemaker",
        &[
            "createEndpoint",
            "createEndpointConfig",
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createModel",
            "createProcessingJob",
            "createTrainingJob",
            "createTransformJob",
            "updateEndpoint",
        ],
    ),
    (
        "elasticmapreduce",
        &[
            "createCluster",
            "terminateCluster",
            "addStep",
            "cancelStep",
            "setClusterTerminationProtection",
            "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
        ],
    ),
    (
        "emr-containers",
        &[
            "createVirtualCluster",
            "deleteVirtualCluster",
            "startJobRun",
        ],
    ),
    (
        "emr-serverless",
        &[
            "createApplication",
            "startApplication",
            "stopApplication",
            "deleteApplication",
            "startJobRun",
            "cancelJobRun",
        ],
    ),
    (
        "codebuild",
        &[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
            "startBuildBatch",
            "stopBuildBatch",
            "retryBuildBatch",
            "deleteBuildBatch",
        ],
    ),
    (
        "athena",
        &[
            "startQueryExecution",
            "stopQueryExecution",
            "getQueryExecution",
            "getQueryResults",
        ],
    ),
    (
        "eks",
        &[
            "createCluster",
            "deleteCluster",
            "createFargateProfile",
            "deleteFargateProfile",
            "createNodegroup",
            "deleteNodegroup",
            "runJob",
            "call",
        ],
    ),
    ("apigateway", &["invoke"]),
    ("databrew", &["startJobRun"]),
    ("events", &["putEvents"]),
    ("states", &["startExecution"]),
    ("http", &["invoke"]),
    ("bedrock", &["invokeModel", "createModelCustomizationJob"]),
    ("mediaconvert", &["createJob"]),
    ("s3", &["getObject", "putObject", "listObjectsV2"]),
];

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Checks the shape of a resource ARN. Strings that are not ARNs (placeholders, `${...}`
/// substitutions) are left alone: they cannot be judged here.
fn resource(diags: &mut Vec<Diagnostic>, r: &str, at: &Pointer, express: bool, usage: ResourceUse) {
    if let Some(i) = r.find("${")
        && !r[i..].contains('}')
    {
        schema(
            diags,
            at,
            format!("The resource `{r}` has a `${{` placeholder that is never closed with `}}`"),
        );
        return;
    }
    if !r.starts_with("arn:") || r.contains("${") {
        return;
    }
    let not_recognized = |diags: &mut Vec<Diagnostic>, why: &str| {
        schema(
            diags,
            at,
            format!("The resource `{r}` is not recognized: {why}"),
        );
    };
    let parts: Vec<&str> = r.splitn(6, ':').collect();
    if parts.len() < 6 {
        not_recognized(
            diags,
            "expected `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`",
        );
        return;
    }
    let (partition, service, region, account, rest) =
        (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if !PARTITIONS.contains(&partition) {
        not_recognized(
            diags,
            &format!(
                "`{partition}` is not an AWS partition (expected `aws`, `aws-cn`, `aws-us-gov`, ...)"
            ),
        );
        return;
    }
    match service {
        "lambda" => {
            if let Some(f) = rest.strip_prefix("function:") {
                let (name, qualifier) = match f.split_once(':') {
                    Some((n, q)) => (n, Some(q)),
                    None => (f, None),
                };
                if name.is_empty() {
                    not_recognized(diags, "the function name is empty");
                } else if let Some(q) = qualifier
                    && (q.is_empty()
                        || !q
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$')))
                {
                    not_recognized(
                        diags,
                        &format!(
                            "`{q}` is not a valid function version or alias (letters, digits, `-`, `_`, or `$LATEST`)"
                        ),
                    );
                }
            }
        }
        "states" if rest.starts_with("activity:") && express && usage == ResourceUse::Task => {
            schema(
                diags,
                at,
                "Express state machine does not support Activity ARN",
            );
        }
        "states" if rest.starts_with("activity:") => {}
        "states" if region.is_empty() && account.is_empty() => {
            let (body, pattern) = if let Some(b) = rest.strip_suffix(".waitForTaskToken") {
                (b, Some(".waitForTaskToken"))
            } else if let Some(b) = rest.strip_suffix(".sync:2") {
                (b, Some(".sync:2"))
            } else if let Some(b) = rest.strip_suffix(".sync") {
                (b, Some(".sync"))
            } else {
                (rest, None)
            };
            if let Some(p) = pattern {
                if express && usage == ResourceUse::Task {
                    let shown = if p.starts_with(".sync") { ".sync" } else { p };
                    schema(
                        diags,
                        at,
                        format!(
                            "Express state machine does not support '{shown}' service integration"
                        ),
                    );
                }
                if usage != ResourceUse::Task {
                    not_recognized(diags, &format!("`{p}` cannot be used here"));
                    return;
                }
            }
            if let Some(sdk) = body.strip_prefix("aws-sdk:") {
                match sdk.split_once(':') {
                    Some((s, a)) if !s.is_empty() && !a.is_empty() && !a.contains(':') => {
                        if pattern.is_some_and(|p| p.starts_with(".sync")) {
                            not_recognized(diags, "AWS SDK integrations do not support `.sync`");
                        }
                    }
                    _ => {
                        not_recognized(diags, "expected `arn:aws:states:::aws-sdk:SERVICE:ACTION`")
                    }
                }
                return;
            }
            let Some((svc, action)) = body.split_once(':') else {
                not_recognized(diags, "expected `arn:aws:states:::SERVICE:ACTION`");
                return;
            };
            match OPTIMIZED.iter().find(|(s, _)| *s == svc) {
                None => not_recognized(
                    diags,
                    &format!(
                        "`{svc}` is not an optimized integration; use `arn:aws:states:::aws-sdk:{svc}:{action}` for an AWS SDK integration"
                    ),
                ),
                Some((_, actions)) => {
                    if !actions.contains(&action) {
                        let hint = crate::definition::diagnostic::did_you_mean_in(action, actions);
                        not_recognized(
                            diags,
                            &format!(
                                "`{svc}:{action}` is not an optimized integration{hint}; use `arn:aws:states:::aws-sdk:{svc}:{action}` for an AWS SDK integration"
                            ),
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

fn obj<'a>(
    diags: &mut Vec<Diagnostic>,
    v: &'a Value,
    at: &Pointer,
    what: &str,
) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => {
            schema(diags, at, format!("`{what}` must be an object"));
            None
        }
    }
}

fn unknown_fields(
    diags: &mut Vec<Diagnostic>,
    m: &Map<String, Value>,
    at: &Pointer,
    what: &str,
    allowed: &[&str],
) {
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            let hint = crate::definition::diagnostic::did_you_mean_in(k, allowed);
            diags.push(
                Diagnostic::error(
                    Code::SchemaValidationFailed,
                    at.as_str(),
                    format!("Field `{k}` is not supported in `{what}`{hint}"),
                )
                .with_focus(at.key(k).as_str()),
            );
        }
    }
}

fn exclusive(diags: &mut Vec<Diagnostic>, m: &Map<String, Value>, at: &Pointer, k: &str) {
    let pk = format!("{k}Path");
    if m.contains_key(k) && m.contains_key(&pk) {
        schema(
            diags,
            at,
            format!("The fields `{k}` and `{pk}` cannot both be set"),
        );
    }
}

/// A non-negative integer, or (JSONata) an expression string.
fn count_field(
    diags: &mut Vec<Diagnostic>,
    m: &Map<String, Value>,
    at: &Pointer,
    k: &str,
    lang: Lang,
) {
    match m.get(k) {
        None => {}
        Some(Value::Number(n)) if n.as_u64().is_some() => {}
        Some(Value::String(s)) if lang == Lang::Jsonata && s.starts_with("{%") => {}
        Some(other) => schema(
            diags,
            &at.key(k),
            format!("`{k}` must be a non-negative integer, but it is {other}"),
        ),
    }
}

fn payload_key(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::JsonPath => ("Parameters", "Arguments"),
        Lang::Jsonata => ("Arguments", "Parameters"),
    }
}

fn item_reader(diags: &mut Vec<Diagnostic>, v: &Value, at: &Pointer, lang: Lang) {
    let Some(m) = obj(diags, v, at, "ItemReader") else {
        return;
    };
    let (own, other) = payload_key(lang);
    unknown_fields(
        diags,
        m,
        at,
        "ItemReader",
        &["Resource", "ReaderConfig", own],
    );
    let _ = other;
    match m.get("Resource") {
        None => schema(diags, at, "These fields are required: [Resource]"),
        Some(Value::String(r)) => resource(
            diags,
            r,
            &at.key("Resource"),
            false,
            ResourceUse::ItemReader,
        ),
        Some(_) => schema(diags, &at.key("Resource"), "`Resource` must be a string"),
    }
    if let Some(c) = m.get("ReaderConfig") {
        let cp = at.key("ReaderConfig");
        let Some(c) = obj(diags, c, &cp, "ReaderConfig") else {
            return;
        };
        unknown_fields(
            diags,
            c,
            &cp,
            "ReaderConfig",
            &[
                "InputType",
                "CSVHeaderLocation",
                "CSVHeaders",
                "CSVDelimiter",
                "MaxItems",
                "MaxItemsPath",
                "ManifestType",
                "Transformation",
                "ItemsPointer",
            ],
        );
        reader_combinations(diags, m, c, &cp);
        exclusive(diags, c, &cp, "MaxItems");
        count_field(diags, c, &cp, "MaxItems", lang);
        let enums: &[(&str, &[&str])] = &[
            (
                "InputType",
                &["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"],
            ),
            ("CSVHeaderLocation", &["FIRST_ROW", "GIVEN"]),
            (
                "CSVDelimiter",
                &["COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"],
            ),
            ("ManifestType", &["ATHENA_DATA", "S3_INVENTORY"]),
        ];
        for (k, allowed) in enums {
            match c.get(*k) {
                None => {}
                Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
                Some(other) => schema(
                    diags,
                    &cp.key(k),
                    format!(
                        "`{k}` must be one of {}, but it is {other}",
                        allowed.join(", ")
                    ),
                ),
            }
        }
        if c.get("CSVHeaderLocation").and_then(Value::as_str) == Some("GIVEN")
            && !c.contains_key("CSVHeaders")
        {
            schema(
                diags,
                &cp,
                "`CSVHeaders` is required when `CSVHeaderLocation` is `GIVEN`",
            );
        }
    }
}

/// The `ReaderConfig` fields that only work together (AWS developer guide, "ItemReader").
fn reader_combinations(
    diags: &mut Vec<Diagnostic>,
    reader: &serde_json::Map<String, Value>,
    c: &serde_json::Map<String, Value>,
    cp: &Pointer,
) {
    let text = |k: &str| c.get(k).and_then(Value::as_str);
    let listing = reader
        .get("Resource")
        .and_then(Value::as_str)
        .is_some_and(|r| r.contains("s3:listObjectsV2"));
    match text("Transformation") {
        None | Some("NONE") => {}
        Some("LOAD_AND_FLATTEN") => {
            if !listing {
                schema(
                    diags,
                    &cp.key("Transformation"),
                    "`Transformation` `LOAD_AND_FLATTEN` reads the objects of a listing: it needs the resource `arn:aws:states:::s3:listObjectsV2`",
                );
            }
            if !c.contains_key("InputType") {
                schema(
                    diags,
                    cp,
                    "`Transformation` `LOAD_AND_FLATTEN` needs `InputType`: the format of the listed objects",
                );
            }
        }
        Some(other) => schema(
            diags,
            &cp.key("Transformation"),
            format!(
                "`Transformation` must be one of NONE, LOAD_AND_FLATTEN, but it is \"{other}\""
            ),
        ),
    }
    match text("ManifestType") {
        Some("S3_INVENTORY") if c.contains_key("InputType") && text("InputType") != Some("CSV") => {
            schema(
                diags,
                &cp.key("InputType"),
                "an S3 inventory manifest lists CSV files: `ManifestType` `S3_INVENTORY` takes no `InputType` other than CSV",
            )
        }
        Some("ATHENA_DATA") if !matches!(text("InputType"), Some("CSV" | "JSONL" | "PARQUET")) => {
            schema(
                diags,
                cp,
                "`ManifestType` `ATHENA_DATA` needs `InputType` CSV, JSONL or PARQUET",
            )
        }
        _ => {}
    }
    // A manifest is one object that lists others: `s3:getObject` reads it.
    let manifest = c.contains_key("ManifestType") || text("InputType") == Some("MANIFEST");
    if manifest && listing {
        schema(
            diags,
            cp,
            "a manifest (`ManifestType`, or `InputType` `MANIFEST`) is one object: it is read with the resource `arn:aws:states:::s3:getObject`, not `s3:listObjectsV2`",
        );
    }
    // Athena's UNLOAD writes CSV without a header row: with FIRST_ROW each file's first
    // record would be taken for the headers.
    if text("ManifestType") == Some("ATHENA_DATA")
        && text("InputType") == Some("CSV")
        && text("CSVHeaderLocation") != Some("GIVEN")
    {
        diags.push(Diagnostic::warning(
            Code::SchemaValidationFailed,
            cp.as_str(),
            "Athena UNLOAD writes CSV files without a header row: give `CSVHeaderLocation` `GIVEN` and `CSVHeaders`, or the first record of each file is read as the headers",
        ));
    }
    if c.contains_key("ItemsPointer") && text("InputType").is_some_and(|t| t != "JSON") {
        schema(
            diags,
            &cp.key("ItemsPointer"),
            "`ItemsPointer` selects an array inside a JSON object: it needs `InputType` JSON",
        );
    }
    if c.contains_key("CSVHeaders") && text("CSVHeaderLocation") != Some("GIVEN") {
        schema(
            diags,
            &cp.key("CSVHeaders"),
            "`CSVHeaders` are used only when `CSVHeaderLocation` is `GIVEN`",
        );
    }
}

fn item_batcher(diags: &mut Vec<Diagnostic>, v: &Value, at: &Pointer, lang: Lang) {
    let Some(m) = obj(diags, v, at, "ItemBatcher") else {
        return;
    };
    let allowed: &[&str] = match lang {
        Lang::JsonPath => &[
            "MaxItemsPerBatch",
            "MaxItemsPerBatchPath",
            "MaxInputBytesPerBatch",
            "MaxInputBytesPerBatchPath",
            "BatchInput",
        ],
        Lang::Jsonata => &["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"],
    };
    unknown_fields(diags, m, at, "ItemBatcher", allowed);
    exclusive(diags, m, at, "MaxItemsPerBatch");
    exclusive(diags, m, at, "MaxInputBytesPerBatch");
    count_field(diags, m, at, "MaxItemsPerBatch", lang);
    count_field(diags, m, at, "MaxInputBytesPerBatch", lang);
    if let Some(b) = m.get("BatchInput")
        && !b.is_object()
        && !(lang == Lang::Jsonata && b.as_str().is_some_and(|s| s.starts_with("{%")))
    {
        schema(
            diags,
            &at.key("BatchInput"),
            "`BatchInput` must be an object",
        );
    }
}

fn result_writer(diags: &mut Vec<Diagnostic>, v: &Value, at: &Pointer, lang: Lang) {
    let Some(m) = obj(diags, v, at, "ResultWriter") else {
        return;
    };
    let (own, _) = payload_key(lang);
    unknown_fields(
        diags,
        m,
        at,
        "ResultWriter",
        &["Resource", "WriterConfig", own],
    );
    match m.get("Resource") {
        None if !m.contains_key("WriterConfig") => {
            schema(diags, at, "These fields are required: [Resource]")
        }
        None => {}
        Some(Value::String(r)) => resource(
            diags,
            r,
            &at.key("Resource"),
            false,
            ResourceUse::ResultWriter,
        ),
        Some(_) => schema(diags, &at.key("Resource"), "`Resource` must be a string"),
    }
    if let Some(c) = m.get("WriterConfig") {
        let cp = at.key("WriterConfig");
        let Some(c) = obj(diags, c, &cp, "WriterConfig") else {
            return;
        };
        unknown_fields(
            diags,
            c,
            &cp,
            "WriterConfig",
            &["OutputType", "Transformation"],
        );
        let enums: &[(&str, &[&str])] = &[
            ("OutputType", &["JSON", "JSONL"]),
            ("Transformation", &["NONE", "COMPACT", "FLATTEN"]),
        ];
        for (k, allowed) in enums {
            match c.get(*k) {
                None => {}
                Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
                Some(other) => schema(
                    diags,
                    &cp.key(k),
                    format!(
                        "`{k}` must be one of {}, but it is {other}",
                        allowed.join(", ")
                    ),
                ),
            }
        }
    }
}

/// In JSONata states, a string is an expression exactly when it is `{% ... %}`. A string that
/// has only one of the delimiters is almost surely a mistake.
fn jsonata_delimiters(
    diags: &mut Vec<Diagnostic>,
    field: &Pointer,
    v: &Value,
    at: &Pointer,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(s) => {
            let opens = s.starts_with("{%");
            // `{%}` both opens and closes, but has no room for an expression.
            let closes = s.ends_with("%}") && s.len() >= 4;
            if opens && !closes {
                in_field(
                    diags,
                    field,
                    at,
                    "A JSONata expression starts with `{%` but does not end with `%}`",
                );
            } else if closes && !opens {
                in_field(
                    diags,
                    field,
                    at,
                    "A JSONata expression ends with `%}` but does not start with `{%`",
                );
            }
            // `{%$x%}` needs no whitespace inside the delimiters: AWS accepts it as it is.
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                jsonata_delimiters(diags, field, x, &at.index(i), depth + 1);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                jsonata_delimiters(diags, field, x, &at.key(k), depth + 1);
            }
        }
        _ => {}
    }
}

/// Payload templates: `"key.$"` values must start with `$` or `States.` (a leading space makes
/// them neither), intrinsic calls must have the right arguments, and `key` and `key.$` cannot
/// both be written (both would produce the field `key`).
fn dollar_values(
    diags: &mut Vec<Diagnostic>,
    field: &Pointer,
    v: &Value,
    at: &Pointer,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if let Some(plain) = k.strip_suffix(".$")
                    && m.contains_key(plain)
                {
                    in_field(
                        diags,
                        field,
                        &at.key(k),
                        format!(
                            "The fields `{plain}` and `{k}` both produce the field `{plain}`; keep one"
                        ),
                    );
                }
                if k.ends_with(".$")
                    && let Value::String(s) = x
                {
                    if crate::data::intrinsics::parse::looks_like_call(s)
                        && let Ok(call) = crate::data::intrinsics::parse_call(s.trim())
                        && let Some(problem) = super::intrinsics::check(&call)
                    {
                        in_field(
                            diags,
                            field,
                            &at.key(k),
                            format!(
                                "The value of `{k}` is not a valid intrinsic function call: {problem}"
                            ),
                        );
                    }
                    if s.starts_with(char::is_whitespace) {
                        in_field(
                            diags,
                            field,
                            &at.key(k),
                            format!(
                                "The value of `{k}` must be a JSONPath or an intrinsic function call, but it starts with whitespace: `{s}`"
                            ),
                        );
                    }
                } else {
                    dollar_values(diags, field, x, &at.key(k), depth + 1);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                dollar_values(diags, field, x, &at.index(i), depth + 1);
            }
        }
        _ => {}
    }
}
