//! SMTP (RFC 5321) command/reply parser with a streaming MIME decoder for the messages.
//!
//! One transaction per message, numbered as Suricata 7 does: a transaction starts with the
//! first command when none is open (except RSET/QUIT, unless the previous message ended with
//! DATA's end line), and is handed to the sink as `Complete` at the end of DATA / the last BDAT
//! chunk, at RSET, at a protocol switch, or at the flow's end. HELO/EHLO carries over to
//! later transactions. DATA is dot-unstuffed line by line (the end-of-data line may be split
//! anywhere); BDAT chunks are passed raw. Pipelined commands are matched with replies in order.
//! After a `220` reply to STARTTLS the parser hands the flow back to detection
//! ([`ParseResult::Switch`]), which then finds TLS.
//!
//! Hand-rolled: no maintained crate parses SMTP sessions incrementally from a byte stream.

pub mod mime;
#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::config::AppConfig;
use crate::parser::{AppParser, ParseCx, ParseResult, Probe, ProtocolInfo};
use crate::sink::{AppTx, FileClose, FileId, FileKind, FileOpen, FileStatus};
use crate::types::{AppProto, Direction, Transport, TxStage};
pub use mime::{MimeInfo, MimeLimits, MimeParser, decode_words};

/// SMTP parser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// TCP server ports where SMTP is probed first (25, 587). SMTP is recognised by content
    /// (`EHLO`/`HELO`, or an `220 ... SMTP` banner) on every port.
    pub ports: Vec<u16>,
    /// Longest command or reply line buffered (`MAX_COMMAND_LINE_LEN_EXCEEDED` /
    /// `MAX_REPLY_LINE_LEN_EXCEEDED` beyond; the rest of the line is skipped).
    pub max_line: usize,
    /// Commands awaiting a reply (pipelining window); older ones are forgotten beyond.
    pub max_pipeline: usize,
    /// RCPT TO addresses kept per transaction.
    pub max_rcpt: usize,
    /// MIME decoder limits.
    pub mime: MimeLimits,
    /// Decode messages (Suricata's `smtp.mime.decode-mime`): the `email` object and the
    /// attachments as files. On by default.
    pub decode_mime: bool,
    /// With MIME decoding off, hand each whole raw message to the file sink as one file named
    /// `rawmsg` (Suricata's `smtp.raw-extraction`; ignored while `decode_mime` is on, as
    /// Suricata does).
    pub raw_extraction: bool,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            ports: vec![25, 587],
            max_line: 4096,
            max_pipeline: 64,
            max_rcpt: 256,
            mime: MimeLimits::default(),
            decode_mime: true,
            raw_extraction: false,
        }
    }
}

/// One SMTP transaction (one message, or the commands around it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmtpTx {
    /// Transaction id within the flow.
    pub tx_id: u64,
    /// HELO/EHLO argument (carried over from earlier transactions).
    pub helo: Option<Vec<u8>>,
    /// MAIL FROM argument (e.g. `<a@b>`), parameters removed.
    pub mail_from: Option<Vec<u8>>,
    /// RCPT TO arguments, in order.
    pub rcpt_to: Vec<Vec<u8>>,
    /// Final reply codes received for this transaction's commands, in order (capped at 64).
    pub reply_codes: Vec<u16>,
    /// DATA or BDAT started.
    pub data: bool,
    /// The message ended (end of data / last BDAT) or RSET was sent.
    pub done: bool,
    /// The message came in BDAT chunks (Suricata 7.0.10 does not MIME-decode those, so its EVE
    /// has no `email` object for them; sekimori decodes and streams them anyway).
    pub bdat: bool,
    /// The decoded message, once DATA/BDAT started.
    pub email: Option<MimeInfo>,
}

/// SMTP parser counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmtpStats {
    /// Command lines parsed.
    pub commands: u64,
    /// Reply lines parsed (each line of multi-line replies).
    pub replies: u64,
    /// Replies with no command waiting (`UNABLE_TO_MATCH_REPLY_WITH_REQUEST`).
    pub unmatched_replies: u64,
    /// Messages (DATA/BDAT) started.
    pub messages: u64,
    /// MIME parts streamed to the file sink.
    pub files: u64,
    /// Lines longer than the limits (cut or split).
    pub long_lines: u64,
    /// Gaps seen by the SMTP parser.
    pub gaps: u64,
    /// STARTTLS accepted: flow handed to detection.
    pub starttls: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Helo,
    Data,
    Rset,
    StartTls,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Command,
    Data,
    /// Bytes of a BDAT chunk still to come; `last`: the chunk ends the message.
    Bdat {
        left: u64,
        last: bool,
    },
    /// After a gap in DATA: skip to the end-of-data line.
    SkipData,
}

/// The per-flow SMTP parser.
pub struct SmtpParser {
    cfg: SmtpConfig,
    line: [Vec<u8>; 2],
    /// The rest of the current line is being skipped (too long).
    skipping: [bool; 2],
    /// The buffered data is the continuation of a line already delivered in part.
    data_cont: bool,
    mode: Mode,
    cur: Option<SmtpTx>,
    next_id: u64,
    helo: Option<Vec<u8>>,
    cmds: VecDeque<Cmd>,
    mime: Option<MimeParser>,
    greeted: bool,
    /// The last message ended with DATA's end line (the next command, QUIT included, opens a
    /// transaction, as Suricata 7 does).
    after_data: bool,
    /// The directions that ended (to server, to client).
    closed: [bool; 2],
    /// The raw message file being extracted (`raw_extraction`) and its size so far.
    raw: Option<(FileId, u64)>,
}

fn ci_starts(s: &[u8], p: &[u8]) -> bool {
    s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
}

fn strip_eol(l: &[u8]) -> &[u8] {
    match l {
        [r @ .., b'\r', b'\n'] => r,
        [r @ .., b'\n'] => r,
        _ => l,
    }
}

/// The address argument of `MAIL FROM:` / `RCPT TO:`: up to the closing `>` when bracketed,
/// else the first word.
fn path_arg(rest: &[u8]) -> Vec<u8> {
    let a = mime_trim(rest);
    let end = if a.first() == Some(&b'<') {
        memchr::memchr(b'>', a).map_or(a.len(), |p| p + 1)
    } else {
        a.iter()
            .position(|c| c.is_ascii_whitespace())
            .unwrap_or(a.len())
    };
    a.get(..end).unwrap_or(&[]).to_vec()
}

fn mime_trim(mut s: &[u8]) -> &[u8] {
    while let [a, r @ ..] = s {
        if a.is_ascii_whitespace() {
            s = r;
        } else {
            break;
        }
    }
    while let [r @ .., a] = s {
        if a.is_ascii_whitespace() {
            s = r;
        } else {
            break;
        }
    }
    s
}

impl SmtpParser {
    fn event(&self, cx: &mut ParseCx<'_>, dir: Direction, name: &'static str) {
        let id = self.cur.as_ref().map(|t| t.tx_id);
        cx.event(AppProto::Smtp, dir, id, name);
    }

    fn tx(&mut self) -> &mut SmtpTx {
        let next = &mut self.next_id;
        let helo = &self.helo;
        self.cur.get_or_insert_with(|| {
            let t = SmtpTx {
                tx_id: *next,
                helo: helo.clone(),
                ..SmtpTx::default()
            };
            *next += 1;
            t
        })
    }

    fn complete(&mut self, cx: &mut ParseCx<'_>) {
        if let Some(t) = self.cur.take() {
            cx.tx(AppTx::Smtp(&t), TxStage::Complete);
        }
    }

    /// Ends the raw message file, if one is being extracted.
    fn end_raw(&mut self, status: FileStatus, cx: &mut ParseCx<'_>) {
        if let Some((id, size)) = self.raw.take() {
            cx.sink.file_close(cx.flow, id, &FileClose { status, size });
        }
    }

    fn end_message(&mut self, ok: bool, cx: &mut ParseCx<'_>) {
        self.end_raw(
            if ok {
                FileStatus::Complete
            } else {
                FileStatus::Truncated
            },
            cx,
        );
        let id = self.tx().tx_id;
        if let Some(mut m) = self.mime.take() {
            m.end(ok, cx, id);
            self.flush_mime_events(&mut m, cx);
            cx.stats.smtp.files += m.files;
            let t = self.tx();
            t.email = Some(m.info);
        }
        self.tx().done = true;
    }

    fn flush_mime_events(&mut self, m: &mut MimeParser, cx: &mut ParseCx<'_>) {
        for e in std::mem::take(&mut m.events) {
            self.event(cx, Direction::ToServer, e);
        }
    }

    fn feed_mime(&mut self, data: &[u8], cx: &mut ParseCx<'_>) {
        if let Some((fid, size)) = self.raw.as_mut() {
            *size = size.saturating_add(data.len() as u64);
            cx.sink.file_data(cx.flow, *fid, data);
        }
        let id = self.tx().tx_id;
        if let Some(mut m) = self.mime.take() {
            m.feed(data, cx, id);
            if !m.events.is_empty() {
                self.flush_mime_events(&mut m, cx);
            }
            self.mime = Some(m);
        }
    }

    fn start_message(&mut self, cx: &mut ParseCx<'_>) {
        cx.stats.smtp.messages += 1;
        self.tx().data = true;
        if self.cfg.decode_mime {
            if self.mime.is_none() {
                self.mime = Some(MimeParser::new(&self.cfg.mime));
            }
        } else if self.cfg.raw_extraction && self.raw.is_none() {
            let tx_id = self.tx().tx_id;
            let id = cx.new_file_id();
            cx.sink.file_open(
                cx.flow,
                &FileOpen {
                    id,
                    proto: AppProto::Smtp,
                    tx_id,
                    dir: Direction::ToServer,
                    kind: FileKind::MailAttachment,
                    name: b"rawmsg",
                    field: &[],
                    content_type: &[],
                    declared_len: None,
                },
            );
            cx.stats.smtp.files += 1;
            self.raw = Some((id, 0));
        }
    }

    fn remember(&mut self, c: Cmd) {
        if self.cmds.len() >= self.cfg.max_pipeline {
            self.cmds.pop_front();
        }
        self.cmds.push_back(c);
    }

    fn command(&mut self, line: &[u8], cx: &mut ParseCx<'_>) {
        cx.stats.smtp.commands += 1;
        let l = strip_eol(line);
        let no_new = !std::mem::replace(&mut self.after_data, false)
            && (ci_starts(l, b"rset") || ci_starts(l, b"quit"));
        if self.cur.as_ref().is_some_and(|t| t.done) && !no_new {
            self.complete(cx);
        }
        if self.cur.is_none() && !(no_new && self.next_id > 0) {
            self.tx();
        }
        let verb_end = l.iter().position(|c| *c == b' ').unwrap_or(l.len());
        let verb = l.get(..verb_end).unwrap_or(&[]).to_ascii_uppercase();
        let arg = mime_trim(l.get(verb_end..).unwrap_or(&[]));
        let cmd = match verb.as_slice() {
            b"HELO" | b"EHLO" => {
                self.helo = Some(arg.to_vec());
                if let Some(t) = self.cur.as_mut() {
                    t.helo = Some(arg.to_vec());
                }
                Cmd::Helo
            }
            b"MAIL" if ci_starts(arg, b"from:") => {
                let a = path_arg(arg.get(5..).unwrap_or(&[]));
                self.tx().mail_from = Some(a);
                Cmd::Other
            }
            b"RCPT" if ci_starts(arg, b"to:") => {
                let a = path_arg(arg.get(3..).unwrap_or(&[]));
                let max = self.cfg.max_rcpt;
                let t = self.tx();
                if t.rcpt_to.len() < max {
                    t.rcpt_to.push(a);
                }
                Cmd::Other
            }
            b"DATA" => {
                self.start_message(cx);
                self.mode = Mode::Data;
                self.data_cont = false;
                Cmd::Data
            }
            b"BDAT" => {
                let mut it = arg.split(|c| *c == b' ').filter(|s| !s.is_empty());
                let n = it
                    .next()
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(|s| s.parse::<u64>().ok());
                let last = it.next().is_some_and(|s| s.eq_ignore_ascii_case(b"last"));
                match n {
                    Some(left) => {
                        self.start_message(cx);
                        self.tx().bdat = true;
                        if left == 0 {
                            if last {
                                self.end_message(true, cx);
                                self.complete(cx);
                            }
                        } else {
                            self.mode = Mode::Bdat { left, last };
                        }
                    }
                    None => self.event(cx, Direction::ToServer, "BDAT_CHUNK_LEN_EXCEEDED"),
                }
                Cmd::Data
            }
            b"RSET" => {
                if let Some(mut m) = self.mime.take() {
                    m.abort(cx, FileStatus::Truncated);
                    cx.stats.smtp.files += m.files;
                    if let Some(t) = self.cur.as_mut() {
                        t.email = Some(m.info);
                    }
                }
                if let Some(t) = self.cur.as_mut() {
                    t.done = true;
                }
                self.complete(cx);
                Cmd::Rset
            }
            b"STARTTLS" => Cmd::StartTls,
            _ => Cmd::Other,
        };
        self.remember(cmd);
    }

    fn data_line(&mut self, line: &[u8], cont: bool, cx: &mut ParseCx<'_>) {
        if !cont && (line == b".\r\n" || line == b".\n") {
            if self.mode == Mode::SkipData {
                if let Some(t) = self.cur.as_mut() {
                    t.done = true;
                }
            } else {
                self.end_message(true, cx);
                self.complete(cx);
            }
            self.mode = Mode::Command;
            // The server answers the end of data.
            self.remember(Cmd::Other);
            self.after_data = true;
            return;
        }
        if self.mode == Mode::SkipData {
            return;
        }
        let l = if !cont && line.first() == Some(&b'.') {
            line.get(1..).unwrap_or(&[])
        } else {
            line
        };
        self.feed_mime(l, cx);
    }

    /// Returns the end offset of a 220 reply to STARTTLS (switch there).
    fn reply(&mut self, line: &[u8], cx: &mut ParseCx<'_>) -> bool {
        cx.stats.smtp.replies += 1;
        let l = strip_eol(line);
        let code = match l.get(..3) {
            Some(d) if d.iter().all(u8::is_ascii_digit) => {
                d.iter().fold(0u16, |a, c| a * 10 + u16::from(c - b'0'))
            }
            _ => {
                self.event(cx, Direction::ToClient, "INVALID_REPLY");
                return false;
            }
        };
        if l.get(3) == Some(&b'-') {
            return false;
        }
        let Some(cmd) = self.cmds.pop_front() else {
            if !self.greeted {
                self.greeted = true;
            } else {
                cx.stats.smtp.unmatched_replies += 1;
                self.event(
                    cx,
                    Direction::ToClient,
                    "UNABLE_TO_MATCH_REPLY_WITH_REQUEST",
                );
            }
            return false;
        };
        self.greeted = true;
        if let Some(t) = self.cur.as_mut()
            && t.reply_codes.len() < 64
        {
            t.reply_codes.push(code);
        }
        match cmd {
            Cmd::StartTls if code == 220 => {
                cx.stats.smtp.starttls += 1;
                return true;
            }
            Cmd::StartTls => self.event(cx, Direction::ToClient, "TLS_REJECTED"),
            Cmd::Data if code != 354 && code != 250 => {
                self.event(cx, Direction::ToClient, "DATA_COMMAND_REJECTED")
            }
            Cmd::Helo | Cmd::Data | Cmd::Rset | Cmd::Other => {}
        }
        false
    }

    fn parse_client(&mut self, mut data: &[u8], cx: &mut ParseCx<'_>) {
        let i = Direction::ToServer.index();
        while !data.is_empty() {
            if let Mode::Bdat { left, last } = self.mode {
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                let (chunk, rest) = data.split_at(n);
                data = rest;
                self.feed_mime(chunk, cx);
                let left = left - n as u64;
                if left == 0 {
                    if last {
                        self.end_message(true, cx);
                        self.complete(cx);
                    }
                    self.mode = Mode::Command;
                } else {
                    self.mode = Mode::Bdat { left, last };
                }
                continue;
            }
            let in_data = matches!(self.mode, Mode::Data | Mode::SkipData);
            match memchr::memchr(b'\n', data) {
                Some(p) => {
                    let (l, rest) = data.split_at(p + 1);
                    data = rest;
                    if self.skipping[i] {
                        self.skipping[i] = false;
                        continue;
                    }
                    let mut line = std::mem::take(&mut self.line[i]);
                    let whole: &[u8] = if line.is_empty() {
                        l
                    } else {
                        line.extend_from_slice(l);
                        &line
                    };
                    if in_data {
                        let cont = std::mem::replace(&mut self.data_cont, false);
                        self.data_line(whole, cont, cx);
                    } else {
                        if whole.len() > self.cfg.max_line {
                            cx.stats.smtp.long_lines += 1;
                            self.event(cx, Direction::ToServer, "MAX_COMMAND_LINE_LEN_EXCEEDED");
                        }
                        self.command(whole, cx);
                    }
                    line.clear();
                    self.line[i] = line;
                }
                None => {
                    if self.skipping[i] {
                        return;
                    }
                    let max = if in_data {
                        self.cfg.mime.max_line
                    } else {
                        self.cfg.max_line
                    };
                    let room = max.saturating_sub(self.line[i].len());
                    let take = room.min(data.len());
                    self.line[i].extend_from_slice(data.get(..take).unwrap_or(&[]));
                    data = data.get(take..).unwrap_or(&[]);
                    if self.line[i].len() >= max {
                        cx.stats.smtp.long_lines += 1;
                        if in_data {
                            // Deliver the piece; the line continues.
                            let line = std::mem::take(&mut self.line[i]);
                            let cont = std::mem::replace(&mut self.data_cont, true);
                            self.data_line(&line, cont, cx);
                            self.line[i] = line;
                            self.line[i].clear();
                        } else {
                            self.event(cx, Direction::ToServer, "MAX_COMMAND_LINE_LEN_EXCEEDED");
                            let line = std::mem::take(&mut self.line[i]);
                            self.command(&line, cx);
                            self.line[i] = line;
                            self.line[i].clear();
                            self.skipping[i] = true;
                        }
                    }
                }
            }
        }
    }

    fn parse_server(&mut self, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        let i = Direction::ToClient.index();
        let mut pos = 0;
        while pos < data.len() {
            let rest = data.get(pos..).unwrap_or(&[]);
            match memchr::memchr(b'\n', rest) {
                Some(p) => {
                    let l = rest.get(..p + 1).unwrap_or(&[]);
                    pos += p + 1;
                    if self.skipping[i] {
                        self.skipping[i] = false;
                        continue;
                    }
                    let mut line = std::mem::take(&mut self.line[i]);
                    let whole: &[u8] = if line.is_empty() {
                        l
                    } else {
                        line.extend_from_slice(l);
                        &line
                    };
                    if whole.len() > self.cfg.max_line {
                        cx.stats.smtp.long_lines += 1;
                        self.event(cx, Direction::ToClient, "MAX_REPLY_LINE_LEN_EXCEEDED");
                    }
                    let switch = self.reply(whole, cx);
                    line.clear();
                    self.line[i] = line;
                    if switch {
                        return ParseResult::Switch { consumed: pos };
                    }
                }
                None => {
                    if self.skipping[i] {
                        break;
                    }
                    let room = self.cfg.max_line.saturating_sub(self.line[i].len());
                    let take = room.min(rest.len());
                    self.line[i].extend_from_slice(rest.get(..take).unwrap_or(&[]));
                    pos += take;
                    if self.line[i].len() >= self.cfg.max_line {
                        cx.stats.smtp.long_lines += 1;
                        self.event(cx, Direction::ToClient, "MAX_REPLY_LINE_LEN_EXCEEDED");
                        self.line[i].clear();
                        self.skipping[i] = true;
                    }
                }
            }
        }
        ParseResult::Ok
    }
}

impl AppParser for SmtpParser {
    fn info() -> ProtocolInfo {
        ProtocolInfo {
            proto: AppProto::Smtp,
            tcp: true,
            udp: false,
        }
    }

    fn ports(cfg: &AppConfig, transport: Transport) -> Vec<u16> {
        match transport {
            Transport::Tcp => cfg.smtp.ports.clone(),
            Transport::Udp => Vec::new(),
        }
    }

    fn any_port(_cfg: &AppConfig, transport: Transport) -> bool {
        transport == Transport::Tcp
    }

    fn probe(transport: Transport, dir: Direction, data: &[u8]) -> Probe {
        if transport != Transport::Tcp {
            return Probe::No;
        }
        match dir {
            Direction::ToServer => {
                for v in [&b"EHLO "[..], b"HELO "] {
                    let n = data.len().min(v.len());
                    if !ci_starts(data, v.get(..n).unwrap_or(&[])) {
                        continue;
                    }
                    return if n == v.len() {
                        Probe::Yes
                    } else {
                        Probe::NeedMore
                    };
                }
                Probe::No
            }
            Direction::ToClient => {
                let n = data.len().min(4);
                let head = data.get(..n).unwrap_or(&[]);
                let pat = b"220 ";
                let ok = head
                    .iter()
                    .zip(pat.iter())
                    .enumerate()
                    .all(|(i, (c, p))| c == p || (i == 3 && *c == b'-'));
                if !ok {
                    return Probe::No;
                }
                let Some(eol) = memchr::memchr(b'\n', data) else {
                    return Probe::NeedMore;
                };
                let line = data.get(..eol).unwrap_or(&[]).to_ascii_uppercase();
                if memchr::memmem::find(&line, b"SMTP").is_some() {
                    Probe::Yes
                } else {
                    Probe::No
                }
            }
        }
    }

    fn create(cfg: &AppConfig, _transport: Transport) -> Self {
        let mut c = cfg.smtp.clone();
        // Zero limits would stop line splitting from making progress.
        c.max_line = c.max_line.max(64);
        c.mime.max_line = c.mime.max_line.max(64);
        c.max_pipeline = c.max_pipeline.max(1);
        SmtpParser {
            cfg: c,
            line: [Vec::new(), Vec::new()],
            skipping: [false; 2],
            data_cont: false,
            mode: Mode::Command,
            cur: None,
            next_id: 0,
            helo: None,
            cmds: VecDeque::new(),
            mime: None,
            greeted: false,
            closed: [false; 2],
            raw: None,
            after_data: false,
        }
    }

    fn proto(&self) -> AppProto {
        AppProto::Smtp
    }

    fn parse(&mut self, dir: Direction, data: &[u8], cx: &mut ParseCx<'_>) -> ParseResult {
        match dir {
            Direction::ToServer => {
                self.parse_client(data, cx);
                ParseResult::Ok
            }
            Direction::ToClient => self.parse_server(data, cx),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, cx: &mut ParseCx<'_>) {
        cx.stats.smtp.gaps += 1;
        let i = dir.index();
        self.line[i].clear();
        self.skipping[i] = false;
        if dir == Direction::ToClient {
            self.cmds.clear();
            return;
        }
        match self.mode {
            Mode::Data | Mode::Bdat { .. } => {
                self.end_raw(FileStatus::Gap, cx);
                if let Some(mut m) = self.mime.take() {
                    m.abort(cx, FileStatus::Gap);
                    cx.stats.smtp.files += m.files;
                    if let Some(t) = self.cur.as_mut() {
                        t.email = Some(m.info);
                    }
                }
                self.mode = if self.mode == Mode::Data {
                    Mode::SkipData
                } else {
                    Mode::Command
                };
            }
            Mode::Command | Mode::SkipData => {}
        }
        self.data_cont = false;
    }

    fn close(&mut self, dir: Direction, tail: &[u8], cx: &mut ParseCx<'_>) {
        if !tail.is_empty() {
            let _ = self.parse(dir, tail, cx);
        }
        // Both sides ended: nothing more can come, the open transaction is complete now (as
        // Suricata completes transactions at end of stream in both directions, on that packet).
        let i = usize::from(dir != Direction::ToServer);
        if let Some(c) = self.closed.get_mut(i) {
            *c = true;
        }
        if self.closed == [true, true] {
            self.finish(cx);
        }
    }

    fn finish(&mut self, cx: &mut ParseCx<'_>) {
        if self.mime.is_some() || self.raw.is_some() {
            self.end_message(false, cx);
        }
        self.complete(cx);
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.line.iter().map(Vec::capacity).sum::<usize>()
            + self.mime.as_ref().map_or(0, MimeParser::memory)
            + self.cmds.capacity()
    }
}
