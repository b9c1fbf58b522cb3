//! What a Distributed Map's run tells its caller as it goes: [`MapRunReport`] through a
//! [`MapRunSink`] ([`super::Options::map_runs`]), at its start, after each window of child
//! executions and at its end. `asl serve` answers DescribeMapRun and ListMapRuns from these;
//! `asl run` passes no sink.
//!
//! Counts are of child executions and move a window (at most 1,000 children) at a time;
//! `running` is the window's children not yet counted, `pending` those its `MaxConcurrency`
//! holds back. Each child execution is also told on its own ([`MapRunChild`]): when it
//! starts (RUNNING), and with its end (and output, when it succeeded) when its window ends;
//! a sink may also take each child's history as it happens ([`MapRunSink::child_history`]).
//! A run redriven with its execution reports under its own ARN with `redrive_count` up;
//! the children it keeps are not told again.
//!
//! A sink also gets each run's [`MapRunSettings`] as it starts: what UpdateMapRun changes
//! while the run goes. The engine reads them at each child start and end; without a sink
//! (`asl run`) there are none and the settings the Map state evaluated hold throughout.

use std::sync::atomic::{AtomicU64, Ordering};

/// A map run's status, as AWS's `MapRunStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MapRunStatus {
    #[default]
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl MapRunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MapRunStatus::Running => "RUNNING",
            MapRunStatus::Succeeded => "SUCCEEDED",
            MapRunStatus::Failed => "FAILED",
            MapRunStatus::Aborted => "ABORTED",
        }
    }
}

/// One map run as it stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapRunReport {
    /// `arn:...:mapRun:MACHINE/LABEL:ID`, as the `MapRunStarted` event names it.
    pub arn: String,
    /// The execution whose Map state started it.
    pub execution_arn: String,
    /// The child executions' state machine, `stateMachine:MACHINE/LABEL`.
    pub state_machine_arn: String,
    /// `MaxConcurrency` as evaluated (0: no limit).
    pub max_concurrency: u64,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    pub status: MapRunStatus,
    /// Items read so far (all of them once the run ends).
    pub items: u64,
    /// Child executions by state.
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    /// Children whose result a `ResultWriter` wrote.
    pub results_written: u64,
    /// How many times the run was redriven with its execution (0: never).
    pub redrive_count: u64,
}

impl MapRunReport {
    /// Children started or waiting: every child of the run so far.
    pub fn total(&self) -> u64 {
        self.pending + self.running + self.succeeded + self.failed + self.timed_out + self.aborted
    }
}

/// One child execution of a map run, as ListExecutions of the run lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct MapRunChild {
    /// `arn:...:execution:MACHINE/LABEL:NAME` (`express:` for Express children).
    pub arn: String,
    pub name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: &'static str,
    /// When it started and, once it ended, when it stopped, as the execution's clock says.
    pub start: crate::data::timestamp::Instant,
    pub stop: Option<crate::data::timestamp::Instant>,
    /// The items it processed: 1, or its batch's size with an `ItemBatcher`.
    pub item_count: u64,
    /// Its position among the run's children (the order their items were read).
    pub index: usize,
    /// Its output, once it succeeded: what a redrive of the run keeps.
    pub output: Option<serde_json::Value>,
    /// Redriven from where it stopped ([`super::MapRunResume::resumed`]): its history goes
    /// on in the one it had, after `ExecutionRedriven`, instead of opening anew.
    pub continued: bool,
}

/// A running map run's `MaxConcurrency` and tolerated failures, which may change while it
/// goes (UpdateMapRun): a new concurrency applies to the children started from then on, new
/// tolerances to the run's failures from then on (a run already past them fails).
///
/// Each value is one atomic, read without a lock; an absent tolerance is `u64::MAX` (a
/// count) or NaN's bits (a percentage). [`MapRunSettings::update`] wakes the run, which may
/// then start more children or find itself past its new tolerance.
#[derive(Debug)]
pub struct MapRunSettings {
    max_concurrency: AtomicU64,
    tolerated_count: AtomicU64,
    tolerated_pct: AtomicU64,
    changed: tokio::sync::Notify,
}

const NO_COUNT: u64 = u64::MAX;

impl MapRunSettings {
    pub fn new(max_concurrency: u64, count: Option<u64>, pct: Option<f64>) -> Self {
        MapRunSettings {
            max_concurrency: AtomicU64::new(max_concurrency),
            tolerated_count: AtomicU64::new(count.unwrap_or(NO_COUNT)),
            tolerated_pct: AtomicU64::new(pct.unwrap_or(f64::NAN).to_bits()),
            changed: tokio::sync::Notify::new(),
        }
    }

    /// `MaxConcurrency` (0: no limit).
    pub fn max_concurrency(&self) -> u64 {
        self.max_concurrency.load(Ordering::Relaxed)
    }

    pub fn tolerated_count(&self) -> Option<u64> {
        Some(self.tolerated_count.load(Ordering::Relaxed)).filter(|c| *c != NO_COUNT)
    }

    pub fn tolerated_pct(&self) -> Option<f64> {
        Some(f64::from_bits(self.tolerated_pct.load(Ordering::Relaxed))).filter(|p| !p.is_nan())
    }

    /// Sets what is given and wakes the run.
    pub fn update(&self, max_concurrency: Option<u64>, count: Option<u64>, pct: Option<f64>) {
        if let Some(c) = max_concurrency {
            self.max_concurrency.store(c, Ordering::Relaxed);
        }
        if let Some(c) = count {
            self.tolerated_count
                .store(c.min(NO_COUNT - 1), Ordering::Relaxed);
        }
        if let Some(p) = pct.filter(|p| !p.is_nan()) {
            self.tolerated_pct.store(p.to_bits(), Ordering::Relaxed);
        }
        // One run waits at a time; a change made while it is not waiting is kept for its
        // next wait.
        self.changed.notify_one();
    }

    /// Ready once the settings changed (at once if they did since the last wait).
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }
}

/// Receives a map run's reports.
pub trait MapRunSink: Send + Sync {
    fn report(&self, run: &MapRunReport);
    /// The settings of the run `run_arn`, just started (or redriven), to change while it
    /// goes; the sink holds them as long as it likes.
    fn settings(&self, _run_arn: &str, _settings: std::sync::Arc<MapRunSettings>) {}
    /// A child execution of the run `run_arn` started or ended.
    fn child(&self, _run_arn: &str, _child: &MapRunChild) {}
    /// Where the history of the child execution `child` (just started, RUNNING) goes, if
    /// anywhere: its `ExecutionStarted`, its states' events and its end, as for any
    /// execution. The sink is dropped when the child is done, ended or cut short.
    fn child_history(
        &self,
        _run_arn: &str,
        _child: &MapRunChild,
    ) -> Option<Box<dyn super::EventSink>> {
        None
    }
    /// What stops the child execution `child` (just started, RUNNING) on its own, if
    /// anything: when it resolves, the child ends ABORTED with that cause, one more failed
    /// child for the run's tolerance (`asl serve`'s StopExecution of a child).
    fn child_stop(
        &self,
        _run_arn: &str,
        _child: &MapRunChild,
    ) -> Option<futures::future::BoxFuture<'static, String>> {
        None
    }
}
