//! `asl serve`: the Step Functions API on localhost (see src/server/ and docs/serve.md).

use super::error::CliError;
use super::run::ClockArg;
use crate::engine::Clock;
use crate::handlers::aws::endpoint::ServiceEndpoints;
use crate::handlers::routing::HandlerConfig;
use crate::server::{Config, Server};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const SERVE_HELP: &str = "\
Examples:
  asl serve                                   # http://127.0.0.1:8083, as Step Functions Local
  SFN_MOCK_CONFIG=MockConfigFile.json asl serve --clock virtual
  aws stepfunctions --endpoint-url http://localhost:8083 list-state-machines

Environment (as Step Functions Local reads it; each flag above wins over its variable):
SFN_MOCK_CONFIG (the mock config file), AWS_DEFAULT_REGION (the region in ARNs),
AWS_ACCOUNT_ID (the account in ARNs), WAIT_TIME_SCALE (0: waits end at once, as --clock
virtual; 1: real time; 0.1: each wait a tenth as long), LAMBDA_ENDPOINT, BATCH_ENDPOINT,
DYNAMODB_ENDPOINT, ECS_ENDPOINT, GLUE_ENDPOINT, SAGE_MAKER_ENDPOINT, SQS_ENDPOINT,
SNS_ENDPOINT, STEP_FUNCTIONS_ENDPOINT (that service's Task states run on AWS at that
endpoint). Start an
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
    #[arg(long, value_name = "REGION", visible_alias = "aws-region")]
    pub region: Option<String>,
    /// The account id in ARNs (default: AWS_ACCOUNT_ID, else 123456789012).
    #[arg(long, value_name = "ID", visible_alias = "aws-account")]
    pub account_id: Option<String>,
    /// A Step Functions Local mock file (MockConfigFile.json; default: SFN_MOCK_CONFIG).
    #[arg(long, value_name = "FILE")]
    pub mock_config: Option<PathBuf>,
    /// How time passes: `real` (the default here: clients expect executions they can stop)
    /// or `virtual` (waits and back-offs end at once; also chosen by WAIT_TIME_SCALE=0).
    #[arg(long, value_enum)]
    pub clock: Option<ClockArg>,
    /// Step Functions Local's wait scale (default: WAIT_TIME_SCALE): 0 makes waits end at
    /// once, 1 is real time, 0.1 makes each Wait and back-off a tenth as long.
    #[arg(long, value_name = "SCALE", conflicts_with = "clock")]
    pub wait_time_scale: Option<String>,
    /// Finished executions kept; past it the oldest finished one is forgotten (said on stderr).
    #[arg(long, value_name = "N", default_value_t = crate::server::MAX_FINISHED)]
    pub max_finished: usize,
    /// A handler configuration (JSON, as `asl run --handlers`): Task states no mock answers
    /// go to local commands, AWS or the mocks.
    #[arg(long, value_name = "FILE")]
    pub handlers: Option<PathBuf>,
    /// Run every Task state no mock and no handlers entry answers on AWS.
    #[arg(long)]
    pub aws_all: bool,
    #[command(flatten)]
    pub connection: super::aws_args::AwsArgs,
    /// Keep state machines (with versions, aliases, tags), activities and finished
    /// executions across restarts, in DIR/asl-serve.sqlite (created when missing).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[command(flatten)]
    pub endpoints: SfnLocalEndpoints,
}

/// Step Functions Local's jar spells its options with one dash too (`-lambdaEndpoint`,
/// `-account`, ...; its configuration page lists both forms): `asl serve` takes those
/// spellings, as the double-dash flags they stand for.
const JAR_SPELLINGS: [(&str, &str); 12] = [
    ("-account", "--aws-account"),
    ("-region", "--aws-region"),
    ("-waitTimeScale", "--wait-time-scale"),
    ("-lambdaEndpoint", "--lambda-endpoint"),
    ("-batchEndpoint", "--batch-endpoint"),
    ("-dynamoDBEndpoint", "--dynamodb-endpoint"),
    ("-ecsEndpoint", "--ecs-endpoint"),
    ("-glueEndpoint", "--glue-endpoint"),
    ("-sageMakerEndpoint", "--sagemaker-endpoint"),
    ("-sqsEndpoint", "--sqs-endpoint"),
    ("-snsEndpoint", "--sns-endpoint"),
    ("-stepFunctionsEndpoint", "--step-functions-endpoint"),
];

/// The command line with the jar's one-dash spellings of `asl serve`'s options made the
/// double-dash flags clap knows (`-lambdaEndpoint URL` or `-lambdaEndpoint=URL`); any other
/// command line is left as it is.
pub(super) fn jar_spellings(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).and_then(|a| a.to_str()) != Some("serve") {
        return args;
    }
    for arg in args.iter_mut().skip(2) {
        let Some(text) = arg.to_str() else { continue };
        let (flag, value) = match text.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (text, None),
        };
        if let Some((_, long)) = JAR_SPELLINGS.iter().find(|(jar, _)| *jar == flag) {
            *arg = match value {
                Some(v) => format!("{long}={v}").into(),
                None => (*long).into(),
            };
        }
    }
    args
}

// Step Functions Local's endpoint flags: the Task states of that service that no mock and
// no `--handlers` entry answers run on AWS at that URL. Each wins over its variable. (Not a
// doc comment: clap's derive would make it the `about` of `asl serve`, which flattens it.)
#[derive(Args, Debug, Default)]
#[command(next_help_heading = "Step Functions Local endpoints")]
pub struct SfnLocalEndpoints {
    /// Lambda's (default: LAMBDA_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub lambda_endpoint: Option<String>,
    /// AWS Batch's (default: BATCH_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub batch_endpoint: Option<String>,
    /// DynamoDB's (default: DYNAMODB_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    /// ECS's (default: ECS_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub ecs_endpoint: Option<String>,
    /// Glue's (default: GLUE_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub glue_endpoint: Option<String>,
    /// SageMaker's (default: SAGE_MAKER_ENDPOINT, or SAGEMAKER_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub sagemaker_endpoint: Option<String>,
    /// SQS's (default: SQS_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub sqs_endpoint: Option<String>,
    /// SNS's (default: SNS_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub sns_endpoint: Option<String>,
    /// Step Functions' own, for `states:*` and `aws-sdk:sfn:*` states (default:
    /// STEP_FUNCTIONS_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub step_functions_endpoint: Option<String>,
}

impl SfnLocalEndpoints {
    /// The flag standing for Step Functions Local's variable `var` (`LAMBDA_ENDPOINT`), if
    /// given. `SAGEMAKER_ENDPOINT` has none: the flag is read as `SAGE_MAKER_ENDPOINT`,
    /// which goes first.
    fn given(&self, var: &str) -> Option<&String> {
        match var {
            "LAMBDA_ENDPOINT" => self.lambda_endpoint.as_ref(),
            "BATCH_ENDPOINT" => self.batch_endpoint.as_ref(),
            "DYNAMODB_ENDPOINT" => self.dynamodb_endpoint.as_ref(),
            "ECS_ENDPOINT" => self.ecs_endpoint.as_ref(),
            "GLUE_ENDPOINT" => self.glue_endpoint.as_ref(),
            "SAGE_MAKER_ENDPOINT" => self.sagemaker_endpoint.as_ref(),
            "SQS_ENDPOINT" => self.sqs_endpoint.as_ref(),
            "SNS_ENDPOINT" => self.sns_endpoint.as_ref(),
            "STEP_FUNCTIONS_ENDPOINT" => self.step_functions_endpoint.as_ref(),
            _ => None,
        }
    }

    /// The service endpoints: each flag, else its variable as `env` reads it.
    fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> ServiceEndpoints {
        ServiceEndpoints::from_sfn_local(&|var| {
            self.given(var)
                .filter(|u| !u.trim().is_empty())
                .cloned()
                .or_else(|| env(var))
        })
    }
}

/// `asl run`'s arguments carrying the AWS settings, so the AWS side is built exactly as
/// `asl run` builds it.
#[derive(clap::Parser)]
struct AsRun {
    #[command(flatten)]
    run: super::run::RunArgs,
}

/// The handler for states routed to AWS, when any may be.
fn aws(
    args: &ServeArgs,
    needed: bool,
    rt: &tokio::runtime::Runtime,
    service_endpoints: ServiceEndpoints,
) -> Result<Option<Arc<crate::handlers::aws::AwsHandler>>, CliError> {
    if !needed {
        return Ok(None);
    }
    use clap::Parser;
    let mut argv: Vec<String> = vec!["asl".into(), "serve.asl.json".into()];
    for (flag, v) in [
        ("--profile", &args.connection.profile),
        ("--endpoint-url", &args.connection.endpoint_url),
        ("--region", &args.region),
    ] {
        if let Some(v) = v {
            argv.push(flag.into());
            argv.push(v.clone());
        }
    }
    let parsed = AsRun::try_parse_from(argv).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Some(super::run::aws_handler_with(
        &parsed.run,
        rt,
        service_endpoints,
    )?))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Step Functions Local's wait scale, `--wait-time-scale` or else `WAIT_TIME_SCALE`: 0 makes
/// waits instant (our virtual clock), 1 or unset is real time, a scale between them shortens
/// each wait and back-off by it (0.1: a Wait of 10 seconds lasts one). Anything else is
/// refused rather than silently ignored, named as it was given.
fn wait_time_scale(flag: Option<&str>) -> Result<Clock, CliError> {
    let (v, named) = match (flag, env("WAIT_TIME_SCALE")) {
        (Some(f), _) => (f.to_string(), format!("--wait-time-scale {f}")),
        (None, Some(v)) => (v.clone(), format!("WAIT_TIME_SCALE={v}")),
        (None, None) => return Ok(Clock::Real),
    };
    match v.trim().parse::<f64>().ok() {
        Some(0.0) => Ok(Clock::Virtual),
        Some(1.0) => Ok(Clock::Real),
        Some(x) if x > 0.0 && x < 1.0 => Ok(Clock::Scaled((x * 1e6).round().max(1.0) as u32)),
        _ => Err(CliError::Usage(format!(
            "{named}: expected a scale from 0 (waits end at once, as --clock virtual) to 1 (real time), such as 0.1"
        ))),
    }
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
    let handlers = match &args.handlers {
        Some(p) => {
            let text = super::run::read_file(p)?;
            let shown = p.display().to_string();
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::Input(super::render::json_error(&shown, &text, &e)))?;
            let base = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            Some(HandlerConfig::from_value(&doc, base).map_err(|errs| {
                CliError::Input(
                    errs.iter()
                        .map(|e| {
                            super::render::located(&shown, &text, &e.pointer, "error", &e.message)
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })?)
        }
        None => None,
    };
    let durable: Box<dyn crate::server::Durable> = match &args.state_dir {
        Some(dir) => Box::new(
            crate::server::Database::open(dir)
                .map_err(|e| CliError::Input(format!("asl serve: {e}")))?,
        ),
        None => Box::new(crate::server::Nowhere),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let service_endpoints = args.endpoints.resolve(&env);
    let wants_aws = args.aws_all
        || handlers.as_ref().is_some_and(HandlerConfig::routes_to_aws)
        || !service_endpoints.services.is_empty();
    let aws = aws(&args, wants_aws, &rt, service_endpoints.clone())?;
    let config = Config {
        handlers,
        aws,
        aws_all: args.aws_all,
        service_endpoints,
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
            Some(ClockArg::Virtual) => Clock::Virtual,
            Some(ClockArg::Real) => Clock::Real,
            None => wait_time_scale(args.wait_time_scale.as_deref())?,
        },
        mocks,
        max_finished: args.max_finished.max(1),
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| CliError::Input(format!("asl serve: cannot listen on {}:{}: {e}", args.host, args.port)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Fault(format!("asl serve: {e}")))?;
        if !addr.ip().is_loopback() {
            say!(
                "asl serve: warning: listening on {addr}, not loopback: the API has no authentication, anyone who reaches it can run state machines"
            );
        }
        let server = Server::new(config, durable)
            .map_err(|e| CliError::Fault(format!("asl serve: cannot bind the callback table: {e}")))?;
        server
            .restore()
            .map_err(|e| CliError::Input(format!("asl serve: {e}")))?;
        // Stop signals are listened for before anyone is told where the server is: a SIGTERM
        // sent as soon as it listens stops it cleanly instead of killing it.
        let mut stop = Box::pin(crate::engine::stop_signal());
        let _ = futures::poll!(stop.as_mut());
        say!("asl serve: listening on http://{addr}");
        crate::server::serve(server, listener, stop)
            .await
            .map_err(|e| CliError::Fault(format!("asl serve: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jars_one_dash_spellings_are_the_flags_they_stand_for() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            jar_spellings(args(&[
                "asl",
                "serve",
                "-lambdaEndpoint",
                "http://l",
                "-region=eu-west-1",
                "-dynamoDBEndpoint",
                "http://d",
                "--port",
                "0",
            ])),
            args(&[
                "asl",
                "serve",
                "--lambda-endpoint",
                "http://l",
                "--aws-region=eu-west-1",
                "--dynamodb-endpoint",
                "http://d",
                "--port",
                "0",
            ])
        );
        // Other subcommands keep their arguments as given.
        let run = args(&["asl", "run", "m.json", "-account"]);
        assert_eq!(jar_spellings(run.clone()), run);
    }

    #[test]
    fn an_endpoint_flag_wins_over_its_variable_and_the_others_are_read() {
        let flags = SfnLocalEndpoints {
            lambda_endpoint: Some("http://flag:1".into()),
            sagemaker_endpoint: Some("http://sm-flag:2".into()),
            ..SfnLocalEndpoints::default()
        };
        let vars = |v: &str| match v {
            "LAMBDA_ENDPOINT" => Some("http://var:1".to_string()),
            "SQS_ENDPOINT" => Some("http://sqs-var:3".to_string()),
            "SAGEMAKER_ENDPOINT" => Some("http://sm-var:4".to_string()),
            _ => None,
        };
        let e = flags.resolve(&vars);
        assert_eq!(
            e.get("AWS_ENDPOINT_URL_LAMBDA").as_deref(),
            Some("http://flag:1")
        );
        assert_eq!(
            e.get("AWS_ENDPOINT_URL_SQS").as_deref(),
            Some("http://sqs-var:3")
        );
        assert_eq!(
            e.get("AWS_ENDPOINT_URL_SAGEMAKER").as_deref(),
            Some("http://sm-flag:2")
        );
        assert_eq!(e.get("AWS_ENDPOINT_URL_SNS"), None);
        let none = SfnLocalEndpoints::default().resolve(&|_| None);
        assert!(none.services.is_empty());
    }
}
