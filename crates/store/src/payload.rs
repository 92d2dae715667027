//! A result's bytes where they are — in memory, or in a file — so a large result goes from the
//! formatter to the store and to the HTTP body without ever being held whole. [`Spool`] is
//! where formatters write: it keeps a small result in memory and moves a larger one to a file
//! beside the stored results (on the same disk, so storing it is a hard link, not a copy); a
//! stored result file is read back as a [`Payload`] naming the file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::random_hex;

/// Bytes of a result: in memory, or a file (cheap to clone either way).
#[derive(Debug, Clone)]
pub enum Payload {
    Bytes(Arc<[u8]>),
    File(Arc<PayloadFile>),
}

/// A file holding a result; a spooled one is removed once the last payload naming it goes.
#[derive(Debug)]
pub struct PayloadFile {
    path: PathBuf,
    len: u64,
    owned: bool,
}

impl Drop for PayloadFile {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        match (self, other) {
            (Payload::Bytes(a), Payload::Bytes(b)) => a == b,
            (Payload::File(a), Payload::File(b)) => a.path == b.path,
            _ => false,
        }
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Payload {
        Payload::Bytes(bytes.into())
    }
}

impl From<&[u8]> for Payload {
    fn from(bytes: &[u8]) -> Payload {
        Payload::Bytes(bytes.into())
    }
}

impl Payload {
    /// A stored result file (left in place when the payload goes).
    pub(crate) fn stored(path: PathBuf, len: u64) -> Payload {
        Payload::File(Arc::new(PayloadFile { path, len, owned: false }))
    }

    pub fn len(&self) -> u64 {
        match self {
            Payload::Bytes(b) => b.len() as u64,
            Payload::File(f) => f.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file holding it, when it is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Payload::Bytes(_) => None,
            Payload::File(f) => Some(&f.path),
        }
    }

    /// All of it in memory: for small results and for callers that parse them.
    pub async fn read_all(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Payload::Bytes(b) => Ok(b.to_vec()),
            Payload::File(f) => tokio::fs::read(&f.path).await,
        }
    }
}

/// Where a formatter writes a result: memory up to a threshold, then a file; never past
/// `limit` bytes (a write that would pass it fails with `ErrorKind::FileTooLarge`, and the
/// spool is then dropped with its file).
pub struct Spool {
    dir: PathBuf,
    in_memory: usize,
    limit: usize,
    bytes: Vec<u8>,
    /// Once spilled: the file's writer, and the file (removed if the spool is dropped unfinished).
    file: Option<(std::io::BufWriter<std::fs::File>, PayloadFile)>,
    written: usize,
    over: bool,
}

/// Results up to this size stay in memory.
pub const SPOOL_IN_MEMORY: usize = 1 << 20;

impl Spool {
    /// A spool whose file, if it needs one, goes in `dir` (named like an unfinished result
    /// write, so the sweeper removes it if the process dies).
    pub fn new(dir: PathBuf, in_memory: usize, limit: usize) -> Spool {
        Spool { dir, in_memory, limit, bytes: Vec::new(), file: None, written: 0, over: false }
    }

    /// Whether a write was refused for passing the limit.
    pub fn is_over(&self) -> bool {
        self.over
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// What was written, as a payload (the file, flushed, when it spilled over).
    pub fn finish(self) -> std::io::Result<Payload> {
        match self.file {
            None => Ok(Payload::Bytes(self.bytes.into())),
            Some((mut writer, mut file)) => {
                writer.flush()?;
                drop(writer);
                file.len = self.written as u64;
                Ok(Payload::File(Arc::new(file)))
            }
        }
    }

    fn spill(&mut self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!(".spool-{}.partial", random_hex(8)));
        let created = std::fs::File::create(&path)?;
        let file = PayloadFile { path, len: 0, owned: true };
        let mut writer = std::io::BufWriter::with_capacity(256 << 10, created);
        writer.write_all(&std::mem::take(&mut self.bytes))?;
        self.file = Some((writer, file));
        Ok(())
    }
}

impl Write for Spool {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.written.saturating_add(data.len()) > self.limit {
            self.over = true;
            return Err(std::io::Error::new(std::io::ErrorKind::FileTooLarge, "the result is over the size limit"));
        }
        if self.file.is_none() && self.bytes.len() + data.len() > self.in_memory {
            self.spill()?;
        }
        match &mut self.file {
            Some((writer, _)) => writer.write_all(data)?,
            None => self.bytes.extend_from_slice(data),
        }
        self.written += data.len();
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some((writer, _)) => writer.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_results_stay_in_memory_and_large_ones_spill_to_a_file_removed_with_them() {
        let dir = std::env::temp_dir().join(format!("sightline-spool-test-{}", random_hex(4)));
        let mut small = Spool::new(dir.clone(), 16, 100);
        small.write_all(b"0123456789").unwrap();
        let small = small.finish().unwrap();
        assert!(small.file().is_none());
        assert_eq!(small.read_all().await.unwrap(), b"0123456789");
        let mut large = Spool::new(dir.clone(), 16, 100);
        for _ in 0..5 {
            large.write_all(b"0123456789").unwrap();
        }
        let large = large.finish().unwrap();
        let path = large.file().expect("spilled").to_path_buf();
        assert_eq!((large.len(), large.read_all().await.unwrap().len()), (50, 50));
        let copy = large.clone();
        drop(large);
        assert!(path.exists(), "a clone still names it");
        drop(copy);
        assert!(!path.exists(), "removed with its last payload");
        let mut over = Spool::new(dir.clone(), 16, 20);
        over.write_all(b"0123456789").unwrap();
        let e = over.write_all(b"0123456789X").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
        let _ = std::fs::remove_dir_all(dir);
    }
}
