//! The flags that say how to reach AWS, shared by every subcommand that calls it (`run` for
//! states on AWS and `--remote`, `record` for an execution's ARN, `test`, `serve`), so that
//! they are spelled and documented once. The region is not here: each command gives it its
//! own meaning (the region in ARNs, or of the calls).

use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// The AWS profile for the calls asl makes to AWS (default: the SDK's default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send the calls asl makes to AWS to this endpoint (an emulator such as moto:
    /// http://127.0.0.1:5000).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}
