//! Task results and cached results, kept apart from the rows that name them, and removed by
//! [`Store::sweep_expired`] once expired. Beside a SQLite database they are files under the data
//! directory (`results/`), never rows: a large result does not bloat the metadata database; a
//! file is written under a temporary name and renamed, so a reader never sees half of one. On
//! PostgreSQL, which several servers share, they are rows of `result_chunks`, a mebibyte each,
//! written in one transaction: any server can read what another wrote.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::{random_hex, Store, StoreError};

/// Where a store keeps results.
#[derive(Debug, Clone)]
pub(crate) enum Results {
    Files(Arc<ResultFiles>),
    /// In `result_chunks` (PostgreSQL).
    Chunks(PgPool),
}

/// The size of one row of `result_chunks`.
const CHUNK: usize = 1 << 20;

/// Only names this module made are used: `{kind}-{id}`, hex and a dash.
fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(StoreError::Results(format!("`{name}` is not a result file name")));
    }
    Ok(())
}

impl Store {
    /// Stores a result (replacing one of the same name whole); the name to read it by.
    pub(crate) async fn write_result(&self, kind: &str, id: &str, bytes: &[u8]) -> Result<String, StoreError> {
        let pool = match &self.results {
            Results::Files(files) => return files.write(kind, id, bytes).await,
            Results::Chunks(pool) => pool,
        };
        let name = format!("{kind}-{id}");
        check_name(&name)?;
        // Chunks are upserted, then any left from a longer result before deleted: two servers
        // storing one cache entry at once wait for each other instead of colliding.
        let mut tx = pool.begin().await?;
        // An empty result is one empty chunk, so that it reads back as present.
        let chunks: Vec<&[u8]> = if bytes.is_empty() { vec![bytes] } else { bytes.chunks(CHUNK).collect() };
        let count = i64::try_from(chunks.len()).unwrap_or(i64::MAX);
        for (seq, chunk) in (0..count).zip(chunks) {
            sqlx::query("INSERT INTO result_chunks (name, seq, bytes) VALUES ($1, $2, $3) ON CONFLICT (name, seq) DO UPDATE SET bytes = excluded.bytes")
                .bind(&name)
                .bind(seq)
                .bind(chunk)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM result_chunks WHERE name = $1 AND seq >= $2").bind(&name).bind(count).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(name)
    }

    /// Stores a result from memory or from its file (a hard link when the file is on the
    /// results disk, else a copy; chunk by chunk into PostgreSQL); the name to read it by.
    pub(crate) async fn write_payload(&self, kind: &str, id: &str, payload: &crate::Payload) -> Result<String, StoreError> {
        let path = match payload {
            crate::Payload::Bytes(bytes) => return self.write_result(kind, id, bytes).await,
            crate::Payload::File(_) => payload.file().map(Path::to_path_buf).unwrap_or_default(),
        };
        let pool = match &self.results {
            Results::Files(files) => return files.write_from(kind, id, &path).await,
            Results::Chunks(pool) => pool,
        };
        use tokio::io::AsyncReadExt;
        let name = format!("{kind}-{id}");
        check_name(&name)?;
        let failed = |e: std::io::Error| StoreError::Results(format!("cannot read {}: {e}", path.display()));
        let mut file = tokio::fs::File::open(&path).await.map_err(failed)?;
        let mut tx = pool.begin().await?;
        let mut seq: i64 = 0;
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            let read = (&mut file).take(CHUNK as u64).read_to_end(&mut chunk).await.map_err(failed)?;
            if read == 0 && seq > 0 {
                break;
            }
            sqlx::query("INSERT INTO result_chunks (name, seq, bytes) VALUES ($1, $2, $3) ON CONFLICT (name, seq) DO UPDATE SET bytes = excluded.bytes")
                .bind(&name)
                .bind(seq)
                .bind(&chunk)
                .execute(&mut *tx)
                .await?;
            seq += 1;
            if read < CHUNK {
                break;
            }
        }
        sqlx::query("DELETE FROM result_chunks WHERE name = $1 AND seq >= $2").bind(&name).bind(seq).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(name)
    }

    /// A stored result where it is: its file (not read), or its chunks (read); `None` when it
    /// has gone.
    pub(crate) async fn read_payload(&self, name: &str) -> Result<Option<crate::Payload>, StoreError> {
        match &self.results {
            Results::Files(files) => files.open(name).await,
            Results::Chunks(_) => Ok(self.read_result(name).await?.map(crate::Payload::from)),
        }
    }

    /// Where formatters spool a result too large to keep in memory: beside the result files
    /// (so storing it is a hard link), or the system's temporary folder.
    pub fn spool(&self, limit: usize) -> crate::Spool {
        let dir = match &self.results {
            Results::Files(files) => files.dir().to_path_buf(),
            Results::Chunks(_) => std::env::temp_dir().join("sightline-spool"),
        };
        crate::Spool::new(dir, crate::SPOOL_IN_MEMORY, limit)
    }

    /// A stored result; `None` when it has gone.
    pub(crate) async fn read_result(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match &self.results {
            Results::Files(files) => files.read(name).await,
            Results::Chunks(pool) => {
                check_name(name)?;
                let chunks: Vec<Vec<u8>> =
                    sqlx::query_scalar("SELECT bytes FROM result_chunks WHERE name = $1 ORDER BY seq").bind(name).fetch_all(pool).await?;
                Ok((!chunks.is_empty()).then(|| chunks.concat()))
            }
        }
    }

    pub(crate) async fn remove_result(&self, name: &str) -> Result<(), StoreError> {
        match &self.results {
            Results::Files(files) => files.remove(name).await,
            Results::Chunks(pool) => {
                check_name(name)?;
                sqlx::query("DELETE FROM result_chunks WHERE name = $1").bind(name).execute(pool).await?;
                Ok(())
            }
        }
    }

    /// Removes writes that never finished, older than `age` (files only: a database write is
    /// one transaction); how many.
    pub(crate) async fn remove_abandoned_results(&self, age: Duration) -> Result<u64, StoreError> {
        match &self.results {
            Results::Files(files) => files.remove_abandoned(age).await,
            Results::Chunks(_) => Ok(0),
        }
    }
}

/// How long a result is kept after its task finished, unless configured.
pub const DEFAULT_RESULT_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub(crate) struct ResultFiles {
    dir: PathBuf,
    /// Removed when the store goes (in-memory stores keep their results in a temporary folder).
    temporary: bool,
}

impl Drop for ResultFiles {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl ResultFiles {
    pub(crate) fn at(dir: PathBuf) -> Result<Arc<ResultFiles>, StoreError> {
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Results(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Arc::new(ResultFiles { dir, temporary: false }))
    }

    pub(crate) fn temporary() -> Result<Arc<ResultFiles>, StoreError> {
        let dir = std::env::temp_dir().join(format!("sightline-results-{}", random_hex(8)));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Results(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Arc::new(ResultFiles { dir, temporary: true }))
    }

    fn path(&self, name: &str) -> Result<PathBuf, StoreError> {
        check_name(name)?;
        Ok(self.dir.join(name))
    }

    /// Writes a result (replacing one of the same name whole); its file name.
    pub(crate) async fn write(&self, kind: &str, id: &str, bytes: &[u8]) -> Result<String, StoreError> {
        let name = format!("{kind}-{id}");
        let path = self.path(&name)?;
        // Two writers of one name (a cache entry stored twice) each have a partial file.
        let partial = self.dir.join(format!(".{name}.{}.partial", random_hex(4)));
        let failed = |e: std::io::Error| StoreError::Results(format!("cannot write {}: {e}", path.display()));
        tokio::fs::write(&partial, bytes).await.map_err(failed)?;
        tokio::fs::rename(&partial, &path).await.map_err(failed)?;
        Ok(name)
    }

    /// Stores the file at `source` as result `{kind}-{id}`: hard-linked when it can be (a
    /// spooled result on this disk), else copied; renamed into place either way.
    pub(crate) async fn write_from(&self, kind: &str, id: &str, source: &Path) -> Result<String, StoreError> {
        let name = format!("{kind}-{id}");
        let path = self.path(&name)?;
        let partial = self.dir.join(format!(".{name}.{}.partial", random_hex(4)));
        let failed = |e: std::io::Error| StoreError::Results(format!("cannot write {}: {e}", path.display()));
        if tokio::fs::hard_link(source, &partial).await.is_err() {
            tokio::fs::copy(source, &partial).await.map_err(failed)?;
        }
        tokio::fs::rename(&partial, &path).await.map_err(failed)?;
        Ok(name)
    }

    /// A stored result file as a payload naming it; `None` when it has gone.
    pub(crate) async fn open(&self, name: &str) -> Result<Option<crate::Payload>, StoreError> {
        let path = self.path(name)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(crate::Payload::stored(path, meta.len()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Results(format!("cannot read result {name}: {e}"))),
        }
    }

    pub(crate) async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match tokio::fs::read(self.path(name)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Results(format!("cannot read result {name}: {e}"))),
        }
    }

    pub(crate) async fn remove(&self, name: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(name)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Results(format!("cannot remove result {name}: {e}"))),
        }
    }

    /// Removes partial files older than `age`: writes that never finished (their writer was
    /// dropped, or the process died); how many.
    pub(crate) async fn remove_abandoned(&self, age: Duration) -> Result<u64, StoreError> {
        let failed = |e: std::io::Error| StoreError::Results(format!("cannot list {}: {e}", self.dir.display()));
        let mut entries = tokio::fs::read_dir(&self.dir).await.map_err(failed)?;
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await.map_err(failed)? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with('.') && name.ends_with(".partial")) {
                continue;
            }
            let old = entry.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok()).is_some_and(|a| a >= age);
            if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}
