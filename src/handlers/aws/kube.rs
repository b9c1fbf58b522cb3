//! How `eks:call` and `eks:runJob` reach a cluster's Kubernetes API server (cargo feature
//! `aws`), as Step Functions does (AWS developer guide, "connect-eks", Permissions):
//!
//! * over HTTPS, trusting only the cluster's certificate authority: the state's
//!   `CertificateAuthority`, base64 of the PEM certificates (EKS's
//!   `DescribeCluster` `certificateAuthority.data`), never the system's roots;
//! * authenticated as the run's AWS identity with the bearer token EKS's authenticator
//!   accepts, made as `aws eks get-token` makes it: an STS `GetCallerIdentity` URL presigned
//!   with SigV4 for 60 seconds, its `x-k8s-aws-id` header (the cluster's name) among the
//!   signed headers, base64url without padding, after `k8s-aws-v1.`.

use aws_credential_types::Credentials;
use base64::Engine as _;
use std::time::{Duration, SystemTime};

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;
pub(super) type KubeClient =
    hyper_util::client::legacy::Client<Https, http_body_util::Full<bytes::Bytes>>;

/// The bearer token for `cluster`, signed with `creds` for STS in `region` at `now`.
pub(super) fn token(
    creds: &Credentials,
    region: &str,
    cluster: &str,
    now: SystemTime,
) -> Result<String, String> {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    let host = format!("sts.{region}.amazonaws.com");
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(60));
    let identity = creds.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| format!("the cluster's token cannot be signed: {e}"))?
        .into();
    let headers = [("host", host.as_str()), ("x-k8s-aws-id", cluster)];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| format!("the cluster's token cannot be signed: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("the cluster's token cannot be signed: {e}"))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .body(())
        .map_err(|e| format!("the cluster's token cannot be made: {e}"))?;
    instructions.apply_to_request_http1x(&mut request);
    let presigned = request.uri().to_string();
    Ok(format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(presigned)
    ))
}

/// An HTTPS client that trusts only the certificates of `certificate_authority` (base64 of
/// PEM text, as EKS gives it).
pub(super) fn client(certificate_authority: &str) -> Result<KubeClient, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let compact: String = certificate_authority
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let pem = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("`CertificateAuthority` is not base64: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert
            .map_err(|e| format!("`CertificateAuthority` does not hold PEM certificates: {e}"))?;
        roots.add(cert).map_err(|e| {
            format!("`CertificateAuthority` holds a certificate that cannot be trusted: {e}")
        })?;
    }
    if roots.is_empty() {
        return Err("`CertificateAuthority` holds no PEM certificate".into());
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("no TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(super::sdk::CONNECT_TIMEOUT));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_a_presigned_sts_url_naming_the_cluster_in_its_signed_headers() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = token(&creds, "eu-west-1", "my-cluster", at).unwrap();
        let encoded = t.strip_prefix("k8s-aws-v1.").unwrap();
        assert!(!encoded.contains('='), "no padding: {encoded}");
        let url = String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(encoded)
                .unwrap(),
        )
        .unwrap();
        assert!(
            url.starts_with(
                "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20231114T221320Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(part), "{part} missing from {url}");
        }
        // The same inputs sign the same; another cluster signs differently.
        assert_eq!(token(&creds, "eu-west-1", "my-cluster", at).unwrap(), t);
        assert_ne!(token(&creds, "eu-west-1", "other", at).unwrap(), t);
    }

    #[test]
    fn a_certificate_authority_that_is_not_base64_pem_is_named() {
        let e = client("not base64!").err().unwrap();
        assert!(e.contains("`CertificateAuthority` is not base64"), "{e}");
        let e = client("aGVsbG8=").err().unwrap();
        assert!(e.contains("holds no PEM certificate"), "{e}");
    }
}
