//! Fuzzing on stable Rust: structure-aware generated inputs through the library's entry
//! points, as the binary calls them, with panics counted and hangs caught by a watchdog.
//!
//! `cargo test --test fuzz` runs a few hundred cases per target; `scripts/fuzz.sh [CASES]`
//! runs the long campaign (docs/fuzzing.md). Each target is one `#[test]`; a failing case is
//! replayed with `FUZZ_SEED=s FUZZ_CASE=n cargo test --test fuzz TARGET -- --nocapture`.

#[path = "fuzz/gen.rs"]
mod generate;
#[path = "fuzz/harness.rs"]
mod harness;

use asl::data::intrinsics::parse_call;
use asl::data::jsonata::Expression;
use asl::data::jsonpath::Path as JsonPath;
use asl::data::roots::StaticRoots;
use asl::data::template::{Template, eval_call};
use asl::data::{reference_path, roots};
use asl::definition::{load_owned, load_value};
use asl::handlers::mock::MockHandler;
use asl::handlers::routing::HandlerConfig;
use asl::source::{Definition, Syntax, load_text};
use asl::storage::items::{Format, ReadError, items_within};
use asl::testing::file::TestFile;
use asl::validate::{self, MachineType, Options};
use generate::{G, deep, mutate_text, mutate_value, nested, one};
use harness::fuzz;
use rand::Rng;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// Generous: every input here is small, and runs in well under a millisecond.
const LIMIT: Duration = Duration::from_secs(2);
/// JSONata has its own wall-clock bound (10 s, `data/jsonata`); a hang is running past it.
const JSONATA_LIMIT: Duration = Duration::from_secs(12);

// ---------------------------------------------------------------- seeds from the repository

struct Seeds {
    /// Definitions (`*.asl.json`), parsed.
    definitions: Vec<Value>,
    /// Mock files, handler files and test files: (file name, text).
    mocks: Vec<String>,
    handlers: Vec<String>,
    tests: Vec<(String, String)>,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-samples");
        let mut s = Seeds {
            definitions: Vec::new(),
            mocks: Vec::new(),
            handlers: Vec::new(),
            tests: Vec::new(),
        };
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("asl-samples/ is readable")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            if name.ends_with(".asl.json") {
                s.definitions
                    .push(serde_json::from_str(&text).expect("a sample parses"));
            } else if name.ends_with(".mocks.json") {
                s.mocks.push(text);
            } else if name.ends_with(".handlers.json") {
                s.handlers.push(text);
            } else if name.ends_with(".test.yaml") || name.ends_with(".test.json") {
                s.tests.push((name, text));
            }
        }
        assert!(
            s.definitions.len() >= 5
                && !s.mocks.is_empty()
                && !s.handlers.is_empty()
                && !s.tests.is_empty()
        );
        s
    })
}

fn roots(g: &mut G) -> StaticRoots {
    let mut vars = HashMap::new();
    vars.insert("x".to_string(), generate::json(g, 3));
    vars.insert("var".to_string(), json!({"a": [1, 2, 3], "b": "s"}));
    StaticRoots {
        input: generate::document(g),
        context: json!({
            "Execution": {"Id": "arn:aws:states:us-east-1:1:execution:m:e", "Input": {"a": 1}, "Name": "e", "StartTime": "2024-01-01T00:00:00Z"},
            "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00Z", "RetryCount": 0},
            "StateMachine": {"Id": "arn:aws:states:us-east-1:1:stateMachine:m", "Name": "m"},
            "Map": {"Item": {"Index": 0, "Value": generate::json(g, 2)}},
            "Task": {"Token": "t"}
        }),
        states: json!({"input": generate::document(g), "result": generate::json(g, 2), "errorOutput": {"Error": "E", "Cause": "c"}}),
        vars,
    }
}

// ---------------------------------------------------------------- definitions

/// A definition's text in JSON or YAML, as `asl run` and `asl validate` read it.
#[derive(Debug)]
struct DefinitionText {
    syntax: Syntax,
    text: String,
}

fn definition_value(g: &mut G) -> Value {
    let s = seeds();
    let mut v = s.definitions[g.gen_range(0..s.definitions.len())].clone();
    let edits = g.gen_range(0..6);
    mutate_value(g, &mut v, edits);
    v
}

fn definition_json(g: &mut G) -> DefinitionText {
    let text = match g.gen_range(0..40) {
        0 => {
            // Deep nesting somewhere a definition may hold anything.
            let d = deep(g);
            let inner = one(
                g,
                vec![
                    nested("[", "1", "]", d),
                    nested("{\"a\":", "1", "}", d),
                    nested("[", "", "", d),
                ],
            )
            .to_string();
            format!(
                "{{\"StartAt\":\"P\",\"States\":{{\"P\":{{\"Type\":\"Pass\",\"Result\":{inner},\"End\":true}}}}}}"
            )
        }
        1 => generate::json(g, 4).to_string(),
        _ => {
            let mut v = definition_value(g);
            if g.gen_ratio(1, 6) {
                v = generate::cfn_template(g, v);
            }
            let text = if g.r#gen() {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            } else {
                v.to_string()
            };
            if g.gen_ratio(1, 3) {
                let n = g.gen_range(1..5);
                mutate_text(
                    g,
                    &text,
                    n,
                    &[
                        "{",
                        "}",
                        "[",
                        "]",
                        ",",
                        ":",
                        "\"",
                        "\\",
                        "\"a\":1,",
                        "\"Type\"",
                        "\"States\"",
                        "null",
                        "1e999",
                        "\\u0000",
                        "\\ud800",
                        " ",
                    ],
                )
            } else {
                text
            }
        }
    };
    DefinitionText {
        syntax: Syntax::Json,
        text,
    }
}

fn definition_yaml(g: &mut G) -> DefinitionText {
    // Alias bombs take a quarter of a second each (expanded within the reader's budget),
    // so they are rarer than the other shapes.
    let text = match g.gen_range(0..400) {
        0..=9 => {
            let d = deep(g);
            let inner = one(
                g,
                vec![
                    nested("[", "1", "]", d),
                    nested("{a: ", "1", "}", d),
                    nested("- ", "1", "\n", d.min(5_000)),
                    nested("[", "", "", d),
                ],
            )
            .to_string();
            format!(
                "StartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n    Result: {inner}\n"
            )
        }
        10 => {
            // Aliases of aliases: a billion-laughs document.
            let mut t = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
            let levels = g.gen_range(2..9);
            for i in 0..levels {
                let prev = if i == 0 {
                    "a".to_string()
                } else {
                    format!("l{}", i - 1)
                };
                t.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            }
            t.push_str("StartAt: P\nStates: {P: {Type: Pass, End: true}}\n");
            t
        }
        _ => {
            let mut v = definition_value(g);
            if g.gen_ratio(1, 4) {
                v = generate::cfn_template(g, v);
            }
            let text = generate::yaml(g, &v);
            if g.gen_ratio(1, 3) {
                let n = g.gen_range(1..5);
                mutate_text(g, &text, n, generate::YAML_TOKENS)
            } else {
                text
            }
        }
    };
    DefinitionText {
        syntax: Syntax::Yaml,
        text,
    }
}

/// What `asl validate` does with a file's definitions, then what `asl run` does.
fn load_definition(input: &DefinitionText) {
    let shown = match input.syntax {
        Syntax::Json => "fuzz.asl.json",
        Syntax::Yaml => "fuzz.asl.yaml",
    };
    let Ok(defs) = load_text(
        shown,
        input.text.clone(),
        input.syntax,
        Path::new("."),
        &[("Y".into(), "y".into())],
    ) else {
        return;
    };
    for def in &defs {
        check_definition(def);
    }
}

fn check_definition(def: &Definition) {
    for machine_type in [MachineType::Standard, MachineType::Express] {
        let findings = validate::validate_definition(def, &Options { machine_type });
        for f in &findings {
            // Rendering locates each finding in the text, as the CLI does.
            let _ = def.position(f.diagnostic.shown_at());
            let _ = f.diagnostic.to_string();
        }
    }
    let _ = validate::duplicate_findings(def);
    if let Ok(value) = &def.value {
        let borrowed = load_value(value);
        let owned = load_owned(value.clone());
        assert_eq!(
            borrowed.machine.is_some(),
            owned.machine.is_some(),
            "the owned and the borrowed load agree on validity"
        );
    }
}

#[test]
fn definition_json_text() {
    fuzz(
        "definition_json_text",
        LIMIT,
        definition_json,
        load_definition,
    );
}

#[test]
fn definition_yaml_text() {
    fuzz(
        "definition_yaml_text",
        LIMIT,
        definition_yaml,
        load_definition,
    );
}

// ---------------------------------------------------------------- paths

#[derive(Debug)]
struct PathInput {
    path: String,
    doc: Value,
    roots: StaticRootsDebug,
}

/// `StaticRoots` for an input, shown in replays.
struct StaticRootsDebug(StaticRoots);

impl std::fmt::Debug for StaticRootsDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roots")
            .field("input", &self.0.input)
            .field("states", &self.0.states)
            .field("vars", &self.0.vars)
            .finish()
    }
}

fn path_input(g: &mut G) -> PathInput {
    let path = if g.gen_ratio(1, 40) {
        let d = deep(g);
        one(
            g,
            vec![
                format!("$[?({})]", nested("(", "@.a", ")", d)),
                format!("$[?({})]", nested("!", "@.a", "", d)),
                format!("$[?(@.a == {})]", nested("[", "1", "]", d)),
                format!("${}", ".a".repeat(d)),
                format!("${}", "[0]".repeat(d)),
                format!("$[?({})]", nested("@.a && ", "@.b", "", d)),
            ],
        )
        .clone()
    } else {
        generate::jsonpath(g)
    };
    PathInput {
        path,
        doc: generate::document(g),
        roots: StaticRootsDebug(roots(g)),
    }
}

fn run_jsonpath(input: &PathInput) {
    let Ok(p) = JsonPath::parse(&input.path) else {
        return;
    };
    let _ = p.unsupported();
    let _ = (
        p.is_definite(),
        p.is_reference(),
        p.reads_root(),
        p.len(),
        p.first_name(),
    );
    let _ = p.select(&input.doc);
    let _ = p.select_after_first(&input.doc);
    if let Some(steps) = p.steps() {
        steps.for_each(drop);
    }
    let _ = roots::read(&p, &input.roots.0);
}

#[test]
fn jsonpath() {
    fuzz("jsonpath", LIMIT, path_input, run_jsonpath);
}

#[derive(Debug)]
struct ReferenceInput {
    path: String,
    doc: Value,
    value: Value,
}

fn reference_input(g: &mut G) -> ReferenceInput {
    let path = if g.gen_ratio(1, 40) {
        let d = deep(g);
        format!(
            "${}",
            one(g, vec![".a".repeat(d), "[0]".repeat(d), "['a']".repeat(d)])
        )
    } else {
        generate::reference_path(g)
    };
    ReferenceInput {
        path,
        doc: generate::document(g),
        value: generate::json(g, 2),
    }
}

/// As the loader reads `ResultPath` and the engine writes through it.
fn run_reference(input: &ReferenceInput) {
    let Ok(p) = JsonPath::parse(&input.path) else {
        return;
    };
    let written = reference_path::write(input.doc.clone(), &p, input.value.clone());
    if p.is_reference()
        && let Ok(out) = written
    {
        // What was written is read back from the same place.
        if let Ok(back) = p.select(&out) {
            assert_eq!(
                *back, input.value,
                "ResultPath `{}` reads back what it wrote",
                input.path
            );
        }
    }
}

#[test]
fn reference_path_write() {
    fuzz(
        "reference_path_write",
        LIMIT,
        reference_input,
        run_reference,
    );
}

// ---------------------------------------------------------------- intrinsics and templates

#[derive(Debug)]
struct IntrinsicInput {
    call: String,
    roots: StaticRootsDebug,
}

fn intrinsic_input(g: &mut G) -> IntrinsicInput {
    let call = if g.gen_ratio(1, 40) {
        let d = deep(g);
        one(
            g,
            vec![
                nested("States.Array(", "1", ")", d),
                nested("States.Array(", "", "", d),
                nested("States.JsonToString(States.StringToJson(", "'1'", "))", d),
                format!("States.Format('{}', 1)", "{}".repeat(d)),
                format!("States.Array({})", vec!["1"; d].join(",")),
            ],
        )
        .clone()
    } else {
        generate::intrinsic_text(g)
    };
    IntrinsicInput {
        call,
        roots: StaticRootsDebug(roots(g)),
    }
}

fn run_intrinsic(input: &IntrinsicInput) {
    let Ok(call) = parse_call(&input.call) else {
        return;
    };
    let _ = call.paths();
    let _ = eval_call(&call, &input.roots.0);
}

#[test]
fn intrinsic_call() {
    fuzz("intrinsic_call", LIMIT, intrinsic_input, run_intrinsic);
}

#[derive(Debug)]
struct TemplateInput {
    jsonata: bool,
    template: Value,
    roots: StaticRootsDebug,
}

fn template_input(g: &mut G) -> TemplateInput {
    let jsonata = g.r#gen();
    let mut template = if jsonata {
        generate::jsonata_template(g, 3)
    } else {
        generate::jsonpath_template(g, 3)
    };
    if g.gen_ratio(1, 50) {
        // Deeply nested templates.
        let mut v = template;
        // As deep as the JSON and YAML readers let a definition nest (they refuse deeper
        // text, which the definition targets check): the compiler recurses on the template.
        for _ in 0..asl::source::yaml::MAX_DEPTH {
            v = json!({"a": v});
        }
        template = v;
    }
    TemplateInput {
        jsonata,
        template,
        roots: StaticRootsDebug(roots(g)),
    }
}

fn run_template(input: &TemplateInput) {
    let compiled = if input.jsonata {
        Template::jsonata(&input.template, "Arguments")
    } else {
        Template::jsonpath(&input.template)
    };
    if let Ok(t) = compiled {
        let _ = (
            t.is_static(),
            t.reads_context(),
            t.paths().len(),
            t.expressions().len(),
        );
        let _ = t.eval(&input.roots.0);
    }
}

#[test]
fn payload_template() {
    fuzz(
        "payload_template",
        JSONATA_LIMIT,
        template_input,
        run_template,
    );
}

// ---------------------------------------------------------------- JSONata

#[derive(Debug)]
struct JsonataInput {
    expression: String,
    roots: StaticRootsDebug,
}

fn jsonata_input(g: &mut G) -> JsonataInput {
    let expression = if g.gen_ratio(1, 40) {
        let d = deep(g);
        one(
            g,
            vec![
                nested("[", "1", "]", d),
                nested("(", "1", ")", d),
                nested("{'a':", "1", "}", d),
                nested("-", "1", "", d),
                nested("$f(", "1", ")", d),
                nested("function($x){", "1", "}", d),
                nested("1 + ", "1", "", d),
                nested("[", "", "", d),
                nested("$not(", "true", ")", d),
                format!("$states.input{}", ".a".repeat(d)),
            ],
        )
        .clone()
    } else {
        generate::jsonata_text(g)
    };
    JsonataInput {
        expression,
        roots: StaticRootsDebug(roots(g)),
    }
}

fn run_jsonata(input: &JsonataInput) {
    let Ok(e) = Expression::compile(&input.expression) else {
        return;
    };
    let _ = e.mentions("states");
    let _ = e.evaluate(&input.roots.0);
}

#[test]
fn jsonata_expression() {
    fuzz(
        "jsonata_expression",
        JSONATA_LIMIT,
        jsonata_input,
        run_jsonata,
    );
}

// ---------------------------------------------------------------- mock, handler and test files

fn mutated_file(g: &mut G, text: &str, extra: fn(&mut G) -> Value) -> String {
    match g.gen_range(0..30) {
        0 => {
            let d = deep(g);
            nested("{\"a\":", "1", "}", d)
        }
        _ => {
            let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let edits = g.gen_range(0..6);
            mutate_value(g, &mut v, edits);
            if g.gen_ratio(1, 3) {
                // Graft in a value of the file's own vocabulary.
                if let Value::Object(m) = &mut v
                    && let Some(k) = m.keys().next().cloned()
                {
                    m.insert(k, extra(g));
                }
            }
            let text = v.to_string();
            if g.gen_ratio(1, 4) {
                let n = g.gen_range(1..4);
                mutate_text(
                    g,
                    &text,
                    n,
                    &[
                        "{",
                        "}",
                        "[",
                        "]",
                        ",",
                        ":",
                        "\"",
                        "0",
                        "-",
                        "\"Return\"",
                        "\"Throw\"",
                    ],
                )
            } else {
                text
            }
        }
    }
}

#[derive(Debug)]
struct MockInput {
    text: String,
    machine: String,
    case: String,
}

fn mock_extra(g: &mut G) -> Value {
    let mut responses = serde_json::Map::new();
    for _ in 0..g.gen_range(1..4) {
        let key = one(
            g,
            vec![
                "0",
                "1",
                "0-2",
                "1-1",
                "3-1",
                "0-",
                "-1",
                "a",
                "0-18446744073709551615",
                "18446744073709551616",
                "1-2-3",
                " 0",
                "00",
            ],
        )
        .to_string();
        let resp = match g.gen_range(0..3) {
            0 => json!({"Return": generate::json(g, 2)}),
            1 => json!({"Throw": {"Error": generate::string(g), "Cause": generate::string(g)}}),
            _ => generate::json(g, 1),
        };
        responses.insert(key, resp);
    }
    json!({"R": responses})
}

fn mock_input(g: &mut G) -> MockInput {
    let s = seeds();
    let i = g.gen_range(0..s.mocks.len());
    let text = mutated_file(g, &s.mocks[i], mock_extra);
    // The machine and case the file names, mostly, so the reader goes all the way.
    let doc: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let first_key = |v: Option<&Value>| {
        v.and_then(Value::as_object)
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default()
    };
    let machine = first_key(doc.get("StateMachines"));
    let case = first_key(doc.pointer(&format!(
        "/StateMachines/{}/TestCases",
        machine.replace('~', "~0").replace('/', "~1")
    )));
    if g.gen_ratio(1, 10) {
        return MockInput {
            text,
            machine: generate::name(g),
            case: generate::name(g),
        };
    }
    MockInput {
        text,
        machine,
        case,
    }
}

/// As `asl run --mock-config F --test-case C` reads the file, then answers each state a few
/// times.
fn run_mock(input: &MockInput) {
    let Ok(doc) = serde_json::from_str::<Value>(&input.text) else {
        return;
    };
    let Ok(mock) = MockHandler::from_value(&doc, &input.machine, &input.case) else {
        return;
    };
    let states: Vec<String> = mock.states().map(str::to_string).collect();
    for (_, ranges) in mock.ranges() {
        let _ = ranges.len();
    }
    for s in &states {
        for _ in 0..4 {
            let _ = mock.next(s);
        }
    }
}

#[test]
fn mock_file() {
    fuzz("mock_file", LIMIT, mock_input, run_mock);
}

#[derive(Debug)]
struct HandlersInput {
    text: String,
    tasks: Vec<String>,
}

fn handlers_extra(g: &mut G) -> Value {
    let route = match g.gen_range(0..5) {
        0 => {
            json!({"Command": [generate::string(g), generate::string(g)], "Cwd": generate::string(g), "Env": {"A": generate::string(g)}, "TimeoutSeconds": generate::number(g)})
        }
        1 => json!("mock"),
        2 => json!({"Machine": generate::string(g)}),
        3 => json!({"Lambda": {"Region": generate::string(g)}}),
        _ => generate::json(g, 2),
    };
    json!({one(g, vec!["*", "Task*", "?", "[", "arn:aws:lambda:*", "**", "\\"]): route})
}

fn handlers_input(g: &mut G) -> HandlersInput {
    let s = seeds();
    let i = g.gen_range(0..s.handlers.len());
    let text = mutated_file(g, &s.handlers[i], handlers_extra);
    let tasks = (0..g.gen_range(0..4)).map(|_| generate::name(g)).collect();
    HandlersInput { text, tasks }
}

/// As `asl run --handlers F` reads the file and routes each Task state.
fn run_handlers(input: &HandlersInput) {
    let Ok(doc) = serde_json::from_str::<Value>(&input.text) else {
        return;
    };
    let Ok(cfg) = HandlerConfig::from_value(&doc, Path::new("/nonexistent")) else {
        return;
    };
    let tasks: Vec<&str> = input.tasks.iter().map(String::as_str).collect();
    let _ = cfg.unknown_states(&tasks);
    for t in &tasks {
        let _ = cfg.route(t, "arn:aws:lambda:us-east-1:123456789012:function:f");
        let _ = cfg.route(t, "arn:aws:states:::ecs:runTask.sync");
    }
}

#[test]
fn handlers_file() {
    fuzz("handlers_file", LIMIT, handlers_input, run_handlers);
}

#[derive(Debug)]
struct TestFileInput {
    name: String,
    text: String,
}

fn test_extra(g: &mut G) -> Value {
    let (j0, j1, j2, j3) = (
        generate::json(g, 0),
        generate::json(g, 1),
        generate::json(g, 2),
        generate::json(g, 2),
    );
    let mock = one(
        g,
        vec![
            json!({"return": 1}),
            json!({"throw": {"error": "E"}}),
            json!([{"return": 1}, {"throw": {"error": "E", "cause": "c"}}]),
            j2.clone(),
        ],
    );
    let output = one(
        g,
        vec![
            json!({"$type": "string"}),
            json!({"$regex": "a("}),
            json!({"$regex": "^a$"}),
            json!({"$gt": 1, "$lt": j0.clone()}),
            json!({"$subset": j3}),
            j2,
        ],
    );
    json!([{
        "name": generate::string(g),
        "input": j1.clone(),
        "mocks": {"S": mock},
        "expect": {
            "status": one(g, vec!["SUCCEEDED", "FAILED", "TIMED_OUT", "x"]),
            "output": output,
            "states": {"S": {"calls": j0, "input": j1}},
            "path": [generate::string(g)],
            "error": generate::string(g)
        }
    }])
}

fn test_input(g: &mut G) -> TestFileInput {
    let s = seeds();
    let (name, text) = &s.tests[g.gen_range(0..s.tests.len())];
    if g.gen_ratio(1, 30) {
        let d = deep(g);
        return TestFileInput {
            name: name.clone(),
            text: format!(
                "definition: x.asl.json\ncases: {}\n",
                nested("[", "1", "]", d)
            ),
        };
    }
    // Test files are YAML; the mutation works on their value, written back as YAML or JSON.
    let value = asl::source::Document::parse(name, text.clone(), Syntax::Yaml)
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    let mutated = mutated_file(g, &value.to_string(), test_extra);
    if g.r#gen() {
        let yaml = serde_json::from_str::<Value>(&mutated)
            .map(|v| generate::yaml(g, &v))
            .unwrap_or(mutated);
        TestFileInput {
            name: name.clone(),
            text: yaml,
        }
    } else {
        TestFileInput {
            name: name.replace(".yaml", ".json"),
            text: mutated,
        }
    }
}

/// As `asl test` reads a test file (its relative paths start from asl-samples/).
fn run_test_file(input: &TestFileInput) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("asl-samples")
        .join(&input.name);
    // Whatever could be read is checked against a definition, as `asl test` does.
    if let Ok((file, _)) = TestFile::parse(&path, input.text.clone()) {
        let _ = file.case_lines();
        let state = |name: &str, kind, parent| asl::testing::outline::StateInfo {
            name: name.into(),
            kind,
            parent,
            branches: if kind == "Parallel" { 2 } else { 0 },
            retries: 2,
            catches: 1,
        };
        let outline = asl::testing::outline::Outline {
            states: vec![
                state("S", "Task", None),
                state("Choose", "Choice", None),
                state("Fan", "Parallel", None),
                state("Each", "Map", Some((2, Some(1)))),
                state("Work", "Task", Some((3, None))),
            ],
        };
        let _ = outline.check(&file);
    }
}

#[test]
fn test_file() {
    fuzz("test_file", LIMIT, test_input, run_test_file);
}

// ---------------------------------------------------------------- execution histories

/// Histories of the samples (every Task answering the same), each with its definition's index.
fn histories() -> &'static Vec<(String, usize)> {
    static HISTORIES: OnceLock<Vec<(String, usize)>> = OnceLock::new();
    HISTORIES.get_or_init(|| {
        let mut out = Vec::new();
        for (i, d) in seeds().definitions.iter().enumerate() {
            let Some(machine) = load_value(d).machine else {
                continue;
            };
            let mut handlers = asl::engine::Registry::new();
            handlers.fallback(std::sync::Arc::new(asl::engine::HandlerFn(|_| {
                Ok(json!({"Payload": {"valid": true, "receipt": "r"}, "Status": "SUCCEEDED", "Output": "{}"}))
            })));
            let opts = asl::engine::Options {
                keep_history: true,
                handlers,
                seed: Some(0),
                clock: asl::engine::Clock::Fixed(asl::data::timestamp::Instant(0)),
                ..Default::default()
            };
            let input = json!({"items": [1, 2], "orderId": "o", "total": 5, "day": "d"});
            if let Ok(o) = asl::engine::run_blocking(&machine, input, opts) {
                let events: Vec<Value> = o.events.iter().map(|e| e.to_json()).collect();
                out.push((json!({"events": events}).to_string(), i));
            }
        }
        assert!(out.len() >= 5);
        out
    })
}

#[derive(Debug)]
struct HistoryInput {
    text: String,
    definition: usize,
}

fn history_extra(g: &mut G) -> Value {
    let ty = one(
        g,
        vec![
            "MapIterationStarted",
            "ParallelStateStarted",
            "MapStateStarted",
            "TaskScheduled",
            "TaskSucceeded",
            "TaskFailed",
            "TaskStateEntered",
            "ExecutionRedriven",
            "MapStateFailed",
            "ExecutionFailed",
        ],
    );
    let key = asl::engine::history::details_key(ty);
    json!([{"id": g.gen_range(0..40), "previousEventId": g.gen_range(0..40), "type": ty,
            "timestamp": generate::json(g, 0),
            key: {"name": generate::name(g), "index": g.gen_range(0..3), "input": generate::string(g),
                  "output": generate::json(g, 1), "parameters": "{}", "error": generate::string(g),
                  "outputDetails": {"truncated": g.gen_ratio(1, 3)}}}])
}

fn history_input(g: &mut G) -> HistoryInput {
    let h = histories();
    let (text, definition) = &h[g.gen_range(0..h.len())];
    let mut text = text.clone();
    // 1 in 4: Distributed Map runs, and child executions (`mapRunExecutions`, as `asl record
    // ARN` writes them) whose runs, inputs and events may or may not match anything.
    if g.gen_ratio(1, 4)
        && let Ok(mut doc) = serde_json::from_str::<Value>(&text)
    {
        let runs = [
            "arn:aws:states:us-east-1:1:mapRun:m/Map:r1",
            "arn:aws:states:us-east-1:1:mapRun:m/Map:r2",
        ];
        if let Some(events) = doc.get_mut("events").and_then(Value::as_array_mut) {
            for run in runs.iter().take(g.gen_range(0..3)) {
                let at = g.gen_range(0..=events.len());
                events.insert(at, json!({"id": g.gen_range(0..40), "previousEventId": g.gen_range(0..40),
                    "type": "MapRunStarted", "timestamp": 0, "mapRunStartedEventDetails": {"mapRunArn": run}}));
            }
        }
        let donors = histories();
        let children: Vec<Value> = (0..g.gen_range(0..6))
            .map(|i| {
                let (donor, _) = &donors[g.gen_range(0..donors.len())];
                let mut events = serde_json::from_str::<Value>(donor)
                    .ok()
                    .and_then(|d| d.get("events").cloned())
                    .unwrap_or(Value::Null);
                // The child's input: an item, a batch, or anything.
                if let Some(first) = events.pointer_mut("/0/executionStartedEventDetails/input") {
                    let any = generate::string(g);
                    *first = json!(one(
                        g,
                        vec!["1".to_string(), "2".to_string(), r#"{"Items":[1,2]}"#.to_string(), any]
                    ));
                }
                let mut child = json!({"executionArn": format!("arn:aws:states:us-east-1:1:execution:m/Map:c{i}"),
                                       "events": events});
                match g.gen_range(0..4) {
                    0 => {}
                    1 => child["mapRunArn"] = generate::json(g, 0),
                    _ => child["mapRunArn"] = json!(runs[g.gen_range(0..runs.len())]),
                }
                child
            })
            .collect();
        doc["mapRunExecutions"] = json!(children);
        text = doc.to_string();
    }
    HistoryInput {
        text: mutated_file(g, &text, history_extra),
        definition: *definition,
    }
}

/// As `asl run --replay` and `asl record` read a history: parse, attribute, replay.
fn run_history(input: &HistoryInput) {
    let Ok(doc) = serde_json::from_str::<Value>(&input.text) else {
        return;
    };
    let Ok(h) = asl::record::History::from_value(&doc) else {
        return;
    };
    let Some(machine) = load_value(&seeds().definitions[input.definition]).machine else {
        return;
    };
    let rec = asl::record::Recording::attribute(&h, Some(&machine));
    let _ = (rec.canonical(), rec.calls(), rec.names());
    for p in 0..rec.paths.len() {
        let _ = rec.ends_open(p);
    }
    let rec = std::sync::Arc::new(rec);
    let replayer = std::sync::Arc::new(asl::record::Replayer::new(rec.clone()));
    let mut handlers = asl::engine::Registry::new();
    handlers.fallback(replayer.clone());
    let opts = asl::engine::Options {
        handlers,
        probe: Some(replayer.clone()),
        seed: Some(0),
        clock: asl::engine::Clock::Fixed(asl::data::timestamp::Instant(0)),
        ..Default::default()
    };
    let input = rec.input.json().cloned().unwrap_or(Value::Null);
    if let Ok(o) = asl::engine::run_blocking(&machine, input, opts) {
        let _ = replayer.verdict(&o);
    }
    let _ = asl::record::mocks::Answers::collect(&rec, &replayer.log());
}

#[test]
fn history_file() {
    fuzz("history_file", LIMIT, history_input, run_history);
}

// ---------------------------------------------------------------- snapshots written into test files

#[derive(Debug)]
struct SnapshotInput {
    text: String,
    syntax: Syntax,
    /// The recorded values `--update-snapshots` writes in, one per `snapshot` key.
    values: Vec<Value>,
}

/// A test file whose cases are marked `snapshot` in every style (flow and block, scalar,
/// mapping, sequence), written as YAML or JSON, with comments and text edits around them.
fn snapshot_input(g: &mut G) -> SnapshotInput {
    let base = test_input(g);
    let value = asl::source::Document::parse("t.test.yaml", base.text.clone(), Syntax::Yaml)
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    let mut value = match value {
        Value::Object(m) if m.get("cases").is_some_and(Value::is_array) => Value::Object(m),
        _ => json!({"definition": "x.asl.json", "cases": [{"name": "a", "input": {"k": 1}}]}),
    };
    let mut values = Vec::new();
    if let Some(cases) = value.get_mut("cases").and_then(Value::as_array_mut) {
        for case in cases.iter_mut().filter_map(Value::as_object_mut) {
            if g.gen_range(0..4) == 0 {
                continue;
            }
            let sample = generate::json(g, 2);
            let marker = one(
                g,
                vec![
                    json!(true),
                    json!({}),
                    json!({"output": sample}),
                    json!([1, "x"]),
                    json!(null),
                ],
            );
            case.insert("snapshot".into(), marker);
            values.push(json!({"output": generate::json(g, 3), "path": ["A", "B"]}));
        }
    }
    let (text, syntax) = if g.gen_range(0..3) == 0 {
        (value.to_string(), Syntax::Json)
    } else {
        let mut y = generate::yaml(g, &value);
        if g.r#gen() {
            // Comments after values and on their own lines.
            y = y
                .lines()
                .map(|l| {
                    if l.contains("snapshot") {
                        format!("{l}  # keep me")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        if g.gen_range(0..4) == 0 {
            y = mutate_text(
                g,
                &y,
                2,
                &["#", "{", "}", "[", "]", ":", "- ", "'", "\"", "&a ", "*a"],
            );
        }
        (y, Syntax::Yaml)
    };
    SnapshotInput {
        text,
        syntax,
        values,
    }
}

/// As `asl test --update-snapshots` writes recorded values into a test file: the writer
/// either refuses, or its text reads back with every value where it was written.
fn run_snapshot(input: &SnapshotInput) {
    let Ok(doc) = asl::source::Document::parse("t.test.yaml", input.text.clone(), input.syntax)
    else {
        return;
    };
    let Some(cases) = doc.value.get("cases").and_then(Value::as_array) else {
        return;
    };
    let pointers: Vec<String> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.get("snapshot").is_some())
        .map(|(i, _)| format!("/cases/{i}/snapshot"))
        .collect();
    let edits: Vec<(String, Value)> = pointers
        .into_iter()
        .zip(input.values.iter().cloned())
        .collect();
    if let Ok(text) = asl::testing::snapshot::write(&doc, &edits) {
        let back = asl::source::Document::parse("t.test.yaml", text, input.syntax)
            .unwrap_or_else(|_| panic!("the written file does not parse"));
        for (p, v) in &edits {
            assert_eq!(back.value.pointer(p), Some(v), "{p} not written back");
        }
    }
}

#[test]
fn snapshot_update() {
    fuzz("snapshot_update", LIMIT, snapshot_input, run_snapshot);
}

// ---------------------------------------------------------------- S3 objects read as items

#[derive(Debug)]
struct ObjectInput {
    /// The object as stored (maybe gzip-compressed).
    bytes: Vec<u8>,
    format: Format,
    limit: usize,
    /// The items an unmutated object must give, as `serde_json` reads the same text.
    expect: Option<Vec<Value>>,
}

/// A CSV field: plain, quoted (with `""` and newlines), or with backslash escapes.
fn csv_field(g: &mut G) -> String {
    let s = generate::string(g);
    match g.gen_range(0..4) {
        0 => format!("\"{}\"", s.replace('"', "\"\"")),
        1 => format!("\"a,\nb{s}\""),
        2 => format!("x\\,{s}\\\"y"),
        _ => s.replace([',', '"', '\n', '\r', '\\'], ""),
    }
}

/// A Parquet file written by the crate's own writer, to be mutated.
#[cfg(feature = "parquet")]
fn parquet_seed() -> &'static [u8] {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use std::sync::Arc;
        let schema = Arc::new(
            parquet::schema::parser::parse_message_type(
                "message m { required int64 id; optional binary name (UTF8); \
                 optional group tags (LIST) { repeated group list { optional binary element (UTF8); } } }",
            )
            .expect("schema"),
        );
        let props = Arc::new(WriterProperties::builder().build());
        let mut out = Vec::new();
        let mut w = SerializedFileWriter::new(&mut out, schema, props).expect("writer");
        let mut rg = w.next_row_group().expect("row group");
        let mut c = rg.next_column().expect("column").expect("id");
        c.typed::<Int64Type>()
            .write_batch(&[1, 2, 3], None, None)
            .expect("ids");
        c.close().expect("close");
        let mut c = rg.next_column().expect("column").expect("name");
        c.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from("a"), ByteArray::from("c")], Some(&[1, 0, 1]), None)
            .expect("names");
        c.close().expect("close");
        let mut c = rg.next_column().expect("column").expect("tags");
        c.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from("t")], Some(&[3, 0, 1]), Some(&[0, 0, 0]))
            .expect("tags");
        c.close().expect("close");
        rg.close().expect("row group");
        w.close().expect("file");
        out
    })
}

#[cfg(not(feature = "parquet"))]
fn parquet_seed() -> &'static [u8] {
    b"PAR1"
}

fn object_input(g: &mut G) -> ObjectInput {
    let limit = one(g, vec![16usize, 64, 300, 4096, 1 << 20]);
    let items: Vec<Value> = (0..g.gen_range(0..8))
        .map(|_| generate::json(g, 3))
        .collect();
    let (text, format, mut expect) = match g.gen_range(0..6) {
        0 | 1 => {
            // Items in a top-level array, or deeper behind a pointer, among other members.
            let array = Value::Array(items.clone());
            let pretty = g.gen_ratio(1, 2);
            let (doc, pointer) = if g.gen_ratio(1, 2) {
                (array, None)
            } else {
                let doc = json!({"skip": generate::json(g, 3), "a/b": {"~c": [generate::json(g, 2), array]}, "n": 1});
                (doc, Some("/a~1b/~0c/1".to_string()))
            };
            let text = if pretty {
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            } else {
                doc.to_string()
            };
            (
                text,
                Format::Json {
                    items_pointer: pointer,
                },
                Some(items),
            )
        }
        2 => {
            let lines: Vec<String> = items.iter().map(Value::to_string).collect();
            let sep = one(g, vec!["\n", "\r\n", "\n\n  \n"]);
            (lines.join(sep), Format::Jsonl, Some(items))
        }
        3 => {
            let width = g.gen_range(1..5);
            let rows: Vec<String> = (0..g.gen_range(0..6))
                .map(|_| {
                    (0..g.gen_range(0..width + 2))
                        .map(|_| csv_field(g))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            let headers = if g.gen_ratio(1, 2) {
                Some((0..width).map(|i| format!("h{i}")).collect())
            } else {
                None
            };
            let delimiter = b',';
            (rows.join("\n"), Format::Csv { delimiter, headers }, None)
        }
        4 => {
            let mut b = parquet_seed().to_vec();
            for _ in 0..g.gen_range(0..4) {
                if b.is_empty() {
                    break;
                }
                let i = g.gen_range(0..b.len());
                match g.gen_range(0..3) {
                    0 => b[i] = g.r#gen(),
                    1 => b.truncate(i),
                    _ => b[i] ^= 0x80,
                }
            }
            return ObjectInput {
                bytes: b,
                format: Format::Parquet,
                limit,
                expect: None,
            };
        }
        _ => (
            generate::document(g).to_string(),
            Format::Json {
                items_pointer: Some(
                    one(g, vec!["", "/a", "/b", "/items", "/x/0", "/0"]).to_string(),
                ),
            },
            None,
        ),
    };
    let text = if g.gen_ratio(1, 3) {
        expect = None;
        let n = g.gen_range(1..4);
        generate::mutate_text(
            g,
            &text,
            n,
            &["[", "]", "{", "}", ",", "\"", "\\", "\n", ":", " "],
        )
    } else {
        text
    };
    // Only within a generous limit do all items come back.
    if limit < (1 << 20) {
        expect = None;
    }
    let mut bytes = text.into_bytes();
    if g.gen_ratio(1, 6) {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = e.write_all(&bytes);
        bytes = e.finish().unwrap_or_default();
    }
    ObjectInput {
        bytes,
        format,
        limit,
        expect,
    }
}

/// As a Distributed Map's `ItemReader` reads an object: every item, or the first error.
fn run_object(input: &ObjectInput) {
    let body: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(input.bytes.clone()));
    let got: Result<Vec<Value>, ReadError> = items_within(body, &input.format, input.limit)
        .and_then(|items| items.take(10_000).collect());
    if let Some(expect) = &input.expect {
        assert_eq!(
            got.as_ref(),
            Ok(expect),
            "the items as serde_json reads them"
        );
    }
}

#[test]
fn item_reader_object() {
    fuzz("item_reader_object", LIMIT, object_input, run_object);
}

// ---------------------------------------------------------------- pinned findings and bounds

/// Every reader refuses text nested 100 000 deep with an error that says so, on the stack the
/// binary has (found by the targets above: the JSONPath filter parser overflowed the stack).
#[test]
fn deep_nesting_is_refused_with_a_clear_error() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            let d = 100_000;
            let definition = |inner: String| {
                format!("{{\"StartAt\":\"P\",\"States\":{{\"P\":{{\"Type\":\"Pass\",\"Result\":{inner},\"End\":true}}}}}}")
            };
            let refused = |syntax: Syntax, text: String| {
                let defs = load_text("deep", text, syntax, Path::new("."), &[]).expect("read");
                match &defs[0].value {
                    Err(problem) => format!("{problem:?}"),
                    Ok(_) => panic!("a {syntax:?} text nested {d} deep was accepted"),
                }
            };
            let e = refused(Syntax::Json, definition(nested("[", "1", "]", d)));
            assert!(e.contains("recursion limit"), "{e}");
            // JSON text in a YAML file is read as JSON, with JSON's limit.
            let e = refused(Syntax::Yaml, definition(nested("[", "1", "]", d)));
            assert!(e.contains("recursion limit"), "{e}");
            let block = |inner: String| format!("StartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n    Result: {inner}\n");
            // The YAML parser's own limit or ours (128), whichever is met first.
            let too_deep = |e: &str| e.contains("recursion limit") || e.contains("nests deeper than 128");
            let e = refused(Syntax::Yaml, block(nested("[", "1", "]", d)));
            assert!(too_deep(&e), "{e}");
            let e = refused(Syntax::Yaml, format!("a: {}", nested("{a: ", "1", "}", d)));
            assert!(too_deep(&e), "{e}");
            let e = refused(Syntax::Yaml, (0..200).map(|i| format!("{}- \n", "  ".repeat(i))).collect());
            assert!(too_deep(&e), "{e}");

            let e = JsonPath::parse(&format!("$[?({})]", nested("(", "@.a", ")", d))).expect_err("refused");
            assert!(e.message.contains("nests deeper than 64"), "{}", e.message);

            let e = parse_call(&nested("States.Array(", "1", ")", d)).expect_err("refused");
            assert!(e.to_string().contains("nest"), "{e}");

            for text in [nested("[", "1", "]", d), nested("(", "1", ")", d), nested("-", "1", "", d), nested("$f(", "1", ")", d)] {
                let Err(e) = Expression::compile(&text) else {
                    panic!("a JSONata expression nested {d} deep was accepted")
                };
                assert!(e.message.contains("nesting depth"), "{}", e.message);
            }
        })
        .expect("spawn")
        .join()
        .expect("no reader overflows the stack or panics");
}

/// A JSONata function that never stops calling itself ends with AWS's evaluation error once
/// it is 10 000 calls deep, well before the stack ends.
#[test]
fn unbounded_jsonata_recursion_ends_with_an_error() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(|| {
            let mut r = rand::SeedableRng::seed_from_u64(1);
            let roots = roots(&mut r);
            for text in [
                "($f := function($n) { 1 + $f($n + 1) }; $f(0))",
                "($f := function($n) { [$f($n), $f($n)] }; $f(1))",
                "($a := function($n) { 1 + $b($n) }; $b := function($n) { 1 + $a($n) }; $a(1))",
            ] {
                let e = Expression::compile(text)
                    .expect("parses")
                    .evaluate(&roots)
                    .expect_err("fails");
                assert_eq!(e.error, "States.QueryEvaluationError");
                assert!(e.message.contains("Stack overflow"), "{}", e.message);
            }
        })
        .expect("spawn")
        .join()
        .expect("no overflow");
}

/// Found by the `jsonata_expression` target: jsonata-core 2.2.13 copies a closure's environment
/// into it, so each item of a filter that rebinds `$x` to a function reading `$x` makes a
/// closure holding the previous one, and dropping a chain of 300 000 of them recursed past the
/// end of the stack (SIGSEGV in `asl eval` and in a `{% %}` field). Such expressions now run on
/// a stack of their own (src/data/jsonata/harden.rs). Runs the binary, so a crash shows as a
/// failed assertion, not the end of the test process.
#[test]
fn a_long_chain_of_closures_is_not_a_crash() {
    for expr in [
        "$count([1..300000][$x := function($v, $i) { $x / 2 }])",
        // Compositions chain the same way, with no `function` in sight.
        "($x := $trim; $count([1..300000][$x := $x ~> $trim]))",
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
            .args(["eval", "--jsonata", expr])
            .output()
            .expect("run asl");
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).trim()
            ),
            (Some(0), "0"),
            "`{expr}`: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Found by the `jsonata_expression` and `payload_template` targets: jsonata-core 2.2.13 built
/// a range whose bounds lie past 64-bit integers (its check of the size overflowed) and padded
/// a string to any width, allocating until memory ran out. They are now the errors jsonata-js
/// (AWS) gives, whether `$pad` is called directly, by reference or partially applied. Run
/// under a 2 GB address-space limit, so a regression is a failed allocation, not the machine's
/// memory.
#[test]
fn huge_ranges_and_pads_are_errors() {
    for (expr, error) in [
        ("[-18446744073709551616..18446744073709551615]", "D2014"),
        ("[1..([1e300..1e300][0])]", "D2014"),
        ("$pad('abc', 9223372036854775807)", "Invalid string length"),
        ("$pad('abc', -1e18, '#')", "Invalid string length"),
        ("($p := $pad; $p('abc', 1e18))", "Invalid string length"),
        ("$pad('abc', ?)(1e18)", "Invalid string length"),
        ("'abc' ~> $pad(1e18)", "Invalid string length"),
    ] {
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                "ulimit -v 2000000; exec \"$0\" eval --jsonata \"$1\"",
                env!("CARGO_BIN_EXE_asl"),
                expr,
            ])
            .output()
            .expect("run asl");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "`{expr}`: {:?} {stderr}",
            out.status
        );
        assert!(stderr.contains(error), "`{expr}`: {stderr}");
    }
}
