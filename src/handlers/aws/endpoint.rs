//! Where a service's requests go: `https://{prefix}.{region}.{dnsSuffix}` by the region's
//! partition, a global service's one host (IAM, Organizations, Route 53, CloudFront), S3's
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
