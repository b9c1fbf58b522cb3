//! `asl test`: find test files, load and check them with their definitions, run the cases in
//! parallel, and report (people on stderr; JSON or GitHub annotations on stdout; JUnit, LCOV
//! and coverage JSON to files).

use super::error::CliError;
use super::render;
use super::run::{MockCheck, load_definition_named, load_definition_warned};
use super::trace::Tracer;
use crate::definition::StateMachine;
use crate::engine::EventSink;
use crate::handlers::TaskHandler;
use crate::handlers::aws::shape_check;
use crate::handlers::command::CommandHandler;
use crate::handlers::mock::MockHandler;
use crate::handlers::routing::{HandlerConfig, Route};
use crate::testing::coverage::{Coverage, LineOf, Structure};
use crate::testing::file::{FileError, LoadFailure, TestFile};
use crate::testing::outline::Outline;
use crate::testing::report;
use crate::testing::results::{CaseReport, CaseStatus, DefinitionWarning, FileReport};
use crate::testing::runner::{self, CaseRun, Prepared};
use crate::testing::snapshot;
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TEST_HELP: &str = "\
Test files are YAML or JSON files named *.test.yaml, *.test.yml or *.test.json; a directory is
searched recursively for them (hidden folders, target/ and node_modules/ are skipped; links
are followed only inside the PATHs, each file runs once). With no PATH, the current directory. See docs/testing.md for the format.

Examples:
  asl test                                   # every test file under the current directory
  asl test asl-samples --coverage --coverage-min 90
  asl test orders.test.yaml --filter refund --trace
  asl test --junit junit.xml --lcov lcov.info --format github
  asl test --artifacts failed/               # histories and pictures of failing cases

Exit codes: 0 every case passed, 1 a case failed (or coverage is under --coverage-min),
2 a test file or a definition is invalid, or a flag is wrong.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Results for people on stderr only.
    Human,
    /// A JSON report on stdout (people's output stays on stderr).
    Json,
    /// GitHub workflow annotations (`::error file=…,line=…::`) on stdout.
    Github,
}

#[derive(Args, Debug)]
#[command(after_help = TEST_HELP)]
pub struct TestArgs {
    /// Test files, or directories to search for them (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Run only the cases whose name (or test file path) contains SUBSTR.
    #[arg(long, value_name = "SUBSTR")]
    pub filter: Option<String>,
    /// How many cases run at once (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Stop starting cases after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Show each failing case's data flow, state by state (the `asl run --trace` format), then
    /// each failing state in full.
    #[arg(long)]
    pub trace: bool,
    /// Write into DIR, for each failing case, its history (as `asl run --history` writes it)
    /// and its run drawn on the definition (as `asl run --graph x.html` draws it), named after
    /// the test file and the case.
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// Warnings (mocks never used, sequences that ran out) fail the case.
    #[arg(long)]
    pub strict: bool,
    /// Record the actual output and path into cases marked `snapshot`; nothing is written
    /// without this flag.
    #[arg(long)]
    pub update_snapshots: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print a coverage summary per definition (states, transitions, Choice rules, Catch
    /// clauses, Retry outcomes, branches).
    #[arg(long)]
    pub coverage: bool,
    /// Exit 1 when a definition's state+branch coverage is under PCT percent (0 to 100).
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub coverage_min: Option<f64>,
    /// Write coverage as LCOV to FILE (SF = the definition, DA = states, BRDA = Choice rules,
    /// Catch clauses and Retry outcomes).
    #[arg(long, value_name = "FILE")]
    pub lcov: Option<PathBuf>,
    /// Write the full coverage structure with counts as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub coverage_json: Option<PathBuf>,
    /// Write coverage drawn on each definition's graph into DIR: one self-contained HTML page
    /// per definition (covered and uncovered states, edges, Choice rules, Catch clauses and
    /// Retry outcomes, with their counts) and `index.html`.
    #[arg(long, value_name = "DIR")]
    pub coverage_html: Option<PathBuf>,
    /// How to reach AWS for states routed to it by a test file's `handlers`.
    #[command(flatten)]
    pub connection: super::aws_args::AwsArgs,
    /// How mocked results of AWS API calls (inline mocks and mock files) are checked against
    /// the API's output shape: `strict`, `present`, `warn` or `none` (see `asl run --help`).
    #[arg(long, value_name = "MODE", default_value = "warn", value_parser = ["strict", "present", "warn", "none"])]
    pub mock_validation: String,
}

/// `--coverage-min`: a finite percentage from 0 to 100 (`nan`, `inf`, `-5` and `120` would
/// make the check always or never pass without saying so).
fn parse_percent(s: &str) -> Result<f64, String> {
    let expected = || format!("expected a percentage from 0 to 100, but got `{s}`");
    let v: f64 = s.trim().parse().map_err(|_| expected())?;
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(expected())
    }
}

/// The file names `asl test` looks for in directories.
pub fn is_test_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    [".test.yaml", ".test.yml", ".test.json"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The test files under the named roots, each once, in name order per folder.
///
/// A link (to a folder or a file) is followed only when it leads inside one of the named roots,
/// and each folder is searched once (by its resolved path): a link to `.` or to a parent
/// neither repeats cases nor loops, and a link out of the roots is not searched. A file found
/// twice (through a link, or under two overlapping roots) runs once.
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    let default = [PathBuf::from(".")];
    let roots = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let within: Vec<PathBuf> = roots
        .iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut seen = Seen::default();
    for p in roots {
        if p.is_dir() {
            walk(p, &within, &mut seen, &mut out);
        } else if p.is_file() {
            // A file named on the command line runs wherever it is.
            if seen.file(p) {
                out.push(p.clone());
            }
        } else {
            return Err(CliError::Usage(format!(
                "`{}` is neither a test file nor a directory",
                p.display()
            )));
        }
    }
    Ok(out)
}

/// Folders searched and files taken so far, by resolved path.
#[derive(Default)]
struct Seen {
    dirs: std::collections::HashSet<PathBuf>,
    files: std::collections::HashSet<PathBuf>,
}

impl Seen {
    /// Whether `dir` is searched for the first time (a folder that does not resolve is not).
    fn dir(&mut self, dir: &Path) -> bool {
        dir.canonicalize().is_ok_and(|c| self.dirs.insert(c))
    }

    /// Whether `file` is taken for the first time.
    fn file(&mut self, file: &Path) -> bool {
        match file.canonicalize() {
            Ok(c) => self.files.insert(c),
            Err(_) => true,
        }
    }
}

fn walk(dir: &Path, within: &[PathBuf], seen: &mut Seen, out: &mut Vec<PathBuf>) {
    if !seen.dir(dir) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(PathBuf, bool)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let link = e.file_type().ok()?.is_symlink();
            Some((e.path(), link))
        })
        .collect();
    entries.sort();
    for (p, link) in entries {
        // A link leads where it resolves: only inside the roots (a dangling one nowhere).
        if link
            && !p
                .canonicalize()
                .is_ok_and(|t| within.iter().any(|r| t.starts_with(r)))
        {
            continue;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if p.is_dir() {
            if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                walk(&p, within, seen, out);
            }
        } else if is_test_file(&p) && seen.file(&p) {
            out.push(p.strip_prefix("./").map(Path::to_path_buf).unwrap_or(p));
        }
    }
}

/// Each problem of a test file as `file:line:col: error: message (at /pointer)` with the line
/// and a caret; YAML positions come from the parsed document.
fn render_errors(doc: &crate::source::Document, errors: &[FileError], severity: &str) -> String {
    errors
        .iter()
        .map(|e| {
            let at = if e.pointer.is_empty() {
                "/"
            } else {
                &e.pointer
            };
            match e.position.or_else(|| doc.position(&e.pointer)) {
                Some(p) => {
                    let mut s = format!(
                        "{}:{}:{}: {severity}: {} (at {at})",
                        doc.path, p.line, p.column, e.message
                    );
                    if let Some(line) = doc.line(p.line) {
                        let shown: String = line.chars().take(160).collect();
                        s.push_str(&format!(
                            "\n  {shown}\n  {}^",
                            " ".repeat(p.column.saturating_sub(1).min(160))
                        ));
                    }
                    s
                }
                None => format!("{}: {severity}: {} (at {at})", doc.path, e.message),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One loaded test file with its definition.
struct Loaded {
    file: TestFile,
    machine: Arc<StateMachine>,
    /// The key of its definition for coverage (`path` or `path#LogicalId`).
    definition_key: String,
    name: String,
    /// What `asl validate` warns about in the definition.
    warnings: Vec<DefinitionWarning>,
}

/// Reads a test file and its definition and checks one against the other: every problem
/// found, rendered, in one report (the file's own problems do not hide those its state names
/// have against the definition); the loaded file when its definition could be loaded.
fn load_file(path: &Path) -> (Option<Loaded>, Vec<String>) {
    let (file, mut errors) = match TestFile::read(path) {
        Ok(read) => read,
        Err(LoadFailure::Unreadable(m) | LoadFailure::Syntax(m)) => return (None, vec![m]),
        Err(LoadFailure::Invalid(doc, errors)) => {
            return (None, vec![render_errors(&doc, &errors, "error")]);
        }
    };
    if file.definition.as_os_str().is_empty() {
        return (None, vec![render_errors(&file.doc, &errors, "error")]);
    }
    let (machine, warnings, default_name) =
        match load_definition_warned(&file.definition, file.logical_id.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                let mut problems = Vec::new();
                if !errors.is_empty() {
                    problems.push(render_errors(&file.doc, &errors, "error"));
                }
                problems.push(format!(
                    "{e}\n{}: error: the definition `{}` named by this test file cannot be tested",
                    file.shown, file.definition_shown
                ));
                return (None, problems);
            }
        };
    errors.extend(Outline::of(&machine).check(&file));
    let mut problems = Vec::new();
    if !errors.is_empty() {
        // In the order they are written, whichever check found them.
        let at = |e: &FileError| {
            e.position
                .or_else(|| file.doc.position(&e.pointer))
                .map_or((usize::MAX, 0), |p| (p.line, p.column))
        };
        errors.sort_by_cached_key(at);
        problems.push(render_errors(&file.doc, &errors, "error"));
    }
    // `stateMachineName`, else the template's logical id (named after `#`, or the template's
    // only state machine), else the file name (docs/testing.md).
    let name = file.state_machine_name.clone().unwrap_or(default_name);
    let key = match &file.logical_id {
        Some(id) => format!("{}#{id}", file.definition.display()),
        None => file.definition.display().to_string(),
    };
    let loaded = Loaded {
        file,
        machine: Arc::new(machine),
        definition_key: key,
        name,
        warnings,
    };
    (Some(loaded), problems)
}

/// A JSON file read beside a test file (a mock file, a handlers file): malformed, or with a
/// key written twice (which a reader would silently drop), it is an error located there.
fn read_json(shown: &str, text: &str) -> Result<Value, String> {
    let (value, repeats) =
        crate::source::json::parse(text).map_err(|e| render::json_error(shown, text, &e))?;
    if !repeats {
        return Ok(value);
    }
    let problems: Vec<String> = crate::source::duplicates::scan(text)
        .into_iter()
        .map(|d| {
            let message = format!(
                "`{}` is written twice in one object: a reader keeps only the last, so the first would be ignored without a word; keep one (at {})",
                d.key,
                if d.object.is_empty() { "/" } else { &d.object }
            );
            match d.position {
                Some(p) => format!("{shown}:{}:{}: error: {message}", p.line, p.column),
                None => format!("{shown}: error: {message}"),
            }
        })
        .collect();
    Err(problems.join("\n"))
}

/// Makes the AWS handler when a state is routed to AWS.
type AwsFactory<'a> = dyn FnMut() -> Result<Arc<dyn TaskHandler>, CliError> + 'a;

/// The mock file test case of each case, and the file's handler routes, checked; without
/// `aws`, routes to AWS are checked but get no handler (the run will not start).
fn prepare<'a>(
    l: &'a Loaded,
    mut aws: Option<&mut AwsFactory>,
    check: MockCheck,
) -> Result<Prepared<'a>, String> {
    let f = &l.file;
    let tasks = runner::task_states(&l.machine);
    let resources = l.machine.root.task_resources();
    let task_refs: Vec<&str> = tasks.iter().map(String::as_str).collect();
    let mut docs: HashMap<PathBuf, (String, Value)> = HashMap::new();
    let mut mock_configs = Vec::new();
    let mut problems = Vec::new();
    for case in &f.cases {
        let Some(mc) = case.mock_config.as_ref().or(f.mock_config.as_ref()) else {
            mock_configs.push(None);
            continue;
        };
        let file = mc
            .file
            .clone()
            .or_else(|| f.mock_config.as_ref().and_then(|m| m.file.clone()))
            .unwrap_or_default();
        if !docs.contains_key(&file) {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                format!(
                    "{}: error: cannot read the mock file `{}`: {e}",
                    f.shown,
                    file.display()
                )
            })?;
            let v = read_json(&file.display().to_string(), &text)?;
            docs.insert(file.clone(), (text, v));
        }
        let Some((text, doc)) = docs.get(&file) else {
            continue;
        };
        let machine = mc.state_machine.clone().unwrap_or_else(|| {
            MockHandler::only_machine(doc, &l.name)
                .unwrap_or(&l.name)
                .to_string()
        });
        let shown = file.display().to_string();
        match MockHandler::from_value(doc, &machine, &mc.test_case) {
            Ok(h) => {
                for s in h.states() {
                    if !task_refs.contains(&s) {
                        problems.push(render::located(
                            &shown,
                            text,
                            &format!("/StateMachines/{machine}/TestCases/{}/{s}", mc.test_case),
                            "error",
                            &format!(
                                "the test case mocks `{s}`, which is not a Task state of the definition{}",
                                crate::definition::diagnostic::did_you_mean_in(s, &task_refs)
                            ),
                        ));
                    }
                }
                for (p, m) in super::run::mock_mismatches(&h, &resources, check) {
                    let said = render::located(&shown, text, &p, check.severity(), &m);
                    if check.fatal {
                        problems.push(said);
                    } else {
                        say!("{said}");
                    }
                }
                mock_configs.push(Some((h, format!("{shown}#{}", mc.test_case))));
            }
            Err(errs) => {
                for e in errs {
                    problems.push(render::located(
                        &shown, text, &e.pointer, "error", &e.message,
                    ));
                }
                mock_configs.push(None);
            }
        }
    }
    let inline = inline_mock_mismatches(f, &resources, check);
    if check.fatal {
        problems.extend(inline);
    } else {
        for said in inline {
            say!("{said}");
        }
    }
    let mut routes: Vec<(String, Arc<dyn TaskHandler>)> = Vec::new();
    if let Some(h) = &f.handlers {
        let text = std::fs::read_to_string(h).map_err(|e| {
            format!(
                "{}: error: cannot read the handlers file `{}`: {e}",
                f.shown,
                h.display()
            )
        })?;
        let shown = h.display().to_string();
        let doc = read_json(&shown, &text)?;
        let base = h
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let located = |errs: Vec<crate::handlers::routing::ConfigError>| {
            errs.iter()
                .map(|e| render::located(&shown, &text, &e.pointer, "error", &e.message))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let cfg = HandlerConfig::from_value(&doc, base).map_err(located)?;
        let unknown = cfg.unknown_states(&task_refs);
        if !unknown.is_empty() {
            return Err(located(unknown));
        }
        for s in l.machine.root.all_states() {
            let crate::definition::Kind::Task(t) = &s.kind else {
                continue;
            };
            match cfg.route(&s.name, &t.resource.arn) {
                Some((Route::Command(spec), _)) => routes.push((
                    s.name.clone(),
                    Arc::new(CommandHandler::new(spec.clone(), None)),
                )),
                Some((Route::Aws, _)) => {
                    if let Some(why_not) = crate::handlers::routing::aws_refusal(&t.resource) {
                        problems.push(format!(
                            "{}: error: the Task state `{}` is routed to AWS, but its resource `{}` cannot run there: {why_not}",
                            shown, s.name, t.resource.arn
                        ));
                        continue;
                    }
                    if let Some(aws) = aws.as_mut() {
                        let h = aws().map_err(|e| e.to_string())?;
                        routes.push((s.name.clone(), h));
                    }
                }
                Some((Route::Mock, _)) | None => {}
            }
        }
    }
    let mut machines = HashMap::new();
    for (name, file, _) in &f.machines {
        let (path, id) = super::run::split_logical_id(file);
        match load_definition_named(&path, id.as_deref()) {
            Ok(m) => {
                machines.insert(name.clone(), Arc::new(m));
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    // The histories cases replay, each read once.
    let mut replays = Vec::new();
    let mut read: HashMap<PathBuf, Arc<crate::record::Recording>> = HashMap::new();
    for case in &f.cases {
        let Some((path, _)) = &case.replay else {
            replays.push(None);
            continue;
        };
        if !read.contains_key(path) {
            let history = super::record::load_history(path).map_err(|e| {
                format!(
                    "{e}\n{}: error: the case `{}` cannot replay `{}`",
                    f.shown,
                    case.name,
                    path.display()
                )
            })?;
            let rec = crate::record::Recording::attribute(&history, Some(&l.machine));
            read.insert(path.clone(), Arc::new(rec));
        }
        replays.push(read.get(path).cloned());
    }
    Ok(Prepared {
        file: f,
        machine: &l.machine,
        name: l.name.clone(),
        mock_configs,
        replays,
        routes,
        tasks,
        machines,
        lines: f.case_lines(),
        execution_names: runner::execution_names(&f.cases),
    })
}

#[cfg(feature = "aws")]
fn aws_handler(args: &TestArgs) -> Result<Arc<dyn TaskHandler>, CliError> {
    use crate::handlers::aws::{
        ApiHandler, AwsHandler, EcsRunner, PollPolicy, SdkSettings, SfnRunner, sdk_clients,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let settings = SdkSettings {
        profile: args.connection.profile.clone(),
        region: None,
        endpoint_url: args.connection.endpoint_url.clone(),
        ..SdkSettings::default()
    };
    let clients = rt.block_on(sdk_clients(&settings));
    Ok(Arc::new(
        AwsHandler::new(
            clients.lambda,
            EcsRunner::new(clients.ecs, PollPolicy::default()),
        )
        .with_sfn(SfnRunner::new(clients.sfn, PollPolicy::default()))
        .with_api(Arc::new(ApiHandler::new(
            clients.api,
            PollPolicy::default(),
        ))),
    ))
}

#[cfg(not(feature = "aws"))]
fn aws_handler(_args: &TestArgs) -> Result<Arc<dyn TaskHandler>, CliError> {
    Err(CliError::Usage(
        "this build of asl has no AWS support (build it with the cargo feature `aws`)".into(),
    ))
}

/// Inline mocks (the file's and each case's) whose results could not come from the API
/// their state calls, rendered at the mock.
fn inline_mock_mismatches(
    f: &crate::testing::file::TestFile,
    resources: &[(&str, &crate::definition::Resource)],
    check: MockCheck,
) -> Vec<String> {
    use crate::testing::file::{Answer, MockSpec};
    let mut errors = Vec::new();
    let all = f
        .mocks
        .iter()
        .chain(f.cases.iter().flat_map(|c| c.mocks.iter()));
    for (state, mock) in all {
        let Some((_, r)) = resources.iter().find(|(s, _)| s == state) else {
            continue;
        };
        let answers: Vec<&Answer> = match &mock.spec {
            MockSpec::Fixed(a) => vec![a],
            MockSpec::Sequence(s) => s.iter().map(|(_, a)| a).collect(),
            MockSpec::Conditional(c) => c.iter().map(|(_, a)| a).collect(),
        };
        for a in answers {
            let Answer::Return(v) = a else { continue };
            for (at, why) in shape_check::check(r, v, check.fields) {
                errors.push(FileError::new(
                    mock.pointer.clone(),
                    format!(
                        "the mocked result of `{state}` cannot come from `{}`: {why} (at {} in the result; {})",
                        r.arn,
                        if at.is_empty() { "/" } else { &at },
                        check.hint()
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Vec::new()
    } else {
        vec![render_errors(&f.doc, &errors, check.severity())]
    }
}

/// A case to run: (file index, case index).
type Job = (usize, usize);

pub fn run(args: TestArgs) -> Result<ExitCode, CliError> {
    let began = Instant::now();
    let paths = discover(&args.paths)?;
    if paths.is_empty() {
        return Err(CliError::Usage(
            "no test files found (looked for *.test.yaml, *.test.yml and *.test.json)".into(),
        ));
    }
    // Load and check everything before running anything: a bad file is exit 2, with every
    // problem of every file.
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for p in &paths {
        let (l, found) = load_file(p);
        problems.extend(found);
        loaded.extend(l);
    }
    let check = MockCheck::parse(&args.mock_validation);
    let mut aws: Option<Arc<dyn TaskHandler>> = None;
    let mut get_aws = || -> Result<Arc<dyn TaskHandler>, CliError> {
        if let Some(a) = &aws {
            return Ok(a.clone());
        }
        let a = aws_handler(&args)?;
        aws = Some(a.clone());
        Ok(a)
    };
    // With problems already found, the files are still prepared for the problems preparing
    // finds (mock files, handler files), but no AWS client is made.
    let checking_only = !problems.is_empty();
    let mut prepared = Vec::new();
    for l in &loaded {
        let aws: Option<&mut AwsFactory> = if checking_only {
            None
        } else {
            Some(&mut get_aws)
        };
        match prepare(l, aws, check) {
            Ok(p) => prepared.push(p),
            Err(m) => problems.push(m),
        }
    }
    if !problems.is_empty() {
        return Err(CliError::Input(problems.join("\n")));
    }

    // Which cases run: the filter, then `only`, then `skip`.
    let selected = |f: &TestFile, i: usize| -> bool {
        args.filter
            .as_deref()
            .is_none_or(|s| f.cases[i].name.contains(s) || f.shown.contains(s))
    };
    let any_only = prepared
        .iter()
        .any(|p| (0..p.file.cases.len()).any(|i| selected(p.file, i) && p.file.cases[i].only));
    let mut jobs: Vec<Job> = Vec::new();
    let mut skipped: Vec<Job> = Vec::new();
    for (fi, p) in prepared.iter().enumerate() {
        for (ci, c) in p.file.cases.iter().enumerate() {
            if !selected(p.file, ci) {
                continue;
            }
            if c.skip || (any_only && !c.only) {
                skipped.push((fi, ci));
            } else {
                jobs.push((fi, ci));
            }
        }
    }

    let results = run_jobs(&prepared, &jobs, &args);

    // Reports per file, in file and case order.
    let mut reports: Vec<FileReport> = prepared
        .iter()
        .zip(&loaded)
        .map(|(p, l)| FileReport {
            path: p.file.shown.clone(),
            machine: p.name.clone(),
            definition: p.file.definition.display().to_string(),
            cases: Vec::new(),
            duration: Duration::ZERO,
            definition_warnings: l.warnings.clone(),
        })
        .collect();
    let mut per_case: Vec<Vec<Option<CaseReport>>> = prepared
        .iter()
        .map(|p| vec![None; p.file.cases.len()])
        .collect();
    let mut coverage: Vec<(String, Coverage, usize)> = Vec::new();
    let counting = args.coverage
        || args.coverage_min.is_some()
        || args.lcov.is_some()
        || args.coverage_json.is_some()
        || args.coverage_html.is_some();
    let mut used_file_mocks: Vec<std::collections::HashSet<String>> =
        vec![Default::default(); prepared.len()];
    let mut snapshots: Vec<(usize, usize, Value, Vec<String>)> = Vec::new();
    for ((fi, ci), run) in jobs.iter().zip(results) {
        let Some(mut run) = run else {
            per_case[*fi][*ci] = Some(not_run(
                &prepared[*fi],
                *ci,
                "not run: --fail-fast stopped the run",
            ));
            continue;
        };
        used_file_mocks[*fi].extend(run.used_file_mocks.drain(..));
        let key = &loaded[*fi].definition_key;
        let cov = match coverage.iter_mut().find(|(k, _, _)| k == key) {
            Some(c) => c,
            None => {
                coverage.push((
                    key.clone(),
                    Coverage::new(Structure::of(&loaded[*fi].machine)),
                    *fi,
                ));
                let n = coverage.len() - 1;
                &mut coverage[n]
            }
        };
        if counting {
            cov.1.add(run.record.hits());
        }
        if args.update_snapshots && prepared[*fi].file.cases[*ci].snapshot.is_some() {
            snapshots.push((*fi, *ci, run.actual.0.clone(), run.actual.1.clone()));
            run.report
                .failures
                .retain(|f| !f.expectation.starts_with("snapshot"));
            if run.report.failures.is_empty() {
                run.report.status = CaseStatus::Passed;
            }
        }
        reports[*fi].duration += run.report.duration;
        per_case[*fi][*ci] = Some(run.report);
    }
    for (fi, ci) in &skipped {
        per_case[*fi][*ci] = Some(not_run(&prepared[*fi], *ci, ""));
    }
    for (fi, cases) in per_case.into_iter().enumerate() {
        reports[fi].cases = cases.into_iter().flatten().collect();
    }
    // Inline mocks of the file that no case used.
    let mut file_warnings: Vec<String> = Vec::new();
    for (fi, p) in prepared.iter().enumerate() {
        // Only when every case of the file ran: a mock may serve a case left out.
        let all_ran = reports[fi].cases.len() == p.file.cases.len()
            && reports[fi]
                .cases
                .iter()
                .all(|c| c.status != CaseStatus::Skipped);
        if !all_ran {
            continue;
        }
        for (state, m) in &p.file.mocks {
            if !used_file_mocks[fi].contains(state) {
                file_warnings.push(format!(
                    "{}: warning: the mock for `{state}` ({}) was never used by any case",
                    p.file.shown, m.pointer
                ));
            }
        }
    }

    // --trace and --artifacts: run each failing case again, traced and keeping its history
    // (runs repeat exactly).
    if args.trace || args.artifacts.is_some() {
        let rt = runtime()?;
        if let Some(dir) = &args.artifacts {
            std::fs::create_dir_all(dir).map_err(|e| {
                CliError::Input(format!(
                    "{}: error: cannot make the artifacts folder: {e}",
                    dir.display()
                ))
            })?;
        }
        for (fi, r) in reports.iter_mut().enumerate() {
            // The definition as written, for the pictures: read once per file.
            let mut raw: Option<(StateMachine, Value)> = None;
            for c in r
                .cases
                .iter_mut()
                .filter(|c| c.status == CaseStatus::Failed)
            {
                let Some(ci) = prepared[fi]
                    .file
                    .cases
                    .iter()
                    .position(|x| x.name == c.name)
                else {
                    continue;
                };
                let buffer = Arc::new(Mutex::new(String::new()));
                let histories = args
                    .artifacts
                    .as_ref()
                    .map(|_| crate::handlers::machines::Histories::default());
                let extras = runner::Extras {
                    sink: args.trace.then(|| {
                        Box::new(Tracer::into_buffer(buffer.clone())) as Box<dyn EventSink>
                    }),
                    keep_history: args.artifacts.is_some(),
                    histories: histories.clone(),
                };
                let run = runner::run_case(&prepared[fi], ci, &rt, extras, args.strict);
                if args.trace {
                    let mut trace = buffer.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    trace.push_str(&failing_states(&prepared[fi].file.cases[ci], &run));
                    c.trace = Some(trace);
                }
                if let Some(dir) = &args.artifacts {
                    if raw.is_none() {
                        raw = Some(super::run::load_definition_with_json(Path::new(
                            &loaded[fi].definition_key,
                        ))?);
                    }
                    if let Some((machine, json)) = &raw {
                        c.artifacts = write_artifacts(
                            dir,
                            &prepared[fi],
                            ci,
                            &run,
                            histories.as_ref(),
                            (machine, json),
                        )?;
                    }
                }
            }
        }
    }

    if !snapshots.is_empty() {
        write_snapshots(&prepared, &snapshots)?;
    }

    let total = began.elapsed();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    // What `asl validate` warns about in the definitions, once each.
    let mut shown = std::collections::HashSet::new();
    for w in reports.iter().flat_map(|r| &r.definition_warnings) {
        if shown.insert(&w.rendered) {
            let _ = writeln!(err, "{}", w.rendered);
        }
    }
    if !shown.is_empty() {
        let _ = writeln!(err);
    }
    for r in &reports {
        let _ = writeln!(err, "{} ({})", r.path, r.machine);
        for c in &r.cases {
            let _ = writeln!(err, "{}", report::human::case_line(r, c, color));
            if c.status != CaseStatus::Failed {
                for w in &c.warnings {
                    let _ = writeln!(err, "      warning: {w}");
                }
            }
        }
    }
    for r in &reports {
        for c in r.cases.iter().filter(|c| c.status == CaseStatus::Failed) {
            let _ = writeln!(err, "\n{}", report::human::failure_details(r, c, color));
            if let Some(t) = &c.trace {
                let _ = write!(err, "  trace:\n{}", indent(t));
            }
        }
    }
    for w in &file_warnings {
        let _ = writeln!(err, "{w}");
    }
    let mut coverage_failed = Vec::new();
    if args.coverage || args.coverage_min.is_some() {
        for (key, cov, _) in &coverage {
            if args.coverage {
                let _ = writeln!(err, "\n{}", crate::testing::coverage::summary(cov, key));
            }
            if let Some(min) = args.coverage_min
                && cov.percent() + 1e-9 < min
            {
                coverage_failed.push(format!(
                    "coverage of {key} is {:.1} %, under the minimum of {min} %",
                    cov.percent()
                ));
            }
        }
    }
    let _ = writeln!(err, "\n{}", report::human::summary(&reports, total, color));
    for c in &coverage_failed {
        let _ = writeln!(err, "error: {c}");
    }
    drop(err);

    let write = |path: &Path, text: &str, what: &str| -> Result<(), CliError> {
        std::fs::write(path, text).map_err(|e| {
            CliError::Input(format!(
                "{}: error: cannot write the {what}: {e}",
                path.display()
            ))
        })
    };
    if let Some(p) = &args.junit {
        write(p, &report::junit::junit(&reports, total), "JUnit report")?;
    }
    if let Some(p) = &args.lcov {
        let lines: Vec<LineFn> = coverage
            .iter()
            .map(|(_, _, fi)| line_finder(&loaded[*fi]))
            .collect();
        let entries: Vec<(&str, &Coverage, LineOf)> = coverage
            .iter()
            .zip(&lines)
            .map(|((_, cov, fi), f)| {
                (
                    loaded[*fi].file.definition.to_str().unwrap_or_default(),
                    cov,
                    f.as_ref() as &dyn Fn(&str) -> Option<usize>,
                )
            })
            .collect();
        write(p, &crate::testing::coverage::lcov(&entries), "LCOV report")?;
    }
    if let Some(p) = &args.coverage_json {
        let doc: Vec<Value> = coverage
            .iter()
            .map(|(key, cov, _)| crate::testing::coverage::to_json(cov, key))
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "definitions": doc }))
            .unwrap_or_default();
        write(p, &(text + "\n"), "coverage JSON")?;
    }
    if let Some(dir) = &args.coverage_html {
        write_coverage_html(dir, &coverage)?;
    }
    match args.format {
        Format::Human => {}
        Format::Json => {
            super::stdout::bytes(format!("{}\n", report::json::json(&reports, total)).as_bytes())?
        }
        Format::Github => super::stdout::bytes(report::github::github(&reports).as_bytes())?,
    }
    let failed = reports
        .iter()
        .any(|r| r.cases.iter().any(|c| c.status == CaseStatus::Failed));
    Ok(ExitCode::from(if failed || !coverage_failed.is_empty() {
        1
    } else {
        0
    }))
}

/// The line of a pointer of a loaded definition, for LCOV.
/// Finds the line of a pointer in a definition.
type LineFn = Box<dyn Fn(&str) -> Option<usize>>;

fn line_finder(l: &Loaded) -> LineFn {
    let defs = crate::source::load(&l.file.definition, &[]).unwrap_or_default();
    let id = l.file.logical_id.clone();
    let def = defs.into_iter().find(|d| id.is_none() || d.name == id);
    Box::new(move |pointer: &str| {
        def.as_ref()
            .and_then(|d| d.position(pointer))
            .map(|p| p.line)
    })
}

fn not_run(p: &Prepared, ci: usize, why: &str) -> CaseReport {
    let c = &p.file.cases[ci];
    CaseReport {
        name: c.name.clone(),
        description: c.description.clone(),
        line: p.lines.get(ci).copied().flatten(),
        status: CaseStatus::Skipped,
        duration: Duration::ZERO,
        execution_status: None,
        failures: Vec::new(),
        warnings: if why.is_empty() {
            Vec::new()
        } else {
            vec![why.to_string()]
        },
        trace: None,
        artifacts: Vec::new(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))
}

/// Runs `jobs` on `--jobs` threads, each with its own runtime; `None` for a case that
/// `--fail-fast` kept from starting.
fn run_jobs(prepared: &[Prepared], jobs: &[Job], args: &TestArgs) -> Vec<Option<CaseRun>> {
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<CaseRun>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let Ok(rt) = runtime() else {
                    return;
                };
                loop {
                    if args.fail_fast && stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((fi, ci)) = jobs.get(i) else {
                        return;
                    };
                    let run = runner::run_case(
                        &prepared[*fi],
                        *ci,
                        &rt,
                        runner::Extras::default(),
                        args.strict,
                    );
                    if run.report.status == CaseStatus::Failed {
                        stop.store(true, Ordering::Relaxed);
                    }
                    *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(run);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| s.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

/// Writes recorded snapshots into their test files.
fn write_snapshots(
    prepared: &[Prepared],
    snapshots: &[(usize, usize, Value, Vec<String>)],
) -> Result<(), CliError> {
    let mut by_file: HashMap<usize, Vec<(usize, Value, Vec<String>)>> = HashMap::new();
    for (fi, ci, out, path) in snapshots {
        by_file
            .entry(*fi)
            .or_default()
            .push((*ci, out.clone(), path.clone()));
    }
    for (fi, cases) in by_file {
        let f = prepared[fi].file;
        let edits: Vec<(String, Value)> = cases
            .into_iter()
            .map(|(ci, out, path)| {
                (
                    format!("{}/snapshot", f.cases[ci].pointer),
                    serde_json::json!({"output": out, "path": path}),
                )
            })
            .collect();
        let text = snapshot::write(&f.doc, &edits).map_err(|m| {
            CliError::Input(format!(
                "{}: error: cannot record the snapshots: {m}",
                f.shown
            ))
        })?;
        std::fs::write(&f.shown, text).map_err(|e| {
            CliError::Input(format!(
                "{}: error: cannot write the test file: {e}",
                f.shown
            ))
        })?;
        say!("{}: snapshots recorded", f.shown);
    }
    Ok(())
}

/// `--artifacts DIR`: what a failing case leaves to look at, under `DIR/<test file>/`, named
/// after the case's execution name: `<case>.history.json` (as `asl run --history` writes it),
/// `<case>.html` (as `asl run --graph` draws it) and, when its Distributed Maps wrote to S3,
/// `<case>.s3/BUCKET/KEY`. The paths written, in that order.
fn write_artifacts(
    dir: &Path,
    p: &Prepared,
    ci: usize,
    run: &CaseRun,
    histories: Option<&crate::handlers::machines::Histories>,
    (machine, raw): (&StateMachine, &Value),
) -> Result<Vec<String>, CliError> {
    let folder = dir.join(file_name(&p.file.shown));
    let fail = |path: &Path, e: std::io::Error| {
        CliError::Input(format!(
            "{}: error: cannot write the artifact: {e}",
            path.display()
        ))
    };
    std::fs::create_dir_all(&folder).map_err(|e| fail(&folder, e))?;
    let stem = p
        .execution_names
        .get(ci)
        .cloned()
        .unwrap_or_else(|| format!("case-{ci}"));
    let mut written = Vec::new();
    if let Some(outcome) = &run.outcome {
        let history = folder.join(format!("{stem}.history.json"));
        super::run::write_history(&history, outcome, histories, None)?;
        written.push(history.display().to_string());
        let picture = folder.join(format!("{stem}.html"));
        super::run::write_graph(&picture, true, machine, raw, &run.record, outcome)?;
        written.push(picture.display().to_string());
    }
    if let Some(store) = &run.storage {
        for (bucket, key, bytes) in store.written() {
            let path = folder
                .join(format!("{stem}.s3"))
                .join(file_name(&bucket))
                .join(key.split('/').map(file_name).collect::<PathBuf>());
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| fail(&path, e))?;
            written.push(path.display().to_string());
        }
    }
    Ok(written)
}

/// `text` as one file name: characters other than letters, digits, `-`, `_` and `.` made
/// `_`, and never `.` or `..`.
fn file_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.as_str() {
        "" | "." | ".." => "_".to_string(),
        _ => name,
    }
}

/// The states a failing case failed at, each in full (the trace cuts long values, and a state
/// that fails has no line of its own): where an execution that did not succeed failed (the
/// innermost states whose failure left them), the states whose error a Catch caught, and the
/// states its failed `states`, `calls`, `retries` and `caught` expectations name.
fn failing_states(case: &crate::testing::file::Case, run: &CaseRun) -> String {
    let record = &run.record;
    let mut chosen: Vec<usize> = Vec::new();
    let succeeded = run
        .outcome
        .as_ref()
        .is_some_and(|o| o.status == crate::engine::Status::Succeeded);
    if !succeeded {
        let failed: Vec<usize> = (0..record.visits.len())
            .filter(|&i| record.visits[i].1.failed.is_some())
            .collect();
        for &i in &failed {
            let inner = format!("{}[", record.visits[i].0);
            if !failed
                .iter()
                .any(|&j| record.visits[j].0.starts_with(&inner))
            {
                chosen.push(i);
            }
        }
    }
    // States whose error a Catch caught: where the execution turned away from its path.
    for (i, (_, v)) in record.visits.iter().enumerate() {
        if v.caught.is_some() && !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    let e = &case.expect;
    let named = e
        .states
        .iter()
        .map(|(n, s)| ("states", n, s.visit))
        .chain(e.calls.iter().map(|(n, _)| ("calls", n, 0)))
        .chain(e.retries.iter().map(|(n, _)| ("retries", n, 0)))
        .chain(e.caught.iter().map(|(n, _)| ("caught", n, 0)));
    for (key, name, visit) in named {
        let label = format!("{key}.{name}");
        let failed = run.report.failures.iter().any(|f| {
            f.expectation == label
                || f.expectation.starts_with(&format!("{label}."))
                || f.expectation.starts_with(&format!("{label}["))
        });
        if !failed {
            continue;
        }
        let selected: Vec<usize> = record
            .select(name)
            .filter_map(|(_, v)| record.visits.iter().position(|(_, x)| x.id == v.id))
            .collect();
        if let Some(&i) = selected.get(visit).or(selected.first())
            && !chosen.contains(&i)
        {
            chosen.push(i);
        }
    }
    let mut out = String::new();
    for i in chosen {
        let (name, v) = &record.visits[i];
        out.push_str(&format!("failing state {name} ({}):\n", v.kind));
        let block = |label: &str, value: &Value| {
            let text = serde_json::to_string_pretty(value).unwrap_or_default();
            let mut s = format!("  {label}:\n");
            for line in text.lines() {
                s.push_str(&format!("    {line}\n"));
            }
            s
        };
        out.push_str(&block("input", &v.input.value()));
        for (n, call) in v.calls.iter().enumerate() {
            out.push_str(&block(&format!("call {n} input"), call));
        }
        if let Some(o) = &v.output {
            out.push_str(&block("output", &o.value()));
        }
        if let Some((clause, error)) = &v.caught {
            out.push_str(&format!("  error: {error} (caught by Catch #{clause})\n"));
            if let Some(c) = &v.caught_cause {
                out.push_str(&format!("  cause: {c}\n"));
            }
        }
        if let Some(f) = &v.failed {
            out.push_str(&format!("  error: {}\n", f.error));
            if let Some(c) = &f.cause {
                out.push_str(&format!("  cause: {c}\n"));
            }
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// `--coverage-html DIR`: a page per definition, its graph with the coverage drawn over it,
/// and an index linking them.
fn write_coverage_html(dir: &Path, coverage: &[(String, Coverage, usize)]) -> Result<(), CliError> {
    let fail = |path: &Path, e: std::io::Error| {
        CliError::Input(format!(
            "{}: error: cannot write the coverage page: {e}",
            path.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let mut rows = Vec::new();
    let mut used = std::collections::HashSet::new();
    for (key, cov, _) in coverage {
        // The definition again, with its JSON as written (the graph shows Choice conditions).
        let (machine, raw) = super::run::load_definition_with_json(Path::new(key))?;
        let diagram = crate::graph::Diagram::build(&machine, &raw);
        let overlay = super::overlay::coverage(cov, key);
        let page = crate::graph::html_with(&diagram, Some(&overlay));
        // Named after the definition's file (and logical id), told apart when two share it.
        let base = key.rsplit(['/', '\\']).next().unwrap_or(key);
        let mut stem: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        while !used.insert(stem.clone()) {
            stem.push('_');
        }
        let file = format!("{stem}.html");
        let path = dir.join(&file);
        std::fs::write(&path, page).map_err(|e| fail(&path, e))?;
        rows.push(crate::graph::IndexRow {
            href: file,
            name: key.clone(),
            headline: format!("{:.1} %", cov.percent()),
            complete: cov.uncovered().next().is_none(),
            facts: crate::testing::coverage::Category::ALL
                .iter()
                .map(|c| {
                    let (covered, total) = cov.totals(*c);
                    (c.label().to_string(), format!("{covered}/{total}"))
                })
                .collect(),
        });
    }
    let path = dir.join("index.html");
    std::fs::write(&path, crate::graph::html_index("Coverage", &rows)).map_err(|e| fail(&path, e))
}
