//! The embedded store: the baseline ([`State`]) in one SQLite file, `behavior.db`, in a state
//! directory.
//!
//! A checkpoint writes the whole state into `behavior.db.tmp` inside one transaction, syncs it and
//! renames it over `behavior.db`: the file on disk is always either the previous or the new
//! checkpoint, never a mix. Opening reads everything back; a file SQLite cannot read (garbage,
//! truncation, failed integrity check) or of another schema version is moved aside
//! (`behavior.db.corrupt-N`) and reported as a [`StoreWarning`], and the layer starts a fresh
//! baseline — never a crash. Rows whose values do not parse are skipped and counted.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rusqlite::{Connection, OpenFlags, params};
use sekimori_decode::Addr;

use crate::error::{StoreError, StoreWarning};
use crate::profile::{
    DestEntry, Episode, HOW, HostProfile, LastFlow, NetDest, Pair, PortStat, ReadDay, ServerDay,
    ServerStat, State,
};

/// Schema version written into `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 1;
/// File name of the state file inside the state directory.
pub const FILE_NAME: &str = "behavior.db";

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE hosts(host TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  learned INTEGER NOT NULL, how_out BLOB NOT NULL, how_in BLOB NOT NULL, hour_ring BLOB NOT NULL,
  cur_hour INTEGER NOT NULL, cur_out INTEGER NOT NULL, cur_in INTEGER NOT NULL, read_days BLOB NOT NULL,
  last_bulk_alert INTEGER);
CREATE TABLE dests(host TEXT NOT NULL, dest TEXT NOT NULL, ip TEXT, first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL, conns INTEGER NOT NULL, bytes_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL,
  hour INTEGER NOT NULL, hour_out INTEGER NOT NULL, hour_in INTEGER NOT NULL, PRIMARY KEY(host, dest));
CREATE TABLE pairs(host TEXT NOT NULL, dest TEXT NOT NULL, port INTEGER NOT NULL, conns BLOB NOT NULL,
  last_ip TEXT NOT NULL, last_sport INTEGER NOT NULL, last_dport INTEGER NOT NULL, last_proto INTEGER NOT NULL,
  last_flow INTEGER NOT NULL, PRIMARY KEY(host, dest, port));
CREATE TABLE ports(host TEXT NOT NULL, dir INTEGER NOT NULL, proto INTEGER NOT NULL, port INTEGER NOT NULL,
  conns INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY(host, dir, proto, port));
CREATE TABLE servers(host TEXT NOT NULL, server TEXT NOT NULL, first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL, conns INTEGER NOT NULL, days BLOB NOT NULL, PRIMARY KEY(host, server));
CREATE TABLE netdests(dest TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  hosts INTEGER NOT NULL);
CREATE TABLE episodes(key TEXT PRIMARY KEY, data TEXT NOT NULL);
";

/// The state directory and its file.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
    path: PathBuf,
}

/// Why a file could not be loaded.
enum LoadError {
    Sqlite(rusqlite::Error),
    Schema(i64),
    Integrity(String),
}

impl From<rusqlite::Error> for LoadError {
    fn from(e: rusqlite::Error) -> Self {
        LoadError::Sqlite(e)
    }
}

// u64 counters are stored as the same 64 bits in SQLite's signed INTEGER.
fn to_i(v: u64) -> i64 {
    v as i64
}
fn to_u(v: i64) -> u64 {
    v as u64
}

fn addr_text(a: Addr) -> String {
    a.to_ip().to_string()
}

fn parse_addr(s: &str) -> Option<Addr> {
    IpAddr::from_str(s).ok().map(Addr::from)
}

fn enc_u64s<'a>(v: impl Iterator<Item = &'a u64>) -> Vec<u8> {
    v.flat_map(|x| x.to_le_bytes()).collect()
}

fn dec_u64s(b: &[u8]) -> Option<Vec<u64>> {
    let chunks = b.chunks_exact(8);
    if !chunks.remainder().is_empty() {
        return None;
    }
    Some(
        chunks
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect(),
    )
}

fn dec_i64s(b: &[u8]) -> Option<Vec<i64>> {
    dec_u64s(b).map(|v| v.into_iter().map(to_i).collect())
}

impl Store {
    /// Opens (creating the directory if needed) and loads the baseline. Unreadable or foreign
    /// files are moved aside with a warning and a fresh state is returned; only an unusable
    /// directory is an error.
    pub fn open(dir: &Path) -> Result<(Store, State, Vec<StoreWarning>), StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store {
            dir: dir.to_path_buf(),
            path: dir.join(FILE_NAME),
        };
        let _ = std::fs::remove_file(store.tmp_path());
        let mut warnings = Vec::new();
        if !store.path.exists() {
            return Ok((store, State::default(), warnings));
        }
        match load(&store.path) {
            Ok((state, skipped)) => {
                if skipped > 0 {
                    warnings.push(StoreWarning::SkippedRows {
                        path: store.path.clone(),
                        count: skipped,
                    });
                }
                Ok((store, state, warnings))
            }
            Err(e) => {
                let moved_to = store.move_aside();
                warnings.push(match e {
                    LoadError::Schema(found) => StoreWarning::Schema {
                        path: store.path.clone(),
                        found,
                        expected: SCHEMA_VERSION,
                        moved_to,
                    },
                    LoadError::Sqlite(e) => StoreWarning::Corrupt {
                        path: store.path.clone(),
                        moved_to,
                        reason: e.to_string(),
                    },
                    LoadError::Integrity(reason) => StoreWarning::Corrupt {
                        path: store.path.clone(),
                        moved_to,
                        reason,
                    },
                });
                Ok((store, State::default(), warnings))
            }
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn tmp_path(&self) -> PathBuf {
        self.dir.join(format!("{FILE_NAME}.tmp"))
    }

    fn move_aside(&self) -> Option<PathBuf> {
        for n in 0..1000u32 {
            let p = self.dir.join(format!("{FILE_NAME}.corrupt-{n}"));
            if !p.exists() {
                return std::fs::rename(&self.path, &p).ok().map(|_| p);
            }
        }
        None
    }

    /// Writes a checkpoint atomically (temporary file, one transaction, sync, rename).
    pub fn save(&self, st: &State) -> Result<(), StoreError> {
        let tmp = self.tmp_path();
        let sq = |source| StoreError::Sqlite {
            path: tmp.clone(),
            source,
        };
        let io = |source| StoreError::Io {
            path: tmp.clone(),
            source,
        };
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        {
            let mut conn = Connection::open(&tmp).map_err(sq)?;
            conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
                .map_err(sq)?;
            conn.execute_batch(SCHEMA).map_err(sq)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(sq)?;
            let tx = conn.transaction().map_err(sq)?;
            write_all(&tx, st).map_err(sq)?;
            tx.commit().map_err(sq)?;
            conn.close().map_err(|(_, e)| sq(e))?;
        }
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            source,
        })?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn write_all(tx: &rusqlite::Transaction<'_>, st: &State) -> rusqlite::Result<()> {
    {
        let mut m = tx.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)")?;
        if let Some(b) = st.meta.baseline_start {
            m.execute(params!["baseline_start", b])?;
        }
        if let Some(b) = st.meta.observed_since {
            m.execute(params!["observed_since", b])?;
        }
        if let Some(b) = st.meta.learned_until {
            m.execute(params!["learned_until", b])?;
        }
        m.execute(params!["now", st.meta.now])?;
        m.execute(params!["next_episode", to_i(st.meta.next_episode)])?;
        m.execute(params!["next_incident", to_i(st.meta.next_incident)])?;
    }
    let mut hs =
        tx.prepare("INSERT INTO hosts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
    let mut ds =
        tx.prepare("INSERT INTO dests VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?;
    let mut ps = tx.prepare("INSERT INTO pairs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
    let mut pts = tx.prepare("INSERT INTO ports VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    let mut ss = tx.prepare("INSERT INTO servers VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for (addr, h) in &st.hosts {
        let host = addr_text(*addr);
        let rd: Vec<u8> = h
            .read_days
            .iter()
            .flat_map(|d| [to_u(d.day), d.peak_files, d.peak_bytes])
            .flat_map(u64::to_le_bytes)
            .collect();
        hs.execute(params![
            host,
            h.first_seen,
            h.last_seen,
            i64::from(h.learned),
            enc_u64s(h.how_out.iter()),
            enc_u64s(h.how_in.iter()),
            enc_u64s(h.hour_ring.iter()),
            h.cur_hour,
            to_i(h.cur_out),
            to_i(h.cur_in),
            rd,
            h.last_bulk_alert,
        ])?;
        for (key, d) in &h.dests {
            ds.execute(params![
                host,
                &**key,
                d.ip.map(addr_text),
                d.first_seen,
                d.last_seen,
                to_i(d.conns),
                to_i(d.bytes_out),
                to_i(d.bytes_in),
                d.hour,
                to_i(d.hour_out),
                to_i(d.hour_in),
            ])?;
            for p in &d.pairs {
                let blob: Vec<u8> = p
                    .conns
                    .iter()
                    .flat_map(|&(t, b)| [to_u(t), b])
                    .flat_map(u64::to_le_bytes)
                    .collect();
                ps.execute(params![
                    host,
                    &**key,
                    i64::from(p.port),
                    blob,
                    addr_text(p.last.ip),
                    i64::from(p.last.sport),
                    i64::from(p.last.dport),
                    i64::from(p.last.proto),
                    to_i(p.last.flow_id),
                ])?;
            }
        }
        for (&(dir, proto, port), p) in &h.ports {
            pts.execute(params![
                host,
                i64::from(dir),
                i64::from(proto),
                i64::from(port),
                to_i(p.conns),
                p.last_seen
            ])?;
        }
        for (srv, s) in &h.servers {
            let days: Vec<u8> = s
                .days
                .iter()
                .flat_map(|d| [to_u(d.day), d.bytes, d.files, d.file_bytes])
                .flat_map(u64::to_le_bytes)
                .collect();
            ss.execute(params![
                host,
                addr_text(*srv),
                s.first_seen,
                s.last_seen,
                to_i(s.conns),
                days
            ])?;
        }
    }
    let mut ns = tx.prepare("INSERT INTO netdests VALUES (?1, ?2, ?3, ?4)")?;
    for (k, n) in &st.net {
        ns.execute(params![&**k, n.first_seen, n.last_seen, i64::from(n.hosts)])?;
    }
    let mut es = tx.prepare("INSERT INTO episodes VALUES (?1, ?2)")?;
    for (k, e) in &st.episodes {
        if let Ok(j) = serde_json::to_string(e) {
            es.execute(params![k, j])?;
        }
    }
    Ok(())
}

fn load(path: &Path) -> Result<(State, u64), LoadError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != SCHEMA_VERSION {
        return Err(LoadError::Schema(version));
    }
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(LoadError::Integrity(check));
    }
    let mut st = State::default();
    let mut skipped = 0u64;
    {
        let mut q = conn.prepare("SELECT key, value FROM meta")?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (k, v) = row?;
            match k.as_str() {
                "baseline_start" => st.meta.baseline_start = Some(v),
                "now" => st.meta.now = v,
                "observed_since" => st.meta.observed_since = Some(v),
                "learned_until" => st.meta.learned_until = Some(v),
                "next_episode" => st.meta.next_episode = to_u(v),
                "next_incident" => st.meta.next_incident = to_u(v),
                _ => skipped += 1,
            }
        }
    }
    {
        let mut q = conn.prepare("SELECT * FROM hosts")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let host: String = r.get(0)?;
            let how_out: Vec<u8> = r.get(4)?;
            let how_in: Vec<u8> = r.get(5)?;
            let ring: Vec<u8> = r.get(6)?;
            let rd: Vec<u8> = r.get(10)?;
            let parsed = (|| {
                let a = parse_addr(&host)?;
                let how_out = dec_u64s(&how_out).filter(|v| v.len() == HOW)?;
                let how_in = dec_u64s(&how_in).filter(|v| v.len() == HOW)?;
                let ring = dec_u64s(&ring)?;
                let rd = dec_u64s(&rd).filter(|v| v.len() % 3 == 0)?;
                Some((a, how_out, how_in, ring, rd))
            })();
            let Some((a, how_out, how_in, ring, rd)) = parsed else {
                skipped += 1;
                continue;
            };
            let mut h = HostProfile::new(r.get(1)?);
            h.last_seen = r.get(2)?;
            h.learned = r.get::<_, i64>(3)? != 0;
            h.how_out = how_out;
            h.how_in = how_in;
            h.hour_ring = ring.into();
            h.cur_hour = r.get(7)?;
            h.cur_out = to_u(r.get(8)?);
            h.cur_in = to_u(r.get(9)?);
            h.read_days = rd
                .chunks_exact(3)
                .map(|c| match c {
                    [d, f, b] => ReadDay {
                        day: to_i(*d),
                        peak_files: *f,
                        peak_bytes: *b,
                    },
                    _ => ReadDay::default(),
                })
                .collect();
            h.last_bulk_alert = r.get(11)?;
            st.hosts.insert(a, h);
        }
    }
    {
        let mut q = conn.prepare("SELECT * FROM dests")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let host: String = r.get(0)?;
            let key: String = r.get(1)?;
            let ip: Option<String> = r.get(2)?;
            let Some(h) = parse_addr(&host).and_then(|a| st.hosts.get_mut(&a)) else {
                skipped += 1;
                continue;
            };
            let ip = match ip {
                Some(s) => match parse_addr(&s) {
                    Some(a) => Some(a),
                    None => {
                        skipped += 1;
                        continue;
                    }
                },
                None => None,
            };
            let d = DestEntry {
                ip,
                first_seen: r.get(3)?,
                last_seen: r.get(4)?,
                conns: to_u(r.get(5)?),
                bytes_out: to_u(r.get(6)?),
                bytes_in: to_u(r.get(7)?),
                hour: r.get(8)?,
                hour_out: to_u(r.get(9)?),
                hour_in: to_u(r.get(10)?),
                pairs: Vec::new(),
            };
            h.dests.insert(key.into_boxed_str(), d);
        }
    }
    {
        let mut q = conn.prepare("SELECT * FROM pairs")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let host: String = r.get(0)?;
            let key: String = r.get(1)?;
            let port = u16::try_from(r.get::<_, i64>(2)?).ok();
            let blob: Vec<u8> = r.get(3)?;
            let last_ip: String = r.get(4)?;
            let sport = u16::try_from(r.get::<_, i64>(5)?).ok();
            let dport = u16::try_from(r.get::<_, i64>(6)?).ok();
            let proto = u8::try_from(r.get::<_, i64>(7)?).ok();
            let flow_id = to_u(r.get(8)?);
            let conns = dec_i64s(&blob).filter(|v| v.len() % 2 == 0);
            let dest = parse_addr(&host)
                .and_then(|a| st.hosts.get_mut(&a))
                .and_then(|h| h.dests.get_mut(key.as_str()));
            match (dest, port, conns, parse_addr(&last_ip), sport, dport, proto) {
                (Some(d), Some(port), Some(c), Some(ip), Some(sport), Some(dport), Some(proto)) => {
                    let conns: VecDeque<(i64, u64)> = c
                        .chunks_exact(2)
                        .map(|x| match x {
                            [t, b] => (*t, to_u(*b)),
                            _ => (0, 0),
                        })
                        .collect();
                    d.pairs.push(Pair {
                        port,
                        conns,
                        pending: 0,
                        scored_at: 0,
                        last: LastFlow {
                            ip,
                            sport,
                            dport,
                            proto,
                            flow_id,
                        },
                    });
                }
                _ => skipped += 1,
            }
        }
    }
    {
        let mut q = conn.prepare("SELECT * FROM ports")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let host: String = r.get(0)?;
            let key = (
                u8::try_from(r.get::<_, i64>(1)?).ok(),
                u8::try_from(r.get::<_, i64>(2)?).ok(),
                u16::try_from(r.get::<_, i64>(3)?).ok(),
            );
            let stat = PortStat {
                conns: to_u(r.get(4)?),
                last_seen: r.get(5)?,
            };
            match (parse_addr(&host).and_then(|a| st.hosts.get_mut(&a)), key) {
                (Some(h), (Some(d), Some(p), Some(port))) => {
                    h.ports.insert((d, p, port), stat);
                }
                _ => skipped += 1,
            }
        }
    }
    {
        let mut q = conn.prepare("SELECT * FROM servers")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let host: String = r.get(0)?;
            let server: String = r.get(1)?;
            let days: Vec<u8> = r.get(5)?;
            let days = dec_u64s(&days).filter(|v| v.len() % 4 == 0);
            match (
                parse_addr(&host).and_then(|a| st.hosts.get_mut(&a)),
                parse_addr(&server),
                days,
            ) {
                (Some(h), Some(srv), Some(days)) => {
                    let days = days
                        .chunks_exact(4)
                        .map(|c| match c {
                            [d, b, f, fb] => ServerDay {
                                day: to_i(*d),
                                bytes: *b,
                                files: *f,
                                file_bytes: *fb,
                            },
                            _ => ServerDay::default(),
                        })
                        .collect();
                    h.servers.insert(
                        srv,
                        ServerStat {
                            first_seen: r.get(2)?,
                            last_seen: r.get(3)?,
                            conns: to_u(r.get(4)?),
                            days,
                        },
                    );
                }
                _ => skipped += 1,
            }
        }
    }
    {
        let mut q = conn.prepare("SELECT * FROM netdests")?;
        let rows = q.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                NetDest {
                    first_seen: r.get(1)?,
                    last_seen: r.get(2)?,
                    hosts: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(u32::MAX),
                },
            ))
        })?;
        for row in rows {
            let (k, n) = row?;
            st.net.insert(k.into_boxed_str(), n);
        }
    }
    {
        let mut q = conn.prepare("SELECT key, data FROM episodes")?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (k, j) = row?;
            match serde_json::from_str::<Episode>(&j) {
                Ok(e) => {
                    st.episodes.insert(k, e);
                }
                Err(_) => skipped += 1,
            }
        }
    }
    Ok((st, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Meta, PortStat};

    fn sample() -> State {
        let mut st = State {
            meta: Meta {
                baseline_start: Some(100),
                observed_since: Some(150),
                now: 9_000,
                learned_until: Some(8_000),
                next_episode: 42,
                next_incident: 7,
            },
            ..Default::default()
        };
        let mut h = HostProfile::new(100);
        h.last_seen = 9_000;
        h.learned = true;
        h.how_out[5] = u64::MAX; // full u64 range survives the i64 column
        h.how_in[167] = 3;
        h.hour_ring = VecDeque::from(vec![1, 2, 3]);
        h.cur_out = 11;
        h.read_days.push_back(ReadDay {
            day: 19_000,
            peak_files: 2,
            peak_bytes: 300,
        });
        h.last_bulk_alert = Some(-5);
        let mut d = DestEntry {
            ip: Some(Addr::v4([1, 2, 3, 4])),
            first_seen: 100,
            last_seen: 200,
            conns: 3,
            ..Default::default()
        };
        d.pairs.push(Pair {
            port: 443,
            conns: VecDeque::from(vec![(100, 5), (-7, u64::MAX)]),
            pending: 0,
            scored_at: 0,
            last: LastFlow {
                ip: Addr::v4([1, 2, 3, 4]),
                sport: 5000,
                dport: 443,
                proto: 6,
                flow_id: u64::MAX,
            },
        });
        h.dests.insert("c2.example".into(), d);
        h.dests.insert(
            "2001:db8::1".into(),
            DestEntry {
                ip: None,
                ..Default::default()
            },
        );
        h.ports.insert(
            (0, 6, 443),
            PortStat {
                conns: 9,
                last_seen: 200,
            },
        );
        h.servers.insert(
            Addr::v4([10, 0, 0, 9]),
            ServerStat {
                first_seen: 1,
                last_seen: 2,
                conns: 3,
                days: VecDeque::from(vec![ServerDay {
                    day: 5,
                    bytes: 6,
                    files: 7,
                    file_bytes: 8,
                }]),
            },
        );
        st.hosts.insert(Addr::v4([10, 0, 0, 1]), h);
        st.hosts.insert(
            Addr::v6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            HostProfile::new(5),
        );
        st.net.insert(
            "c2.example".into(),
            NetDest {
                first_seen: 1,
                last_seen: 2,
                hosts: 1,
            },
        );
        st.episodes.insert(
            "b|x".into(),
            Episode {
                id: 3,
                started: 1,
                last_activity: 2,
                last_report: 2,
                level: 3,
                metric: 40,
                score: 0.9,
            },
        );
        st
    }

    #[test]
    fn round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let (store, fresh, w) = Store::open(dir.path()).unwrap();
        assert!(w.is_empty());
        assert_eq!(fresh, State::default());
        let st = sample();
        store.save(&st).unwrap();
        assert!(!dir.path().join("behavior.db.tmp").exists());
        let (_, back, w) = Store::open(dir.path()).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(back, st);
        // A second save replaces the file.
        let mut st2 = st.clone();
        st2.hosts.clear();
        store.save(&st2).unwrap();
        let (_, back, _) = Store::open(dir.path()).unwrap();
        assert_eq!(back, st2);
    }

    #[test]
    fn foreign_schema_and_bad_rows_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) = Store::open(dir.path()).unwrap();
        store.save(&sample()).unwrap();
        {
            let c = Connection::open(store.path()).unwrap();
            c.execute("INSERT INTO dests(host, dest, ip, first_seen, last_seen, conns, bytes_out, bytes_in, hour, hour_out, hour_in) VALUES ('not-an-ip', 'x', NULL, 0, 0, 0, 0, 0, 0, 0, 0)", []).unwrap();
            c.execute("INSERT INTO pairs VALUES ('10.0.0.1', 'c2.example', 99999, x'0102', '1.2.3.4', 1, 1, 6, 0)", []).unwrap();
            c.execute("INSERT INTO episodes VALUES ('k', '{broken')", [])
                .unwrap();
        }
        let (_, st, w) = Store::open(dir.path()).unwrap();
        assert_eq!(
            w,
            vec![StoreWarning::SkippedRows {
                path: store.path().to_path_buf(),
                count: 3
            }]
        );
        assert_eq!(st.hosts.len(), 2);
        {
            let c = Connection::open(store.path()).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let (_, st, w) = Store::open(dir.path()).unwrap();
        assert!(
            matches!(
                &w[..],
                [StoreWarning::Schema {
                    found: 99,
                    expected: 1,
                    moved_to: Some(_),
                    ..
                }]
            ),
            "{w:?}"
        );
        assert_eq!(st, State::default());
        assert!(!store.path().exists());
    }

    #[test]
    fn unusable_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            Store::open(&file.join("sub")),
            Err(StoreError::Io { .. })
        ));
    }
}
