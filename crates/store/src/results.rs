//! Task results and cached results as files under the data directory (`results/`), never as
//! rows: a large result does not bloat the metadata database, and expired ones are removed by
//! [`Store::sweep_expired`].
//! A file is written under a temporary name and renamed, so a reader never sees half of one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::{random_hex, StoreError};

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

    /// Only names this module made are read or removed: `{kind}-{id}`, hex and a dash.
    fn path(&self, name: &str) -> Result<PathBuf, StoreError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(StoreError::Results(format!("`{name}` is not a result file name")));
        }
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
