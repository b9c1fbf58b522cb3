//! Parallel branches and Map iterations: run concurrently, results kept in order.
//!
//! Concurrency is cooperative on one runtime thread: every branch or iteration is a future,
//! created lazily up to the concurrency limit and polled once on creation, so work that never
//! waits (Pass states) finishes and frees its memory at once, in item order. As on AWS, every
//! branch and every iteration within the concurrency limit starts before a failure stops the
//! rest; each gives way to its siblings after every Task state ([`YieldOnce`]), so concurrent
//! paths advance together in index order and a failure aborts the others after the Task they
//! had started. With the
//! virtual clock each path carries its own time; a bounded Map hands a new iteration the time
//! at which a slot freed up, and a join takes the latest end.

use super::clock::PathTime;
use super::execution::{Exec, StateCx, Thread, invalid_path, shown, state_index};
use super::failure::{Failure, Stop};
use super::probe::{Frame, Step};
use super::resume::{FanResume, PathResume, Redo};
use super::size;
use super::variables::Scope;
use crate::data::jsonpath::Root;
use crate::data::roots::{DataError, ReadError, read};
use crate::definition::{Dynamic, Filter, ItemsSource, Map as MapState, Parallel, ResultPath};
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

/// How one branch or iteration ended, with its path's end state.
pub(super) struct Done {
    pub(super) index: usize,
    pub(super) result: Result<Value, Stop>,
    pub(super) time: PathTime,
}

/// An inline Map's settings, read from its input before the iterations start.
struct MapSettings {
    limit: u64,
    tolerated_count: Option<u64>,
    tolerated_pct: Option<f64>,
}

/// How every job of a fan-out ended: each `None` if it never ran or never finished.
///
/// Results are stored as the bare values, errors apart: a 10,000-item Map's results are one
/// vector of values, which becomes the state's result without a copy when all succeeded.
pub(super) struct Outcomes {
    values: Vec<Value>,
    finished: Vec<bool>,
    errors: Vec<(usize, Stop)>,
    /// See [`Outcomes::unseen_past`].
    budget: Option<usize>,
    /// The serialized size of the results kept so far, as an array.
    kept: usize,
    /// The results outgrew `budget`: none is kept any more.
    overflowed: bool,
}

impl Outcomes {
    pub(super) fn new(n: usize) -> Self {
        Self::holding(vec![Value::Null; n])
    }

    /// Outcomes whose slots first hold each job's input: a job takes its input out of its
    /// slot when it starts and its result goes back into the same slot, so a Map's items and
    /// results share one vector.
    fn holding(inputs: Vec<Value>) -> Self {
        Outcomes {
            finished: vec![false; inputs.len()],
            values: inputs,
            errors: Vec::new(),
            budget: None,
            kept: 2,
            overflowed: false,
        }
    }

    /// Results nobody will see once, as an array, they serialize to more than `budget` bytes:
    /// from then on none is kept (those kept so far are dropped), and [`Outcomes::overflowed`]
    /// says so. Jobs' inputs still waiting in their slots stay.
    fn unseen_past(mut self, budget: Option<usize>) -> Self {
        self.budget = budget;
        self
    }

    fn record(&mut self, index: usize, result: Result<Value, Stop>) {
        self.finished[index] = true;
        match result {
            Ok(v) => match self.budget {
                None => self.values[index] = v,
                Some(_) if self.overflowed => {}
                Some(budget) => {
                    // Each result after the first adds its comma.
                    self.kept += size::len_up_to(&v, budget) + usize::from(self.kept > 2);
                    if self.kept > budget {
                        self.overflowed = true;
                        for (slot, done) in self.values.iter_mut().zip(&self.finished) {
                            if *done {
                                *slot = Value::Null;
                            }
                        }
                    } else {
                        self.values[index] = v;
                    }
                }
            },
            Err(e) => self.errors.push((index, e)),
        }
    }

    /// All the values, when every job finished and succeeded.
    fn all_succeeded(self) -> Result<Vec<Value>, Self> {
        if self.errors.is_empty() && self.finished.iter().all(|f| *f) {
            Ok(self.values)
        } else {
            Err(self)
        }
    }

    /// Each job's outcome, in job order.
    pub(super) fn in_order(mut self) -> impl Iterator<Item = Option<Result<Value, Stop>>> {
        self.errors.sort_by_key(|(i, _)| *i);
        let mut errors = self.errors.into_iter().peekable();
        self.values
            .into_iter()
            .zip(self.finished)
            .enumerate()
            .map(move |(i, (v, finished))| {
                if errors.peek().is_some_and(|(j, _)| *j == i) {
                    errors.next().map(|(_, e)| Err(e))
                } else {
                    finished.then_some(Ok(v))
                }
            })
    }
}

/// Pending once, then ready: a branch or iteration gives its siblings their turn.
#[derive(Default)]
pub(super) struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// How many iterations of an inline Map without `MaxConcurrency` AWS runs at once.
pub(super) const INLINE_MAP_CONCURRENCY: usize = 40;

/// Runs a job for each slot of `results` with at most `limit` at once (0: no limit). `launch`
/// gets the job's index, its start time and what its slot held (see [`Outcomes::holding`]);
/// `keep_going` sees each finished job and says whether to start and await the rest.
///
/// The first `wave` jobs start together, as AWS starts every branch of a Parallel and every
/// iteration of a Map within its concurrency at once: each is started, in index order, even
/// when one started before it has already failed (work that does not wait, such as a mocked
/// Task, runs to its end when started). A failure then stops what has not started and
/// abandons what is still waiting. A fault or an abort stops everything at once.
pub(super) async fn fan_out<'a, F, Fut>(
    results: Outcomes,
    limit: usize,
    wave: usize,
    start: PathTime,
    launch: F,
    mut keep_going: impl FnMut(&Done) -> bool,
) -> (Outcomes, PathTime)
where
    F: FnMut(usize, PathTime, Value) -> Fut,
    Fut: Future<Output = Done> + 'a,
{
    fan_out_live(
        results,
        || limit,
        wave,
        start,
        launch,
        |d| d.is_none_or(&mut keep_going),
        None,
    )
    .await
}

/// [`fan_out`] whose limit may change as it goes (a map run's, by UpdateMapRun): `limit` is
/// read before each start, and `changed` (if any) wakes the fan-out while it waits for a
/// job, to start more at once under a larger limit or to ask `keep_going(None)` whether to
/// go on at all (a tolerance lowered past the failures so far). A smaller limit starts
/// nothing until fewer run. `keep_going(Some(done))` sees each finished job.
pub(super) async fn fan_out_live<'a, F, Fut>(
    mut results: Outcomes,
    limit: impl Fn() -> usize,
    wave: usize,
    start: PathTime,
    mut launch: F,
    mut keep_going: impl FnMut(Option<&Done>) -> bool,
    changed: Option<&super::MapRunSettings>,
) -> (Outcomes, PathTime)
where
    F: FnMut(usize, PathTime, Value) -> Fut,
    Fut: Future<Output = Done> + 'a,
{
    let n = results.values.len();
    // A limit of 0 (no limit) stays so: only a map run's, never 0, changes.
    let bounded = limit() > 0;
    let limit = || if bounded { limit().max(1) } else { 0 };
    let mut end = start;
    let mut slots: BinaryHeap<Reverse<PathTime>> = BinaryHeap::new();
    if bounded {
        for _ in 0..limit().min(n) {
            slots.push(Reverse(start));
        }
    }
    let mut running = FuturesUnordered::new();
    let mut next = 0;
    // `stop`: start nothing more past the wave; `halt`: start nothing more at all.
    let mut stop = false;
    let mut halt = false;
    let mut finish = |d: Done,
                      keep_going: &mut dyn FnMut(Option<&Done>) -> bool,
                      slots: &mut BinaryHeap<Reverse<PathTime>>,
                      stop: &mut bool,
                      halt: &mut bool,
                      results: &mut Outcomes| {
        if d.time > end {
            end = d.time;
        }
        if bounded {
            slots.push(Reverse(d.time));
        }
        if !keep_going(Some(&d)) {
            *stop = true;
            if !matches!(d.result, Ok(_) | Err(Stop::Failed(_))) {
                *halt = true;
            }
        }
        results.record(d.index, d.result);
    };
    loop {
        while !halt && (!stop || next < wave) && next < n && (!bounded || running.len() < limit()) {
            // A slot a larger limit added starts at the fan-out's start.
            let t = if bounded {
                slots.pop().map(|Reverse(t)| t.max(start)).unwrap_or(start)
            } else {
                start
            };
            let input = std::mem::take(&mut results.values[next]);
            let mut job = Box::pin(launch(next, t, input));
            next += 1;
            // Work that does not wait (Pass states) finishes on its first poll and never
            // enters the set of running jobs; a job with Task states gives way after each.
            match futures::poll!(job.as_mut()) {
                Poll::Ready(d) => {
                    finish(
                        d,
                        &mut keep_going,
                        &mut slots,
                        &mut stop,
                        &mut halt,
                        &mut results,
                    );
                    continue;
                }
                Poll::Pending => running.push(job),
            }
            // The whole wave starts before any of it goes on; after a failure, nothing goes on.
            if next < wave.min(n) || stop {
                continue;
            }
            // Let work that does not wait finish now, before starting more.
            while let Poll::Ready(Some(d)) = futures::poll!(running.next()) {
                finish(
                    d,
                    &mut keep_going,
                    &mut slots,
                    &mut stop,
                    &mut halt,
                    &mut results,
                );
                if halt || (stop && next >= wave) {
                    break;
                }
            }
        }
        if stop || halt {
            break;
        }
        let done = match changed {
            None => running.next().await,
            Some(settings) => {
                tokio::select! {
                    biased;
                    d = running.next() => d,
                    () = settings.changed() => {
                        if !keep_going(None) {
                            break;
                        }
                        continue;
                    }
                }
            }
        };
        match done {
            Some(d) => finish(
                d,
                &mut keep_going,
                &mut slots,
                &mut stop,
                &mut halt,
                &mut results,
            ),
            None => break,
        }
    }
    (results, end)
}

impl Exec {
    pub(crate) async fn parallel(
        &self,
        cx: &StateCx<'_>,
        p: &Parallel,
        input: &Value,
        th: &mut Thread,
    ) -> Result<Value, Stop> {
        let started = self.emit(th, "ParallelStateStarted", || None)?;
        let mut plan = th.redo.take();
        let shared = Arc::new(std::mem::take(&mut th.scope));
        let (results, end) = {
            let shared = &shared;
            fan_out(
                Outcomes::new(p.branches.len()),
                0,
                p.branches.len(),
                th.time,
                |i, t, _| {
                    let g = &p.branches[i];
                    let redo = FanResume::take(&mut plan, i);
                    let mut branch = Thread {
                        time: t,
                        prev: started,
                        scope: Scope::child(shared.clone()),
                        frame: Some(Frame {
                            parent: cx.visit,
                            index: i,
                        }),
                        redo: None,
                    };
                    async move {
                        let result = match redo {
                            // A branch that succeeded before a redrive is not run again.
                            Redo::Kept(v) => Ok(v),
                            Redo::Start => self.run_graph(g, input.clone(), &mut branch).await,
                            Redo::From(at) => match state_index(g, &at.state) {
                                Ok(first) => {
                                    let at = *at;
                                    for (k, v) in at.variables {
                                        branch.scope.set(k, v);
                                    }
                                    branch.redo = at.inside.map(Box::new);
                                    self.run_graph_from(g, first, at.input, &mut branch).await
                                }
                                Err(f) => Err(Stop::Fault(f)),
                            },
                        };
                        Done {
                            index: i,
                            result,
                            time: branch.time,
                        }
                    }
                },
                |d| d.result.is_ok(),
            )
            .await
        };
        th.scope = Arc::try_unwrap(shared).unwrap_or_else(|a| (*a).clone());
        th.time = end;
        th.prev = self.history.count();
        let results = match results.all_succeeded() {
            Ok(out) => {
                self.emit(th, "ParallelStateSucceeded", || None)?;
                return Ok(Value::Array(out));
            }
            Err(results) => results,
        };
        let mut out = Vec::new();
        for r in results.in_order() {
            match r {
                Some(Ok(v)) => out.push(v),
                Some(Err(Stop::Failed(f))) => {
                    // AWS's ParallelStateFailed and MapStateFailed carry no details (its
                    // HistoryEvent has no member for them): the error is the failed
                    // branch's, and the state's Catch or the execution's end says it.
                    self.emit(th, "ParallelStateFailed", || None)?;
                    return Err(Stop::Failed(f));
                }
                Some(Err(other)) => return Err(other),
                None => {}
            }
        }
        self.emit(th, "ParallelStateSucceeded", || None)?;
        Ok(Value::Array(out))
    }

    pub(crate) async fn map(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        effective: &Value,
        th: &mut Thread,
        retry_count: u64,
    ) -> Result<Value, Stop> {
        if m.mode == crate::definition::MapMode::Distributed {
            return Box::pin(self.distributed(cx, m, effective, th, retry_count)).await;
        }
        let items = self.items(cx, m, effective, th, retry_count)?;
        if self.probe.is_some() {
            self.show(cx, Step::ItemsPath, &Value::Array(items.to_vec()));
        }
        let settings = self.map_settings(cx, m, effective, th)?;
        self.iterate(cx, m, effective, items, settings, th, retry_count)
            .await
    }

    /// Whether a Map state may move its items out of its input rather than copy each one:
    /// nothing reads that input once the iterations start. So an inline JSONPath Map without
    /// `InputPath`, `Retry` or `Catch` (which would need the input again), whose `ResultPath`
    /// replaces the input, and whose `ItemSelector` reads the item, the context or variables
    /// but not the state input. `Assign` and `ResultSelector` read the result.
    pub(crate) fn takes_items(cx: &StateCx<'_>, m: &MapState) -> bool {
        let s = cx.state;
        s.language == crate::definition::QueryLanguage::JsonPath
            && m.mode == crate::definition::MapMode::Inline
            && m.item_reader.is_none()
            && m.retry.is_empty()
            && m.catch.is_empty()
            && matches!(s.io.input_path, crate::definition::Filter::All)
            && matches!(s.io.result_path, crate::definition::ResultPath::Replace)
            && matches!(&m.items, ItemsSource::Path(p) if *p.root() == Root::Input)
            && !m.item_selector.as_ref().is_some_and(|t| t.reads_input())
    }

    /// [`Exec::map`] for a state that [`Exec::takes_items`]: the items move from `input` into
    /// the iterations, and their results take their places.
    pub(crate) async fn map_taking_items(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        mut input: Value,
        th: &mut Thread,
    ) -> Result<Value, Stop> {
        // Read first, as `map` does: its errors come before the settings'.
        let found = match self.items(cx, m, &input, th, 0)? {
            Cow::Owned(items) => Err(items),
            Cow::Borrowed(items) => Ok(items.as_ptr()),
        };
        let settings = self.map_settings(cx, m, &input, th)?;
        let items = match (found, &m.items) {
            (Err(items), _) => items,
            (Ok(at), ItemsSource::Path(p)) => {
                match crate::data::reference_path::take_array(&mut input, p, at) {
                    Some(items) => items,
                    None => self.items(cx, m, &input, th, 0)?.into_owned(),
                }
            }
            (Ok(_), ItemsSource::Template(_)) => self.items(cx, m, &input, th, 0)?.into_owned(),
        };
        if self.probe.is_some() {
            self.show(cx, Step::ItemsPath, &Value::Array(items.clone()));
        }
        self.iterate(cx, m, &input, Cow::Owned(items), settings, th, 0)
            .await
    }

    /// `MaxConcurrency` and the tolerated failures of an inline Map.
    fn map_settings(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        effective: &Value,
        th: &Thread,
    ) -> Result<MapSettings, Stop> {
        let limit = self
            .int_setting(
                cx,
                Some(&m.max_concurrency),
                "MaxConcurrency",
                effective,
                th,
            )?
            .unwrap_or(0);
        let tolerated_count = self.int_setting(
            cx,
            m.tolerated_failure_count.as_ref(),
            "ToleratedFailureCount",
            effective,
            th,
        )?;
        let tolerated_pct = self.percentage(cx, &m.tolerated_failure_percentage, effective, th)?;
        if self.probe.is_some() {
            self.show(cx, Step::MaxConcurrency, &json!(limit));
            if let Some(c) = tolerated_count {
                self.show(cx, Step::ToleratedFailureCount, &json!(c));
            }
            if let Some(p) = tolerated_pct {
                self.show(cx, Step::ToleratedFailurePercentage, &json!(p));
            }
        }
        Ok(MapSettings {
            limit,
            tolerated_count,
            tolerated_pct,
        })
    }

    /// The iterations of an inline Map over `items`: borrowed items are copied into their
    /// iterations, owned ones move.
    #[allow(clippy::too_many_arguments)]
    async fn iterate(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        effective: &Value,
        items: Cow<'_, [Value]>,
        settings: MapSettings,
        th: &mut Thread,
        retry_count: u64,
    ) -> Result<Value, Stop> {
        let MapSettings {
            limit,
            tolerated_count,
            tolerated_pct,
        } = settings;
        let tolerant = tolerated_count.is_some() || tolerated_pct.is_some();
        let n = items.len();
        let budget = self.unseen_results_budget(cx);
        let (borrowed, slots) = match items {
            Cow::Borrowed(items) => (Some(items), Outcomes::new(n)),
            Cow::Owned(items) => (None, Outcomes::holding(items)),
        };
        let slots = slots.unseen_past(budget);
        let started = self.emit(th, "MapStateStarted", || {
            Some(("mapStateStartedEventDetails".into(), json!({"length": n})))
        })?;
        let mut plan = th.redo.take();
        let shared = Arc::new(std::mem::take(&mut th.scope));
        let mut failures = 0usize;
        let allowed = |failures: usize| -> bool {
            let by_count = tolerated_count.is_some_and(|c| failures as u64 <= c);
            let by_pct =
                tolerated_pct.is_some_and(|p| n > 0 && (failures as f64) * 100.0 / (n as f64) <= p);
            by_count || by_pct
        };
        let (results, end) = {
            let shared = &shared;
            fan_out(
                slots,
                limit as usize,
                if limit > 0 {
                    limit as usize
                } else {
                    INLINE_MAP_CONCURRENCY
                },
                th.time,
                |i, t, taken| {
                    let redo = FanResume::take(&mut plan, i);
                    let item = match borrowed {
                        Some(items) => Cow::Borrowed(&items[i]),
                        None => Cow::Owned(taken),
                    };
                    let mut it = Thread {
                        time: t,
                        prev: started,
                        scope: Scope::child(shared.clone()),
                        frame: Some(Frame {
                            parent: cx.visit,
                            index: i,
                        }),
                        redo: None,
                    };
                    async move {
                        let from = match redo {
                            // An iteration that succeeded before a redrive is not run again.
                            Redo::Kept(v) => {
                                return Done {
                                    index: i,
                                    result: Ok(v),
                                    time: it.time,
                                };
                            }
                            Redo::From(at) => Some(at),
                            Redo::Start => None,
                        };
                        let result = self
                            .iteration(cx, m, effective, item, i, &mut it, retry_count, from)
                            .await;
                        Done {
                            index: i,
                            result,
                            time: it.time,
                        }
                    }
                },
                |d| match &d.result {
                    Ok(_) => true,
                    Err(Stop::Failed(_)) if tolerant => {
                        failures += 1;
                        allowed(failures)
                    }
                    Err(_) => false,
                },
            )
            .await
        };
        th.scope = Arc::try_unwrap(shared).unwrap_or_else(|a| (*a).clone());
        th.time = end;
        th.prev = self.history.count();
        let overflowed = results.overflowed;
        let results = match results.all_succeeded() {
            Ok(out) => {
                self.emit(th, "MapStateSucceeded", || None)?;
                return Ok(if overflowed {
                    past_budget(budget)
                } else {
                    Value::Array(out)
                });
            }
            Err(results) => results,
        };
        let mut out = Vec::with_capacity(n);
        let mut failed = 0usize;
        for r in results.in_order() {
            match r {
                Some(Ok(v)) => out.push(v),
                Some(Err(Stop::Failed(f))) if tolerant => {
                    failed += 1;
                    out.push(f.to_error_output());
                }
                Some(Err(Stop::Failed(f))) => {
                    self.emit(th, "MapStateFailed", || None)?;
                    return Err(Stop::Failed(f));
                }
                Some(Err(other)) => return Err(other),
                None => {}
            }
        }
        if tolerant && !allowed(failed) && failed > 0 {
            let f = Failure::new(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
            );
            self.emit(th, "MapStateFailed", || None)?;
            return Err(Stop::Failed(f));
        }
        self.emit(th, "MapStateSucceeded", || None)?;
        Ok(if overflowed {
            past_budget(budget)
        } else {
            Value::Array(out)
        })
    }

    /// How large, serialized, an inline Map's results may grow and still be seen. Past it
    /// they are not kept ([`Outcomes::unseen_past`]): a Map over a million items whose
    /// results nobody reads would otherwise hold them all. Nothing but the state's output
    /// reads them when there is no `Assign` and no `ResultSelector`; `ResultPath: null`
    /// drops them at once; otherwise, when the output holds them whole (no `OutputPath`, no
    /// JSONata `Output`), results past AWS's payload limit make the state fail
    /// (`States.DataLimitExceeded`, in `Exec::exit`) whatever comes after, and iterations
    /// that fail make it fail without them.
    fn unseen_results_budget(&self, cx: &StateCx<'_>) -> Option<usize> {
        let s = cx.state;
        if s.assign.is_some() {
            return None;
        }
        match s.language {
            crate::definition::QueryLanguage::JsonPath => {
                if s.io.result_selector.is_some() {
                    None
                } else if matches!(s.io.result_path, ResultPath::Discard) {
                    Some(0)
                } else if matches!(s.io.output_path, Filter::All) {
                    self.payload_limit
                } else {
                    None
                }
            }
            crate::definition::QueryLanguage::Jsonata => match &s.io.output {
                Some(_) => None,
                None => self.payload_limit,
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn iteration(
        &self,
        cx: &StateCx<'_>,
        m: &MapState,
        effective: &Value,
        item: Cow<'_, Value>,
        index: usize,
        it: &mut Thread,
        retry_count: u64,
        from: Option<Box<PathResume>>,
    ) -> Result<Value, Stop> {
        let s = cx.state;
        let (first, input) = match (from, &m.item_selector) {
            // A redriven iteration picks up where it stopped, with the input it had there.
            (Some(at), _) => {
                let at = *at;
                let first = state_index(&m.processor, &at.state)?;
                for (k, v) in at.variables {
                    it.scope.set(k, v);
                }
                it.redo = at.inside.map(Box::new);
                (first, at.input)
            }
            (None, Some(t)) => {
                let mut roots = self.roots(cx, effective, &it.scope, retry_count);
                roots.state.map_item = Some((index, &item));
                let input = t.eval(&roots).map_err(|e| self.data_failure(cx, e))?;
                self.show(cx, Step::ItemSelector(index), &input);
                (m.processor.start, input)
            }
            // A copied item may become the iteration's result: copied at its exact size.
            (None, None) => {
                let input = match item {
                    Cow::Borrowed(v) => crate::data::compact::clone(v),
                    Cow::Owned(v) => v,
                };
                self.show(cx, Step::ItemSelector(index), &input);
                (m.processor.start, input)
            }
        };
        let name = s.name.as_str();
        self.emit(it, "MapIterationStarted", || {
            Some((
                "mapIterationStartedEventDetails".into(),
                json!({"name": name, "index": index}),
            ))
        })?;
        match self.run_graph_from(&m.processor, first, input, it).await {
            Ok(v) => {
                self.emit(it, "MapIterationSucceeded", || {
                    Some((
                        "mapIterationSucceededEventDetails".into(),
                        json!({"name": name, "index": index}),
                    ))
                })?;
                Ok(v)
            }
            Err(Stop::Failed(f)) => {
                self.emit(it, "MapIterationFailed", || {
                    Some((
                        "mapIterationFailedEventDetails".into(),
                        json!({"name": name, "index": index}),
                    ))
                })?;
                Err(Stop::Failed(f))
            }
            Err(other) => Err(other),
        }
    }

    /// The items of a Map state: `ItemsPath` (JSONPath) or `Items` (JSONata).
    pub(super) fn items<'e>(
        &self,
        cx: &StateCx,
        m: &MapState,
        effective: &'e Value,
        th: &Thread,
        retry_count: u64,
    ) -> Result<Cow<'e, [Value]>, Stop> {
        let roots = self.roots(cx, effective, &th.scope, retry_count);
        let v = match &m.items {
            ItemsSource::Path(p) => {
                // Items in the state's input are borrowed from it, not copied.
                let v = match p.root() {
                    Root::Input => p
                        .select(effective)
                        .map_err(|e| self.data_failure(cx, invalid_path(p, ReadError::Miss(e))))?,
                    _ => Cow::Owned(
                        read(p, &roots)
                            .map_err(|e| self.data_failure(cx, invalid_path(p, e)))?
                            .into_owned(),
                    ),
                };
                match v {
                    Cow::Borrowed(Value::Array(a)) => return Ok(Cow::Borrowed(a.as_slice())),
                    Cow::Owned(Value::Array(a)) => return Ok(Cow::Owned(a)),
                    other
                        if p.is_root()
                            && cx.state.language == crate::definition::QueryLanguage::Jsonata =>
                    {
                        return Err(self.data_failure(
                            cx,
                            DataError::query(format!(
                                "Map state input must be an array but was: {other}"
                            )),
                        ));
                    }
                    other => {
                        return Err(self.data_failure(
                            cx,
                            DataError::runtime(format!(
                                "Invalid path '{p}' : the value is not an array: {}",
                                shown(other.as_ref())
                            )),
                        ));
                    }
                }
            }
            ItemsSource::Template(t) => t.eval(&roots).map_err(|e| self.data_failure(cx, e))?,
        };
        match v {
            Value::Array(a) => Ok(Cow::Owned(a)),
            other => {
                let source = match &m.items {
                    ItemsSource::Template(t) => t
                        .expressions()
                        .first()
                        .map(|(e, _)| e.source().to_string())
                        .unwrap_or_default(),
                    ItemsSource::Path(p) => p.to_string(),
                };
                Err(self.data_failure(
                    cx,
                    DataError::query(format!(
                        "The JSONata expression '{source}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {other}",
                        crate::data::jsonata::type_name(&other)
                    )),
                ))
            }
        }
    }

    /// `MaxConcurrency(Path)`, `ToleratedFailureCount(Path)`: a non-negative integer.
    pub(super) fn int_setting(
        &self,
        cx: &StateCx,
        d: Option<&Dynamic<u64>>,
        field: &str,
        effective: &Value,
        th: &Thread,
    ) -> Result<Option<u64>, Stop> {
        let roots = self.roots(cx, effective, &th.scope, 0);
        let (v, path) = match d {
            None => return Ok(None),
            Some(Dynamic::Fixed(n)) => return Ok(Some(*n)),
            Some(Dynamic::Path(p)) => (
                read(p, &roots)
                    .map_err(|e| self.data_failure(cx, invalid_path(p, e)))?
                    .into_owned(),
                Some(p),
            ),
            Some(Dynamic::Expr(e)) => (
                e.evaluate_field(&roots, field)
                    .map_err(|e| self.data_failure(cx, e))?,
                None,
            ),
            Some(Dynamic::Intrinsic(_)) => return Ok(None),
        };
        // A path may also select a numeric string ("1"): AWS reads it as the number.
        let n = match (&v, path) {
            (Value::String(s), Some(_)) => s.trim().parse::<i64>().ok(),
            _ => v.as_i64(),
        };
        match (n, path) {
            (Some(n), _) if n >= 0 => Ok(Some(n.unsigned_abs())),
            // A whole number below zero is refused on its own, after the type check.
            (Some(_), Some(_)) => Err(self.data_failure(
                cx,
                DataError::runtime(format!("{field} cannot be negative.")),
            )),
            (None, Some(p)) => Err(self.data_failure(
                cx,
                DataError::runtime(format!(
                    "The {field}Path field refers to value \"{}\" which is not a valid integer: {p}",
                    shown(&v)
                )),
            )),
            (_, None) => Err(self.data_failure(
                cx,
                DataError::query(format!("The {field} field must be a non-negative integer, but was: {v}")),
            )),
        }
    }

    pub(super) fn percentage(
        &self,
        cx: &StateCx,
        d: &Option<Dynamic<f64>>,
        effective: &Value,
        th: &Thread,
    ) -> Result<Option<f64>, Stop> {
        let roots = self.roots(cx, effective, &th.scope, 0);
        let v = match d {
            None => return Ok(None),
            Some(Dynamic::Fixed(n)) => return Ok(Some(*n)),
            Some(Dynamic::Path(p)) => {
                let v = read(p, &roots)
                    .map_err(|e| self.data_failure(cx, invalid_path(p, e)))?
                    .into_owned();
                let number = match &v {
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => v.as_f64(),
                };
                match number {
                    Some(f) => f,
                    None => {
                        return Err(self.data_failure(
                            cx,
                            DataError::runtime(format!(
                                "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {p}",
                                shown(&v)
                            )),
                        ));
                    }
                }
            }
            Some(Dynamic::Expr(e)) => {
                let v = e
                    .evaluate_field(&roots, "ToleratedFailurePercentage")
                    .map_err(|e| self.data_failure(cx, e))?;
                match v.as_f64() {
                    Some(f) => f,
                    None => {
                        return Err(self.data_failure(
                            cx,
                            DataError::query(format!("The ToleratedFailurePercentage field must be a number, but was: {v}")),
                        ));
                    }
                }
            }
            Some(Dynamic::Intrinsic(_)) => return Ok(None),
        };
        if !(0.0..=100.0).contains(&v) {
            return Err(self.data_failure(
                cx,
                DataError::runtime("ToleratedFailurePercentage must be between 0 and 100."),
            ));
        }
        Ok(Some(v))
    }
}

/// What stands for results not kept past `budget`: a value whose serialized size is past it
/// too, so that the payload check refuses the state's output as it would have refused the
/// results themselves (`ResultPath: null`, budget 0, drops it unread).
fn past_budget(budget: Option<usize>) -> Value {
    match budget {
        Some(b) if b > 0 => Value::String("-".repeat(b)),
        _ => Value::Null,
    }
}

pub(super) fn failure_details(f: &Failure) -> Value {
    let mut d = serde_json::Map::new();
    if !f.error.is_empty() {
        d.insert("error".into(), json!(f.error));
    }
    if let Some(c) = &f.cause {
        d.insert("cause".into(), json!(c));
    }
    Value::Object(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: Value) -> Result<Value, Stop> {
        Ok(v)
    }

    #[test]
    fn results_past_the_budget_are_dropped_and_waiting_inputs_stay() {
        let mut o =
            Outcomes::holding(vec![json!("in0"), json!("in1"), json!("in2")]).unseen_past(Some(12));
        // As `fan_out` does, each job takes its input out of its slot when it starts.
        std::mem::take(&mut o.values[0]);
        o.record(0, ok(json!("abc"))); // ["abc"]: 7 bytes
        assert!(!o.overflowed);
        assert_eq!(o.values[0], json!("abc"));
        std::mem::take(&mut o.values[2]);
        o.record(2, ok(json!("defg"))); // ["abc","defg"]: 14 bytes
        assert!(o.overflowed);
        assert_eq!(o.values, vec![Value::Null, json!("in1"), Value::Null]);
        std::mem::take(&mut o.values[1]);
        o.record(1, ok(json!("h")));
        assert_eq!(o.values[1], Value::Null);
        assert!(o.all_succeeded().is_ok());
    }

    #[test]
    fn without_a_budget_every_result_is_kept() {
        let mut o = Outcomes::new(2);
        o.record(1, ok(json!("x".repeat(1000))));
        o.record(0, ok(json!(1)));
        assert!(!o.overflowed);
        assert_eq!(
            o.all_succeeded().ok(),
            Some(vec![json!(1), json!("x".repeat(1000))])
        );
    }

    #[test]
    fn what_stands_for_dropped_results_is_past_their_budget() {
        let v = past_budget(Some(super::size::PAYLOAD_LIMIT));
        assert!(size::exceeds(&v, super::size::PAYLOAD_LIMIT));
        assert_eq!(past_budget(Some(0)), Value::Null);
    }
}

#[cfg(test)]
mod live_tests {
    use super::*;
    use crate::engine::MapRunSettings;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Lets the fan-out run until it waits: a few turns of the one-thread runtime.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    /// Runs `jobs` jobs that each wait to be released, under `settings`' limit; `drive` acts
    /// while they wait and the fan-out's outcomes come back with how many jobs started.
    fn fan(
        jobs: usize,
        settings: &MapRunSettings,
        drive: impl AsyncFnOnce(&AtomicUsize, Vec<tokio::sync::oneshot::Sender<()>>),
    ) -> Vec<Option<Result<Value, Stop>>> {
        let started = AtomicUsize::new(0);
        let (senders, mut receivers): (Vec<_>, Vec<_>) = (0..jobs)
            .map(|_| {
                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                (tx, Some(rx))
            })
            .unzip();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let started = &started;
            let fanned = fan_out_live(
                Outcomes::new(jobs),
                || settings.max_concurrency() as usize,
                1,
                PathTime::default(),
                |i, t, _| {
                    let rx = receivers[i].take();
                    async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        if let Some(rx) = rx {
                            let _ = rx.await;
                        }
                        Done {
                            index: i,
                            result: Ok(json!(i)),
                            time: t,
                        }
                    }
                },
                |_| true,
                Some(settings),
            );
            let ((outcomes, _), ()) = tokio::join!(fanned, drive(started, senders));
            outcomes.in_order().collect()
        })
    }

    #[test]
    fn a_larger_limit_starts_more_jobs_while_the_first_still_wait() {
        let settings = MapRunSettings::new(1, None, None);
        let out = fan(4, &settings, async |started, senders| {
            settle().await;
            assert_eq!(started.load(Ordering::SeqCst), 1, "one at a time at first");
            settings.update(Some(3), None, None);
            settle().await;
            assert_eq!(
                started.load(Ordering::SeqCst),
                3,
                "three at once once raised"
            );
            for tx in senders {
                let _ = tx.send(());
                settle().await;
            }
        });
        assert_eq!(out.len(), 4);
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, o)| matches!(o, Some(Ok(v)) if *v == json!(i)))
        );
    }

    #[test]
    fn a_smaller_limit_starts_nothing_until_fewer_run() {
        let settings = MapRunSettings::new(3, None, None);
        fan(5, &settings, async |started, senders| {
            settle().await;
            assert_eq!(started.load(Ordering::SeqCst), 3);
            settings.update(Some(1), None, None);
            let mut senders = senders.into_iter();
            // Two of the three end: still one running, the limit, so none starts.
            for tx in senders.by_ref().take(2) {
                let _ = tx.send(());
                settle().await;
            }
            assert_eq!(started.load(Ordering::SeqCst), 3);
            for tx in senders {
                let _ = tx.send(());
                settle().await;
            }
            assert_eq!(started.load(Ordering::SeqCst), 5);
        });
    }
}
