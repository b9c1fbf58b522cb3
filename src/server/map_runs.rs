//! Map runs of Distributed Map states: DescribeMapRun, ListMapRuns and UpdateMapRun, answered
//! from the reports the engine sends as each run goes ([`crate::engine::MapRunSink`]).
//!
//! UpdateMapRun records the new `maxConcurrency` and tolerated failures and DescribeMapRun
//! shows them, but a run already going keeps the settings it started with (the engine reads
//! them once, when the Map state starts).

use super::request::{Request, page};
use super::store::{Execution, lock, now};
use super::{ApiError, Server};
use crate::engine::{MapRunReport, MapRunSink, MapRunStatus};
use serde_json::{Value, json};
use std::sync::{Arc, Weak};

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
            "redriveCount": 0,
        });
        if let Some(s) = self.stopped {
            out["stopDate"] = json!(s);
        }
        out
    }

    /// The record `--state-dir` keeps (DescribeMapRun's answer and what it cannot say).
    pub fn to_json(&self) -> Value {
        let mut v = self.described();
        v["stateMachineArn"] = json!(self.report.state_machine_arn);
        v["updated"] = json!(self.updated);
        v
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
            },
            started: v.get("startDate")?.as_f64()?,
            stopped: v.get("stopDate").and_then(Value::as_f64),
            max_concurrency,
            tolerated_failure_count,
            tolerated_failure_percentage,
            updated: v.get("updated").and_then(Value::as_bool).unwrap_or(false),
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
        });
        run.report = report.clone();
        if !run.updated {
            run.max_concurrency = report.max_concurrency;
            run.tolerated_failure_count = report.tolerated_failure_count;
            run.tolerated_failure_percentage = report.tolerated_failure_percentage;
        }
        if report.status != MapRunStatus::Running && run.stopped.is_none() {
            run.stopped = Some(at);
        }
        drop(runs);
        lock(&server.store.map_runs).insert(report.arn.clone(), exec.arn.clone());
    }
}

/// The execution holding the map run named by `mapRunArn`: `InvalidArn`, `ResourceNotFound`.
fn find(server: &Server, r: &Request) -> Result<(String, Arc<Execution>), ApiError> {
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
