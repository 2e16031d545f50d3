//! The log file (`telemetry.log_file`), rotated by size: when a write would
//! take it past `log_max_bytes`, `smsgw.log` becomes `smsgw.log.1` (`.1`
//! becomes `.2`, and so on) and a new `smsgw.log` is begun; `log_keep` old
//! files are kept, the oldest dropped. Size, not age: a gateway's log grows
//! with its traffic, and a disk fills by size. Lines are never split: a
//! tracing event arrives as one write.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An append-only file that rotates itself.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: File,
    size: u64,
}

impl RotatingFile {
    /// Opens (appends to) `path`.
    pub fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(Self { path: path.to_owned(), max_bytes, keep, file, size })
    }

    fn old(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let gone = |r: io::Result<()>| match r {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
        if self.keep == 0 {
            gone(std::fs::remove_file(&self.path))?;
        } else {
            gone(std::fs::remove_file(self.old(self.keep)))?;
            for n in (1..self.keep).rev() {
                gone(std::fs::rename(self.old(n), self.old(n + 1)))?;
            }
            gone(std::fs::rename(&self.path, self.old(1)))?;
        }
        self.file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path).map(|t| t.lines().map(str::to_owned).collect()).unwrap_or_default()
    }

    #[test]
    fn rotates_by_size_keeping_the_newest_files_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smsgw.log");
        std::fs::write(&path, "from before\n").unwrap();
        let mut log = RotatingFile::open(&path, 40, 2).unwrap();
        for i in 0..10 {
            log.write_all(format!("line {i:02} of the log\n").as_bytes()).unwrap();
        }
        log.flush().unwrap();
        // Lines of 19 bytes, files of at most 40: the old content and line 00,
        // then two lines a file, the last file begun by line 09.
        assert_eq!(lines(&path), ["line 09 of the log"]);
        assert_eq!(lines(&dir.path().join("smsgw.log.1")), ["line 07 of the log", "line 08 of the log"]);
        assert_eq!(lines(&dir.path().join("smsgw.log.2")), ["line 05 of the log", "line 06 of the log"]);
        assert!(!dir.path().join("smsgw.log.3").exists(), "only log_keep old files");
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let len = file.unwrap().metadata().unwrap().len();
            assert!(len <= 40, "{len}");
        }
    }

    #[test]
    fn reopening_continues_counting_the_existing_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smsgw.log");
        std::fs::write(&path, "x".repeat(35) + "\n").unwrap();
        let mut log = RotatingFile::open(&path, 40, 1).unwrap();
        log.write_all(b"next line\n").unwrap();
        assert_eq!(lines(&path), ["next line"]);
        assert_eq!(lines(&dir.path().join("smsgw.log.1")).len(), 1);
    }

    #[test]
    fn keeping_none_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smsgw.log");
        let mut log = RotatingFile::open(&path, 10, 0).unwrap();
        log.write_all(b"first 8\n").unwrap();
        log.write_all(b"second\n").unwrap();
        assert_eq!(lines(&path), ["second"]);
        assert!(!dir.path().join("smsgw.log.1").exists());
    }
}
