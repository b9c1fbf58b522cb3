//! Replaying a [`Recording`]: a [`Replayer`] answers every Task call from the record and,
//! as the engine's [`Probe`], follows the run state by state to see where it departs.
//!
//! Each local visit is matched to a recorded one by its place, not by time: the n-th state
//! entered on a path (the top level, or branch/iteration `i` of attempt `a` of a Parallel or
//! Map visit) is the n-th recorded visit of the matching recorded path, and its k-th call
//! the recorded visit's k-th call. So concurrent iterations get their own answers whatever
//! order they run in, here or on AWS.
//!
//! The run **departs** where the record says something else happened: another state entered,
//! a call with other parameters or another resource, a call the record lacks (a retry AWS did
//! not make), a call the record has and the run did not make, an iteration AWS did not run,
//! a different end. The run is stopped there ([`Probe::halt`], or a fault from the handler)
//! and the [`Departure`] says where: the state, the event, recorded vs now.
//!
//! The run goes **past the end of the record** where the recorded execution stopped without
//! finishing that path (a failure ended it) and the run goes on (a fixed definition catches
//! or retries the error): that is no departure. States that need no answer run; a Task call
//! there goes to the fallback handlers (the run's mocks or commands) or stops the run,
//! saying so.
//!
//! A Distributed Map's iterations ran as child executions with histories of their own. Those
//! the record holds (`mapRunExecutions`) are matched to the run's iterations by their input,
//! the item or batch (their names are UUIDs, and AWS numbers nothing): an iteration follows
//! the first child not yet taken whose input is equal to its own. An iteration no child
//! matches (the record holds only some of the children) calls the fallback handlers.
//!
//! Two places hold no record for other reasons: the children a record lacks, above.
//! A branch or iteration AWS cut short when its Map or Parallel failed may go further here
//! (asl runs a sibling on to its next Task): its calls there wait for no answer, so the
//! failure stops them as it did on AWS.

use super::compare::{self, Difference};
use super::event::{Family, Payload};
use super::recording::{Answer, Recording};
use crate::definition::State;
use crate::engine::{
    Failure, Fault, Frame, Outcome, Probe, Registry, TaskError, TaskHandler, TaskRequest,
};
use crate::handlers::mock::unanswered;
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Where and how a run left its record.
#[derive(Debug, Clone, PartialEq)]
pub struct Departure {
    /// The state's qualified name in the run (`Map[2]/Charge`), or `(end)`.
    pub state: String,
    /// The recorded event where the record says otherwise.
    pub event: Option<u64>,
    /// What happened, in a sentence.
    pub summary: String,
    /// Recorded vs now, a line each.
    pub details: Vec<String>,
}

impl Departure {
    pub fn message(&self) -> String {
        let at = match self.event {
            Some(e) => format!("`{}` (event {e})", self.state),
            None => format!("`{}`", self.state),
        };
        let mut m = format!("the run departed from the record at {at}: {}", self.summary);
        for d in self.details.iter().take(20) {
            m.push_str("\n  ");
            m.push_str(d);
        }
        if self.details.len() > 20 {
            m.push_str(&format!("\n  ... and {} more", self.details.len() - 20));
        }
        m
    }
}

/// A call the run made.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Logged {
    /// Answered from recorded call `.1` of recorded visit `.0`.
    Recorded(usize, usize),
    /// Of the named state, left waiting: its branch was cut short on AWS.
    Waiting(String),
}

/// How a replayed run relates to its record, once it ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// It followed the record: `calls` calls were answered from it. `beyond`: where it went
    /// past the end of the record, if it did.
    Followed {
        calls: usize,
        beyond: Option<String>,
    },
    Departed(Departure),
}

/// Where a local visit stands against the record.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Matched to this recorded visit.
    Rec(usize),
    /// Past the end of the record.
    Beyond,
    /// In an iteration AWS never started (a failure stopped the Map first): its calls are
    /// never answered, so the run stops it as AWS did.
    Unstarted,
    /// In a Distributed Map run's child execution, whose events the record does not hold.
    Outside,
    /// Past the end of a branch or iteration AWS cut short when its Map or Parallel failed:
    /// its calls wait, so that the failure stops them as on AWS.
    Cut,
    /// It departed (the run is being stopped).
    Departed,
}

struct LocalVisit {
    name: String,
    qualified: String,
    mode: Mode,
    calls: usize,
    /// Retries so far (a retried Map or Parallel fans out again).
    attempts: usize,
    /// The branch or iteration indexes seen, per attempt.
    children: HashMap<usize, BTreeSet<usize>>,
}

/// A local path: the recorded one it follows, and how many states it entered.
struct LocalPath {
    rec: PathPlace,
    count: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum PathPlace {
    At(usize),
    Beyond,
    Unstarted,
    Outside,
    Cut,
}

/// `(parent visit, attempt, index)`; `None` the top level.
type PathKey = Option<(u64, usize, usize)>;

#[derive(Default)]
struct Progress {
    next_id: u64,
    visits: HashMap<u64, LocalVisit>,
    paths: HashMap<PathKey, LocalPath>,
    departure: Option<Departure>,
    beyond: Option<String>,
    /// The calls the run made, in order.
    log: Vec<Logged>,
    /// Where values that cannot repeat were let pass, per recorded call.
    let_pass: HashMap<(usize, usize), Vec<String>>,
    /// Recorded child executions of Distributed Map runs (their paths) -> the iteration
    /// that followed each.
    claimed: HashMap<usize, usize>,
    /// The recorded children of each Distributed Map run's fan-out `(visit, attempt)` not
    /// yet taken, by their input ([`canonical`]).
    by_input: HashMap<(usize, usize), HashMap<String, VecDeque<usize>>>,
}

/// Answers Task calls from a recording and watches the run against it.
pub struct Replayer {
    rec: Arc<Recording>,
    fallback: Option<Registry>,
    inner: Option<Arc<dyn Probe>>,
    progress: Mutex<Progress>,
}

impl Replayer {
    pub fn new(rec: Arc<Recording>) -> Replayer {
        Replayer {
            rec,
            fallback: None,
            inner: None,
            progress: Mutex::new(Progress::default()),
        }
    }

    /// Handlers for the calls past the end of the record.
    pub fn with_fallback(mut self, registry: Registry) -> Replayer {
        self.fallback = Some(registry);
        self
    }

    /// Another probe told everything this one is (a recorder of the run).
    pub fn with_probe(mut self, probe: Arc<dyn Probe>) -> Replayer {
        self.inner = Some(probe);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the run entered states in a branch or iteration past where AWS cut it short
    /// (asl runs a sibling of a failed branch until its next Task; AWS may stop it sooner).
    pub fn went_on_in_cut_branches(&self) -> bool {
        self.lock().visits.values().any(|v| v.mode == Mode::Cut)
    }

    /// The departure, once the run departed.
    pub fn departure(&self) -> Option<Departure> {
        self.lock().departure.clone()
    }

    /// The calls the run made, in order: recorded ones answered, and those left waiting
    /// in branches AWS cut short.
    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// The recorded child executions of Distributed Map runs the run followed: each one's
    /// path -> the index of the iteration that followed it ([`Recording::reindex`]).
    pub fn assigned(&self) -> HashMap<usize, usize> {
        self.lock().claimed.clone()
    }

    /// The pointers of the parameters of recorded call `(visit, call)` where values that
    /// cannot repeat (task tokens, times, UUIDs) were let pass.
    pub fn let_pass(&self, visit: usize, call: usize) -> Vec<String> {
        self.lock()
            .let_pass
            .get(&(visit, call))
            .cloned()
            .unwrap_or_default()
    }

    /// The verdict on a finished run: the departure if it departed, else how its end
    /// compares with the record's (unless it went past the end of the record).
    pub fn verdict(&self, outcome: &Outcome) -> Verdict {
        let p = self.lock();
        if let Some(d) = &p.departure {
            return Verdict::Departed(d.clone());
        }
        let calls = p
            .log
            .iter()
            .filter(|l| matches!(l, Logged::Recorded(..)))
            .count();
        if p.beyond.is_some() {
            return Verdict::Followed {
                calls,
                beyond: p.beyond.clone(),
            };
        }
        // Each path the run followed to its end: did the record go further?
        let mut ended: Vec<(&PathKey, &LocalPath)> = p.paths.iter().collect();
        ended.sort_by_key(|(k, _)| **k);
        for (_, lp) in ended {
            if let PathPlace::At(rp) = lp.rec
                && let Some(&v) = self.rec.paths[rp].visits.get(lp.count)
                && (rp == 0 || outcome.status == crate::engine::Status::Succeeded)
            {
                return Verdict::Departed(Departure {
                    state: self.rec.qualified(v),
                    event: Some(self.rec.visits[v].entered),
                    summary: format!(
                        "the record goes on to `{}` where the run's path ended",
                        self.rec.visits[v].name
                    ),
                    details: Vec::new(),
                });
            }
        }
        if let Some(end) = &self.rec.end {
            let mut details = Vec::new();
            let status = outcome.status.as_str();
            if end.status != status {
                details.push(format!(
                    "status: recorded {}, now {status}",
                    end_text(end.status, &end.error, &end.cause)
                ));
            } else {
                if end.error != outcome.error {
                    details.push(format!(
                        "error: recorded {}, now {}",
                        quoted(&end.error),
                        quoted(&outcome.error)
                    ));
                }
                if end.cause != outcome.cause {
                    details.push(format!(
                        "cause: recorded {}, now {}",
                        quoted(&end.cause),
                        quoted(&outcome.cause)
                    ));
                }
                if let (Payload::Json(r), Some(n)) = (&end.output, &outcome.output) {
                    let c = compare::compare(r, n, None);
                    details.extend(c.differences.iter().map(|d| format!("output {}", d.line())));
                }
            }
            if !details.is_empty() {
                return Verdict::Departed(Departure {
                    state: "(end)".into(),
                    event: Some(end.event),
                    summary: "the execution ended otherwise".into(),
                    details,
                });
            }
        }
        Verdict::Followed {
            calls,
            beyond: None,
        }
    }

    /// Records the first departure and answers with it.
    fn depart(&self, p: &mut Progress, d: Departure) -> Fault {
        if p.departure.is_none() {
            p.departure = Some(d);
        }
        Fault::new(
            p.departure
                .as_ref()
                .map(Departure::message)
                .unwrap_or_default(),
        )
    }

    /// Where a new local path stands: the recorded path of branch/iteration `index` of the
    /// recorded visit its parent matched.
    /// A Distributed Map run's iteration follows the first recorded child execution not yet
    /// taken whose input is `input`.
    fn place(&self, p: &mut Progress, key: PathKey, input: &Value) -> Result<PathPlace, Departure> {
        let Some((parent, attempt, index)) = key else {
            return Ok(PathPlace::At(0));
        };
        let Some(pv) = p.visits.get(&parent) else {
            return Ok(PathPlace::Beyond);
        };
        match pv.mode {
            Mode::Rec(rv) if self.rec.visits[rv].map_run => {
                // The run's children by their input, each input's in the order they started:
                // an iteration takes the first left (a map run may have many thousands).
                let rec = &self.rec;
                let waiting = p.by_input.entry((rv, attempt)).or_insert_with(|| {
                    let mut m: HashMap<String, VecDeque<usize>> = HashMap::new();
                    for &c in rec.visits[rv]
                        .fanouts
                        .get(attempt)
                        .map(|f| f.children.values())
                        .into_iter()
                        .flatten()
                    {
                        if let Some(i) = &rec.paths[c].input {
                            m.entry(canonical(i)).or_default().push_back(c);
                        }
                    }
                    m
                });
                let child = waiting
                    .get_mut(&canonical(input))
                    .and_then(VecDeque::pop_front);
                Ok(match child {
                    Some(c) => {
                        p.claimed.insert(c, index);
                        PathPlace::At(c)
                    }
                    None => PathPlace::Outside,
                })
            }
            Mode::Rec(rv) => {
                let v = &self.rec.visits[rv];
                match v.fanouts.get(attempt).and_then(|f| f.children.get(&index)) {
                    Some(&path) => Ok(PathPlace::At(path)),
                    // AWS stopped starting iterations once one failed.
                    None if v.exited.is_none() => Ok(PathPlace::Unstarted),
                    None => Err(Departure {
                        state: pv.qualified.clone(),
                        event: v.fanouts.get(attempt).map(|f| f.started),
                        summary: format!(
                            "the run starts {} {index}, which the record does not have",
                            if v.state_type == "Parallel" {
                                "branch"
                            } else {
                                "iteration"
                            }
                        ),
                        details: Vec::new(),
                    }),
                }
            }
            Mode::Beyond => Ok(PathPlace::Beyond),
            Mode::Outside => Ok(PathPlace::Outside),
            Mode::Cut => Ok(PathPlace::Cut),
            Mode::Unstarted | Mode::Departed => Ok(PathPlace::Unstarted),
        }
    }

    /// A call the record does not hold (past its end, or in a Distributed Map run): the
    /// fallback's answer, or the run stops there (a departure: the record cannot go on).
    fn past_the_end<'a>(
        &'a self,
        request: TaskRequest,
        state: String,
        event: Option<u64>,
        why: String,
    ) -> BoxFuture<'a, Result<Value, TaskError>> {
        let handler = self
            .fallback
            .as_ref()
            .and_then(|r| r.handler(&request.state_name, &request.resource));
        match handler {
            Some(h) => {
                let mut p = self.lock();
                if p.beyond.is_none() {
                    p.beyond = Some(format!("`{state}` ({why})"));
                }
                drop(p);
                Box::pin(async move { h.invoke(request).await })
            }
            None => {
                let d = Departure {
                    state,
                    event,
                    summary: format!(
                        "{why}, and the record cannot answer it: answer `{}` otherwise (--mock-config with --test-case, --local, --handlers)",
                        request.state_name
                    ),
                    details: Vec::new(),
                };
                let f = self.depart(&mut self.lock(), d);
                Box::pin(async move { Err(TaskError::Fault(f)) })
            }
        }
    }
}

impl Replayer {
    /// A call past the end of a branch AWS cut short: the fallback's answer (the run then
    /// went past the record), or no answer until the sibling's failure stops it, as on AWS; if
    /// nothing does, the run departs there.
    fn cut_short<'a>(
        &'a self,
        request: TaskRequest,
        state: String,
    ) -> BoxFuture<'a, Result<Value, TaskError>> {
        let handler = self
            .fallback
            .as_ref()
            .and_then(|r| r.handler(&request.state_name, &request.resource));
        if let Some(h) = handler {
            let mut p = self.lock();
            if p.beyond.is_none() {
                p.beyond = Some(format!(
                    "`{state}` (its branch was cut short on AWS when its Map or Parallel failed)"
                ));
            }
            drop(p);
            return Box::pin(async move { h.invoke(request).await });
        }
        self.lock()
            .log
            .push(Logged::Waiting(request.state_name.clone()));
        let d = Departure {
            state,
            event: None,
            summary: format!(
                "the run calls it past the end of its branch, which AWS cut short when its Map or Parallel failed, and nothing stopped it here; the record cannot answer it: answer `{}` otherwise (--mock-config with --test-case, --local, --handlers)",
                request.state_name
            ),
            details: Vec::new(),
        };
        Box::pin(async move {
            crate::handlers::mock::give_way().await;
            let f = self.depart(&mut self.lock(), d);
            Err(TaskError::Fault(f))
        })
    }
}

/// A value's JSON text with every object's keys sorted: equal values, equal texts, whatever
/// order their keys were written in.
fn canonical(v: &Value) -> String {
    fn put(v: &Value, s: &mut String) {
        match v {
            Value::Object(m) => {
                let mut members: Vec<(&String, &Value)> = m.iter().collect();
                members.sort_by(|a, b| a.0.cmp(b.0));
                s.push('{');
                for (i, (k, x)) in members.into_iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&Value::String(k.clone()).to_string());
                    s.push(':');
                    put(x, s);
                }
                s.push('}');
            }
            Value::Array(a) => {
                s.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    put(x, s);
                }
                s.push(']');
            }
            other => s.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    put(v, &mut s);
    s
}

fn quoted(s: &Option<String>) -> String {
    match s {
        Some(s) => compare::short(&Value::String(s.clone())),
        None => "none".into(),
    }
}

fn end_text(status: &str, error: &Option<String>, cause: &Option<String>) -> String {
    match (error, cause) {
        (Some(e), Some(c)) => format!("{status} ({e}: {c})"),
        (Some(e), None) => format!("{status} ({e})"),
        _ => status.to_string(),
    }
}

impl Probe for Replayer {
    fn entered(&self, frame: Option<Frame>, state: &State, input: &Value) -> u64 {
        let id = self.inner.as_ref().map(|p| p.entered(frame, state, input));
        let mut p = self.lock();
        let id = id.unwrap_or_else(|| {
            p.next_id += 1;
            p.next_id
        });
        let (key, prefix) = match frame {
            None => (None, String::new()),
            Some(f) => match p.visits.get_mut(&f.parent) {
                Some(pv) => {
                    let attempt = pv.attempts;
                    pv.children.entry(attempt).or_default().insert(f.index);
                    (
                        Some((f.parent, attempt, f.index)),
                        format!("{}[{}]/", pv.qualified, f.index),
                    )
                }
                None => (Some((f.parent, 0, f.index)), String::new()),
            },
        };
        let qualified = format!("{prefix}{}", state.name);
        let mut visit = LocalVisit {
            name: state.name.clone(),
            qualified: qualified.clone(),
            mode: Mode::Departed,
            calls: 0,
            attempts: 0,
            children: HashMap::new(),
        };
        if p.departure.is_none() {
            let place = match p.paths.get(&key) {
                Some(lp) => Ok(lp.rec),
                None => self.place(&mut p, key, input),
            };
            match place {
                Err(d) => {
                    self.depart(&mut p, d);
                }
                Ok(place) => {
                    let lp = p.paths.entry(key).or_insert(LocalPath {
                        rec: place,
                        count: 0,
                    });
                    let n = lp.count;
                    lp.count += 1;
                    visit.mode = match place {
                        PathPlace::Beyond => Mode::Beyond,
                        PathPlace::Unstarted => Mode::Unstarted,
                        PathPlace::Outside => Mode::Outside,
                        PathPlace::Cut => Mode::Cut,
                        PathPlace::At(rp) => match self.rec.paths[rp].visits.get(n) {
                            Some(&rv) if self.rec.visits[rv].name == state.name => Mode::Rec(rv),
                            Some(&rv) => {
                                let r = &self.rec.visits[rv];
                                self.depart(
                                    &mut p,
                                    Departure {
                                        state: qualified.clone(),
                                        event: Some(r.entered),
                                        summary: format!(
                                            "the run enters `{}` where the record enters `{}`",
                                            state.name, r.name
                                        ),
                                        details: Vec::new(),
                                    },
                                );
                                Mode::Departed
                            }
                            // A branch or iteration that AWS cut short when its Map or
                            // Parallel failed: the run goes on in it until that failure
                            // stops it here too.
                            None if self.rec.ends_open(rp)
                                && self.rec.paths[rp].parent.is_some_and(|par| {
                                    self.rec.visits[par.visit].exited.is_none()
                                }) =>
                            {
                                Mode::Cut
                            }
                            None if self.rec.ends_open(rp) => {
                                if p.beyond.is_none() {
                                    let last = self.rec.paths[rp].visits.last().map(|&v| {
                                        format!(
                                            " after `{}` (event {})",
                                            self.rec.visits[v].name, self.rec.visits[v].entered
                                        )
                                    });
                                    p.beyond = Some(format!(
                                        "`{qualified}`, where the recorded execution had stopped{}",
                                        last.unwrap_or_default()
                                    ));
                                }
                                Mode::Beyond
                            }
                            None => {
                                let last = self.rec.paths[rp].visits.last().copied();
                                self.depart(
                                    &mut p,
                                    Departure {
                                        state: qualified.clone(),
                                        event: last.map(|v| self.rec.visits[v].entered),
                                        summary: format!(
                                            "the run enters `{}` where the record's path ended{}",
                                            state.name,
                                            last.map(|v| format!(
                                                " after `{}`",
                                                self.rec.visits[v].name
                                            ))
                                            .unwrap_or_default()
                                        ),
                                        details: Vec::new(),
                                    },
                                );
                                Mode::Departed
                            }
                        },
                    };
                }
            }
        }
        p.visits.insert(id, visit);
        id
    }

    fn chose(&self, visit: u64, rule: Option<usize>) {
        if let Some(p) = &self.inner {
            p.chose(visit, rule);
        }
    }

    fn called(&self, visit: u64, input: &Value) {
        if let Some(p) = &self.inner {
            p.called(visit, input);
        }
    }

    fn retried(&self, visit: u64, rule: usize, failure: &Failure) {
        if let Some(p) = &self.inner {
            p.retried(visit, rule, failure);
        }
        if let Some(v) = self.lock().visits.get_mut(&visit) {
            v.attempts += 1;
        }
    }

    fn exhausted(&self, visit: u64, rule: usize, failure: &Failure) {
        if let Some(p) = &self.inner {
            p.exhausted(visit, rule, failure);
        }
    }

    fn caught(&self, visit: u64, clause: usize, failure: &Failure) {
        if let Some(p) = &self.inner {
            p.caught(visit, clause, failure);
        }
        self.check_calls(visit);
    }

    fn exited(
        &self,
        visit: u64,
        output: &Value,
        next: Option<&State>,
        variables: &[(&str, &Value)],
    ) {
        if let Some(p) = &self.inner {
            p.exited(visit, output, next, variables);
        }
        self.check_calls(visit);
        self.check_children(visit);
    }

    fn failed(&self, visit: u64, failure: &Failure) {
        if let Some(p) = &self.inner {
            p.failed(visit, failure);
        }
        self.check_calls(visit);
    }

    fn halt(&self) -> Option<Fault> {
        self.lock()
            .departure
            .as_ref()
            .map(|d| Fault::new(d.message()))
    }
}

impl Replayer {
    /// A visit that ends: did the record make calls it did not?
    fn check_calls(&self, visit: u64) {
        let mut p = self.lock();
        let Some(v) = p.visits.get(&visit) else {
            return;
        };
        let Mode::Rec(rv) = v.mode else {
            return;
        };
        // A failure that stands for a call AWS never made is no call the run owes.
        if let Some(c) = self.rec.visits[rv]
            .calls
            .get(v.calls)
            .filter(|c| !c.before_calling)
        {
            let d = Departure {
                state: v.qualified.clone(),
                event: Some(c.scheduled),
                summary: format!(
                    "the record has call {} of `{}` (a retry), which the run did not make",
                    v.calls, v.name
                ),
                details: Vec::new(),
            };
            self.depart(&mut p, d);
        }
    }

    /// A Map or Parallel visit that succeeded: did the record run iterations it did not?
    fn check_children(&self, visit: u64) {
        let mut p = self.lock();
        let Some(v) = p.visits.get(&visit) else {
            return;
        };
        let Mode::Rec(rv) = v.mode else {
            return;
        };
        // A Distributed Map run's children are matched by input, and a record may hold only
        // some of them: none is owed.
        if self.rec.visits[rv].map_run {
            return;
        }
        for (attempt, f) in self.rec.visits[rv].fanouts.iter().enumerate() {
            let seen = v.children.get(&attempt);
            if let Some(i) = f
                .children
                .keys()
                .find(|i| !seen.is_some_and(|s| s.contains(i)))
            {
                let d = Departure {
                    state: v.qualified.clone(),
                    event: Some(f.started),
                    summary: format!(
                        "the record runs {} {i} of `{}`, which the run did not",
                        if f.fan == super::event::Fan::Parallel {
                            "branch"
                        } else {
                            "iteration"
                        },
                        v.name
                    ),
                    details: Vec::new(),
                };
                self.depart(&mut p, d);
                return;
            }
        }
    }
}

impl TaskHandler for Replayer {
    fn name(&self) -> &str {
        "replay"
    }

    fn wants_context(&self) -> bool {
        false
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        let mut p = self.lock();
        let Some(v) = p.visits.get_mut(&request.visit) else {
            let m = format!(
                "the replay was not told which visit of `{}` calls (the Replayer must be the run's probe)",
                request.state_name
            );
            return Box::pin(async move { Err(TaskError::Fault(Fault::new(m))) });
        };
        let k = v.calls;
        v.calls += 1;
        let (mode, qualified) = (v.mode, v.qualified.clone());
        let rv = match mode {
            Mode::Rec(rv) => rv,
            Mode::Departed => {
                let f = self.depart(
                    &mut p,
                    Departure {
                        state: qualified,
                        event: None,
                        summary: "the run went on after departing".into(),
                        details: Vec::new(),
                    },
                );
                return Box::pin(async move { Err(TaskError::Fault(f)) });
            }
            Mode::Unstarted => {
                return unanswered(format!(
                    "`{qualified}` runs in an iteration AWS never started, and nothing stopped it"
                ));
            }
            Mode::Beyond => {
                drop(p);
                return self.past_the_end(
                    request,
                    qualified,
                    None,
                    "the run calls it past the end of the record".into(),
                );
            }
            Mode::Cut => {
                drop(p);
                return self.cut_short(request, qualified);
            }
            Mode::Outside => {
                drop(p);
                return self.past_the_end(
                    request,
                    qualified,
                    None,
                    "it runs in a child execution of a Distributed Map run, and the record holds no child execution with its input (`mapRunExecutions`)".into(),
                );
            }
        };
        let r = &self.rec.visits[rv];
        let Some(call) = r.calls.get(k) else {
            let last_of_path = self.rec.paths[r.path].visits.last() == Some(&rv);
            if r.exited.is_none() && last_of_path {
                let event = r.calls.last().map(|c| c.scheduled).or(Some(r.entered));
                drop(p);
                return self.past_the_end(
                    request,
                    qualified,
                    event,
                    if k == 0 {
                        "the run calls it past the end of the record, where the recorded execution stopped before any call".to_string()
                    } else {
                        format!(
                            "the run makes call {k} (a retry) past the end of the record, where the recorded execution stopped after {k} call{}",
                            if k == 1 { "" } else { "s" }
                        )
                    },
                );
            }
            let f = self.depart(&mut p, Departure {
                state: qualified,
                event: r.calls.last().map(|c| c.scheduled).or(Some(r.entered)),
                summary: format!(
                    "the run makes call {k} of `{}` (a retry), which the record does not have: it made {k}",
                    r.name
                ),
                details: Vec::new(),
            });
            return Box::pin(async move { Err(TaskError::Fault(f)) });
        };
        // The resource.
        let same = call.before_calling
            || match (&call.resource_type, call.family) {
                (Some(t), Family::Task) => {
                    (t.clone(), call.resource.clone()) == request.resource.event_names()
                }
                _ => call.resource == request.resource.arn,
            };
        if !same {
            let recorded = match &call.resource_type {
                Some(t) => format!("{t}:{}", call.resource),
                None => call.resource.clone(),
            };
            let f = self.depart(
                &mut p,
                Departure {
                    state: qualified,
                    event: Some(call.scheduled),
                    summary: "the run calls another resource".into(),
                    details: vec![format!(
                        "resource: recorded {recorded}, now {}",
                        request.resource.arn
                    )],
                },
            );
            return Box::pin(async move { Err(TaskError::Fault(f)) });
        }
        // The parameters.
        if let Payload::Json(recorded) = &call.parameters {
            let c = compare::compare(recorded, &request.input, request.task_token.as_deref());
            if !c.differences.is_empty() {
                let f = self.depart(
                    &mut p,
                    Departure {
                        state: qualified,
                        event: Some(call.scheduled),
                        summary: "the run sends other parameters".into(),
                        details: c.differences.iter().map(Difference::line).collect(),
                    },
                );
                return Box::pin(async move { Err(TaskError::Fault(f)) });
            }
            if !c.let_pass.is_empty() {
                p.let_pass.insert((rv, k), c.let_pass);
            }
        }
        p.log.push(Logged::Recorded(rv, k));
        drop(p);
        for s in &call.submitted {
            if let (Some(tx), Payload::Json(v)) = (&request.submitted, s) {
                let _ = tx.send(v.clone());
            }
        }
        match &call.answer {
            Some(Answer::Return {
                output: Payload::Json(v),
                ..
            }) => {
                let v = v.clone();
                Box::pin(async move { Ok(v) })
            }
            Some(Answer::Return { event, output }) => {
                let why = match output {
                    Payload::Truncated(_) => "AWS truncated it (`outputDetails.truncated`)",
                    _ => "the event holds no output",
                };
                let m = format!(
                    "the recorded result of `{qualified}` (event {event}) cannot be replayed: {why}; answer the state otherwise (--mock-config with --test-case, --local, --handlers)"
                );
                Box::pin(async move { Err(TaskError::Fault(Fault::new(m))) })
            }
            Some(Answer::Throw { error, cause, .. }) => {
                let f = Failure {
                    error: error.clone().unwrap_or_default(),
                    cause: cause.clone(),
                };
                Box::pin(async move { Err(TaskError::Failed(f)) })
            }
            None => unanswered(format!(
                "call {k} of `{qualified}` (event {}) has no answer in the record: AWS was still waiting for it when the record ends, and nothing else stopped the run",
                call.scheduled
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;
    use serde_json::json;

    #[test]
    fn a_child_matches_an_iteration_whose_input_has_its_keys_in_another_order() {
        let recorded: serde_json::Value = serde_json::from_str(
            r#"{"Items": [{"b": 2, "a": [1, {"y": null, "x": "s"}]}], "BatchInput": {"k": 1}}"#,
        )
        .unwrap();
        let local =
            json!({"BatchInput": {"k": 1}, "Items": [{"a": [1, {"x": "s", "y": null}], "b": 2}]});
        assert_eq!(canonical(&recorded), canonical(&local));
        assert_eq!(
            canonical(&local),
            r#"{"BatchInput":{"k":1},"Items":[{"a":[1,{"x":"s","y":null}],"b":2}]}"#
        );
        // Other values, other texts: an item is never taken for another.
        assert_ne!(canonical(&json!({"a": "1"})), canonical(&json!({"a": 1})));
        assert_ne!(canonical(&json!([1, 2])), canonical(&json!([2, 1])));
    }
}
