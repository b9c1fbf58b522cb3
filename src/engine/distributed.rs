//! A Distributed Map: items from the input or from S3 (`ItemReader`), `ItemSelector`,
//! `ItemBatcher`, each item or batch run as a child execution with its own context, failures
//! counted against the tolerated threshold, and the results returned or written to S3
//! (`ResultWriter`).
//!
//! Items stream: they are read, selected and batched as children start, in windows of at
//! most [`WINDOW`] children (and [`WINDOW_BYTES`] of their inputs), and with a `ResultWriter` each window's results are written
//! before the next starts, so a run over a large object holds one window at a time.
//!
//! History as AWS writes it: `MapStateStarted` (length 0 with an `ItemReader`),
//! `MapRunStarted`, then `MapRunSucceeded` or `MapRunFailed`; children have histories of
//! their own.

use super::context::{ExecutionInfo, ExecutionInput};
use super::execution::{
    EXPRESS_MAX_SECONDS, Exec, STANDARD_MAX_SECONDS, StateCx, Thread, partition, shown, state_index,
};
use super::failure::{Failure, Fault, Stop};
use super::fanout::{Done, Outcomes, fan_out_live};
use super::map_run::{MapRunChild, MapRunReport, MapRunSettings, MapRunStatus};
use super::probe::Frame;
use super::resume::Resume;
use super::variables::Scope;
use crate::data::roots::{DataError, read};
use crate::definition::ReaderConfig;
use crate::definition::{Dynamic, ItemReader, Map as MapState, ReaderResource, ResultWriter};
use crate::storage::items::{self, Format, ReadError};
use crate::storage::manifest::{self, Manifest};
use crate::storage::{ObjectStore, ObjectWriter, StoreError};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// At most this many children are started before their results are collected...
const WINDOW: usize = 1_000;
/// ...and at most this many items read into one window (batches hold many)...
const WINDOW_ITEMS: usize = 10_000;
/// ...and no more child inputs, as JSON text, than this: items may be up to 8 MiB each
/// (`storage::items::ITEM_LIMIT`), and a thousand of them would be 8 GiB.
const WINDOW_BYTES: usize = 64 * 1024 * 1024;
/// `MaxConcurrency` 0: AWS runs up to 10,000 children at once.
const MAX_CHILDREN: usize = 10_000;

/// How one child ended, for the results and the `ResultWriter` records.
struct Child {
    name: String,
    arn: String,
    /// The input as JSON text.
    input: Arc<str>,
    result: Result<Value, Failure>,
    start: String,
    stop: String,
}

/// Items as they are read: from the state's input or from S3.
type ItemStream<'a> = Box<dyn Iterator<Item = Result<Value, ReadError>> + Send + 'a>;

/// How an `ItemReader` reads the object it names.
enum Reading {
    /// Its own items, in this format.
    Object(Format),
    /// The items of the files it lists.
    Manifest(Manifest),
}

/// The format of one data file by `InputType` (by the key's extension when it is absent).
fn data_format(c: &ReaderConfig, input_type: Option<&str>, key: &str) -> Result<Format, Failure> {
    let input_type = input_type.unwrap_or(match key {
        k if k.ends_with(".csv") => "CSV",
        k if k.ends_with(".jsonl") => "JSONL",
        k if k.ends_with(".parquet") => "PARQUET",
        _ => "JSON",
    });
    match input_type {
        "JSON" => Ok(Format::Json {
            items_pointer: c.items_pointer.clone(),
        }),
        "JSONL" => Ok(Format::Jsonl),
        "PARQUET" => Ok(Format::Parquet),
        "CSV" => Ok(Format::Csv {
            delimiter: items::delimiter(c.csv_delimiter.as_deref()),
            headers: match c.csv_header_location.as_deref() {
                Some("GIVEN") => Some(c.csv_headers.clone().unwrap_or_default()),
                _ => None,
            },
        }),
        other => Err(Exec::reader_failure(format!(
            "The InputType {other} cannot be read here (JSON, JSONL, CSV and PARQUET can)"
        ))),
    }
}

/// What `ReaderConfig` says to read: `ManifestType` `S3_INVENTORY` (or the older `InputType`
/// `MANIFEST`) and `ATHENA_DATA` name manifests; anything else an object of items.
fn reading(c: &ReaderConfig, key: &str) -> Result<Reading, Failure> {
    match (c.manifest_type.as_deref(), c.input_type.as_deref()) {
        (Some("S3_INVENTORY"), _) | (None, Some("MANIFEST")) => {
            Ok(Reading::Manifest(Manifest::Inventory))
        }
        (Some("ATHENA_DATA"), t @ Some("CSV" | "JSONL" | "PARQUET")) => {
            Ok(Reading::Manifest(Manifest::Athena(data_format(c, t, "")?)))
        }
        (Some("ATHENA_DATA"), _) => Err(Exec::reader_failure(
            "ManifestType ATHENA_DATA needs InputType CSV, JSONL or PARQUET",
        )),
        (Some(other), _) => Err(Exec::reader_failure(format!(
            "The ManifestType {other} is not one of S3_INVENTORY, ATHENA_DATA"
        ))),
        (None, t) => Ok(Reading::Object(data_format(c, t, key)?)),
    }
}

impl Exec {
    fn reader_failure(cause: impl Into<String>) -> Failure {
        Failure::new("States.ItemReaderFailed", cause)
    }

    fn store(&self, s: &str) -> Result<Arc<dyn ObjectStore>, Stop> {
        self.storage.clone().ok_or_else(|| {
            Stop::Fault(Fault::new(format!(
                "the Map state `{s}` reads or writes S3 objects: give `--s3-root DIR` (`s3://BUCKET/KEY` is the file DIR/BUCKET/KEY), or route it to AWS for the real S3 (`--aws {s}` or `--aws-all`)"
            )))
        })
    }

    /// `MaxItems(Path)`: `Ok(Err(cause))` for a negative number, which fails the map run.
    fn max_items(
        &self,
        cx: &StateCx,
        r: &ItemReader,
        effective: &Value,
        th: &Thread,
    ) -> Result<Result<Option<u64>, String>, Stop> {
        let roots = self.roots(cx, effective, &th.scope, 0);
        let (v, path) = match &r.config.max_items {
            None => return Ok(Ok(None)),
            Some(Dynamic::Fixed(n)) => return Ok(Ok(Some(*n))),
            Some(Dynamic::Path(p)) => (
                read(p, &roots)
                    .map_err(|e| self.data_failure(cx, super::execution::invalid_path(p, e)))?
                    .into_owned(),
                Some(p.to_string()),
            ),
            Some(Dynamic::Expr(e)) => (
                e.evaluate_field(&roots, "MaxItems")
                    .map_err(|e| self.data_failure(cx, e))?,
                None,
            ),
            Some(Dynamic::Intrinsic(_)) => return Ok(Ok(None)),
        };
        let n = match &v {
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|u| u.min(i64::MAX as u64) as i64)),
            _ => None,
        };
        match (n, path) {
            (Some(n), _) if n < 0 => Ok(Err("field MaxItems must be positive".into())),
            (Some(n), _) => Ok(Ok(Some(n as u64))),
            (None, Some(p)) => Err(self.data_failure(
                cx,
                DataError::runtime(format!(
                    "The MaxItemsPath field refers to value \"{}\" which is not a valid integer: {p}",
                    shown(&v)
                )),
            )),
            (None, None) => Err(self.data_failure(
                cx,
                DataError::query(format!(
                    "The MaxItems field must be a non-negative integer, but was: {v}"
                )),
            )),
        }
    }

    /// Opens the items of an `ItemReader`; `Err(Ok(failure))` fails the map run.
    fn open_reader(
        &self,
        cx: &StateCx,
        r: &ItemReader,
        effective: &Value,
        th: &Thread,
        retry_count: u64,
    ) -> Result<Result<ItemStream<'static>, Failure>, Stop> {
        let params = match &r.parameters {
            Some(t) => t
                .eval(&self.roots(cx, effective, &th.scope, retry_count))
                .map_err(|e| self.data_failure(cx, e))?,
            None => Value::Object(Map::new()),
        };
        let store = self.store(&cx.state.name)?;
        let text = |k: &str| {
            params
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let bucket = text("Bucket");
        let c = &r.config;
        // S3's answers fail the map run; not reaching S3 at all ends the run (a fault).
        let store_failure = |e: StoreError| match e {
            StoreError::Unreachable(_) => Stop::Fault(Fault::new(e.to_string())),
            e => Stop::Failed(Exec::reader_failure(e.to_string())),
        };
        let read_failure = |e: ReadError| Stop::Failed(Exec::reader_failure(e.0));
        let opened = match r.resource {
            ReaderResource::GetObject => {
                let key = text("Key");
                (|| -> Result<ItemStream<'static>, Stop> {
                    match reading(c, &key).map_err(Stop::Failed)? {
                        Reading::Object(f) => {
                            let body = store.get(&bucket, &key).map_err(store_failure)?;
                            items::items(body, &f).map_err(read_failure)
                        }
                        Reading::Manifest(m) => {
                            manifest::items(store.clone(), &bucket, &key, &m).map_err(read_failure)
                        }
                    }
                })()
            }
            ReaderResource::ListObjects => {
                let prefix = text("Prefix");
                (|| -> Result<ItemStream<'static>, Stop> {
                    let listed = store.list(&bucket, &prefix).map_err(store_failure)?;
                    if c.transformation.as_deref() == Some("LOAD_AND_FLATTEN") {
                        // Every listed object in one format, opened only when the one before
                        // it is read to the end.
                        // Without `InputType` (which `validate` asks for), each object's
                        // format goes by its key's extension.
                        let mut files = std::collections::VecDeque::new();
                        for o in listed {
                            let format = match reading(c, &o.key).map_err(Stop::Failed)? {
                                Reading::Object(f) => f,
                                Reading::Manifest(_) => {
                                    return Err(Stop::Failed(Exec::reader_failure(
                                        "LOAD_AND_FLATTEN reads the listed objects themselves: it takes no ManifestType",
                                    )));
                                }
                            };
                            files.push_back((bucket.clone(), o.key, format));
                        }
                        Ok(manifest::chain(store.clone(), files))
                    } else {
                        Ok(Box::new(listed.into_iter().map(|o| {
                            Ok(json!({
                                "Etag": o.etag,
                                "Key": o.key,
                                "LastModified": o.last_modified,
                                "Size": o.size,
                                "StorageClass": o.storage_class,
                            }))
                        })))
                    }
                })()
            }
        };
        match opened {
            Ok(items) => Ok(Ok(items)),
            Err(Stop::Failed(f)) => Ok(Err(f)),
            Err(stop) => Err(stop),
        }
    }

    fn map_run_failed(&self, th: &mut Thread, f: Failure) -> Result<Value, Stop> {
        let details = super::fanout::failure_details(&f);
        self.emit(th, "MapRunFailed", || {
            Some(("mapRunFailedEventDetails".into(), details))
        })?;
        self.emit(th, "MapStateFailed", || None)?;
        Err(Stop::Failed(f))
    }

    pub(crate) async fn distributed(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        effective: &Value,
        th: &mut Thread,
        retry_count: u64,
    ) -> Result<Value, Stop> {
        let mut run = None;
        let out = self
            .distributed_run(cx, m, effective, th, retry_count, &mut run)
            .await;
        // The run's last report, however it ended (a StopExecution ends it ABORTED).
        if let (Some(sink), Some(mut r)) = (&self.map_runs, run) {
            r.status = match &out {
                Ok(_) => MapRunStatus::Succeeded,
                Err(Stop::Failed(_)) => MapRunStatus::Failed,
                Err(_) => MapRunStatus::Aborted,
            };
            if r.status != MapRunStatus::Succeeded {
                r.aborted += r.running;
                r.running = 0;
            }
            sink.report(&r);
        }
        out
    }

    /// Tells the sink, if any, how a started child of the window ended (`r`, its outcome; a
    /// child that never started is not told). Its stop is its own end, or the window's for a
    /// child cut short.
    #[allow(clippy::too_many_arguments)]
    fn child_ended(
        &self,
        map_run_arn: &str,
        index: usize,
        name: &str,
        start: &std::sync::Mutex<Option<crate::data::timestamp::Instant>>,
        stop: &std::sync::Mutex<Option<crate::data::timestamp::Instant>>,
        r: &Option<Result<Value, Stop>>,
        item_count: Option<u64>,
        kind: &str,
        child_machine: &str,
        window_end: &crate::data::timestamp::Instant,
    ) {
        let Some(sink) = &self.map_runs else { return };
        let Some(start) = *start.lock().unwrap_or_else(|p| p.into_inner()) else {
            return;
        };
        let status = match r {
            None => return,
            Some(Ok(_)) => "SUCCEEDED",
            Some(Err(Stop::Failed(f))) if f.error == "States.Timeout" => "TIMED_OUT",
            Some(Err(Stop::Failed(_))) => "FAILED",
            Some(Err(_)) => "ABORTED",
        };
        let stop = stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or(*window_end);
        sink.child(
            map_run_arn,
            &MapRunChild {
                arn: format!(
                    "arn:{}:states:{}:{}:{kind}:{child_machine}:{name}",
                    partition(&self.region),
                    self.region,
                    self.account_id
                ),
                name: name.to_string(),
                status,
                start,
                stop: Some(stop),
                item_count: item_count.unwrap_or(1),
                index,
                output: match r {
                    Some(Ok(v)) => Some(v.clone()),
                    _ => None,
                },
                continued: false,
            },
        );
    }

    /// Tells the sink, if any, how the run stands.
    fn report(&self, run: &Option<MapRunReport>) {
        if let (Some(sink), Some(r)) = (&self.map_runs, run) {
            sink.report(r);
        }
    }

    async fn distributed_run(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        effective: &Value,
        th: &mut Thread,
        retry_count: u64,
        run: &mut Option<MapRunReport>,
    ) -> Result<Value, Stop> {
        // A redrive of the execution redrives the run this state had started.
        let mut redo = th.redo.take().and_then(|f| f.map_run);
        let limit = self
            .int_setting(
                cx,
                Some(&m.max_concurrency),
                "MaxConcurrency",
                effective,
                th,
            )?
            .unwrap_or(0);
        let asked_limit = limit;
        // At most a window's children at once; 0, no limit, is a window's.
        let clamp = |limit: u64| {
            if limit == 0 {
                MAX_CHILDREN
            } else {
                (limit as usize).min(MAX_CHILDREN)
            }
        };
        let tolerated_count = self.int_setting(
            cx,
            m.tolerated_failure_count.as_ref(),
            "ToleratedFailureCount",
            effective,
            th,
        )?;
        let tolerated_pct = self.percentage(cx, &m.tolerated_failure_percentage, effective, th)?;
        let (batch_items, batch_bytes) = match &m.item_batcher {
            Some(b) => (
                self.int_setting(cx, b.max_items.as_ref(), "MaxItemsPerBatch", effective, th)?,
                self.int_setting(
                    cx,
                    b.max_bytes.as_ref(),
                    "MaxInputBytesPerBatch",
                    effective,
                    th,
                )?,
            ),
            None => (None, None),
        };
        let batch_input = match m.item_batcher.as_ref().and_then(|b| b.batch_input.as_ref()) {
            Some(t) => Some(
                t.eval(&self.roots(cx, effective, &th.scope, retry_count))
                    .map_err(|e| self.data_failure(cx, e))?,
            ),
            None => None,
        };
        let input_items = match &m.item_reader {
            Some(_) => None,
            None => Some(self.items(cx, m, effective, th, retry_count)?),
        };
        if let (Some(items), true) = (&input_items, self.probe.is_some()) {
            self.show(
                cx,
                super::probe::Step::ItemsPath,
                &Value::Array(items.to_vec()),
            );
        }
        let length = input_items.as_ref().map_or(0, |i| i.len());
        self.emit(th, "MapStateStarted", || {
            Some((
                "mapStateStartedEventDetails".into(),
                json!({"length": length}),
            ))
        })?;
        let max_items = match &m.item_reader {
            Some(r) => Some(self.max_items(cx, r, effective, th)?),
            None => None,
        };
        let label = m.label.clone().unwrap_or_else(|| self.uuid_text());
        let p = partition(&self.region);
        // A redriven run keeps its ARN: `arn:P:states:R:A:mapRun:MACHINE/LABEL:ID`.
        let (child_machine, run_id, map_run_arn) = match redo.as_ref().and_then(|r| {
            let (rest, id) = r.arn.rsplit_once(':')?;
            let (_, machine) = rest.split_once(":mapRun:")?;
            Some((machine.to_string(), id.to_string(), r.arn.clone()))
        }) {
            Some(kept) => kept,
            None => {
                let run_id = self.uuid_text();
                let child_machine = format!("{}/{label}", self.state_machine_name);
                let arn = format!(
                    "arn:{p}:states:{}:{}:mapRun:{child_machine}:{run_id}",
                    self.region, self.account_id
                );
                (child_machine, run_id, arn)
            }
        };
        let child_machine_arn = format!(
            "arn:{p}:states:{}:{}:stateMachine:{child_machine}",
            self.region, self.account_id
        );
        let redrive_count = redo.as_ref().map_or(0, |r| r.redrive_count);
        match &redo {
            Some(_) => self.emit(th, "MapRunRedriven", || {
                Some((
                    "mapRunRedrivenEventDetails".into(),
                    json!({"mapRunArn": map_run_arn, "redriveCount": redrive_count}),
                ))
            })?,
            None => self.emit(th, "MapRunStarted", || {
                Some((
                    "mapRunStartedEventDetails".into(),
                    json!({"mapRunArn": map_run_arn}),
                ))
            })?,
        };
        if self.map_runs.is_some() {
            *run = Some(MapRunReport {
                arn: map_run_arn.clone(),
                execution_arn: self.info.id().to_string(),
                state_machine_arn: child_machine_arn.clone(),
                max_concurrency: asked_limit,
                tolerated_failure_count: tolerated_count.unwrap_or(0),
                tolerated_failure_percentage: tolerated_pct.unwrap_or(0.0),
                redrive_count,
                ..MapRunReport::default()
            });
            self.report(run);
        }
        // What UpdateMapRun may change as the run goes, when a sink takes it (`asl serve`);
        // otherwise what was evaluated above holds throughout.
        let live = self.map_runs.as_ref().map(|sink| {
            let s = Arc::new(MapRunSettings::new(
                asked_limit,
                tolerated_count,
                tolerated_pct,
            ));
            sink.settings(&map_run_arn, s.clone());
            s
        });
        let live = live.as_deref();
        let limit = || clamp(live.map_or(asked_limit, MapRunSettings::max_concurrency));
        let tolerated = || match live {
            Some(s) => (s.tolerated_count(), s.tolerated_pct()),
            None => (tolerated_count, tolerated_pct),
        };

        // `$$.Map.Item.Source`: where the items come from.
        let source = match &m.item_reader {
            None => "STATE_DATA".to_string(),
            Some(r) => {
                let params = match &r.parameters {
                    Some(t) => t
                        .eval(&self.roots(cx, effective, &th.scope, retry_count))
                        .unwrap_or(Value::Null),
                    None => Value::Null,
                };
                let text = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default();
                match r.resource {
                    ReaderResource::GetObject => format!("S3://{}/{}", text("Bucket"), text("Key")),
                    ReaderResource::ListObjects => format!("S3://{}", text("Bucket")),
                }
            }
        };
        // The items.
        let mut stream: ItemStream = match (&m.item_reader, &input_items) {
            (Some(r), _) => {
                let max = match max_items {
                    Some(Err(cause)) => {
                        return self.map_run_failed(th, Exec::reader_failure(cause));
                    }
                    Some(Ok(n)) => n.filter(|n| *n > 0),
                    None => None,
                };
                match self.open_reader(cx, r, effective, th, retry_count)? {
                    Ok(items) => match max {
                        Some(n) => Box::new(items.take(n.min(usize::MAX as u64) as usize)),
                        None => items,
                    },
                    Err(f) => return self.map_run_failed(th, f),
                }
            }
            (None, Some(items)) => Box::new(items.iter().cloned().map(Ok)),
            (None, None) => Box::new(std::iter::empty()),
        };

        let express = m.execution_type.as_deref() == Some("EXPRESS");
        let writer = match &m.result_writer {
            Some(w) => {
                Some(self.open_writer(cx, w, effective, th, retry_count, &map_run_arn, &run_id)?)
            }
            None => None,
        };
        let mut results: Vec<Value> = Vec::new();
        let mut writer = writer;
        let mut index = 0usize; // items read
        let mut children = 0usize; // children started
        let mut failed = 0usize;
        let mut end = th.time;
        let mut stopped = false;
        // Whether `failed` of `total` children is over the tolerated threshold.
        let too_many = |failed: usize, total: usize| -> bool {
            if failed == 0 {
                return false;
            }
            let (tolerated_count, tolerated_pct) = tolerated();
            let by_count = tolerated_count.is_some_and(|c| failed as u64 <= c);
            let by_pct = tolerated_pct
                .is_some_and(|p| total > 0 && (failed as f64) * 100.0 / (total as f64) <= p);
            !(by_count || by_pct)
        };
        // Before the total is known, only a count can be exceeded for sure.
        let over_count = |failed: usize| -> bool {
            let (tolerated_count, tolerated_pct) = tolerated();
            failed > 0
                && tolerated_pct.is_none()
                && tolerated_count.is_none_or(|c| failed as u64 > c)
        };
        // Inputs of the children that did not run to their end: `pending` holds those
        // that never started and the `cut_short` ones that started.
        let mut pending: Vec<Arc<str>> = Vec::new();
        let mut cut_short = 0usize;
        let started = |at: &std::sync::Mutex<Option<crate::data::timestamp::Instant>>| {
            at.lock().unwrap_or_else(|p| p.into_inner()).is_some()
        };
        loop {
            // The next window of child inputs.
            let mut inputs: Vec<Value> = Vec::new();
            // Each child's input as JSON text: `$$.Execution.Input` reads it, and the
            // `ResultWriter` records it; the value itself moves into the child.
            let mut texts: Vec<Arc<str>> = Vec::new();
            let mut window_bytes = 0usize;
            // The items each child processes (a batch holds many).
            let mut item_counts: Vec<u64> = Vec::new();
            let mut exhausted = false;
            let first = index;
            while inputs.len() < WINDOW
                && index - first < WINDOW_ITEMS
                && window_bytes < WINDOW_BYTES
            {
                let before = index;
                match self.next_input(
                    cx,
                    m,
                    effective,
                    th,
                    retry_count,
                    &mut stream,
                    &mut index,
                    (batch_items, batch_bytes, batch_input.as_ref()),
                    &source,
                )? {
                    Some(Ok(v)) => {
                        item_counts.push(index.saturating_sub(before).max(1) as u64);
                        let text: Arc<str> = Arc::from(v.to_string());
                        window_bytes += text.len();
                        texts.push(text);
                        inputs.push(v);
                    }
                    Some(Err(f)) => return self.map_run_failed(th, f),
                    None => {
                        exhausted = true;
                        break;
                    }
                }
            }
            if stopped {
                pending.extend(texts);
                if let Some(r) = run.as_mut() {
                    r.items = index as u64;
                    r.pending = (pending.len() - cut_short) as u64;
                }
                if exhausted {
                    break;
                }
                continue;
            }
            let n = inputs.len();
            let base = children;
            if let Some(r) = run.as_mut() {
                r.items = index as u64;
                let limit = limit();
                r.running = n.min(limit) as u64;
                r.pending = (pending.len() - cut_short + n - n.min(limit)) as u64;
            }
            self.report(run);
            let mut moving = std::mem::take(&mut inputs).into_iter();
            // A redriven run's Standard children keep their names (and ARNs): they are
            // redriven; Express ones are started anew, as AWS restarts them. The ones that
            // succeeded keep their outputs and do not run again.
            let names: Vec<String> = (0..n)
                .map(|i| {
                    redo.as_ref()
                        .filter(|_| !express)
                        .and_then(|r| r.names.get(&(base + i)).cloned())
                        .unwrap_or_else(|| self.uuid_text())
                })
                .collect();
            // Where each Standard child redriven from its own history picks up.
            let mut plans: Vec<Option<Resume>> = (0..n)
                .map(|i| {
                    redo.as_mut()
                        .filter(|_| !express)
                        .and_then(|r| r.resumed.remove(&(base + i)))
                })
                .collect();
            let redo = &redo;
            let starts: Vec<std::sync::Mutex<Option<crate::data::timestamp::Instant>>> =
                (0..n).map(|_| std::sync::Mutex::new(None)).collect();
            let stops: Vec<std::sync::Mutex<Option<crate::data::timestamp::Instant>>> =
                (0..n).map(|_| std::sync::Mutex::new(None)).collect();
            let stopped_alone: Vec<std::sync::atomic::AtomicBool> = (0..n)
                .map(|_| std::sync::atomic::AtomicBool::new(false))
                .collect();
            let alone = |i: usize| {
                stopped_alone
                    .get(i)
                    .is_some_and(|b| b.load(std::sync::atomic::Ordering::Relaxed))
            };
            let (outcomes, at) = {
                let stopped_alone = &stopped_alone;
                let texts = &texts;
                let names = &names;
                let starts = &starts;
                let stops = &stops;
                let item_counts = &item_counts;
                let map_run_arn = &map_run_arn;
                let child_machine = &child_machine;
                let child_machine_arn = &child_machine_arn;
                fan_out_live(
                    Outcomes::new(n),
                    limit,
                    limit(),
                    th.time,
                    |i, t, _| {
                        let input = moving.next().unwrap_or(Value::Null);
                        let text = texts[i].clone();
                        let name = names[i].clone();
                        let kept = redo
                            .as_ref()
                            .and_then(|r| r.succeeded.get(&(base + i)).cloned());
                        // A child that ran before is redriven; one that never started starts.
                        let plan = plans.get_mut(i).and_then(Option::take);
                        let child_redrives = match (redo, &plan) {
                            (_, Some(p)) => p.redrive_count,
                            (Some(r), None) if !express && r.names.contains_key(&(base + i)) => {
                                redrive_count
                            }
                            _ => 0,
                        };
                        async move {
                            if let Some(v) = kept {
                                return Done {
                                    index: i,
                                    result: Ok(v),
                                    time: t,
                                };
                            }
                            let start = self.clock.now(&t);
                            *starts[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(start);
                            let kind = if express { "express" } else { "execution" };
                            let arn = format!(
                                "arn:{p}:states:{}:{}:{kind}:{child_machine}:{name}",
                                self.region, self.account_id
                            );
                            let history = self.map_runs.as_ref().map(|sink| {
                                let started = MapRunChild {
                                    arn: arn.clone(),
                                    name: name.clone(),
                                    status: "RUNNING",
                                    start,
                                    stop: None,
                                    item_count: item_counts.get(i).copied().unwrap_or(1),
                                    index: base + i,
                                    output: None,
                                    continued: plan.is_some(),
                                };
                                // Its history and stop are in place before it is listed,
                                // so a client that sees it running can stop it.
                                let history = sink.child_history(map_run_arn, &started);
                                let stop = sink.child_stop(map_run_arn, &started);
                                sink.child(map_run_arn, &started);
                                (history, stop)
                            });
                            let (history, asked) = history.unwrap_or((None, None));
                            let fields = match json!({
                                "Id": arn,
                                "StartTime": start.to_iso_millis(),
                                "Name": name,
                                "RoleArn": self.role_arn,
                                "RedriveCount": child_redrives,
                            }) {
                                Value::Object(m) => m,
                                _ => Map::new(),
                            };
                            let info = ExecutionInfo::new(
                                fields,
                                ExecutionInput::Text(text.clone()),
                                json!({"Id": child_machine_arn, "Name": child_machine}),
                            );
                            let most = if express {
                                EXPRESS_MAX_SECONDS
                            } else {
                                STANDARD_MAX_SECONDS
                            };
                            let deadline = Some(start.plus_millis(most * 1000));
                            let seed = self.seed.map(|s| {
                                s.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                                    .wrapping_add((base + i) as u64)
                            });
                            let child =
                                self.child(info, deadline, seed, child_machine.clone(), history);
                            let mut t = Thread {
                                time: t,
                                prev: 0,
                                scope: Scope::default(),
                                frame: Some(Frame {
                                    parent: cx.visit,
                                    index: base + i,
                                }),
                                redo: None,
                            };
                            let body = async {
                                match plan {
                                // Its history opens as any execution's: ids count from it, so
                                // a cause's "entered at the event id #2" is AWS's.
                                None => {
                                    let role = &self.role_arn;
                                    let opened = child.history.emit("ExecutionStarted", 0, start, || {
                                        Some((
                                            "executionStartedEventDetails".into(),
                                            json!({"input": &*text, "inputDetails": {"truncated": false}, "roleArn": role}),
                                        ))
                                    });
                                    t.prev = opened.unwrap_or(0);
                                    child.run_graph(&m.processor, input, &mut t).await
                                }
                                // Redriven: its history goes on, and it picks up where it
                                // stopped, as a redriven execution does (`execution::run`).
                                Some(plan) => {
                                    child.redriven(&m.processor, plan, start, &mut t).await
                                }
                                }
                            };
                            // Stopped on its own (StopExecution of the child): ABORTED, a
                            // failed child of the run for its tolerance.
                            let result = match asked {
                                Some(asked) => tokio::select! {
                                    why = asked => {
                                        stopped_alone[i].store(true, std::sync::atomic::Ordering::Relaxed);
                                        Err(Stop::Aborted(why))
                                    }
                                    r = body => r,
                                },
                                None => body.await,
                            };
                            let stop = self.clock.now(&t.time);
                            child.close_history(&result, stop);
                            let result = match result {
                                Err(Stop::TimedOut) => {
                                    Err(Stop::Failed(Failure::new("States.Timeout", "")))
                                }
                                other => other,
                            };
                            *stops[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(stop);
                            Done {
                                index: i,
                                result,
                                time: t.time,
                            }
                        }
                    },
                    |d| match d.map(|d| &d.result) {
                        // The settings changed: the failures so far may be past them now.
                        None => !over_count(failed),
                        Some(Ok(_)) => true,
                        Some(Err(Stop::Failed(_))) => {
                            failed += 1;
                            !over_count(failed)
                        }
                        Some(Err(Stop::Aborted(_))) if alone(d.map_or(0, |d| d.index)) => {
                            failed += 1;
                            !over_count(failed)
                        }
                        Some(Err(_)) => false,
                    },
                    live,
                )
                .await
            };
            if at > end {
                end = at;
            }
            let stop_time_at = self.clock.now(&end);
            let stop_time = stop_time_at.to_iso_millis();
            let kind = if express { "express" } else { "execution" };
            for (i, r) in outcomes.in_order().enumerate() {
                let input = texts[i].clone();
                self.child_ended(
                    &map_run_arn,
                    base + i,
                    &names[i],
                    &starts[i],
                    &stops[i],
                    &r,
                    item_counts.get(i).copied(),
                    kind,
                    &child_machine,
                    &stop_time_at,
                );
                if let Some(report) = run.as_mut() {
                    match &r {
                        Some(Ok(_)) => report.succeeded += 1,
                        Some(Err(Stop::Failed(f))) if f.error == "States.Timeout" => {
                            report.timed_out += 1
                        }
                        Some(Err(Stop::Failed(_))) => report.failed += 1,
                        Some(Err(_)) => report.aborted += 1,
                        // Started and cut short (the run failed or stopped): aborted.
                        None if started(&starts[i]) => {
                            report.aborted += 1;
                            cut_short += 1;
                        }
                        // Not started: counted below with the pending ones.
                        None => {}
                    }
                    // A child stopped on its own is written with the failed ones.
                    let written = match &r {
                        Some(Ok(_)) | Some(Err(Stop::Failed(_))) => true,
                        Some(Err(Stop::Aborted(_))) => alone(i),
                        _ => false,
                    };
                    if writer.is_some() && written {
                        report.results_written += 1;
                    }
                }
                let result = match r {
                    Some(Ok(v)) => Ok(v),
                    Some(Err(Stop::Failed(f))) => Err(f),
                    // A child stopped on its own is one of the run's failures.
                    Some(Err(Stop::Aborted(why))) if alone(i) => {
                        Err(Failure::new("ExecutionAborted", why))
                    }
                    Some(Err(other)) => return Err(other),
                    None => {
                        pending.push(input);
                        continue;
                    }
                };
                let c = Child {
                    arn: format!(
                        "arn:{p}:states:{}:{}:{kind}:{child_machine}:{}",
                        self.region, self.account_id, names[i]
                    ),
                    name: names[i].clone(),
                    input,
                    result,
                    start: starts[i]
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .map(|t| t.to_iso_millis())
                        .unwrap_or_default(),
                    stop: stop_time.clone(),
                };
                match &mut writer {
                    Some(w) => w
                        .add(&c, &child_machine_arn)
                        .map_err(|e| self.writer_stop(e))?,
                    None => results.push(match c.result {
                        Ok(v) => v,
                        Err(f) => f.to_error_output(),
                    }),
                }
            }
            children += n;
            if let Some(r) = run.as_mut() {
                r.running = 0;
                r.pending = (pending.len() - cut_short) as u64;
            }
            self.report(run);
            let label = &label;
            self.history.progress(|| {
                format!(
                    "MapRun {label}: {children} children done ({index} items{}), {failed} failed",
                    if length > 0 {
                        format!(" of {length}")
                    } else {
                        String::new()
                    }
                )
            });
            if over_count(failed) {
                stopped = true;
            }
            if exhausted {
                break;
            }
        }
        th.time = end;
        th.prev = self.history.count();
        if let Some(r) = run.as_mut() {
            r.items = index as u64;
        }
        let exceeded = too_many(failed, children + pending.len());
        let value = match writer {
            Some(mut w) => {
                for input in &pending {
                    w.pending(input, &child_machine_arn)
                        .map_err(|e| self.writer_stop(e))?;
                }
                w.finish().map_err(|e| self.writer_stop(e))?
            }
            None => Value::Array(results),
        };
        if exceeded {
            return self.map_run_failed(
                th,
                Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                ),
            );
        }
        self.emit(th, "MapRunSucceeded", || None)?;
        self.emit(th, "MapStateSucceeded", || None)?;
        Ok(value)
    }

    /// Runs a redriven Standard child from where `plan` says, its history going on after
    /// its last event with `ExecutionRedriven`.
    async fn redriven(
        &self,
        g: &crate::definition::Graph,
        plan: Resume,
        at: crate::data::timestamp::Instant,
        t: &mut Thread,
    ) -> Result<Value, Stop> {
        let first = state_index(g, &plan.at.state).map_err(Stop::Fault)?;
        self.history.continue_after(plan.last_event);
        t.prev = plan.last_event;
        for (name, value) in plan.at.variables {
            t.scope.set(name, value);
        }
        t.redo = plan.at.inside.map(Box::new);
        let count = plan.redrive_count;
        if let Ok(id) = self.history.emit("ExecutionRedriven", t.prev, at, || {
            Some((
                "executionRedrivenEventDetails".into(),
                json!({"redriveCount": count}),
            ))
        }) {
            t.prev = id;
        }
        self.run_graph_from(g, first, plan.at.input, t).await
    }

    /// A child execution's last event, as any execution ends its history (only built when
    /// someone listens to it).
    fn close_history(&self, result: &Result<Value, Stop>, at: crate::data::timestamp::Instant) {
        if !self.history.detailed() {
            return;
        }
        let prev = self.history.count();
        let (kind, key, details) = match result {
            Ok(v) => (
                "ExecutionSucceeded",
                "executionSucceededEventDetails",
                json!({"output": v.to_string(), "outputDetails": {"truncated": false}}),
            ),
            Err(Stop::Failed(f)) => {
                let mut d = Map::new();
                if !f.error.is_empty() {
                    d.insert("error".into(), json!(f.error));
                }
                if let Some(c) = &f.cause {
                    d.insert("cause".into(), json!(c));
                }
                (
                    "ExecutionFailed",
                    "executionFailedEventDetails",
                    Value::Object(d),
                )
            }
            Err(Stop::TimedOut) => (
                "ExecutionTimedOut",
                "executionTimedOutEventDetails",
                json!({"error": "States.Timeout"}),
            ),
            Err(Stop::Aborted(why)) => (
                "ExecutionAborted",
                "executionAbortedEventDetails",
                json!({"cause": why}),
            ),
            Err(Stop::Fault(f)) => (
                "ExecutionFailed",
                "executionFailedEventDetails",
                json!({"error": "States.Runtime", "cause": f.message}),
            ),
        };
        self.history
            .emit_final(kind, prev, at, || Some((key.into(), details)));
    }

    fn writer_stop(&self, e: StoreError) -> Stop {
        match e {
            StoreError::Unreachable(_) => Stop::Fault(Fault::new(e.to_string())),
            e => Stop::Failed(Failure::new("States.ResultWriterFailed", e.to_string())),
        }
    }

    /// A fresh id of the engine's own (a map run's, a child execution's name). Random; with a
    /// seed, drawn from the seeded source and also made unique to this execution by its ARN,
    /// as AWS's are: two executions that share a seed (the cases of one test file) never
    /// share a map run, nor the `ResultWriter` prefix named after it.
    fn uuid_text(&self) -> String {
        let drawn = crate::data::intrinsics::IntrinsicEnv::uuid(self);
        if self.seed.is_none() {
            return drawn;
        }
        use md5::{Digest, Md5};
        let Ok(id) = uuid::Uuid::parse_str(&drawn) else {
            return drawn;
        };
        let own = Md5::digest(self.info.id().as_bytes());
        let mut bytes = *id.as_bytes();
        for (b, o) in bytes.iter_mut().zip(own.iter()) {
            *b ^= o;
        }
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// The next child input: an item (after `ItemSelector`) or a batch; `None` at the end.
    #[allow(clippy::too_many_arguments)]
    fn next_input(
        &self,
        cx: &StateCx,
        m: &MapState,
        effective: &Value,
        th: &Thread,
        retry_count: u64,
        stream: &mut ItemStream,
        index: &mut usize,
        (max_items, max_bytes, batch_input): (Option<u64>, Option<u64>, Option<&Value>),
        source: &str,
    ) -> Result<Option<Result<Value, Failure>>, Stop> {
        // The item after `ItemSelector`, and the item as read when they differ (a batch
        // that has no room for it puts the item back as read, to be selected once, later).
        let select = |item: Value, index: usize| -> Result<(Value, Option<Value>), Stop> {
            if m.item_reader.is_some() {
                self.show(cx, super::probe::Step::ItemRead(index), &item);
            }
            match &m.item_selector {
                Some(t) => {
                    let mut roots = self.roots(cx, effective, &th.scope, retry_count);
                    roots.state.map_item = Some((index, &item));
                    roots.state.map_source = Some(source);
                    let v = t.eval(&roots).map_err(|e| self.data_failure(cx, e))?;
                    self.show(cx, super::probe::Step::ItemSelector(index), &v);
                    Ok((v, Some(item)))
                }
                None => Ok((item, None)),
            }
        };
        if max_items.is_none() && max_bytes.is_none() {
            return match stream.next() {
                None => Ok(None),
                Some(Err(e)) => Ok(Some(Err(Exec::reader_failure(e.0)))),
                Some(Ok(item)) => {
                    let i = *index;
                    *index += 1;
                    Ok(Some(Ok(select(item, i)?.0)))
                }
            };
        }
        let max_items = max_items.filter(|n| *n > 0).unwrap_or(u64::MAX);
        let max_bytes = max_bytes
            .filter(|n| *n > 0)
            .unwrap_or(256 * 1024)
            .min(256 * 1024);
        let mut batch = Vec::new();
        let first = *index;
        // `{"Items":[]}` and the batch input.
        let mut size = 12 + batch_input.map_or(0, |b| b.to_string().len() + 14);
        while (batch.len() as u64) < max_items {
            let Some(next) = stream.next() else {
                break;
            };
            let item = match next {
                Ok(v) => v,
                Err(e) => return Ok(Some(Err(Exec::reader_failure(e.0)))),
            };
            let i = *index;
            *index += 1;
            let (v, read) = select(item, i)?;
            let n = v.to_string().len() + 1;
            if !batch.is_empty() && size + n > max_bytes as usize {
                // Over the byte cap: this item opens the next batch, as it was read.
                *stream = Box::new(
                    std::iter::once(Ok(read.unwrap_or(v)))
                        .chain(std::mem::replace(stream, Box::new(std::iter::empty()))),
                );
                *index -= 1;
                break;
            }
            size += n;
            batch.push(v);
        }
        if batch.is_empty() {
            return Ok(None);
        }
        let mut out = Map::new();
        if let Some(b) = batch_input {
            out.insert("BatchInput".into(), b.clone());
        }
        out.insert("Items".into(), Value::Array(batch));
        let out = Value::Object(out);
        self.show(cx, super::probe::Step::ItemBatcher(first), &out);
        Ok(Some(Ok(out)))
    }

    #[allow(clippy::too_many_arguments)]
    fn open_writer(
        &self,
        cx: &StateCx,
        w: &ResultWriter,
        effective: &Value,
        th: &Thread,
        retry_count: u64,
        map_run_arn: &str,
        run_id: &str,
    ) -> Result<Results, Stop> {
        let target = match &w.target {
            Some(t) => {
                let v = t
                    .eval(&self.roots(cx, effective, &th.scope, retry_count))
                    .map_err(|e| self.data_failure(cx, e))?;
                let text = |k: &str| {
                    v.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                let prefix = text("Prefix");
                let dir = if prefix.is_empty() {
                    format!("{run_id}/")
                } else {
                    format!("{}/{run_id}/", prefix.trim_end_matches('/'))
                };
                Some((self.store(&cx.state.name)?, text("Bucket"), dir))
            }
            None => None,
        };
        Ok(Results {
            target,
            split_at: RESULT_FILE_BYTES,
            closed: Vec::new(),
            jsonl: w.output_type.as_deref() == Some("JSONL"),
            transformation: w.transformation.clone().unwrap_or_else(|| "NONE".into()),
            map_run_arn: map_run_arn.to_string(),
            files: Vec::new(),
            kept: Vec::new(),
        })
    }
}

/// How large a results file grows before the next one (`SUCCEEDED_1.json`, ...) is begun:
/// S3's limit for one upload, 5 GB.
const RESULT_FILE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// One results file being written.
struct File {
    status: &'static str,
    /// The `n` of `SUCCEEDED_n.json`.
    index: usize,
    key: String,
    out: Box<dyn ObjectWriter>,
    count: usize,
    bytes: u64,
}

impl File {
    /// Ends the file: the JSON array closed, the object stored. Its status, key and size.
    fn close(mut self, jsonl: bool) -> Result<(&'static str, String, u64), StoreError> {
        if !jsonl {
            let close: &[u8] = if self.count == 0 { b"[]" } else { b"]" };
            self.out
                .write_all(close)
                .map_err(|e| StoreError::Io(e.to_string()))?;
        }
        let size = self.out.finish()?;
        Ok((self.status, self.key, size))
    }
}

/// The `ResultWriter`'s files, or (without `Resource`) the formatted result kept in memory.
struct Results {
    /// The store, bucket and key prefix (`<Prefix>/<map run id>/`).
    target: Option<(Arc<dyn ObjectStore>, String, String)>,
    /// The size past which a status's file is closed and the next begun.
    split_at: u64,
    /// Files closed for their size: status, key, size.
    closed: Vec<(&'static str, String, u64)>,
    jsonl: bool,
    transformation: String,
    map_run_arn: String,
    files: Vec<File>,
    kept: Vec<Value>,
}

impl Results {
    fn record(c: &Child, machine_arn: &str) -> Value {
        let mut r = json!({
            "ExecutionArn": c.arn,
            "Input": &*c.input,
            "InputDetails": {"Included": true},
            "Name": c.name,
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
            "StartDate": c.start,
            "StateMachineArn": machine_arn,
            "StopDate": c.stop,
        });
        if let Some(m) = r.as_object_mut() {
            match &c.result {
                Ok(v) => {
                    m.insert("Output".into(), json!(v.to_string()));
                    m.insert("OutputDetails".into(), json!({"Included": true}));
                    m.insert(
                        "RedriveStatusReason".into(),
                        json!("Execution is SUCCEEDED and cannot be redriven"),
                    );
                    m.insert("Status".into(), json!("SUCCEEDED"));
                }
                Err(f) => {
                    m.insert("Error".into(), json!(f.error));
                    m.insert("Cause".into(), json!(f.cause.clone().unwrap_or_default()));
                    m.insert(
                        "RedriveStatusReason".into(),
                        json!("Execution is in a redrivable state"),
                    );
                    m.insert("Status".into(), json!("FAILED"));
                }
            }
        }
        r
    }

    /// The values a child contributes under the transformation.
    fn values(&self, c: &Child, machine_arn: &str) -> Vec<Value> {
        match (&c.result, self.transformation.as_str()) {
            (Ok(v), "COMPACT") => vec![v.clone()],
            (Ok(Value::Array(a)), "FLATTEN") => a.clone(),
            (Ok(v), "FLATTEN") => vec![v.clone()],
            _ => vec![Results::record(c, machine_arn)],
        }
    }

    fn write(&mut self, status: &'static str, values: Vec<Value>) -> Result<(), StoreError> {
        let Some((store, bucket, dir)) = &self.target else {
            self.kept.extend(values);
            return Ok(());
        };
        let jsonl = self.jsonl;
        let io = |e: std::io::Error| StoreError::Io(e.to_string());
        for v in values {
            let found = self.files.iter().position(|f| f.status == status);
            let pos = match found {
                Some(p) if self.files[p].bytes < self.split_at => p,
                found => {
                    // The status's first file, or the next after one that reached the limit.
                    let index = match found {
                        Some(p) => {
                            let full = self.files.swap_remove(p);
                            let index = full.index + 1;
                            self.closed.push(full.close(jsonl)?);
                            index
                        }
                        None => 0,
                    };
                    let key = format!(
                        "{dir}{status}_{index}.{}",
                        if jsonl { "jsonl" } else { "json" }
                    );
                    let out = store.create(bucket, &key)?;
                    self.files.push(File {
                        status,
                        index,
                        key,
                        out,
                        count: 0,
                        bytes: 0,
                    });
                    self.files.len() - 1
                }
            };
            let f = &mut self.files[pos];
            let sep: &[u8] = match (jsonl, f.count) {
                (true, _) => b"",
                (false, 0) => b"[",
                (false, _) => b",",
            };
            let text = serde_json::to_vec(&v).map_err(|e| StoreError::Io(e.to_string()))?;
            f.out.write_all(sep).map_err(io)?;
            f.out.write_all(&text).map_err(io)?;
            if jsonl {
                f.out.write_all(b"\n").map_err(io)?;
            }
            f.count += 1;
            f.bytes += (sep.len() + text.len() + usize::from(jsonl)) as u64;
        }
        Ok(())
    }

    fn add(&mut self, c: &Child, machine_arn: &str) -> Result<(), StoreError> {
        let values = self.values(c, machine_arn);
        let status = if c.result.is_ok() {
            "SUCCEEDED"
        } else {
            "FAILED"
        };
        self.write(status, values)
    }

    fn pending(&mut self, input: &str, machine_arn: &str) -> Result<(), StoreError> {
        let v = json!({
            "Input": input,
            "InputDetails": {"Included": true},
            "StateMachineArn": machine_arn,
            "Status": "PENDING",
        });
        self.write("PENDING", vec![v])
    }

    /// Closes the files, writes the manifest, and gives the state's result.
    fn finish(self) -> Result<Value, StoreError> {
        let Some((store, bucket, dir)) = self.target else {
            return Ok(Value::Array(self.kept));
        };
        let mut listed: Map<String, Value> = Map::new();
        for s in ["FAILED", "PENDING", "SUCCEEDED"] {
            listed.insert(s.into(), json!([]));
        }
        let mut files = self.closed;
        for f in self.files {
            files.push(f.close(self.jsonl)?);
        }
        for (status, key, size) in files {
            if let Some(Value::Array(a)) = listed.get_mut(status) {
                a.push(json!({"Key": key, "Size": size}));
            }
        }
        let manifest_key = format!("{dir}manifest.json");
        let manifest = json!({
            "DestinationBucket": bucket,
            "MapRunArn": self.map_run_arn,
            "ResultFiles": listed,
        });
        store.put(&bucket, &manifest_key, manifest.to_string().as_bytes())?;
        Ok(json!({
            "MapRunArn": self.map_run_arn,
            "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key},
        }))
    }
}

use std::io::Write;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStore;
    use std::io::Read;

    fn read(store: &Arc<dyn ObjectStore>, key: &str) -> Value {
        let mut text = String::new();
        store
            .get("out", key)
            .expect("written")
            .read_to_string(&mut text)
            .expect("text");
        serde_json::from_str(&text).expect("JSON")
    }

    /// Records the Map's progress lines: one per window of children.
    struct Progress(Arc<std::sync::Mutex<Vec<String>>>);

    impl crate::engine::history::EventSink for Progress {
        fn event(&self, _e: &crate::engine::history::Event) {}
        fn progress(&self, text: &str) {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(text.to_string());
        }
    }

    /// Pins issue 21: items may be 8 MiB each, so a window of a thousand children could hold
    /// 8 GiB of inputs; a window also closes once its inputs reach 64 MiB.
    #[test]
    fn a_window_of_children_is_bounded_in_bytes_too() {
        let line = format!("\"{}\"\n", "x".repeat(1 << 20));
        let object = line.repeat(70).into_bytes();
        let store: Arc<dyn ObjectStore> = Arc::new(MemoryStore::new(
            vec![("in".into(), "big.jsonl".into(), object)],
            None,
        ));
        let machine = crate::definition::load_str(
            r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "L", "End": true,
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSONL"}, "Parameters": {"Bucket": "in", "Key": "big.jsonl"}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": true}}}}}}"#,
        )
        .expect("valid");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let options = crate::engine::Options {
            storage: Some(store),
            sink: Some(Box::new(Progress(seen.clone()))),
            ..Default::default()
        };
        let outcome = crate::engine::run_blocking(&machine, json!({}), options).expect("no fault");
        assert_eq!(
            outcome.output().map(|v| v.as_array().map(Vec::len)),
            Some(Some(70))
        );
        let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert_eq!(
            seen,
            [
                "MapRun L: 64 children done (64 items), 0 failed",
                "MapRun L: 70 children done (70 items), 0 failed"
            ]
        );
    }

    /// One event as the test looks at it: id, previous id, type.
    type Seen = (u64, u64, String);

    /// Each child's events, by child name, as a sink that asks for them keeps them.
    #[derive(Default)]
    struct Histories(std::sync::Mutex<Vec<(String, Vec<Seen>)>>);

    struct OneHistory(Arc<Histories>, String);

    impl crate::engine::history::EventSink for OneHistory {
        fn event(&self, e: &crate::engine::history::Event) {
            let mut all = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, events)) = all.iter_mut().find(|(n, _)| *n == self.1) {
                events.push((e.id, e.previous_event_id, e.kind.clone()));
            }
        }
    }

    struct Runs(Arc<Histories>);

    impl crate::engine::MapRunSink for Runs {
        fn report(&self, _run: &MapRunReport) {}
        fn child_history(
            &self,
            _run_arn: &str,
            child: &MapRunChild,
        ) -> Option<Box<dyn crate::engine::EventSink>> {
            let mut all = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
            all.push((child.name.clone(), Vec::new()));
            Some(Box::new(OneHistory(self.0.clone(), child.name.clone())))
        }
    }

    #[test]
    fn a_childs_history_opens_and_closes_as_an_executions_for_a_sink_that_asks() {
        let machine = crate::definition::load_str(
            r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "L", "End": true,
                "ToleratedFailureCount": 1,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "C", "States": {
                        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "P"},
                        "F": {"Type": "Fail", "Error": "Two"},
                        "P": {"Type": "Pass", "End": true}}}}}}"#,
        )
        .expect("valid");
        let histories = Arc::new(Histories::default());
        let options = crate::engine::Options {
            map_runs: Some(Arc::new(Runs(histories.clone()))),
            ..Default::default()
        };
        let outcome =
            crate::engine::run_blocking(&machine, json!([1, 2]), options).expect("no fault");
        assert_eq!(outcome.status, crate::engine::Status::Succeeded);
        let all = histories
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut kinds: Vec<Vec<Seen>> = all.into_iter().map(|(_, e)| e).collect();
        kinds.sort_by_key(|e| e.len());
        let ev = |id: u64, prev: u64, kind: &str| (id, prev, kind.to_string());
        assert_eq!(
            kinds,
            [
                vec![
                    ev(1, 0, "ExecutionStarted"),
                    ev(2, 1, "ChoiceStateEntered"),
                    ev(3, 2, "ChoiceStateExited"),
                    ev(4, 3, "FailStateEntered"),
                    ev(5, 4, "ExecutionFailed"),
                ],
                vec![
                    ev(1, 0, "ExecutionStarted"),
                    ev(2, 1, "ChoiceStateEntered"),
                    ev(3, 2, "ChoiceStateExited"),
                    ev(4, 3, "PassStateEntered"),
                    ev(5, 4, "PassStateExited"),
                    ev(6, 5, "ExecutionSucceeded"),
                ],
            ]
        );
    }

    /// An item a batch had no room for opens the next batch selected once, not twice.
    #[test]
    fn an_item_put_back_by_the_byte_cap_is_selected_once() {
        let machine = crate::definition::load_str(
            r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                "ItemBatcher": {"MaxInputBytesPerBatch": 40},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}"#,
        )
        .expect("valid");
        let outcome = crate::engine::run_blocking(&machine, json!([1, 2, 3]), Default::default())
            .expect("no fault");
        let items: Vec<Value> = outcome
            .output()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .flat_map(|b| b["Items"].as_array().cloned().unwrap_or_default())
            .collect();
        assert_eq!(
            items,
            [
                json!({"v": 1, "i": 0}),
                json!({"v": 2, "i": 1}),
                json!({"v": 3, "i": 2})
            ]
        );
    }

    #[test]
    fn a_results_file_that_reached_the_limit_continues_in_the_next() {
        let store: Arc<dyn ObjectStore> =
            Arc::new(MemoryStore::new(Vec::new(), None).with_buckets(&["out"]));
        let mut r = Results {
            target: Some((store.clone(), "out".into(), "run/".into())),
            split_at: 10,
            closed: Vec::new(),
            jsonl: false,
            transformation: "COMPACT".into(),
            map_run_arn: "arn:map-run".into(),
            files: Vec::new(),
            kept: Vec::new(),
        };
        // `["aaaa"` is 7 bytes, `,"bbbb"` makes 14: the third value begins file 1.
        let values = vec![json!("aaaa"), json!("bbbb"), json!("cccc")];
        r.write("SUCCEEDED", values).expect("written");
        r.write("FAILED", vec![json!(1)]).expect("written");
        let result = r.finish().expect("finished");
        assert_eq!(result["ResultWriterDetails"]["Key"], "run/manifest.json");
        let manifest = read(&store, "run/manifest.json");
        let keys: Vec<&str> = manifest["ResultFiles"]["SUCCEEDED"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(|f| f["Key"].as_str())
            .collect();
        assert_eq!(keys, ["run/SUCCEEDED_0.json", "run/SUCCEEDED_1.json"]);
        assert_eq!(manifest["ResultFiles"]["SUCCEEDED"][0]["Size"], 15);
        assert_eq!(
            read(&store, "run/SUCCEEDED_0.json"),
            json!(["aaaa", "bbbb"])
        );
        assert_eq!(read(&store, "run/SUCCEEDED_1.json"), json!(["cccc"]));
        assert_eq!(read(&store, "run/FAILED_0.json"), json!([1]));
    }
    /// A sink that changes each run's settings as it is handed them, as UpdateMapRun does
    /// while a run goes, and keeps the run's last report.
    struct Updating(
        Option<u64>,
        Option<u64>,
        std::sync::Mutex<Option<MapRunReport>>,
    );

    impl crate::engine::MapRunSink for Updating {
        fn report(&self, run: &MapRunReport) {
            *self.2.lock().unwrap_or_else(|p| p.into_inner()) = Some(run.clone());
        }
        fn settings(&self, _run_arn: &str, settings: Arc<MapRunSettings>) {
            settings.update(self.0, self.1, None);
        }
    }

    /// Runs a Distributed Map whose children 2 and 3 of four fail, with no tolerance in the
    /// definition, its settings changed as the run starts (`max`, `count`).
    fn with_settings(
        max: Option<u64>,
        count: Option<u64>,
    ) -> (crate::engine::Status, MapRunReport) {
        let machine = crate::definition::load_str(
            r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "L", "End": true,
                "MaxConcurrency": 1,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "C", "States": {
                        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThanEquals": 2, "Next": "F"}], "Default": "P"},
                        "F": {"Type": "Fail", "Error": "Big"},
                        "P": {"Type": "Pass", "End": true}}}}}}"#,
        )
        .expect("valid");
        let sink = Arc::new(Updating(max, count, Default::default()));
        let options = crate::engine::Options {
            map_runs: Some(sink.clone()),
            ..Default::default()
        };
        let outcome =
            crate::engine::run_blocking(&machine, json!([0, 1, 2, 3]), options).expect("no fault");
        let report = sink.2.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (outcome.status, report.expect("reported"))
    }

    #[test]
    fn a_tolerance_raised_as_the_run_goes_judges_its_failures() {
        let (status, report) = with_settings(None, None);
        assert_eq!(status, crate::engine::Status::Failed);
        assert_eq!(report.status, MapRunStatus::Failed);
        // The first failure stops the run: the last child never starts.
        assert_eq!((report.succeeded, report.failed), (2, 1));

        let (status, report) = with_settings(None, Some(2));
        assert_eq!(status, crate::engine::Status::Succeeded);
        assert_eq!(report.status, MapRunStatus::Succeeded);
        assert_eq!((report.succeeded, report.failed), (2, 2));

        let (status, report) = with_settings(Some(4), Some(1));
        assert_eq!(status, crate::engine::Status::Failed);
        assert_eq!(report.status, MapRunStatus::Failed);
    }
}
