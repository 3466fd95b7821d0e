//! The embedded state store: one SQLite file (bundled, so nothing to install), owner-only,
//! in write-ahead-log mode so a crash loses at most the write in flight. The file carries
//! our application id and a schema version; a foreign, damaged or newer file is refused
//! with a message, never overwritten.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

use super::Clock;
use super::backend::{Answer, Backend, Collection, StoreError};

/// `PRAGMA application_id` of our files ("tgpt"), so a file of another program is refused.
const APPLICATION_ID: i32 = 0x7467_7074;
/// The schema version this build writes; older files are migrated, newer ones refused.
const SCHEMA_VERSION: i32 = 1;
/// The migrations, in order: entry `n` takes a file from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &["CREATE TABLE records (
        collection TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (collection, key)
    ) WITHOUT ROWID;
    CREATE INDEX records_by_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;"];
/// Writes between two sweeps of expired records, so the file does not grow with time.
const SWEEP_EVERY: u64 = 256;
/// How long a write waits for another connection's lock before the store counts as busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(3);

/// The SQLite backend. One connection behind a mutex: the calls are microseconds, and they
/// run on tokio's blocking threads, never on a request's.
#[derive(Debug, Clone)]
pub struct Sqlite {
    connection: Arc<Mutex<Connection>>,
    path: PathBuf,
    clock: Clock,
    writes: Arc<AtomicU64>,
}

impl Sqlite {
    /// Opens (or creates, owner-only) the store file at `path`, migrating an older schema.
    pub fn open(path: &Path, clock: Clock) -> Result<Self> {
        create_private(path)?;
        let connection = Connection::open(path)
            .with_context(|| format!("cannot open the state store {}", path.display()))?;
        let refuse = |why: String| {
            anyhow::anyhow!(
                "the state store {} {why}; move it away (tidsreg-gpt then starts a new one, and people sign in again) or pass --store with another file",
                path.display()
            )
        };
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .context("cannot set the state store's busy time-out")?;
        let version: i32 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| refuse(format!("is not a database ({e})")))?;
        let application: i32 = connection
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(|e| refuse(format!("cannot be read ({e})")))?;
        if version > 0 && application != APPLICATION_ID {
            return Err(refuse("belongs to another program".into()));
        }
        if version == 0 && has_tables(&connection)? {
            return Err(refuse("belongs to another program".into()));
        }
        if version > SCHEMA_VERSION {
            return Err(refuse(format!(
                "was written by a newer tidsreg-gpt (schema {version}, this one knows {SCHEMA_VERSION}); upgrade tidsreg-gpt"
            )));
        }
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "NORMAL"))
            .map_err(|e| refuse(format!("cannot be set up ({e})")))?;
        migrate(&connection, version).map_err(|e| refuse(format!("cannot be migrated ({e:#})")))?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path: path.to_path_buf(),
            clock,
            writes: Arc::default(),
        })
    }

    /// A store that lives in memory only (tests, the benchmark): the same SQL, no file.
    pub fn in_memory(clock: Clock) -> Result<Self> {
        let connection = Connection::open_in_memory().context("cannot open SQLite in memory")?;
        migrate(&connection, 0).context("cannot create the in-memory store")?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path: PathBuf::from(":memory:"),
            clock,
            writes: Arc::default(),
        })
    }

    /// Runs `call` on a blocking thread with the connection and the time now (unix ms).
    fn with<'a, T: Send + 'static>(
        &'a self,
        call: impl FnOnce(&Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> Answer<'a, T> {
        let connection = self.connection.clone();
        let now = i64::try_from(self.clock.unix_ms()).unwrap_or(i64::MAX);
        Box::pin(async move {
            let joined = tokio::task::spawn_blocking(move || {
                let connection = connection.lock().unwrap_or_else(|p| p.into_inner());
                call(&connection, now)
            })
            .await;
            match joined {
                Ok(result) => result.map_err(|e| StoreError::Unavailable(e.to_string())),
                Err(e) => Err(StoreError::Unavailable(format!(
                    "the store task failed: {e}"
                ))),
            }
        })
    }

    /// Expiry time for `ttl` from `now` (unix ms).
    fn expiry(now: i64, ttl: Option<Duration>) -> Option<i64> {
        ttl.map(|ttl| now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)))
    }

    /// Every [`SWEEP_EVERY`] writes, the expired records go.
    fn sweep_due(&self) -> bool {
        self.writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
    }
}

impl Backend for Sqlite {
    fn get<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, Option<Vec<u8>>> {
        let key = key.to_owned();
        self.with(move |db, now| {
            db.query_row(
                "SELECT CAST(value AS BLOB) FROM records WHERE collection = ?1 AND key = ?2
                 AND (expires_at IS NULL OR expires_at > ?3)",
                params![collection.name(), key, now],
                |row| row.get(0),
            )
            .optional()
        })
    }

    fn put<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Answer<'a, ()> {
        let key = key.to_owned();
        let sweep = self.sweep_due();
        self.with(move |db, now| {
            if sweep {
                db.execute("DELETE FROM records WHERE expires_at <= ?1", params![now])?;
            }
            db.execute(
                "INSERT OR REPLACE INTO records (collection, key, value, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![collection.name(), key, value, Self::expiry(now, ttl)],
            )?;
            Ok(())
        })
    }

    fn put_new<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Answer<'a, bool> {
        let key = key.to_owned();
        self.with(move |db, now| {
            drop_expired(db, collection, &key, now)?;
            let added = db.execute(
                "INSERT OR IGNORE INTO records (collection, key, value, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![collection.name(), key, value, Self::expiry(now, ttl)],
            )?;
            Ok(added == 1)
        })
    }

    fn take<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, Option<Vec<u8>>> {
        let key = key.to_owned();
        self.with(move |db, now| {
            db.query_row(
                "DELETE FROM records WHERE collection = ?1 AND key = ?2
                 AND (expires_at IS NULL OR expires_at > ?3) RETURNING CAST(value AS BLOB)",
                params![collection.name(), key, now],
                |row| row.get(0),
            )
            .optional()
        })
    }

    fn delete<'a>(&'a self, collection: Collection, key: &'a str) -> Answer<'a, ()> {
        let key = key.to_owned();
        self.with(move |db, _| {
            db.execute(
                "DELETE FROM records WHERE collection = ?1 AND key = ?2",
                params![collection.name(), key],
            )?;
            Ok(())
        })
    }

    fn count<'a>(
        &'a self,
        collection: Collection,
        key: &'a str,
        window: Duration,
    ) -> Answer<'a, u64> {
        let key = key.to_owned();
        self.with(move |db, now| {
            drop_expired(db, collection, &key, now)?;
            let count: i64 = db.query_row(
                "INSERT INTO records (collection, key, value, expires_at) VALUES (?1, ?2, '1', ?3)
                 ON CONFLICT (collection, key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                 RETURNING CAST(value AS INTEGER)",
                params![collection.name(), key, Self::expiry(now, Some(window))],
                |row| row.get(0),
            )?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    fn ping(&self) -> Answer<'_, ()> {
        self.with(|db, _| db.query_row("SELECT 1", [], |_| Ok(())))
    }

    fn describe(&self) -> String {
        format!("embedded {}", self.path.display())
    }
}

/// Removes the record under `key` if it has expired, so an insertion sees the key free.
fn drop_expired(
    db: &Connection,
    collection: Collection,
    key: &str,
    now: i64,
) -> rusqlite::Result<()> {
    db.execute(
        "DELETE FROM records WHERE collection = ?1 AND key = ?2 AND expires_at <= ?3",
        params![collection.name(), key, now],
    )?;
    Ok(())
}

/// Whether a version-0 file already holds tables (then it is not ours to migrate).
fn has_tables(connection: &Connection) -> Result<bool> {
    let count: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .context("cannot read the state store's tables")?;
    Ok(count > 0)
}

/// Takes the file from `version` to [`SCHEMA_VERSION`], each step in one transaction.
fn migrate(connection: &Connection, version: i32) -> Result<()> {
    for (step, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version)?)
    {
        let next = i32::try_from(step)? + 1;
        connection.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {next}; COMMIT;"
        ))?;
    }
    Ok(())
}

/// Creates the file's directory (0700) and the file itself (0600) before SQLite opens it,
/// so the state is never readable by others, not even for a moment; SQLite gives its
/// journal files the database file's mode.
fn create_private(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} private", dir.display()))?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot create the state store {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "the state store {} can be read by others (mode {mode:o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StateStore;

    fn store(dir: &Path, clock: &Clock) -> StateStore {
        StateStore::new(Sqlite::open(&dir.join("state.db"), clock.clone()).unwrap())
    }

    #[tokio::test]
    async fn records_live_their_lifetime_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::system();
        let db = store(dir.path(), &clock);
        crate::store::backend::conformance::records_behave(&db).await;
        clock.advance(Duration::from_secs(3601));
        assert_eq!(
            db.get::<u32>(Collection::Codes, "c").await.unwrap(),
            None,
            "expired"
        );
        assert_eq!(
            db.count(Collection::Counters, "n", Duration::from_secs(60))
                .await
                .unwrap(),
            1
        );
        drop(db);
        let again = store(dir.path(), &clock);
        let kept: Option<String> = again.get(Collection::Grants, "g").await.unwrap();
        assert_eq!(kept.as_deref(), Some("kept"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("state.db"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_foreign_or_newer_file_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        std::fs::write(&path, "not a database, but someone's notes").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = Sqlite::open(&path, Clock::system())
            .unwrap_err()
            .to_string();
        assert!(err.contains("move it away"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "not a database, but someone's notes"
        );
        let newer = dir.path().join("newer.db");
        Sqlite::open(&newer, Clock::system()).unwrap();
        let db = Connection::open(&newer).unwrap();
        db.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(db);
        let err = Sqlite::open(&newer, Clock::system())
            .unwrap_err()
            .to_string();
        assert!(err.contains("newer tidsreg-gpt"), "{err}");
    }
}
