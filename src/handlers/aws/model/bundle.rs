//! The embedded model bundle: `models/aws-models.tsv` (the index), `models/aws-models.bin`
//! (each service's compact model JSON, one zlib stream per service) and
//! `models/aws-partitions.tsv` (each partition's DNS suffix and region pattern) and
//! `models/aws-hosts.tsv` (the endpoints that break the `{prefix}.{region}.{dnsSuffix}` rule,
//! from the services' endpoint rule sets).
//!
//! The index is parsed on first use (a few hundred short lines); a service's model is inflated
//! and parsed the first time an operation of it is resolved, then shared for the rest of the
//! process. Both files are written by `scripts/gen-aws-models`; see docs/handlers.md for how to
//! refresh them.

use super::service::Service;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

static INDEX: &str = include_str!("../../../../models/aws-models.tsv");
static BLOB: &[u8] = include_bytes!("../../../../models/aws-models.bin");
static PARTITIONS: &str = include_str!("../../../../models/aws-partitions.tsv");
static HOSTS: &str = include_str!("../../../../models/aws-hosts.tsv");

/// The wire protocol a service speaks (botocore's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON 1.0 / 1.1: `POST /` with `X-Amz-Target`.
    Json,
    RestJson,
    RestXml,
    Query,
    Ec2,
    /// Smithy RPC v2 CBOR, for services that speak nothing else.
    Cbor,
}

impl Protocol {
    pub(crate) fn parse(s: &str) -> Option<Protocol> {
        Some(match s {
            "json" => Protocol::Json,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "smithy-rpc-v2-cbor" => Protocol::Cbor,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Cbor => "smithy-rpc-v2-cbor",
        }
    }
}

/// One service of the index.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The AWS SDK integration's name: `dynamodb` in `arn:aws:states:::aws-sdk:dynamodb:getItem`.
    pub sdk_name: &'static str,
    /// The prefix of the integration's error names: `DynamoDb` in `DynamoDb.ResourceNotFoundException`.
    pub error_prefix: &'static str,
    /// botocore's name of the model (`dynamodb`, `logs`, `stepfunctions`).
    pub model_name: &'static str,
    pub api_version: &'static str,
    pub protocol: Protocol,
    /// The first label of the service's regional host name.
    pub endpoint_prefix: &'static str,
    /// The SigV4 signing name.
    pub signing_name: &'static str,
    /// A global service's one host and signing region in the `aws` partition (IAM,
    /// Organizations, Route 53, CloudFront).
    pub global: Option<(&'static str, &'static str)>,
    offset: usize,
    length: usize,
}

fn parse_index() -> Vec<Entry> {
    let mut out = Vec::new();
    for line in INDEX.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&'static str> = line.split('\t').collect();
        let [
            sdk_name,
            error_prefix,
            model_name,
            api_version,
            protocol,
            endpoint_prefix,
            signing_name,
            global_host,
            global_region,
            offset,
            length,
        ] = f[..]
        else {
            continue;
        };
        let (Some(protocol), Ok(offset), Ok(length)) = (
            Protocol::parse(protocol),
            offset.parse::<usize>(),
            length.parse::<usize>(),
        ) else {
            continue;
        };
        let global =
            (global_host != "-" && global_region != "-").then_some((global_host, global_region));
        out.push(Entry {
            sdk_name,
            error_prefix,
            model_name,
            api_version,
            protocol,
            endpoint_prefix,
            signing_name,
            global,
            offset,
            length,
        });
    }
    out.sort_by(|a, b| a.sdk_name.cmp(b.sdk_name));
    out
}

/// Every service of the bundle, sorted by integration name.
pub fn entries() -> &'static [Entry] {
    static E: OnceLock<Vec<Entry>> = OnceLock::new();
    E.get_or_init(parse_index)
}

/// The service the AWS SDK integration calls `sdk_name`.
pub fn entry(sdk_name: &str) -> Option<&'static Entry> {
    let e = entries();
    e.binary_search_by(|x| x.sdk_name.cmp(sdk_name))
        .ok()
        .map(|i| &e[i])
}

/// Whether AWS's list of SDK integrations names `sdk_name` although its API is no longer
/// published (the service was retired, so the bundle has no model of it).
pub fn retired(sdk_name: &str) -> bool {
    INDEX
        .lines()
        .filter_map(|l| l.strip_prefix("# retired: "))
        .any(|names| names.split_whitespace().any(|n| n == sdk_name))
}

/// Why there is no model for an AWS SDK integration service, with a suggestion.
pub fn unknown_service(sdk_name: &str) -> String {
    if retired(sdk_name) {
        return format!(
            "`{sdk_name}` is on AWS's list of SDK integrations, but AWS no longer publishes its API (the service was retired), so asl has no model of it"
        );
    }
    let names: Vec<&str> = entries().iter().map(|e| e.sdk_name).collect();
    format!(
        "`{sdk_name}` is not a service of the AWS SDK integration{}",
        crate::definition::diagnostic::did_you_mean_in(sdk_name, &names)
    )
}

/// The model of the service the integration calls `sdk_name`, inflated once per process.
/// `None`: no such service. An `Err` is a damaged bundle (a build fault, not user input).
pub fn load(sdk_name: &str) -> Option<Result<Arc<Service>, String>> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<Service>>>> = OnceLock::new();
    let e = entry(sdk_name)?;
    let cache = CACHE.get_or_init(Default::default);
    if let Some(s) = cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(e.sdk_name)
    {
        return Some(Ok(s.clone()));
    }
    let inflated = inflate(e);
    Some(inflated.map(|s| {
        let s = Arc::new(s);
        cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(e.sdk_name, s.clone());
        s
    }))
}

/// A service's model inflated and read from the bundle, uncached (what [`load`] does the
/// first time; public for the benchmarks).
pub fn inflate(e: &Entry) -> Result<Service, String> {
    let bytes = BLOB
        .get(e.offset..e.offset + e.length)
        .ok_or_else(|| format!("the model of `{}` lies outside the bundle", e.sdk_name))?;
    let mut text = Vec::with_capacity(bytes.len() * 8);
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut text)
        .map_err(|err| format!("the model of `{}` cannot be inflated: {err}", e.sdk_name))?;
    Service::from_json(e, text)
        .map_err(|err| format!("the model of `{}` cannot be read: {err}", e.sdk_name))
}

/// The partition a region belongs to and its DNS suffix (`aws`, `amazonaws.com`; `aws-cn`,
/// `amazonaws.com.cn`, ...); the `aws` partition for a region no pattern matches.
fn partition(region: &str) -> (&'static str, &'static str) {
    static P: OnceLock<Vec<(&'static str, &'static str, regex::Regex)>> = OnceLock::new();
    let parts = P.get_or_init(|| {
        PARTITIONS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split('\t');
                let (name, suffix, re) = (f.next()?, f.next()?, f.next()?);
                Some((name, suffix, regex::Regex::new(re).ok()?))
            })
            .collect()
    });
    parts
        .iter()
        .find(|(_, _, re)| re.is_match(region))
        .map_or(("aws", "amazonaws.com"), |(n, s, _)| (n, s))
}

/// The DNS suffix of the partition a region belongs to (`amazonaws.com`,
/// `amazonaws.com.cn`, ...); the `aws` partition's for a region no pattern matches.
pub fn partition_suffix(region: &str) -> &'static str {
    partition(region).1
}

/// Where a service's rule set sends calls in `region` when that is not
/// `https://{endpoint_prefix}.{region}.{dnsSuffix}` (nor its global host): the base URL and
/// the signing region (`None`: the call's). `https://billing.us-east-1.api.aws` for Billing
/// anywhere in `aws`, `https://maps.geo.eu-west-1.amazonaws.com` for Amazon Location's maps.
pub fn rule_set_host(sdk_name: &str, region: &str) -> Option<(String, Option<&'static str>)> {
    type Row = (&'static str, &'static str, &'static str);
    // sdk_name -> (where, url, signing region), read once.
    static ROWS: OnceLock<HashMap<&'static str, Vec<Row>>> = OnceLock::new();
    let rows = ROWS.get_or_init(|| {
        let mut by_sdk: HashMap<&'static str, Vec<Row>> = HashMap::new();
        for l in HOSTS.lines().filter(|l| !l.starts_with('#')) {
            let mut f = l.split('\t');
            if let (Some(sdk), Some(at), Some(url), Some(signing)) =
                (f.next(), f.next(), f.next(), f.next())
            {
                by_sdk.entry(sdk).or_default().push((at, url, signing));
            }
        }
        by_sdk
    });
    let part = partition(region).0;
    // A row for the region itself wins over its partition's.
    let &(_, url, signing) = rows
        .get(sdk_name)?
        .iter()
        .filter(|(at, ..)| *at == region || *at == part)
        .min_by_key(|(at, ..)| *at != region)?;
    Some((
        url.replace("{region}", region),
        (signing != "-").then_some(signing),
    ))
}
