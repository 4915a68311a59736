//! The EVE sink: one JSON object per line, buffered, with a count per event type.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Errors of the EVE output.
#[derive(Debug, thiserror::Error)]
pub enum EveError {
    /// The log file could not be created.
    #[error("cannot create {path}: {source}")]
    Create {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Writing failed (disk full, closed pipe, ...).
    #[error("writing EVE output failed: {0}")]
    Write(#[from] io::Error),
}

/// Writes EVE records, one per line. Records are built into a reusable buffer by the caller's
/// closure, so writing a record allocates nothing once the buffer has grown.
pub struct EveWriter {
    out: BufWriter<Box<dyn Write + Send>>,
    buf: Vec<u8>,
    counts: Vec<(String, u64)>,
    failed: Option<io::Error>,
}

impl EveWriter {
    /// Writes to any sink (stdout, a socket, a Vec in tests).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        EveWriter {
            out: BufWriter::with_capacity(256 * 1024, out),
            buf: Vec::with_capacity(4096),
            counts: Vec::new(),
            failed: None,
        }
    }

    /// Creates (truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<Self, EveError> {
        let f = File::create(path).map_err(|source| EveError::Create {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self::new(Box::new(f)))
    }

    /// Writes one record of `event_type`: `build` appends exactly one JSON object to the buffer.
    ///
    /// The first write error is kept (and returned by [`EveWriter::finish`]); later records are
    /// dropped, so a full disk does not abort packet processing.
    pub fn record(&mut self, event_type: &str, build: impl FnOnce(&mut Vec<u8>)) {
        self.buf.clear();
        build(&mut self.buf);
        self.buf.push(b'\n');
        match self.counts.iter_mut().find(|(t, _)| t == event_type) {
            Some((_, n)) => *n += 1,
            None => self.counts.push((event_type.to_owned(), 1)),
        }
        if self.failed.is_none()
            && let Err(e) = self.out.write_all(&self.buf)
        {
            self.failed = Some(e);
        }
    }

    /// Records written so far, per event type, in first-seen order.
    pub fn counts(&self) -> &[(String, u64)] {
        &self.counts
    }

    /// Flushes buffered records.
    pub fn flush(&mut self) -> Result<(), EveError> {
        if let Some(e) = self.failed.take() {
            return Err(EveError::Write(e));
        }
        self.out.flush()?;
        Ok(())
    }

    /// Flushes and reports the first error, if any.
    pub fn finish(mut self) -> Result<Vec<(String, u64)>, EveError> {
        self.flush()?;
        Ok(std::mem::take(&mut self.counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_line_per_record_and_counts() {
        let sink = Shared::default();
        let mut w = EveWriter::new(Box::new(sink.clone()));
        w.record("flow", |b| b.extend_from_slice(b"{\"a\":1}"));
        w.record("anomaly", |b| b.extend_from_slice(b"{\"b\":2}"));
        w.record("flow", |b| b.extend_from_slice(b"{\"c\":3}"));
        let counts = w.finish().unwrap();
        assert_eq!(
            counts,
            vec![("flow".to_string(), 2), ("anomaly".to_string(), 1)]
        );
        assert_eq!(
            &*sink.0.lock().unwrap(),
            b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"
        );
    }

    #[test]
    fn write_error_is_reported_not_panicked() {
        let mut w = EveWriter::new(Box::new(Full));
        for _ in 0..100_000 {
            w.record("flow", |b| {
                b.extend_from_slice(b"{\"pad\":\"xxxxxxxxxxxxxxxx\"}")
            });
        }
        assert!(matches!(w.finish(), Err(EveError::Write(_))));
    }
}
