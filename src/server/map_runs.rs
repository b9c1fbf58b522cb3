//! Map runs of Distributed Map states: DescribeMapRun, ListMapRuns and UpdateMapRun, answered
//! from the reports the engine sends as each run goes ([`crate::engine::MapRunSink`]).
//!
//! UpdateMapRun records the new `maxConcurrency` and tolerated failures, DescribeMapRun
//! shows them, and a run still going takes them through the settings the engine handed over
//! as it started ([`crate::engine::MapRunSettings`]): more or fewer children start at once
//! from then on, and its failures are judged by the new tolerances (a run already past them
//! fails). A redrive of a run that was updated goes with the updated settings.
//!
//! Each run also keeps its child executions as the engine tells them
//! ([`crate::engine::MapRunChild`]), for ListExecutions with a `mapRunArn`: the latest
//! [`MAX_CHILDREN`] started, so a run of millions of items keeps a bounded list.

use super::request::{Request, page};
use super::store::{Execution, lock, now};
use super::{ApiError, Server};
use crate::engine::{MapRunChild, MapRunReport, MapRunSettings, MapRunSink, MapRunStatus};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::sync::{Arc, Weak};

/// The child executions kept per map run (the latest started).
pub const MAX_CHILDREN: usize = 10_000;

/// One child execution of a map run, as ListExecutions lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Child {
    pub name: String,
    pub status: String,
    /// Epoch seconds.
    pub started: f64,
    pub stopped: Option<f64>,
    pub item_count: u64,
    /// Its position among the run's children; its output once it succeeded (what a redrive
    /// of the run keeps).
    pub index: Option<usize>,
    pub output: Option<Value>,
    /// Times it ran again in a redrive of its run.
    pub redrive_count: u64,
}

/// One map run as the server knows it.
#[derive(Clone, Debug)]
pub struct MapRun {
    pub report: MapRunReport,
    pub started: f64,
    pub stopped: Option<f64>,
    /// UpdateMapRun's settings, once it was called: later reports keep them.
    pub max_concurrency: u64,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    pub updated: bool,
    /// Its child executions by ARN, in start order.
    pub children: IndexMap<String, Child>,
    /// When it was last redriven with its execution (epoch seconds).
    pub redrive_date: Option<f64>,
    /// While it runs, the settings its engine reads: what UpdateMapRun changes.
    pub live: Option<Arc<MapRunSettings>>,
}

fn counts(r: &MapRunReport, items: bool) -> Value {
    let total = if items {
        r.items.max(r.total())
    } else {
        r.total()
    };
    json!({
        "pending": r.pending,
        "running": r.running,
        "succeeded": r.succeeded,
        "failed": r.failed,
        "timedOut": r.timed_out,
        "aborted": r.aborted,
        "total": total,
        "resultsWritten": r.results_written,
        "failuresNotRedrivable": 0,
        "pendingRedrive": 0,
    })
}

impl MapRun {
    /// DescribeMapRun's answer.
    pub fn described(&self) -> Value {
        let r = &self.report;
        let mut out = json!({
            "mapRunArn": r.arn,
            "executionArn": r.execution_arn,
            "status": r.status.as_str(),
            "startDate": self.started,
            "maxConcurrency": self.max_concurrency,
            "toleratedFailurePercentage": self.tolerated_failure_percentage,
            "toleratedFailureCount": self.tolerated_failure_count,
            "itemCounts": counts(r, true),
            "executionCounts": counts(r, false),
            "redriveCount": r.redrive_count,
        });
        if let Some(s) = self.stopped {
            out["stopDate"] = json!(s);
        }
        if let Some(d) = self.redrive_date {
            out["redriveDate"] = json!(d);
        }
        out
    }

    /// What a redrive of its execution keeps of this run: the succeeded children's outputs
    /// and every known child's name, by position.
    pub fn resume(&self) -> crate::engine::MapRunResume {
        let mut plan = crate::engine::MapRunResume {
            arn: self.report.arn.clone(),
            redrive_count: self.report.redrive_count + 1,
            ..Default::default()
        };
        for c in self.children.values() {
            let Some(i) = c.index else { continue };
            plan.names.insert(i, c.name.clone());
            if let ("SUCCEEDED", Some(out)) = (c.status.as_str(), &c.output) {
                plan.succeeded.insert(i, out.clone());
            }
        }
        plan
    }

    /// The record `--state-dir` keeps (DescribeMapRun's answer and what it cannot say).
    pub fn to_json(&self) -> Value {
        let mut v = self.described();
        v["stateMachineArn"] = json!(self.report.state_machine_arn);
        v["updated"] = json!(self.updated);
        v["children"] = self
            .children
            .iter()
            .map(|(arn, c)| {
                json!({
                    "arn": arn,
                    "name": c.name,
                    "status": c.status,
                    "started": c.started,
                    "stopped": c.stopped,
                    "itemCount": c.item_count,
                    "index": c.index,
                    "output": c.output,
                    "redriveCount": c.redrive_count,
                })
            })
            .collect();
        v
    }

    /// ListExecutions' entry of one child (`mapRunArn` given: `itemCount` and `mapRunArn`).
    pub fn child_item(&self, arn: &str, c: &Child) -> Value {
        let mut v = json!({
            "executionArn": arn,
            "stateMachineArn": self.report.state_machine_arn,
            "name": c.name,
            "status": c.status,
            "startDate": c.started,
            "mapRunArn": self.report.arn,
            "itemCount": c.item_count,
        });
        if let Some(s) = c.stopped {
            v["stopDate"] = json!(s);
        }
        if c.redrive_count > 0 {
            v["redriveCount"] = json!(c.redrive_count);
        }
        v
    }

    /// Children cut short with their run (its execution stopped, or a failure past the
    /// tolerance) were not told their end: they were aborted, at `at`.
    pub fn abort_running_children(&mut self, at: f64) {
        for c in self.children.values_mut() {
            if c.status == "RUNNING" {
                c.status = "ABORTED".into();
                c.stopped = Some(at);
            }
        }
    }

    /// Keeps what the engine told of a child, forgetting the oldest past [`MAX_CHILDREN`].
    fn keep_child(&mut self, c: &MapRunChild) {
        let secs = |t: crate::data::timestamp::Instant| t.unix_millis() as f64 / 1000.0;
        // A child that had ended and starts again is redriven with its run.
        let redrive_count = match self.children.get(&c.arn) {
            Some(old) if c.status == "RUNNING" && old.status != "RUNNING" => old.redrive_count + 1,
            Some(old) => old.redrive_count,
            None => 0,
        };
        self.children.insert(
            c.arn.clone(),
            Child {
                name: c.name.clone(),
                status: c.status.to_string(),
                started: secs(c.start),
                stopped: c.stop.map(secs),
                item_count: c.item_count,
                index: Some(c.index),
                output: c.output.clone(),
                redrive_count,
            },
        );
        while self.children.len() > MAX_CHILDREN {
            self.children.shift_remove_index(0);
        }
    }

    pub fn from_json(v: &Value) -> Option<MapRun> {
        let text = |k: &str| Some(v.get(k)?.as_str()?.to_string());
        let n = |c: &Value, k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
        let e = v.get("executionCounts")?;
        let status = match v.get("status")?.as_str()? {
            "RUNNING" => MapRunStatus::Running,
            "SUCCEEDED" => MapRunStatus::Succeeded,
            "FAILED" => MapRunStatus::Failed,
            _ => MapRunStatus::Aborted,
        };
        let max_concurrency = v.get("maxConcurrency")?.as_u64()?;
        let tolerated_failure_count = v.get("toleratedFailureCount")?.as_u64()?;
        let tolerated_failure_percentage = v.get("toleratedFailurePercentage")?.as_f64()?;
        Some(MapRun {
            report: MapRunReport {
                arn: text("mapRunArn")?,
                execution_arn: text("executionArn")?,
                state_machine_arn: text("stateMachineArn")?,
                max_concurrency,
                tolerated_failure_count,
                tolerated_failure_percentage,
                status,
                items: v.get("itemCounts").map_or(0, |c| n(c, "total")),
                pending: n(e, "pending"),
                running: n(e, "running"),
                succeeded: n(e, "succeeded"),
                failed: n(e, "failed"),
                timed_out: n(e, "timedOut"),
                aborted: n(e, "aborted"),
                results_written: n(e, "resultsWritten"),
                redrive_count: v.get("redriveCount").and_then(Value::as_u64).unwrap_or(0),
            },
            started: v.get("startDate")?.as_f64()?,
            stopped: v.get("stopDate").and_then(Value::as_f64),
            max_concurrency,
            tolerated_failure_count,
            tolerated_failure_percentage,
            updated: v.get("updated").and_then(Value::as_bool).unwrap_or(false),
            redrive_date: v.get("redriveDate").and_then(Value::as_f64),
            live: None,
            children: v
                .get("children")
                .and_then(Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter_map(|c| {
                            Some((
                                c.get("arn")?.as_str()?.to_string(),
                                Child {
                                    name: c.get("name")?.as_str()?.to_string(),
                                    status: c.get("status")?.as_str()?.to_string(),
                                    started: c.get("started")?.as_f64()?,
                                    stopped: c.get("stopped").and_then(Value::as_f64),
                                    item_count: c.get("itemCount")?.as_u64()?,
                                    index: c
                                        .get("index")
                                        .and_then(Value::as_u64)
                                        .map(|i| i as usize),
                                    output: c.get("output").filter(|o| !o.is_null()).cloned(),
                                    redrive_count: c
                                        .get("redriveCount")
                                        .and_then(Value::as_u64)
                                        .unwrap_or(0),
                                },
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// Receives one execution's map run reports (its own runs, and those of runs nested in its
/// children, which DescribeMapRun finds too).
pub struct Sink {
    pub server: Weak<Server>,
    pub execution: Weak<Execution>,
}

impl MapRunSink for Sink {
    fn report(&self, report: &MapRunReport) {
        let (Some(server), Some(exec)) = (self.server.upgrade(), self.execution.upgrade()) else {
            return;
        };
        let at = now();
        let mut runs = lock(&exec.map_runs);
        let run = runs.entry(report.arn.clone()).or_insert_with(|| MapRun {
            report: report.clone(),
            started: at,
            stopped: None,
            max_concurrency: report.max_concurrency,
            tolerated_failure_count: report.tolerated_failure_count,
            tolerated_failure_percentage: report.tolerated_failure_percentage,
            updated: false,
            children: IndexMap::new(),
            redrive_date: None,
            live: None,
        });
        // The first report of a redrive: the run goes again.
        if report.redrive_count > run.report.redrive_count {
            run.redrive_date = Some(at);
            run.stopped = None;
        }
        run.report = report.clone();
        if !run.updated {
            run.max_concurrency = report.max_concurrency;
            run.tolerated_failure_count = report.tolerated_failure_count;
            run.tolerated_failure_percentage = report.tolerated_failure_percentage;
        }
        if report.status != MapRunStatus::Running && run.stopped.is_none() {
            run.stopped = Some(at);
        }
        if report.status != MapRunStatus::Running {
            run.abort_running_children(at);
            run.live = None;
        }
        drop(runs);
        lock(&server.store.map_runs).insert(report.arn.clone(), exec.arn.clone());
    }

    fn settings(&self, run_arn: &str, settings: Arc<MapRunSettings>) {
        let Some(exec) = self.execution.upgrade() else {
            return;
        };
        if let Some(run) = lock(&exec.map_runs).get_mut(run_arn) {
            // A redrive of an updated run goes with the update (a percentage of 0 is as
            // none: no failure tolerated either way, but a count judges one sooner).
            if run.updated {
                settings.update(
                    Some(run.max_concurrency),
                    Some(run.tolerated_failure_count),
                    Some(run.tolerated_failure_percentage).filter(|p| *p > 0.0),
                );
            }
            run.live = Some(settings);
        }
    }

    fn child_history(
        &self,
        run_arn: &str,
        child: &MapRunChild,
    ) -> Option<Box<dyn crate::engine::EventSink>> {
        let server = self.server.upgrade()?;
        let exec = self.execution.upgrade()?;
        let machine_arn = lock(&exec.map_runs)
            .get(run_arn)
            .map(|r| r.report.state_machine_arn.clone())?;
        // A child redriven from where it stopped goes on in the history it had.
        let had = server.store.child(&child.arn).filter(|_| child.continued);
        let kept = match had {
            Some(had) => {
                server.store.running_again(&child.arn);
                had
            }
            None => {
                let kept = Arc::new(super::children::ChildExecution {
                    arn: child.arn.clone(),
                    name: child.name.clone(),
                    machine_arn,
                    map_run_arn: run_arn.to_string(),
                    events: Default::default(),
                    stop: Default::default(),
                });
                lock(&server.store.children).insert(child.arn.clone(), kept.clone());
                kept
            }
        };
        Some(Box::new(super::children::ChildSink {
            child: kept,
            server: self.server.clone(),
        }))
    }

    fn child_stop(
        &self,
        _run_arn: &str,
        child: &MapRunChild,
    ) -> Option<futures::future::BoxFuture<'static, String>> {
        let server = self.server.upgrade()?;
        let kept = server.store.child(&child.arn)?;
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        *lock(&kept.stop) = Some(tx);
        // A child that ends without being stopped drops its sender: never resolves then.
        Some(Box::pin(async move {
            match rx.await {
                Ok(why) => why,
                Err(_) => std::future::pending().await,
            }
        }))
    }

    fn child(&self, run_arn: &str, child: &MapRunChild) {
        let Some(exec) = self.execution.upgrade() else {
            return;
        };
        if let Some(run) = lock(&exec.map_runs).get_mut(run_arn) {
            run.keep_child(child);
        }
    }
}

/// The execution holding the map run named by `mapRunArn`: `InvalidArn`, `ResourceNotFound`.
pub fn find(server: &Server, r: &Request) -> Result<(String, Arc<Execution>), ApiError> {
    let arn = r.required("mapRunArn")?;
    super::machines::parse_arn(arn, "mapRun")?;
    let missing = || ApiError::new("ResourceNotFound", format!("Resource not found: '{arn}'"));
    let exec_arn = lock(&server.store.map_runs)
        .get(arn)
        .cloned()
        .ok_or_else(missing)?;
    let exec = server.store.execution(&exec_arn).ok_or_else(missing)?;
    Ok((arn.to_string(), exec))
}

pub fn describe(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let (arn, exec) = find(server, r)?;
    let runs = lock(&exec.map_runs);
    let run = runs
        .get(&arn)
        .ok_or_else(|| ApiError::new("ResourceNotFound", format!("Resource not found: '{arn}'")))?;
    Ok(run.described())
}

pub fn list(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let exec = super::executions::find_execution(server, r)?;
    let all: Vec<Value> = lock(&exec.map_runs)
        .values()
        .filter(|m| m.report.execution_arn == exec.arn)
        .map(|m| {
            let mut v = json!({
                "executionArn": m.report.execution_arn,
                "mapRunArn": m.report.arn,
                "stateMachineArn": m.report.state_machine_arn,
                "startDate": m.started,
            });
            if let Some(s) = m.stopped {
                v["stopDate"] = json!(s);
            }
            v
        })
        .collect();
    let (items, next) = page(&all, r.next_token()?, r.max_results()?);
    let mut out = json!({"mapRuns": items});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn update(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let (arn, exec) = find(server, r)?;
    let get = |k: &str| r.0.get(k).filter(|v| !v.is_null());
    let bad = |k: &str, rule: &str| {
        ApiError::validation(format!(
            "1 validation error detected: Value at '{k}' failed to satisfy constraint: {rule}"
        ))
    };
    let concurrency = match get("maxConcurrency") {
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n <= i32::MAX as u64)
                .ok_or_else(|| {
                    bad(
                        "maxConcurrency",
                        "Member must have value greater than or equal to 0",
                    )
                })?,
        ),
        None => None,
    };
    let count = match get("toleratedFailureCount") {
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            bad(
                "toleratedFailureCount",
                "Member must have value greater than or equal to 0",
            )
        })?),
        None => None,
    };
    let pct = match get("toleratedFailurePercentage") {
        Some(v) => Some(
            v.as_f64()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    bad(
                        "toleratedFailurePercentage",
                        "Member must have value between 0 and 100",
                    )
                })?,
        ),
        None => None,
    };
    if concurrency.is_none() && count.is_none() && pct.is_none() {
        return Err(ApiError::validation(
            "at least one of maxConcurrency, toleratedFailurePercentage and toleratedFailureCount must be given",
        ));
    }
    {
        let mut runs = lock(&exec.map_runs);
        let run = runs.get_mut(&arn).ok_or_else(|| {
            ApiError::new("ResourceNotFound", format!("Resource not found: '{arn}'"))
        })?;
        if let Some(c) = concurrency {
            run.max_concurrency = c;
        }
        if let Some(c) = count {
            run.tolerated_failure_count = c;
        }
        if let Some(p) = pct {
            run.tolerated_failure_percentage = p;
        }
        run.updated = true;
        if let Some(live) = &run.live {
            live.update(concurrency, count, pct);
        }
    }
    // A finished execution's record carries its map runs: keep the new settings there too.
    if server.store.durable.keeps() && lock(&exec.state).status != "RUNNING" {
        server
            .store
            .durable
            .put(super::durable::Kind::Execution, &exec.arn, &exec.to_json());
    }
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::timestamp::Instant;

    fn child(n: usize, status: &'static str, stop: Option<i64>) -> MapRunChild {
        MapRunChild {
            arn: format!("arn:aws:states:us-east-1:1:execution:M/L:{n}"),
            name: n.to_string(),
            status,
            start: Instant::from_unix_millis(1_000 + n as i64),
            stop: stop.map(Instant::from_unix_millis),
            item_count: 2,
            index: n,
            output: (status == "SUCCEEDED").then(|| serde_json::json!({"n": n})),
            continued: false,
        }
    }

    fn run() -> MapRun {
        MapRun {
            report: MapRunReport {
                arn: "arn:aws:states:us-east-1:1:mapRun:M/L:r".into(),
                execution_arn: "arn:aws:states:us-east-1:1:execution:M:e".into(),
                state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M/L".into(),
                ..MapRunReport::default()
            },
            started: 1.0,
            stopped: None,
            max_concurrency: 0,
            tolerated_failure_count: 0,
            tolerated_failure_percentage: 0.0,
            updated: false,
            children: IndexMap::new(),
            redrive_date: None,
            live: None,
        }
    }

    #[test]
    fn children_are_updated_in_place_bounded_aborted_with_their_run_and_kept() {
        let mut m = run();
        m.keep_child(&child(0, "RUNNING", None));
        m.keep_child(&child(1, "RUNNING", None));
        m.keep_child(&child(0, "SUCCEEDED", Some(3_000)));
        assert_eq!(m.children.len(), 2);
        let first = &m.children[0];
        assert_eq!(
            (first.status.as_str(), first.stopped),
            ("SUCCEEDED", Some(3.0))
        );
        m.abort_running_children(9.0);
        assert_eq!(m.children[1].status, "ABORTED");
        assert_eq!(m.children[1].stopped, Some(9.0));
        let item = m.child_item("arn:aws:states:us-east-1:1:execution:M/L:0", &m.children[0]);
        assert_eq!(item["itemCount"], 2);
        assert_eq!(item["mapRunArn"], m.report.arn.as_str());
        assert_eq!(item["stopDate"], 3.0);
        // Through --state-dir's record and back.
        let back = MapRun::from_json(&m.to_json()).map(|b| b.children);
        assert_eq!(back.as_ref(), Some(&m.children));
        // Only the latest MAX_CHILDREN started are kept.
        for n in 2..MAX_CHILDREN + 5 {
            m.keep_child(&child(n, "RUNNING", None));
        }
        assert_eq!(m.children.len(), MAX_CHILDREN);
        assert_eq!(m.children[0].name, "5");
    }

    #[test]
    fn a_redrive_keeps_the_outputs_of_the_children_that_succeeded_and_counts_the_one_run_again() {
        let mut m = run();
        m.keep_child(&child(0, "RUNNING", None));
        m.keep_child(&child(1, "RUNNING", None));
        m.keep_child(&child(0, "SUCCEEDED", Some(3_000)));
        m.keep_child(&child(1, "FAILED", Some(3_000)));
        let plan = m.resume();
        assert_eq!(plan.arn, m.report.arn);
        assert_eq!(plan.redrive_count, 1);
        assert_eq!(
            plan.succeeded.into_iter().collect::<Vec<_>>(),
            vec![(0, serde_json::json!({"n": 0}))]
        );
        assert_eq!(plan.names.len(), 2);
        // The failed child starts again under its ARN: it was redriven once.
        m.keep_child(&child(1, "RUNNING", None));
        m.keep_child(&child(1, "SUCCEEDED", Some(4_000)));
        assert_eq!(
            m.children
                .values()
                .map(|c| c.redrive_count)
                .collect::<Vec<_>>(),
            vec![0, 1]
        );
        let back = MapRun::from_json(&m.to_json()).map(|b| b.children);
        assert_eq!(back.as_ref(), Some(&m.children));
    }
}
