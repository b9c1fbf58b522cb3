//! Request checksums, as the AWS SDKs add them by default ("when supported"): an operation
//! with `httpChecksum` (S3's `PutObject`, `DeleteObjects`, ...) gets the body's checksum in
//! `x-amz-checksum-<algorithm>` and the algorithm in `x-amz-sdk-checksum-algorithm`, CRC32
//! unless the parameters name another (SHA1, SHA256 and CRC32C are computed here); the older
//! `httpChecksumRequired` gets a `Content-MD5`. S3 then answers with `ChecksumCRC32` and
//! `ChecksumType`, as AWS's recorded results of `aws-sdk:s3:putObject` show.

use super::HttpRequest;
use crate::handlers::aws::model::Operation;
use serde_json::Value;

pub fn add(
    req: &mut HttpRequest,
    op: &Operation,
    input: &Value,
    member: Option<&str>,
    required: bool,
) {
    let has = |req: &HttpRequest, h: &str| req.headers.iter().any(|(k, _)| k == h);
    let Some(member) = member else {
        if required && !has(req, "content-md5") {
            use md5::Digest;
            let digest = md5::Md5::digest(&req.body);
            req.headers
                .push(("content-md5".into(), super::b64(&digest)));
        }
        return;
    };
    let given = input.get(member).and_then(Value::as_str);
    let algorithm = given.unwrap_or("CRC32").to_ascii_uppercase();
    let header = format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase());
    // A checksum the parameters already give is sent as it is.
    if has(req, &header) {
        return;
    }
    let digest: Option<Vec<u8>> = match algorithm.as_str() {
        "CRC32" => {
            let mut c = flate2::Crc::new();
            c.update(&req.body);
            Some(c.sum().to_be_bytes().to_vec())
        }
        "CRC32C" => Some(crc32c(&req.body).to_be_bytes().to_vec()),
        "SHA1" => {
            use sha1::Digest;
            Some(sha1::Sha1::digest(&req.body).to_vec())
        }
        "SHA256" => {
            use sha2::Digest;
            Some(sha2::Sha256::digest(&req.body).to_vec())
        }
        _ => None,
    };
    let Some(digest) = digest else {
        return;
    };
    // The algorithm member travels in its own header (`x-amz-sdk-checksum-algorithm`).
    let algorithm_header = op
        .input()
        .and_then(|s| s.member_named(member))
        .and_then(|m| m.location_name().map(str::to_ascii_lowercase));
    if let Some(h) = algorithm_header
        && !has(req, &h)
    {
        req.headers.push((h, algorithm.clone()));
    }
    req.headers.push((header, super::b64(&digest)));
}

/// CRC-32C (Castagnoli), bit by bit: request bodies here are small.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
