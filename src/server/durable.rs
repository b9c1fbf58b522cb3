//! Where the server's state outlives the process: [`Durable`], written through by every
//! operation that changes a state machine, version, alias, activity, tag set or finished
//! execution, and read once at start. [`Nowhere`] keeps nothing (memory only, as Step
//! Functions Local); [`Database`] is `asl serve --state-dir DIR`: one SQLite file,
//! `DIR/asl-serve.sqlite`.
//!
//! Each record is a JSON document under a kind and a key (an ARN), in one table; a record's
//! place in its kind's order is where it was first written, so machines and activities list
//! in creation order after a restart too.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a record is; the kinds of the one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Machine,
    Version,
    /// A machine's last version number, the revision it froze and its ARN.
    Latest,
    Alias,
    Activity,
    Tags,
    /// An execution: its description and history; written RUNNING at its first event (so a
    /// killed server finds it at the next start) and again, whole, when it finishes.
    Execution,
    /// A map run's child execution, written once when it finishes (its ARN, machine, run and
    /// history); deleted when `--max-finished` forgets it.
    Child,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Machine => "machine",
            Kind::Version => "version",
            Kind::Latest => "latest",
            Kind::Alias => "alias",
            Kind::Activity => "activity",
            Kind::Tags => "tags",
            Kind::Execution => "execution",
            Kind::Child => "child",
        }
    }
}

/// The file's name inside `--state-dir`.
pub const FILE: &str = "asl-serve.sqlite";

/// Why the state directory cannot be used (`asl serve` exits 2).
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    #[error("cannot create the state directory `{path}`: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot use the database `{path}`: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the database `{path}` holds a {kind} record `{key}` that is not JSON: {source}")]
    Record {
        path: PathBuf,
        kind: &'static str,
        key: String,
        source: serde_json::Error,
    },
}

/// State kept across restarts. Writes never fail the API call that made them: the memory is
/// right either way, and a failed write is said on stderr.
pub trait Durable: Send + Sync {
    /// Whether anything is kept: callers skip building records nobody keeps (a finished
    /// execution's whole history).
    fn keeps(&self) -> bool {
        true
    }
    /// Writes (or replaces) the record `key` of `kind`.
    fn put(&self, kind: Kind, key: &str, body: &Value);
    /// Forgets the record, if there is one.
    fn delete(&self, kind: Kind, key: &str);
    /// Every record of `kind`, in the order each was first written.
    fn load(&self, kind: Kind) -> Result<Vec<(String, Value)>, DurableError>;
}

/// Keeps nothing: without `--state-dir`, a restart forgets everything.
pub struct Nowhere;

impl Durable for Nowhere {
    fn keeps(&self) -> bool {
        false
    }
    fn put(&self, _: Kind, _: &str, _: &Value) {}
    fn delete(&self, _: Kind, _: &str) {}
    fn load(&self, _: Kind) -> Result<Vec<(String, Value)>, DurableError> {
        Ok(Vec::new())
    }
}

/// One SQLite file in the state directory.
pub struct Database {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Database {
    /// Opens (creating when needed) `DIR/asl-serve.sqlite` and checks that it is a database
    /// of ours: a file that is not SQLite, or is damaged, is refused here, before the server
    /// listens.
    pub fn open(dir: &Path) -> Result<Database, DurableError> {
        std::fs::create_dir_all(dir).map_err(|source| DurableError::Directory {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(FILE);
        let sqlite = |source| DurableError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(sqlite)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS records (
                 id   INTEGER PRIMARY KEY AUTOINCREMENT,
                 kind TEXT NOT NULL,
                 key  TEXT NOT NULL,
                 body TEXT NOT NULL,
                 UNIQUE (kind, key)
             );",
        )
        .map_err(sqlite)?;
        // A damaged file can open and still fail on its pages: read them all once.
        let check: Option<String> = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .optional()
            .map_err(sqlite)?;
        if let Some(answer) = check
            && answer != "ok"
        {
            return Err(sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(answer),
            )));
        }
        Ok(Database {
            path,
            conn: Mutex::new(conn),
        })
    }

    fn said(&self, what: &str, e: rusqlite::Error) {
        say!(
            "asl serve: cannot {what} in the database `{}`: {e}",
            self.path.display()
        );
    }
}

impl Durable for Database {
    fn put(&self, kind: Kind, key: &str, body: &Value) {
        let conn = super::store::lock(&self.conn);
        let done = conn.execute(
            "INSERT INTO records (kind, key, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body",
            params![kind.as_str(), key, body.to_string()],
        );
        if let Err(e) = done {
            self.said(&format!("write the {} `{key}`", kind.as_str()), e);
        }
    }

    fn delete(&self, kind: Kind, key: &str) {
        let conn = super::store::lock(&self.conn);
        let done = conn.execute(
            "DELETE FROM records WHERE kind = ?1 AND key = ?2",
            params![kind.as_str(), key],
        );
        if let Err(e) = done {
            self.said(&format!("delete the {} `{key}`", kind.as_str()), e);
        }
    }

    fn load(&self, kind: Kind) -> Result<Vec<(String, Value)>, DurableError> {
        let sqlite = |source| DurableError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let conn = super::store::lock(&self.conn);
        let mut stmt = conn
            .prepare("SELECT key, body FROM records WHERE kind = ?1 ORDER BY id")
            .map_err(sqlite)?;
        let rows = stmt
            .query_map(params![kind.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            let (key, body) = row.map_err(sqlite)?;
            let value = serde_json::from_str(&body).map_err(|source| DurableError::Record {
                path: self.path.clone(),
                kind: kind.as_str(),
                key: key.clone(),
                source,
            })?;
            out.push((key, value));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_come_back_in_first_written_order_after_reopening() {
        let dir = std::env::temp_dir().join(format!("asl-durable-{}", uuid::Uuid::new_v4()));
        {
            let db = Database::open(&dir).expect("a fresh directory opens");
            db.put(Kind::Machine, "b", &json!({"n": 1}));
            db.put(Kind::Machine, "a", &json!({"n": 2}));
            db.put(Kind::Machine, "b", &json!({"n": 3}));
            db.put(Kind::Activity, "x", &json!({}));
            db.put(Kind::Machine, "gone", &json!({}));
            db.delete(Kind::Machine, "gone");
        }
        let db = Database::open(&dir).expect("the same directory opens again");
        let got = db.load(Kind::Machine).expect("the records load");
        assert_eq!(
            got,
            vec![("b".into(), json!({"n": 3})), ("a".into(), json!({"n": 2}))]
        );
        assert_eq!(db.load(Kind::Activity).expect("loads").len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused() {
        let dir = std::env::temp_dir().join(format!("asl-durable-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join(FILE), vec![b'x'; 8192]).expect("write");
        let err = Database::open(&dir)
            .err()
            .expect("a corrupt file is refused");
        assert!(err.to_string().contains("cannot use the database"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
