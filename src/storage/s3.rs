//! Real S3 behind [`ObjectStore`] (cargo feature `aws`): GetObject streamed, ListObjectsV2 to
//! the last page, PutObject, and multipart uploads for results written piece by piece.
//!
//! The store's methods are synchronous (the engine reads items from a `Read` as the Map
//! consumes them), while the SDK is async. The store therefore owns a small runtime of its
//! own, driven by a thread of its own, and each call is spawned there while the caller's
//! thread waits for the answer. Its
//! clients are made on that runtime (configuration loaded there too), so no connection of it
//! ever depends on the caller's runtime, which is blocked while it waits. An object is read
//! chunk by chunk as the reader asks, never held whole.
//!
//! S3's answers keep AWS's shapes: a missing bucket or key is [`StoreError::NoSuchBucket`] /
//! [`StoreError::NoSuchKey`] (the cause the Map gives is the same as with `--s3-root`), any
//! other service error `MESSAGE (Service: S3, Status Code: N, Error Code: CODE)`. Not
//! reaching S3 at all (no credentials, no network) is [`StoreError::Unreachable`], which ends
//! the run like an unreachable Lambda or ECS.

use super::store::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use std::future::Future;
use std::io::Read;

/// Where the S3 client points (the same settings as the other AWS clients).
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// An S3-compatible endpoint (an emulator): addressed path-style, `ENDPOINT/BUCKET/KEY`.
    pub endpoint_url: Option<String>,
}

/// The AWS SDK configuration of a run: the default chain, with the profile, region and
/// endpoint given. Every client `asl` makes (S3 here, Lambda, ECS and Step Functions in
/// `handlers::aws`) starts from it.
pub async fn sdk_config(
    profile: Option<&str>,
    region: Option<&str>,
    endpoint_url: Option<&str>,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    if let Some(u) = endpoint_url {
        loader = loader.endpoint_url(u);
    }
    loader.load().await
}

/// One PutObject: a whole object in a single request.
async fn put_object(
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    body: Vec<u8>,
) -> Result<(), StoreError> {
    client
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| store_error(&e, &bucket, &key))
}

/// Parts of a multipart upload are this big (S3 wants at least 5 MiB but for the last).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Buckets and objects on S3.
pub struct S3Store {
    /// The store's runtime, driven by its own thread until `stop` is dropped.
    handle: tokio::runtime::Handle,
    _stop: tokio::sync::oneshot::Sender<()>,
    client: aws_sdk_s3::Client,
}

impl S3Store {
    /// Starts the store's runtime and loads the SDK configuration on it. Fails only when no
    /// thread can be started.
    pub fn connect(s: &S3Settings) -> Result<S3Store, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Io(format!("cannot start the S3 client: {e}")))?;
        let handle = rt.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("asl-s3".into())
            .spawn(move || {
                // Runs the spawned calls until the store is dropped.
                let _ = rt.block_on(stopped);
            })
            .map_err(|e| StoreError::Io(format!("cannot start the S3 client: {e}")))?;
        let s = s.clone();
        let client = call_on(&handle, async move {
            let conf = sdk_config(
                s.profile.as_deref(),
                s.region.as_deref(),
                s.endpoint_url.as_deref(),
            )
            .await;
            let conf = aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(s.endpoint_url.is_some())
                .build();
            aws_sdk_s3::Client::from_conf(conf)
        })
        .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(S3Store {
            handle,
            _stop: stop,
            client,
        })
    }

    fn run<T: Send + 'static>(
        &self,
        f: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        call_on(&self.handle, f).map_err(|e| StoreError::Io(e.to_string()))
    }
}

/// An SDK error as AWS states it: missing buckets and keys by name, other service errors in
/// the `(Service: S3, Status Code: N, Error Code: CODE)` form, anything else as the SDK says.
fn store_error<E>(e: &SdkError<E, HttpResponse>, bucket: &str, key: &str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let SdkError::ServiceError(se) = e else {
        return StoreError::Unreachable(DisplayErrorContext(e).to_string());
    };
    let status = se.raw().status().as_u16();
    match se.err().code() {
        Some("NoSuchBucket") => StoreError::NoSuchBucket(bucket.to_string()),
        Some("NoSuchKey") => StoreError::NoSuchKey {
            bucket: bucket.to_string(),
            key: key.to_string(),
        },
        // A HEAD-like 404 without a body names nothing; S3 means the key.
        None if status == 404 => StoreError::NoSuchKey {
            bucket: bucket.to_string(),
            key: key.to_string(),
        },
        code => StoreError::Io(format!(
            "{} (Service: S3, Status Code: {status}, Error Code: {})",
            se.err().message().unwrap_or("S3 refused the request"),
            code.unwrap_or("Unknown")
        )),
    }
}

impl ObjectStore for S3Store {
    fn get(&self, bucket: &str, key: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let client = self.client.clone();
        let (b, k) = (bucket.to_string(), key.to_string());
        let body = self.run(async move {
            client
                .get_object()
                .bucket(&b)
                .key(&k)
                .send()
                .await
                .map(|o| o.body)
                .map_err(|e| store_error(&e, &b, &k))
        })??;
        Ok(Box::new(Body {
            handle: self.handle.clone(),
            stream: Some(body),
            chunk: Vec::new(),
            at: 0,
        }))
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let client = self.client.clone();
        let (b, p) = (bucket.to_string(), prefix.to_string());
        self.run(async move {
            let mut out = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let page = client
                    .list_objects_v2()
                    .bucket(&b)
                    .prefix(&p)
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| store_error(&e, &b, ""))?;
                for o in page.contents() {
                    out.push(ObjectInfo {
                        key: o.key().unwrap_or_default().to_string(),
                        size: o.size().map_or(0, |s| s.max(0) as u64),
                        etag: o.e_tag().unwrap_or_default().to_string(),
                        last_modified: o.last_modified().map_or(0, |t| t.secs()),
                        storage_class: o
                            .storage_class()
                            .map_or("STANDARD", |c| c.as_str())
                            .to_string(),
                    });
                }
                match page.next_continuation_token() {
                    Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                    _ => break,
                }
            }
            Ok(out)
        })?
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        let (b, k) = (bucket.to_string(), key.to_string());
        self.run(put_object(self.client.clone(), b, k, body.to_vec()))?
    }

    fn create(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        Ok(Box::new(Upload {
            handle: self.handle.clone(),
            client: self.client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            buf: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
            size: 0,
            finished: false,
        }))
    }
}

/// Runs `f` on the store's runtime and waits for it on this thread (which may belong to
/// another runtime, blocked meanwhile: nothing of the store depends on it).
fn call_on<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    f: impl Future<Output = T> + Send + 'static,
) -> std::io::Result<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv()
        .map_err(|_| std::io::Error::other("the S3 client stopped before answering"))
}

/// An object's body, fetched one chunk at a time as it is read.
struct Body {
    handle: tokio::runtime::Handle,
    stream: Option<ByteStream>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.chunk.len() {
            let Some(mut stream) = self.stream.take() else {
                return Ok(0);
            };
            let (stream, next) = call_on(&self.handle, async move {
                let next = stream.try_next().await;
                (stream, next)
            })?;
            match next.map_err(std::io::Error::other)? {
                Some(bytes) => {
                    self.chunk = bytes.to_vec();
                    self.at = 0;
                    self.stream = Some(stream);
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// An object written piece by piece: one PutObject when it stays under [`PART_SIZE`],
/// otherwise a multipart upload (aborted if it is never finished).
struct Upload {
    handle: tokio::runtime::Handle,
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    buf: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<aws_sdk_s3::types::CompletedPart>,
    size: u64,
    finished: bool,
}

impl Upload {
    fn run<T: Send + 'static>(
        &self,
        f: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        call_on(&self.handle, f).map_err(|e| StoreError::Io(e.to_string()))
    }

    /// Uploads the buffer as the next part, starting the multipart upload first if needed.
    fn send_part(&mut self) -> Result<(), StoreError> {
        let (client, b, k) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        if self.upload_id.is_none() {
            let (client, b, k) = (client.clone(), b.clone(), k.clone());
            let id = self.run(async move {
                client
                    .create_multipart_upload()
                    .bucket(&b)
                    .key(&k)
                    .send()
                    .await
                    .map_err(|e| store_error(&e, &b, &k))
                    .map(|o| o.upload_id().unwrap_or_default().to_string())
            })??;
            self.upload_id = Some(id);
        }
        let id = self.upload_id.clone().unwrap_or_default();
        let number = self.parts.len() as i32 + 1;
        let body = std::mem::take(&mut self.buf);
        let etag = self.run(async move {
            client
                .upload_part()
                .bucket(&b)
                .key(&k)
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| store_error(&e, &b, &k))
                .map(|o| o.e_tag().map(str::to_string))
        })??;
        self.parts.push(
            aws_sdk_s3::types::CompletedPart::builder()
                .set_e_tag(etag)
                .part_number(number)
                .build(),
        );
        Ok(())
    }
}

impl std::io::Write for Upload {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.size += data.len() as u64;
        if self.buf.len() >= PART_SIZE {
            self.send_part()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for Upload {
    fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        let (client, b, k) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        if self.upload_id.is_none() {
            let body = std::mem::take(&mut self.buf);
            self.run(put_object(client, b, k, body))??;
            return Ok(self.size);
        }
        if !self.buf.is_empty() {
            self.send_part()?;
        }
        let id = self.upload_id.clone().unwrap_or_default();
        let parts = aws_sdk_s3::types::CompletedMultipartUpload::builder()
            .set_parts(Some(std::mem::take(&mut self.parts)))
            .build();
        self.run(async move {
            client
                .complete_multipart_upload()
                .bucket(&b)
                .key(&k)
                .upload_id(id)
                .multipart_upload(parts)
                .send()
                .await
                .map_err(|e| store_error(&e, &b, &k))
        })??;
        self.finished = true;
        Ok(self.size)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // An upload never finished (the Map failed while writing) leaves no parts behind.
        if let (false, Some(id)) = (self.finished, self.upload_id.take()) {
            let (client, b, k) = (self.client.clone(), self.bucket.clone(), self.key.clone());
            let _ = call_on(&self.handle, async move {
                let _ = client
                    .abort_multipart_upload()
                    .bucket(b)
                    .key(k)
                    .upload_id(id)
                    .send()
                    .await;
            });
        }
    }
}
