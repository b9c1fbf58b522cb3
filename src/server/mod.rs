//! `asl serve`: the Step Functions API on localhost, a drop-in for Step Functions Local.
//!
//! `http.rs` speaks AWS's JSON 1.0 protocol over hyper (`POST /`, `X-Amz-Target:
//! AWSStepFunctions.<Operation>`, bodies bounded); [`Server::dispatch`] sends each operation to
//! its family: `machines.rs` (Create/Describe/List/Update/DeleteStateMachine,
//! ValidateStateMachineDefinition), `executions.rs` (Start/StartSync/Stop/Describe/
//! ListExecutions, GetExecutionHistory, DescribeStateMachineForExecution, RedriveExecution,
//! which picks up where `redrive.rs` reads from the stored history),
//! `map_runs.rs` (Describe/List/UpdateMapRun; `children.rs` their child executions for
//! DescribeExecution and GetExecutionHistory) and `callbacks.rs`
//! (SendTaskSuccess/Failure/Heartbeat), `activities.rs` (Create/Describe/List/DeleteActivity,
//! GetActivityTask and the handler of activity Task states), `tags.rs`, `versions.rs` (versions and aliases) and `test_state.rs` (TestState); `web.rs` is the web
//! view (`GET /`). `store.rs` holds what
//! they share, written through to `durable.rs` (`--state-dir`: SQLite) when asked.
//!
//! Executions run through [`crate::engine::run`], the entry point `asl run` uses, each on a
//! task of the server's runtime; their history is recorded by an event sink as it happens, so
//! GetExecutionHistory shows a running execution too. The engine knows nothing of the server.

mod activities;
mod api_error;
mod callbacks;
mod children;
mod durable;
mod executions;
mod http;
mod machines;
mod map_runs;
mod redrive;
mod request;
mod store;
mod tags;
mod test_state;
mod versions;
mod web;

pub use api_error::ApiError;
pub use durable::{Database, Durable, DurableError, Nowhere};
pub use http::serve;
pub use store::MAX_FINISHED;

use crate::engine::Clock;
use crate::handlers::callback::CallbackServer;
use request::Request;
use serde_json::{Map, Value};
use std::sync::Arc;
use store::Store;

/// How the server was started.
pub struct Config {
    pub region: String,
    pub account_id: String,
    pub clock: Clock,
    /// A parsed MockConfigFile (`SFN_MOCK_CONFIG`, `--mock-config`).
    pub mocks: Option<Value>,
    /// Finished executions kept before the oldest is evicted.
    pub max_finished: usize,
    /// `--handlers FILE`: Task states routed to local commands, AWS or the mocks, as `asl run`.
    pub handlers: Option<crate::handlers::routing::HandlerConfig>,
    /// Where states routed to AWS go (`--aws-all`, or `"aws"` in the handlers file).
    pub aws: Option<Arc<crate::handlers::aws::AwsHandler>>,
    /// `--aws-all`: every Task state no mock and no handlers entry answers runs on AWS.
    pub aws_all: bool,
    /// Step Functions Local's `LAMBDA_ENDPOINT`, ...: the Task states of those services that no
    /// mock and no handlers entry answers run on AWS, at that endpoint.
    pub service_endpoints: crate::handlers::aws::endpoint::ServiceEndpoints,
}

/// The server's state, shared by every connection and execution.
pub struct Server {
    pub config: Config,
    store: Store,
    activities: activities::Activities,
    tags: tags::Tags,
    versions: versions::Versions,
    /// The token table of `.waitForTaskToken` states (its own port is never announced: the
    /// callbacks come through this API).
    callbacks: Arc<CallbackServer>,
    /// The server itself, for the handlers of its executions (activity tasks).
    me: std::sync::Weak<Server>,
    /// The mock config's test cases (`MACHINE#CASE`) whose results were checked against
    /// the APIs' output shapes, so each is warned about once.
    mocks_checked: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Server {
    /// A server over `durable` (a `--state-dir` database, or [`Nowhere`]); what it kept is
    /// read back by [`Server::restore`].
    pub fn new(config: Config, durable: Box<dyn Durable>) -> std::io::Result<Arc<Server>> {
        let callbacks = CallbackServer::bind(0)?;
        Ok(Arc::new_cyclic(|me| Server {
            store: Store::new(config.max_finished, durable),
            activities: Default::default(),
            tags: Default::default(),
            versions: Default::default(),
            config,
            callbacks,
            me: me.clone(),
            mocks_checked: Default::default(),
        }))
    }

    /// Reads back what `--state-dir` kept: machines, versions, aliases, activities, tags and
    /// finished executions (past `--max-finished`, the oldest are evicted from it too).
    pub fn restore(&self) -> Result<(), DurableError> {
        self.store.restore()?;
        let durable = &*self.store.durable;
        self.versions.restore(durable)?;
        self.activities.restore(durable)?;
        self.tags.restore(durable)
    }

    /// `arn:aws:states:REGION:ACCOUNT:` (the partition from the region).
    fn arn_prefix(&self) -> String {
        format!(
            "arn:{}:states:{}:{}:",
            crate::engine::partition(&self.config.region),
            self.config.region,
            self.config.account_id
        )
    }

    /// Stops every running execution (ABORTED, its local commands killed and AWS work stopped
    /// as `asl run` does on Ctrl-C) and waits for them to end, 10 seconds at most.
    pub async fn stop_all(&self, why: &str) {
        let running: Vec<_> = store::lock(&self.store.executions)
            .values()
            .cloned()
            .collect();
        for e in &running {
            if let Some(tx) = store::lock(&e.state).stop.take() {
                let _ = tx.send(why.to_string());
            }
        }
        for _ in 0..200 {
            if running
                .iter()
                .all(|e| store::lock(&e.state).status != "RUNNING")
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        say!("asl serve: some executions did not stop within 10 seconds");
    }

    /// Answers one operation of the API.
    pub async fn dispatch(
        self: &Arc<Self>,
        operation: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let r = Request(body);
        match operation {
            "CreateStateMachine" => machines::create(self, &r),
            "DescribeStateMachine" => machines::describe(self, &r),
            "ListStateMachines" => machines::list(self, &r),
            "UpdateStateMachine" => machines::update(self, &r),
            "DeleteStateMachine" => machines::delete(self, &r),
            "ValidateStateMachineDefinition" => machines::validate(&r),
            "StartExecution" => executions::start(self, &r),
            "StartSyncExecution" => executions::start_sync(self, &r).await,
            "DescribeExecution" => executions::describe(self, &r),
            "ListExecutions" => executions::list(self, &r),
            "RedriveExecution" => executions::redrive(self, &r),
            "StopExecution" => executions::stop(self, &r),
            "GetExecutionHistory" => executions::history(self, &r),
            "DescribeStateMachineForExecution" => executions::machine_for(self, &r),
            "CreateActivity" => activities::create(self, &r),
            "DescribeActivity" => activities::describe(self, &r),
            "ListActivities" => activities::list(self, &r),
            "DeleteActivity" => activities::delete(self, &r),
            "GetActivityTask" => activities::get_task(self, &r).await,
            "PublishStateMachineVersion" => versions::publish(self, &r),
            "ListStateMachineVersions" => versions::list_versions(self, &r),
            "DeleteStateMachineVersion" => versions::delete_version(self, &r),
            "CreateStateMachineAlias" => versions::create_alias(self, &r),
            "DescribeStateMachineAlias" => versions::describe_alias(self, &r),
            "ListStateMachineAliases" => versions::list_aliases(self, &r),
            "UpdateStateMachineAlias" => versions::update_alias(self, &r),
            "DeleteStateMachineAlias" => versions::delete_alias(self, &r),
            "TagResource" => tags::tag(self, &r),
            "UntagResource" => tags::untag(self, &r),
            "ListTagsForResource" => tags::list(self, &r),
            "DescribeMapRun" => map_runs::describe(self, &r),
            "ListMapRuns" => map_runs::list(self, &r),
            "UpdateMapRun" => map_runs::update(self, &r),
            "TestState" => test_state::test_state(self, &r).await,
            "SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat" => {
                callbacks::send(self, operation, &r)
            }
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!(
                    "the operation `{operation}` is not one asl serve answers (see docs/serve.md)"
                ),
            )),
        }
    }
}
