//! `asl serve`: the Step Functions API on localhost (see src/server/ and docs/serve.md).

use super::error::CliError;
use super::run::ClockArg;
use crate::engine::Clock;
use crate::server::{Config, Server};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

const SERVE_HELP: &str = "\
Examples:
  asl serve                                   # http://127.0.0.1:8083, as Step Functions Local
  SFN_MOCK_CONFIG=MockConfigFile.json asl serve --clock virtual
  aws stepfunctions --endpoint-url http://localhost:8083 list-state-machines

Environment (as Step Functions Local reads it): SFN_MOCK_CONFIG (the mock config file),
AWS_DEFAULT_REGION (the region in ARNs), AWS_ACCOUNT_ID (the account in ARNs). Start an
execution as `STATE_MACHINE_ARN#TestCase` to answer its Task states from that test case.
See docs/serve.md.";

#[derive(Args, Debug)]
#[command(after_help = SERVE_HELP)]
pub struct ServeArgs {
    /// The address to listen on (a warning when it is not loopback: the API is unauthenticated).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port (Step Functions Local's is 8083; 0 picks a free one, printed on stderr).
    #[arg(long, default_value_t = 8083)]
    pub port: u16,
    /// The region in ARNs (default: AWS_DEFAULT_REGION, else us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The account id in ARNs (default: AWS_ACCOUNT_ID, else 123456789012).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// A Step Functions Local mock file (MockConfigFile.json; default: SFN_MOCK_CONFIG).
    #[arg(long, value_name = "FILE")]
    pub mock_config: Option<PathBuf>,
    /// How time passes: `real` (the default here: clients expect executions they can stop)
    /// or `virtual` (waits and back-offs end at once).
    #[arg(long, value_enum, default_value = "real")]
    pub clock: ClockArg,
    /// Finished executions kept; past it the oldest finished one is forgotten (said on stderr).
    #[arg(long, value_name = "N", default_value_t = crate::server::MAX_FINISHED)]
    pub max_finished: usize,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    let mock_path = args
        .mock_config
        .clone()
        .or_else(|| env("SFN_MOCK_CONFIG").map(PathBuf::from));
    let mocks = match &mock_path {
        Some(p) => {
            let text = super::run::read_file(p)?;
            let shown = p.display().to_string();
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| CliError::Input(super::render::json_error(&shown, &text, &e)))?,
            )
        }
        None => None,
    };
    let config = Config {
        region: args
            .region
            .clone()
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into()),
        account_id: args
            .account_id
            .clone()
            .or_else(|| env("AWS_ACCOUNT_ID"))
            .unwrap_or_else(|| "123456789012".into()),
        clock: match args.clock {
            ClockArg::Virtual => Clock::Virtual,
            ClockArg::Real => Clock::Real,
        },
        mocks,
        max_finished: args.max_finished.max(1),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| CliError::Input(format!("asl serve: cannot listen on {}:{}: {e}", args.host, args.port)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Fault(format!("asl serve: {e}")))?;
        if !addr.ip().is_loopback() {
            eprintln!(
                "asl serve: warning: listening on {addr}, not loopback: the API has no authentication, anyone who reaches it can run state machines"
            );
        }
        let server = Server::new(config)
            .map_err(|e| CliError::Fault(format!("asl serve: cannot bind the callback table: {e}")))?;
        eprintln!("asl serve: listening on http://{addr}");
        crate::server::serve(server, listener)
            .await
            .map_err(|e| CliError::Fault(format!("asl serve: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}
