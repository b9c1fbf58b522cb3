//! S3 buckets as folders of a local directory: `s3://BUCKET/KEY` is `ROOT/BUCKET/KEY`.
//!
//! The folder may come from anyone (a pull request's files), so the store never leaves it and
//! never loops:
//!
//! - Reads and writes resolve symbolic links and refuse a path that ends outside the root
//!   (`/etc/passwd` through a link, a folder linked to `/`), as S3's `AccessDenied` with the
//!   reason: the object is there, but not for `asl`. A link to nothing is refused for writing
//!   (writing would create its target wherever it points).
//! - Only regular files are objects. A FIFO, socket or device is refused for reading (opening
//!   a FIFO blocks until someone writes to it; `/dev/zero` never ends) and left out of
//!   listings, as a folder is.
//! - A listing walks the real folders first, then follows links to folders inside the root
//!   that it has not walked yet, in the order of the links' keys, each folder once (by device
//!   and inode): a link to `.` adds no keys, two links to each other do not loop, a folder
//!   two links reach is listed under the first, and links out of the root are not followed.
//!   Each listed file's ETag is its MD5, computed as it is read in pieces.

use super::store::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
use md5::{Digest, Md5};
use std::collections::{BTreeMap, HashSet};
use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

/// Buckets under `root`; a bucket exists when its folder does.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// The root and the bucket's folder, both with every link resolved.
    fn bucket(&self, bucket: &str) -> Result<(PathBuf, PathBuf), StoreError> {
        let missing = || StoreError::NoSuchBucket(bucket.to_string());
        // A bucket name never holds `/` or `..`: refuse what would leave the root.
        if bucket.is_empty() || bucket.contains('/') || bucket == "." || bucket == ".." {
            return Err(missing());
        }
        let root = std::fs::canonicalize(&self.root).map_err(|_| missing())?;
        let dir = std::fs::canonicalize(root.join(bucket)).map_err(|_| missing())?;
        if !dir.starts_with(&root) {
            return Err(StoreError::access_denied(&format!(
                "the bucket folder `{bucket}` is a symbolic link out of --s3-root"
            )));
        }
        if !dir.is_dir() {
            return Err(missing());
        }
        Ok((root, dir))
    }

    /// Refuses keys that climb out of the bucket by name.
    fn check_key(bucket: &str, key: &str) -> Result<(), StoreError> {
        if key.is_empty() || key.split('/').any(|s| s == "..") || key.starts_with('/') {
            return Err(no_such_key(bucket, key));
        }
        Ok(())
    }

    /// The regular file holding `key`, with every link resolved, inside the root.
    fn readable(&self, bucket: &str, key: &str) -> Result<PathBuf, StoreError> {
        Self::check_key(bucket, key)?;
        let (root, dir) = self.bucket(bucket)?;
        let path = std::fs::canonicalize(dir.join(key)).map_err(|_| no_such_key(bucket, key))?;
        if !path.starts_with(&root) {
            return Err(out_of_root(bucket, key));
        }
        let meta = std::fs::metadata(&path).map_err(|_| no_such_key(bucket, key))?;
        if meta.is_dir() {
            return Err(no_such_key(bucket, key));
        }
        if !meta.is_file() {
            return Err(not_regular(bucket, key, &meta));
        }
        Ok(path)
    }

    /// Where to write `key`: its folders made (inside the root), the file itself a regular
    /// file, nothing yet, or a link to a regular file inside the root.
    fn writable(&self, bucket: &str, key: &str) -> Result<PathBuf, StoreError> {
        Self::check_key(bucket, key)?;
        let (root, dir) = self.bucket(bucket)?;
        let io = |e: std::io::Error| StoreError::Io(format!("cannot write `{bucket}/{key}`: {e}"));
        let mut parts: Vec<&str> = key.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        if name.is_empty() {
            return Err(StoreError::Io(format!(
                "cannot write `{bucket}/{key}`: a key ending in `/` is a folder under --s3-root"
            )));
        }
        let mut at = dir;
        for part in parts.into_iter().filter(|p| !p.is_empty() && *p != ".") {
            let next = at.join(part);
            match std::fs::create_dir(&next) {
                // A new folder in a resolved one is resolved too.
                Ok(()) => at = next,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let resolved =
                        std::fs::canonicalize(&next).map_err(|_| out_of_root(bucket, key))?;
                    if !resolved.starts_with(&root) {
                        return Err(out_of_root(bucket, key));
                    }
                    if !resolved.is_dir() {
                        return Err(StoreError::Io(format!(
                            "cannot write `{bucket}/{key}`: `{part}` is a file, not a folder"
                        )));
                    }
                    at = resolved;
                }
                Err(e) => return Err(io(e)),
            }
        }
        let file = at.join(name);
        let meta = match std::fs::symlink_metadata(&file) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(file),
            Err(e) => return Err(io(e)),
            Ok(m) => m,
        };
        let (file, meta) = if meta.file_type().is_symlink() {
            // A link to nothing would create its target wherever it points.
            let resolved = std::fs::canonicalize(&file).map_err(|_| out_of_root(bucket, key))?;
            if !resolved.starts_with(&root) {
                return Err(out_of_root(bucket, key));
            }
            let meta = std::fs::metadata(&resolved).map_err(io)?;
            (resolved, meta)
        } else {
            (file, meta)
        };
        if meta.is_dir() {
            return Err(StoreError::Io(format!(
                "cannot write `{bucket}/{key}`: it is a folder"
            )));
        }
        if !meta.is_file() {
            return Err(not_regular(bucket, key, &meta));
        }
        Ok(file)
    }
}

fn no_such_key(bucket: &str, key: &str) -> StoreError {
    StoreError::NoSuchKey {
        bucket: bucket.to_string(),
        key: key.to_string(),
    }
}

fn out_of_root(bucket: &str, key: &str) -> StoreError {
    StoreError::access_denied(&format!(
        "`{bucket}/{key}` leads out of --s3-root through a symbolic link"
    ))
}

fn not_regular(bucket: &str, key: &str, meta: &Metadata) -> StoreError {
    StoreError::access_denied(&format!(
        "`{bucket}/{key}` is {}, not a regular file",
        kind(meta)
    ))
}

/// What a file that is neither a regular file nor a folder is.
fn kind(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

/// Opens a regular file for reading, without blocking should it have become a FIFO since it
/// was looked at, and checks what was opened.
fn open_regular(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    let f = o.open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(f)
}

/// Creates or truncates a file whose path [`LocalStore::writable`] resolved, following no link
/// that might have appeared since.
fn create_regular(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    o.open(path)
}

/// A folder's identity, so that each is walked once however many links lead to it.
#[cfg(unix)]
type FolderId = (u64, u64);
#[cfg(not(unix))]
type FolderId = PathBuf;

#[cfg(unix)]
fn folder_id(meta: &Metadata, _resolved: &Path) -> FolderId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn folder_id(_meta: &Metadata, resolved: &Path) -> FolderId {
    resolved.to_path_buf()
}

/// The regular files under `dir` with their keys: real folders first, then folders reached
/// through links inside `root`, each folder once, links taken in the order of their keys. The
/// whole bucket is walked whatever the prefix, so that a prefix lists exactly the keys of the
/// full listing that start with it.
fn walk(root: &Path, dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let mut visited: HashSet<FolderId> = HashSet::new();
    if let Ok(m) = std::fs::metadata(dir) {
        visited.insert(folder_id(&m, dir));
    }
    // Folders to walk, with their keys' prefix: real ones now, linked ones later.
    let mut real: Vec<(PathBuf, String)> = vec![(dir.to_path_buf(), String::new())];
    let mut linked: BTreeMap<String, (PathBuf, FolderId)> = BTreeMap::new();
    loop {
        let (folder, base) = match real.pop() {
            Some(next) => next,
            None => match linked.pop_first() {
                Some((base, (folder, id))) => {
                    if !visited.insert(id) {
                        continue;
                    }
                    (folder, base)
                }
                None => break,
            },
        };
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for e in entries.flatten() {
            let key = format!("{base}{}", e.file_name().to_string_lossy());
            let Ok(t) = e.file_type() else {
                continue;
            };
            if t.is_dir() {
                if let Ok(m) = e.metadata()
                    && visited.insert(folder_id(&m, &e.path()))
                {
                    real.push((e.path(), format!("{key}/")));
                }
            } else if t.is_file() {
                files.push((key, e.path()));
            } else if t.is_symlink() {
                // Followed only to what is inside the root; a link to nothing is nothing.
                let Ok(target) = std::fs::canonicalize(e.path()) else {
                    continue;
                };
                let Ok(m) = std::fs::metadata(&target) else {
                    continue;
                };
                if !target.starts_with(root) {
                    continue;
                }
                if m.is_dir() {
                    let id = folder_id(&m, &target);
                    linked.insert(format!("{key}/"), (target, id));
                } else if m.is_file() {
                    files.push((key, target));
                }
            }
            // FIFOs, sockets and devices are not objects.
        }
    }
    files
}

/// A file's size and MD5 (S3's ETag for a single-part upload), read in pieces.
fn digest(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = open_regular(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        md5.update(&buf[..n]);
        size += n as u64;
    }
    let hex: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((size, hex))
}

impl ObjectStore for LocalStore {
    fn get(&self, bucket: &str, key: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let path = self.readable(bucket, key)?;
        match open_regular(&path) {
            Ok(f) => Ok(Box::new(std::io::BufReader::new(f))),
            Err(_) => Err(no_such_key(bucket, key)),
        }
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let (root, dir) = self.bucket(bucket)?;
        let mut files = walk(&root, &dir);
        files.retain(|(key, _)| key.starts_with(prefix));
        // S3 lists keys in the byte order of their UTF-8.
        files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut out = Vec::new();
        for (key, path) in files {
            let io = |e: std::io::Error| StoreError::Io(format!("cannot read `{key}`: {e}"));
            let meta = std::fs::metadata(&path).map_err(io)?;
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            let (size, hex) = digest(&path).map_err(io)?;
            out.push(ObjectInfo {
                key,
                size,
                etag: format!("\"{hex}\""),
                last_modified: modified,
                storage_class: "STANDARD".into(),
            });
        }
        Ok(out)
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), StoreError> {
        use std::io::Write;
        let path = self.writable(bucket, key)?;
        create_regular(&path)
            .and_then(|mut f| f.write_all(body))
            .map_err(|e| StoreError::Io(e.to_string()))
    }

    fn create(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let path = self.writable(bucket, key)?;
        let f = create_regular(&path).map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Box::new(FileWriter {
            out: std::io::BufWriter::new(f),
            size: 0,
        }))
    }
}

/// A local object being written.
struct FileWriter {
    out: std::io::BufWriter<File>,
    size: u64,
}

impl std::io::Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl ObjectWriter for FileWriter {
    fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        use std::io::Write;
        self.out
            .flush()
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("asl-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("b")).expect("dir");
        root
    }

    fn text(s: &LocalStore, key: &str) -> Result<String, StoreError> {
        let mut text = String::new();
        s.get("b", key)?.read_to_string(&mut text).expect("read");
        Ok(text)
    }

    fn keys(s: &LocalStore, prefix: &str) -> Vec<String> {
        s.list("b", prefix)
            .expect("list")
            .into_iter()
            .map(|o| o.key)
            .collect()
    }

    #[test]
    fn buckets_are_folders_and_keys_may_hold_slashes() {
        let root = fresh("plain");
        let s = LocalStore::new(&root);
        s.put("b", "a/b/c.json", b"[1]").expect("put");
        assert_eq!(text(&s, "a/b/c.json"), Ok("[1]".into()));
        let l = s.list("b", "a/").expect("list");
        assert_eq!(l[0].key, "a/b/c.json");
        assert_eq!(l[0].size, 3);
        // MD5 of `[1]`, as S3 gives it for one part.
        let md5: String = Md5::digest(b"[1]")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(l[0].etag, format!("\"{md5}\""));
        assert!(matches!(
            s.get("nope", "k"),
            Err(StoreError::NoSuchBucket(_))
        ));
        assert!(matches!(
            s.get("b", "missing"),
            Err(StoreError::NoSuchKey { .. })
        ));
        assert!(matches!(
            s.get("b", "../b/a/b/c.json"),
            Err(StoreError::NoSuchKey { .. })
        ));
        assert!(matches!(
            s.get("b", "a/b"),
            Err(StoreError::NoSuchKey { .. })
        ));
    }

    #[cfg(unix)]
    fn link(target: impl AsRef<Path>, at: impl AsRef<Path>) {
        std::os::unix::fs::symlink(target, at).expect("symlink");
    }

    /// Pins issue 21: a listing followed links to folders, so a link to `.` repeated every
    /// key under it and two links to each other never ended.
    #[cfg(unix)]
    #[test]
    fn listings_walk_each_folder_once_and_never_loop() {
        let root = fresh("loops");
        let s = LocalStore::new(&root);
        s.put("b", "x.json", b"1").expect("put");
        s.put("b", "p/y.json", b"2").expect("put");
        s.put("b", "q/z.json", b"3").expect("put");
        link(".", root.join("b/self"));
        link("../q", root.join("b/p/to-q"));
        link("../p", root.join("b/q/to-p"));
        // Another bucket's folder is inside the root: listed under the link's name, once.
        s.put("b", "keep", b"").expect("put");
        std::fs::create_dir_all(root.join("other/d")).expect("dir");
        std::fs::write(root.join("other/d/w.json"), "4").expect("write");
        link("../other/d", root.join("b/elsewhere"));
        link("../other/d", root.join("b/again"));
        assert_eq!(
            keys(&s, ""),
            ["again/w.json", "keep", "p/y.json", "q/z.json", "x.json"]
        );
        assert_eq!(keys(&s, "p/"), ["p/y.json"]);
        assert_eq!(keys(&s, "again/"), ["again/w.json"]);
        assert_eq!(keys(&s, "elsewhere/"), Vec::<String>::new());
    }

    /// Pins issue 21: links led reads, writes and listings out of the root (`/etc/passwd`,
    /// `/dev/zero`, which a listing read forever for its ETag).
    #[cfg(unix)]
    #[test]
    fn nothing_outside_the_root_is_read_listed_or_written_through_a_link() {
        let root = fresh("escape");
        let outside = root.with_extension("outside");
        let _ = std::fs::remove_dir_all(&outside);
        std::fs::create_dir_all(&outside).expect("dir");
        std::fs::write(outside.join("secret"), "s").expect("write");
        let s = LocalStore::new(&root);
        s.put("b", "in.json", b"1").expect("put");
        link("/dev/zero", root.join("b/zero"));
        link(outside.join("secret"), root.join("b/secret"));
        link(&outside, root.join("b/out"));
        link(outside.join("gone"), root.join("b/dangling"));
        assert_eq!(keys(&s, ""), ["in.json"]);
        let denied = |r: Result<String, StoreError>, key: &str| match r {
            Err(StoreError::Io(m)) => assert_eq!(
                m,
                format!(
                    "Access Denied: `b/{key}` leads out of --s3-root through a symbolic link (Service: S3, Status Code: 403, Error Code: AccessDenied)"
                )
            ),
            other => panic!("{key}: {other:?}"),
        };
        denied(text(&s, "zero"), "zero");
        denied(text(&s, "secret"), "secret");
        denied(text(&s, "out/secret"), "out/secret");
        for key in ["out/new", "secret", "dangling", "out/deeper/new"] {
            denied(s.put("b", key, b"x").map(|()| String::new()), key);
            assert!(s.create("b", key).is_err(), "{key}");
        }
        assert_eq!(
            std::fs::read_to_string(outside.join("secret")).ok(),
            Some("s".into())
        );
        assert!(!outside.join("new").exists() && !outside.join("gone").exists());
        assert!(!outside.join("deeper").exists());
        // A bucket folder linked out of the root is refused as a whole.
        link(&outside, root.join("linked"));
        assert!(
            matches!(s.list("linked", ""), Err(StoreError::Io(m)) if m.contains("AccessDenied"))
        );
        // Links that stay inside are followed for reading and writing.
        link("in.json", root.join("b/alias.json"));
        assert_eq!(text(&s, "alias.json"), Ok("1".into()));
        s.put("b", "alias.json", b"2")
            .expect("put through a link inside");
        assert_eq!(text(&s, "in.json"), Ok("2".into()));
    }

    /// Pins issue 21: a FIFO in a listing blocked its ETag read forever, and reading one as
    /// an object blocked in `open`.
    #[cfg(unix)]
    #[test]
    fn fifos_are_not_objects_and_never_block() {
        let root = fresh("fifo");
        let s = LocalStore::new(&root);
        s.put("b", "in.json", b"1").expect("put");
        let fifo =
            std::ffi::CString::new(root.join("b/pipe").to_string_lossy().as_bytes()).expect("path");
        // SAFETY: a NUL-terminated path and a mode.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let store = s.clone();
        std::thread::spawn(move || {
            let listed = keys(&store, "");
            let read = text(&store, "pipe");
            let written = store.put("b", "pipe", b"x");
            let _ = tx.send((listed, read, written));
        });
        let (listed, read, written) = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the FIFO did not block");
        assert_eq!(listed, ["in.json"]);
        let refusal = "Access Denied: `b/pipe` is a FIFO, not a regular file (Service: S3, Status Code: 403, Error Code: AccessDenied)";
        assert_eq!(read, Err(StoreError::Io(refusal.into())));
        assert_eq!(written, Err(StoreError::Io(refusal.into())));
    }
}
