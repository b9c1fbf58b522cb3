//! Where a service's requests go: `https://{prefix}.{region}.{dnsSuffix}` by the region's
//! partition, the hosts the services' endpoint rule sets give otherwise (`*.api.aws`, Amazon
//! Location's `maps.geo.*`, Billing's one region: `models/aws-hosts.tsv`), a global
//! service's one host (IAM, Organizations, Route 53, CloudFront), S3's
//! virtual-hosted buckets, and the overrides users set: `--endpoint-url`, then the SDKs'
//! `AWS_ENDPOINT_URL_<SERVICE>` (the service id upper-cased, spaces as `_`), then
//! `AWS_ENDPOINT_URL`. An overridden endpoint (an emulator) gets path-style S3 requests and no
//! host prefixes, as the SDKs do.

use super::model::Entry;

/// A resolved endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://dynamodb.us-east-1.amazonaws.com`, without a trailing slash; may carry a path.
    pub base: String,
    pub signing_region: String,
    /// Whether a user's override chose it.
    pub overridden: bool,
}

/// The variable that overrides one service's endpoint: `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
pub fn env_name(service_id: &str) -> String {
    let id: String = service_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("AWS_ENDPOINT_URL_{id}")
}

/// Step Functions Local's per-service endpoint variables (AWS developer guide,
/// "sfn-local-config-options"): each names the service id whose `AWS_ENDPOINT_URL_<SERVICE>`
/// it stands for and the services of the Task resources it routes (`arn:aws:states:::SERVICE:...`
/// and `aws-sdk:SERVICE:...`; a Lambda function ARN is `lambda`).
pub const SFN_LOCAL_ENDPOINTS: &[(&str, &str, &[&str])] = &[
    ("LAMBDA_ENDPOINT", "Lambda", &["lambda"]),
    ("BATCH_ENDPOINT", "Batch", &["batch"]),
    ("DYNAMODB_ENDPOINT", "DynamoDB", &["dynamodb"]),
    ("ECS_ENDPOINT", "ECS", &["ecs"]),
    ("GLUE_ENDPOINT", "Glue", &["glue"]),
    ("SAGE_MAKER_ENDPOINT", "SageMaker", &["sagemaker"]),
    ("SAGEMAKER_ENDPOINT", "SageMaker", &["sagemaker"]),
    ("SQS_ENDPOINT", "SQS", &["sqs"]),
    ("SNS_ENDPOINT", "SNS", &["sns"]),
    ("STEP_FUNCTIONS_ENDPOINT", "SFN", &["states", "sfn"]),
];

/// Endpoints given one service at a time: the SDK variable each one overrides
/// (`AWS_ENDPOINT_URL_LAMBDA`) with its URL, and the Task resources' services they route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceEndpoints {
    pub urls: Vec<(String, String)>,
    pub services: Vec<&'static str>,
}

impl ServiceEndpoints {
    /// Step Functions Local's variables that `env` has set (empty ones ignored).
    pub fn from_sfn_local(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut out = ServiceEndpoints::default();
        for (var, service_id, services) in SFN_LOCAL_ENDPOINTS {
            let Some(url) = env(var).filter(|u| !u.trim().is_empty()) else {
                continue;
            };
            let name = env_name(service_id);
            if !out.urls.iter().any(|(n, _)| *n == name) {
                out.urls.push((name, url.trim().to_string()));
            }
            for s in *services {
                if !out.services.contains(s) {
                    out.services.push(s);
                }
            }
        }
        out
    }

    /// The URL given for the SDK variable `name` (`AWS_ENDPOINT_URL_LAMBDA`).
    pub fn get(&self, name: &str) -> Option<String> {
        self.urls
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, u)| u.clone())
    }

    /// Whether a Task calling `resource` goes to one of these endpoints.
    pub fn routes(&self, resource: &crate::definition::Resource) -> bool {
        use crate::definition::ResourceKind;
        let service = match &resource.kind {
            ResourceKind::LambdaFunction { .. } => "lambda",
            ResourceKind::Service { service, .. } | ResourceKind::AwsSdk { service, .. } => {
                service.as_str()
            }
            ResourceKind::Activity { .. } | ResourceKind::Other => return false,
        };
        self.services.contains(&service)
    }
}

/// The endpoint of `entry` in `region`; `flag` is `--endpoint-url`, `env` reads variables.
pub fn resolve(
    entry: &Entry,
    service_id: &str,
    region: &str,
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Endpoint {
    let given = flag
        .map(str::to_string)
        .or_else(|| env(&env_name(service_id)))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = given {
        let signing_region = match entry.global {
            Some((_, r)) => r.to_string(),
            None => region.to_string(),
        };
        return Endpoint {
            base: url.trim().trim_end_matches('/').to_string(),
            signing_region,
            overridden: true,
        };
    }
    if let Some((base, signing)) = super::model::rule_set_host(entry.sdk_name, region) {
        return Endpoint {
            base,
            signing_region: signing.unwrap_or(region).to_string(),
            overridden: false,
        };
    }
    let suffix = super::model::partition_suffix(region);
    if let Some((host, global_region)) = entry.global
        && suffix == "amazonaws.com"
    {
        return Endpoint {
            base: format!("https://{host}"),
            signing_region: global_region.to_string(),
            overridden: false,
        };
    }
    Endpoint {
        base: format!("https://{}.{region}.{suffix}", entry.endpoint_prefix),
        signing_region: region.to_string(),
        overridden: false,
    }
}

/// Whether an S3 bucket can be a host name label (virtual-hosted style): lower-case
/// letters, digits and hyphens, 3 to 63 long, no dots (TLS wildcards cover one label).
pub fn virtual_host_bucket(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

#[cfg(test)]
mod tests {

    #[test]
    fn step_functions_local_variables_name_the_sdk_variable_and_the_services_they_route() {
        use crate::definition::Resource;
        let vars = [
            ("LAMBDA_ENDPOINT", "http://127.0.0.1:9001"),
            ("SAGE_MAKER_ENDPOINT", " http://sm "),
            ("STEP_FUNCTIONS_ENDPOINT", "http://sfn"),
            ("SQS_ENDPOINT", ""),
        ];
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let e = ServiceEndpoints::from_sfn_local(&env);
        assert_eq!(
            e.get("AWS_ENDPOINT_URL_LAMBDA").as_deref(),
            Some("http://127.0.0.1:9001")
        );
        assert_eq!(
            e.get("AWS_ENDPOINT_URL_SAGEMAKER").as_deref(),
            Some("http://sm")
        );
        assert_eq!(e.get("AWS_ENDPOINT_URL_SFN").as_deref(), Some("http://sfn"));
        assert_eq!(e.get("AWS_ENDPOINT_URL_SQS"), None);
        let routes = |arn: &str| e.routes(&Resource::parse(arn));
        assert!(routes("arn:aws:states:::lambda:invoke"));
        assert!(routes("arn:aws:lambda:us-east-1:123456789012:function:f"));
        assert!(routes("arn:aws:states:::aws-sdk:sagemaker:listModels"));
        assert!(routes("arn:aws:states:::states:startExecution.sync:2"));
        assert!(routes("arn:aws:states:::aws-sdk:sfn:listStateMachines"));
        assert!(!routes("arn:aws:states:::sqs:sendMessage"));
        assert!(!routes("arn:aws:states:us-east-1:123456789012:activity:a"));
        // As the transport reads them: the variable's endpoint wins over AWS_ENDPOINT_URL.
        let composed = |k: &str| {
            e.get(k)
                .or_else(|| (k == "AWS_ENDPOINT_URL").then(|| "http://all".to_string()))
        };
        let lambda = entry("lambda").unwrap();
        let got = resolve(lambda, "Lambda", "us-east-1", None, &composed);
        assert_eq!(got.base, "http://127.0.0.1:9001");
        let ddb = entry("dynamodb").unwrap();
        let got = resolve(ddb, "DynamoDB", "us-east-1", None, &composed);
        assert_eq!(got.base, "http://all");
    }

    use super::*;
    use crate::handlers::aws::model::entry;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn resolves_regional_global_and_partition_endpoints() {
        let ddb = entry("dynamodb").unwrap();
        let e = resolve(ddb, "DynamoDB", "eu-west-1", None, &none);
        assert_eq!(e.base, "https://dynamodb.eu-west-1.amazonaws.com");
        assert_eq!(e.signing_region, "eu-west-1");
        let e = resolve(ddb, "DynamoDB", "cn-north-1", None, &none);
        assert_eq!(e.base, "https://dynamodb.cn-north-1.amazonaws.com.cn");
        let iam = entry("iam").unwrap();
        let e = resolve(iam, "IAM", "eu-west-1", None, &none);
        assert_eq!(e.base, "https://iam.amazonaws.com");
        assert_eq!(e.signing_region, "us-east-1");
    }

    #[test]
    fn hosts_outside_the_rule_follow_the_services_rule_sets() {
        let at = |sdk: &str, region: &str| {
            let e = resolve(entry(sdk).unwrap(), sdk, region, None, &none);
            (e.base, e.signing_region)
        };
        // `api.aws` hosts, in each partition's form.
        assert_eq!(
            at("datazone", "eu-west-1"),
            (
                "https://datazone.eu-west-1.api.aws".into(),
                "eu-west-1".into()
            )
        );
        assert_eq!(
            at("datazone", "cn-north-1").0,
            "https://datazone.cn-north-1.api.amazonwebservices.com.cn"
        );
        // One region for the whole partition, signed for it.
        assert_eq!(
            at("billing", "eu-west-1"),
            (
                "https://billing.us-east-1.api.aws".into(),
                "us-east-1".into()
            )
        );
        // Another first label, and a region of its own inside a partition.
        assert_eq!(
            at("geomaps", "ap-southeast-2").0,
            "https://maps.geo.ap-southeast-2.amazonaws.com"
        );
        assert_eq!(
            at("mediaconvert", "cn-northwest-1").0,
            "https://subscribe.mediaconvert.cn-northwest-1.amazonaws.com.cn"
        );
        assert_eq!(
            at("mediaconvert", "cn-north-1").0,
            "https://mediaconvert.cn-north-1.amazonaws.com.cn"
        );
        // IAM is global in `aws`, one region of its own in China.
        assert_eq!(
            at("iam", "cn-north-1"),
            (
                "https://iam.cn-north-1.amazonaws.com.cn".into(),
                "cn-north-1".into()
            )
        );
        // An override still wins.
        let e = resolve(
            entry("billing").unwrap(),
            "Billing",
            "eu-west-1",
            Some("http://127.0.0.1:5000"),
            &none,
        );
        assert_eq!(e.base, "http://127.0.0.1:5000");
    }

    #[test]
    fn overrides_follow_the_sdks_precedence() {
        let sm = entry("secretsmanager").unwrap();
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER" => Some("http://127.0.0.1:1/".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:2".to_string()),
            _ => None,
        };
        let e = resolve(sm, "Secrets Manager", "us-east-1", None, &env);
        assert_eq!(e.base, "http://127.0.0.1:1");
        assert!(e.overridden);
        let e = resolve(sm, "Secrets Manager", "us-east-1", Some("http://x:3"), &env);
        assert_eq!(e.base, "http://x:3");
        let ddb = entry("dynamodb").unwrap();
        let e = resolve(ddb, "DynamoDB", "us-east-1", None, &env);
        assert_eq!(e.base, "http://127.0.0.1:2");
    }

    #[test]
    fn knows_which_buckets_can_be_hosts() {
        assert!(virtual_host_bucket("my-bucket-1"));
        assert!(!virtual_host_bucket("My.Bucket"));
        assert!(!virtual_host_bucket("a.b.c"));
        assert!(!virtual_host_bucket("ab"));
    }
}
