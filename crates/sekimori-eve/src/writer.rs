//! The EVE sink: one JSON object per line, buffered, with a count per event type.

use crate::records::Endpoints;
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
    /// `community-id` is on, with this seed.
    community_seed: Option<u16>,
    /// The fields every record of the current flow carries after its `pkt_src`
    /// (`"community_id":"1:..."`), already serialised; empty when none.
    common: Vec<u8>,
    /// The current flow's variables (`"traffic":{...},"metadata":{...}`), written before
    /// `community_id`; empty when none.
    vars: Vec<u8>,
    /// Scratch for the members spliced into a record.
    splice: Vec<u8>,
}

impl EveWriter {
    /// Writes to any sink (stdout, a socket, a Vec in tests).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        EveWriter {
            out: BufWriter::with_capacity(256 * 1024, out),
            buf: Vec::with_capacity(4096),
            counts: Vec::new(),
            failed: None,
            community_seed: None,
            common: Vec::new(),
            vars: Vec::new(),
            splice: Vec::new(),
        }
    }

    /// Turns Suricata's `community-id` on (`Some(seed)`) or off: records of a flow carry its
    /// Community ID (see [`crate::community`]).
    pub fn set_community_id(&mut self, seed: Option<u16>) {
        self.community_seed = seed;
        self.common.clear();
    }

    /// The Community ID of `ep` when `community-id` is on (for records written with their
    /// own layout, such as `flow`).
    pub fn community_id_of(&self, ep: &Endpoints) -> Option<String> {
        crate::community::community_id(self.community_seed?, ep)
    }

    /// The flow the next records belong to (`None`: no flow). Records with a `pkt_src` get
    /// the flow's common fields (`community_id`) right after it, where Suricata writes them.
    pub fn set_flow(&mut self, ep: Option<&Endpoints>) {
        self.common.clear();
        self.vars.clear();
        if let Some(id) = ep.and_then(|e| self.community_id_of(e)) {
            self.common.extend_from_slice(b"\"community_id\":\"");
            self.common.extend_from_slice(id.as_bytes());
            self.common.push(b'"');
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

    /// The current flow's variables as already-serialised members (see
    /// [`crate::records::flow_vars_members`]); records with a `pkt_src` carry them after it.
    pub fn set_flow_vars(&mut self, members: &[u8]) {
        self.vars.clear();
        self.vars.extend_from_slice(members);
    }

    /// Writes one record of `event_type`: `build` appends exactly one JSON object to the buffer.
    ///
    /// The first write error is kept (and returned by [`EveWriter::finish`]); later records are
    /// dropped, so a full disk does not abort packet processing.
    pub fn record(&mut self, event_type: &str, build: impl FnOnce(&mut Vec<u8>)) {
        self.buf.clear();
        build(&mut self.buf);
        if !self.common.is_empty() || !self.vars.is_empty() {
            self.splice.clear();
            self.splice.extend_from_slice(&self.vars);
            if !self.vars.is_empty() && !self.common.is_empty() {
                self.splice.push(b',');
            }
            self.splice.extend_from_slice(&self.common);
            splice_after_pkt_src(&mut self.buf, &self.splice);
        }
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

/// Inserts `,` + `fields` after the record's top-level `"pkt_src":"..."` member, if it has one.
/// The header written before it holds only addresses, numbers and fixed names, so the first
/// occurrence is the top-level one; its value is a fixed name without escapes.
fn splice_after_pkt_src(buf: &mut Vec<u8>, fields: &[u8]) {
    const KEY: &[u8] = b"\"pkt_src\":\"";
    let Some(at) = buf.windows(KEY.len()).position(|w| w == KEY) else {
        return;
    };
    let value = at + KEY.len();
    let Some(end) = buf
        .get(value..)
        .and_then(|r| r.iter().position(|&b| b == b'"'))
    else {
        return;
    };
    let pos = value + end + 1;
    let mut ins = Vec::with_capacity(fields.len() + 1);
    ins.push(b',');
    ins.extend_from_slice(fields);
    buf.splice(pos..pos, ins);
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
    fn community_id_follows_pkt_src() {
        let sink = Shared::default();
        let mut w = EveWriter::new(Box::new(sink.clone()));
        let ep = Endpoints {
            src: sekimori_decode::Addr::v4([128, 232, 110, 120]),
            sport: Some(34855),
            dst: sekimori_decode::Addr::v4([66, 35, 250, 204]),
            dport: Some(80),
            proto: 6,
        };
        // Off: nothing added.
        w.set_flow(Some(&ep));
        w.record("tls", |b| {
            b.extend_from_slice(br#"{"proto":"TCP","pkt_src":"wire/pcap","tls":{}}"#)
        });
        w.set_community_id(Some(0));
        w.set_flow(Some(&ep));
        w.record("tls", |b| {
            b.extend_from_slice(br#"{"proto":"TCP","pkt_src":"wire/pcap","tls":{}}"#)
        });
        // Records without pkt_src are left as they are.
        w.record("flow", |b| b.extend_from_slice(br#"{"a":1}"#));
        w.set_flow_vars(br#""metadata":{}"#);
        w.record("http", |b| {
            b.extend_from_slice(br#"{"pkt_src":"wire/pcap","tx_id":0}"#)
        });
        w.set_flow(None);
        w.record("tls", |b| {
            b.extend_from_slice(br#"{"pkt_src":"wire/pcap"}"#)
        });
        assert_eq!(
            w.community_id_of(&ep).as_deref(),
            Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        );
        w.finish().unwrap();
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"proto":"TCP","pkt_src":"wire/pcap","tls":{}}"#
        );
        assert_eq!(
            lines[1],
            r#"{"proto":"TCP","pkt_src":"wire/pcap","community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg=","tls":{}}"#
        );
        assert_eq!(lines[2], r#"{"a":1}"#);
        assert_eq!(
            lines[3],
            r#"{"pkt_src":"wire/pcap","metadata":{},"community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg=","tx_id":0}"#
        );
        assert_eq!(lines[4], r#"{"pkt_src":"wire/pcap"}"#);
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
