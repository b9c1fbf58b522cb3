//! How a Task box names what it calls, as the Step Functions console writes it under the
//! state's name: `Lambda: Invoke`, `ECS: RunTask.sync`, `S3: GetObject` for
//! `aws-sdk:s3:getObject`, `Activity` for an activity.
//!
//! One rule for every integration, optimized or AWS SDK: the service's display name, a colon,
//! the action in PascalCase, and the integration pattern's suffix as the ARN writes it
//! (`.sync`, `.sync:2`, `.waitForTaskToken`). Only the display names are a table; a service it
//! does not list is shown by its ARN name (upper-cased when it is an acronym of three letters
//! or fewer, `ec2` → `EC2`; else capitalised).

use crate::definition::{Pattern, Resource, ResourceKind};

/// The console's names for services, by the name ARNs give them (optimized integrations and
/// AWS SDK service names both).
const DISPLAY: &[(&str, &str)] = &[
    ("apigateway", "API Gateway"),
    ("athena", "Athena"),
    ("batch", "Batch"),
    ("bedrock", "Bedrock"),
    ("bedrockruntime", "Bedrock Runtime"),
    ("cloudformation", "CloudFormation"),
    ("cloudwatch", "CloudWatch"),
    ("cloudwatchlogs", "CloudWatch Logs"),
    ("codebuild", "CodeBuild"),
    ("codepipeline", "CodePipeline"),
    ("cognitoidentityprovider", "Cognito User Pools"),
    ("databrew", "Glue DataBrew"),
    ("dynamodb", "DynamoDB"),
    ("ecr", "ECR"),
    ("ecs", "ECS"),
    ("eks", "EKS"),
    ("elasticmapreduce", "EMR"),
    ("emr", "EMR"),
    ("emr-containers", "EMR on EKS"),
    ("emrcontainers", "EMR on EKS"),
    ("emr-serverless", "EMR Serverless"),
    ("emrserverless", "EMR Serverless"),
    ("eventbridge", "EventBridge"),
    ("events", "EventBridge"),
    ("firehose", "Data Firehose"),
    ("glue", "Glue"),
    ("http", "HTTP"),
    ("kinesis", "Kinesis"),
    ("lambda", "Lambda"),
    ("mediaconvert", "MediaConvert"),
    ("redshiftdata", "Redshift Data"),
    ("s3", "S3"),
    ("sagemaker", "SageMaker"),
    ("scheduler", "EventBridge Scheduler"),
    ("secretsmanager", "Secrets Manager"),
    ("sfn", "Step Functions"),
    ("sns", "SNS"),
    ("sqs", "SQS"),
    ("states", "Step Functions"),
    ("stepfunctions", "Step Functions"),
];

/// The line the console draws under a Task's name; `None` for a resource it cannot name (a
/// placeholder such as `${FunctionArn}`, a local command).
pub fn label(r: &Resource) -> Option<String> {
    let (service, action) = match &r.kind {
        ResourceKind::LambdaFunction { .. } => return Some("Lambda: Invoke".to_string()),
        ResourceKind::Activity { .. } => return Some("Activity".to_string()),
        ResourceKind::Service { service, action } | ResourceKind::AwsSdk { service, action } => {
            (service, action)
        }
        ResourceKind::Other => return None,
    };
    let suffix = match r.pattern {
        Pattern::RequestResponse => "",
        Pattern::Sync => ".sync",
        Pattern::Sync2 => ".sync:2",
        Pattern::WaitForTaskToken => ".waitForTaskToken",
    };
    Some(format!(
        "{}: {}{suffix}",
        display_name(service),
        pascal(action)
    ))
}

fn display_name(service: &str) -> String {
    let key = service.to_ascii_lowercase();
    if let Some((_, name)) = DISPLAY.iter().find(|(k, _)| *k == key) {
        return (*name).to_string();
    }
    if service.chars().count() <= 3 {
        return service.to_uppercase();
    }
    pascal(service)
}

/// `getObject` → `GetObject`: the first letter upper-cased, the rest as written.
fn pascal(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_integrations_as_the_console_does() {
        let cases = [
            ("arn:aws:states:::lambda:invoke", Some("Lambda: Invoke")),
            (
                "arn:aws:states:::ecs:runTask.sync",
                Some("ECS: RunTask.sync"),
            ),
            (
                "arn:aws:states:::dynamodb:putItem",
                Some("DynamoDB: PutItem"),
            ),
            (
                "arn:aws:states:::sns:publish.waitForTaskToken",
                Some("SNS: Publish.waitForTaskToken"),
            ),
            (
                "arn:aws:states:::states:startExecution.sync:2",
                Some("Step Functions: StartExecution.sync:2"),
            ),
            (
                "arn:aws:states:::aws-sdk:s3:getObject",
                Some("S3: GetObject"),
            ),
            (
                "arn:aws:states:::aws-sdk:sfn:startExecution",
                Some("Step Functions: StartExecution"),
            ),
            ("arn:aws:states:::http:invoke", Some("HTTP: Invoke")),
            (
                "arn:aws:states:::events:putEvents",
                Some("EventBridge: PutEvents"),
            ),
            (
                "arn:aws:states:::emr-serverless:startJobRun.sync",
                Some("EMR Serverless: StartJobRun.sync"),
            ),
            (
                "arn:aws:states:us-east-1:123456789012:glue:startJobRun.sync",
                Some("Glue: StartJobRun.sync"),
            ),
            // Not in the table: by the general rule.
            (
                "arn:aws:states:::aws-sdk:ec2:describeInstances",
                Some("EC2: DescribeInstances"),
            ),
            (
                "arn:aws:states:::aws-sdk:textract:analyzeDocument",
                Some("Textract: AnalyzeDocument"),
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:charge",
                Some("Lambda: Invoke"),
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:charge:live",
                Some("Lambda: Invoke"),
            ),
            (
                "arn:aws:states:us-east-1:123456789012:activity:review",
                Some("Activity"),
            ),
            ("${ChargeFunctionArn}", None),
            ("arn:aws:states:::nothing", None),
        ];
        for (arn, want) in cases {
            assert_eq!(label(&Resource::parse(arn)).as_deref(), want, "{arn}");
        }
    }
}
