//! Application-layer messages for fixtures, so a test builds a mail, a TLS session, an SMB2 file
//! read or a DNS answer in one line and says what it tests rather than how the bytes look:
//!
//! - [`dns_query`], [`dns_answer`]: DNS messages (A/AAAA answers).
//! - [`Mail`] and [`smtp_send`]: a MIME message (text, HTML, attachments in base64) and the whole
//!   SMTP dialogue that carries it.
//! - [`tls_client_hello`], [`tls_server_hello`], [`tls_app_data`] and [`tls_session`]: a TLS 1.2
//!   handshake with SNI followed by encrypted-looking application data of chosen sizes.
//! - [`Smb2`]: an SMB2 client session (negotiate, NTLMSSP session setup, tree connect) that reads
//!   and writes whole files (create, read/write in chunks, close).
//!
//! The bytes follow the wire formats (RFC 1035, RFC 5321/2045/2047, RFC 5246, MS-SMB2) closely
//! enough for real parsers; values that do not matter to a test (random fields, timestamps) are
//! fixed so that fixtures stay deterministic.

use crate::{TcpSession, Trace};
use std::net::IpAddr;

/// A DNS query for the A record of `name`.
pub fn dns_query(id: u16, name: &str) -> Vec<u8> {
    dns_message(id, name, false, &[])
}

/// A DNS response to a query for `name` with one A or AAAA answer per address.
pub fn dns_answer(id: u16, name: &str, addrs: &[IpAddr]) -> Vec<u8> {
    dns_message(id, name, true, addrs)
}

fn dns_message(id: u16, name: &str, response: bool, addrs: &[IpAddr]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(if response { &[0x81, 0x80] } else { &[0x01, 0x00] });
    m.extend_from_slice(&1u16.to_be_bytes());
    m.extend_from_slice(&(addrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    let qtype: u16 = match addrs.first() {
        Some(IpAddr::V6(_)) => 28,
        _ => 1,
    };
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    for a in addrs {
        m.extend_from_slice(&[0xc0, 0x0c]);
        match a {
            IpAddr::V4(v4) => {
                m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
                m.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                m.extend_from_slice(&[0, 28, 0, 1, 0, 0, 0x0e, 0x10, 0, 16]);
                m.extend_from_slice(&v6.octets());
            }
        }
    }
    m
}

/// Standard base64 (RFC 4648) with lines of 76 characters, as MIME writes it.
pub fn base64_lines(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    let mut col = 0;
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            let c = if i <= chunk.len() { A[((n >> (18 - 6 * i)) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
        col += 4;
        if col == 76 {
            out.push_str("\r\n");
            col = 0;
        }
    }
    if col != 0 {
        out.push_str("\r\n");
    }
    out
}

/// An RFC 2047 encoded-word in the B encoding: `=?charset?B?...?=`, for subjects and display
/// names given as bytes already in `charset` (e.g. ISO-2022-JP from `encoding_rs`).
pub fn rfc2047_b(charset: &str, bytes: &[u8]) -> String {
    format!("=?{charset}?B?{}?=", base64_lines(bytes).replace("\r\n", ""))
}

#[derive(Clone, Debug)]
enum Part {
    Text(String),
    Html(String),
    Attachment { name: String, content_type: String, data: Vec<u8> },
}

/// A MIME message: headers, then a text and/or HTML body and attachments in a
/// `multipart/mixed` container (attachments base64-encoded).
#[derive(Clone, Debug, Default)]
pub struct Mail {
    headers: Vec<(String, String)>,
    parts: Vec<Part>,
}

impl Mail {
    /// A message with `From`, `To` and `Subject` (the subject as written: plain ASCII or
    /// encoded-words from [`rfc2047_b`]).
    pub fn new(from: &str, to: &str, subject: &str) -> Mail {
        Mail {
            headers: vec![
                ("From".into(), from.into()),
                ("To".into(), to.into()),
                ("Subject".into(), subject.into()),
                ("Date".into(), "Mon, 18 May 2015 09:12:00 +0900".into()),
                ("Message-ID".into(), "<20150518091200.1234@mail.example.jp>".into()),
                ("MIME-Version".into(), "1.0".into()),
            ],
            parts: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Mail {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a plain-text body part (UTF-8).
    pub fn text(mut self, body: &str) -> Mail {
        self.parts.push(Part::Text(body.into()));
        self
    }

    /// Adds an HTML body part (UTF-8).
    pub fn html(mut self, body: &str) -> Mail {
        self.parts.push(Part::Html(body.into()));
        self
    }

    /// Adds an attachment.
    pub fn attach(mut self, name: &str, content_type: &str, data: &[u8]) -> Mail {
        self.parts.push(Part::Attachment { name: name.into(), content_type: content_type.into(), data: data.to_vec() });
        self
    }

    /// The message as it is sent after DATA (CRLF line ends, no dot-stuffing).
    pub fn to_bytes(&self) -> Vec<u8> {
        const BOUNDARY: &str = "----=_sekimori_fixture_0001";
        let mut m = String::new();
        for (k, v) in &self.headers {
            m.push_str(&format!("{k}: {v}\r\n"));
        }
        m.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n"));
        m.push_str("This is a multi-part message in MIME format.\r\n");
        for p in &self.parts {
            m.push_str(&format!("--{BOUNDARY}\r\n"));
            match p {
                Part::Text(t) => {
                    m.push_str("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
                    m.push_str(&base64_lines(t.as_bytes()));
                }
                Part::Html(h) => {
                    m.push_str("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
                    m.push_str(&base64_lines(h.as_bytes()));
                }
                Part::Attachment { name, content_type, data } => {
                    m.push_str(&format!(
                        "Content-Type: {content_type}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n"
                    ));
                    m.push_str(&base64_lines(data));
                }
            }
        }
        m.push_str(&format!("--{BOUNDARY}--\r\n"));
        m.into_bytes()
    }
}

/// Plays a whole SMTP dialogue on `s` (which must not have been opened yet): handshake,
/// greeting, EHLO, MAIL FROM, RCPT TO per recipient, DATA with the dot-stuffed message, QUIT and
/// the close.
pub fn smtp_send(t: &mut Trace, s: &mut TcpSession, from: &str, rcpts: &[&str], message: &[u8]) {
    s.handshake(t);
    s.server(t, b"220 mail.example.net ESMTP\r\n");
    s.client(t, b"EHLO pc23.example.local\r\n");
    s.server(t, b"250-mail.example.net\r\n250-SIZE 52428800\r\n250 8BITMIME\r\n");
    s.client(t, format!("MAIL FROM:<{from}>\r\n").as_bytes());
    s.server(t, b"250 2.1.0 Ok\r\n");
    for r in rcpts {
        s.client(t, format!("RCPT TO:<{r}>\r\n").as_bytes());
        s.server(t, b"250 2.1.5 Ok\r\n");
    }
    s.client(t, b"DATA\r\n");
    s.server(t, b"354 End data with <CR><LF>.<CR><LF>\r\n");
    let mut data = Vec::with_capacity(message.len() + 8);
    for line in message.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    if !data.ends_with(b"\r\n") {
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    s.client(t, &data);
    s.server(t, b"250 2.0.0 Ok: queued\r\n");
    s.client(t, b"QUIT\r\n");
    s.server(t, b"221 2.0.0 Bye\r\n");
    s.close(t);
}

fn tls_record(ctype: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ctype, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake_msg(htype: u8, body: &[u8]) -> Vec<u8> {
    let l = body.len() as u32;
    let mut m = vec![htype, (l >> 16) as u8, (l >> 8) as u8, l as u8];
    m.extend_from_slice(body);
    m
}

fn extension(t: u16, body: &[u8]) -> Vec<u8> {
    let mut e = t.to_be_bytes().to_vec();
    e.extend_from_slice(&(body.len() as u16).to_be_bytes());
    e.extend_from_slice(body);
    e
}

/// A TLS 1.2 ClientHello record with `sni` (server_name), supported groups, point formats,
/// signature algorithms and ALPN `h2`/`http/1.1`.
pub fn tls_client_hello(sni: &str) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend((0..32u8).map(|i| i.wrapping_mul(7)));
    b.push(0); // no session id
    let suites: [u16; 6] = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0x009e, 0x009f];
    b.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        b.extend_from_slice(&s.to_be_bytes());
    }
    b.extend_from_slice(&[1, 0]); // null compression
    let mut exts = Vec::new();
    let mut sn = vec![0];
    sn.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    sn.extend_from_slice(sni.as_bytes());
    let mut snl = (sn.len() as u16).to_be_bytes().to_vec();
    snl.extend_from_slice(&sn);
    exts.extend(extension(0, &snl));
    exts.extend(extension(10, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]));
    exts.extend(extension(11, &[1, 0]));
    exts.extend(extension(13, &[0, 6, 4, 3, 8, 4, 4, 1]));
    exts.extend(extension(16, b"\x00\x0c\x02h2\x08http/1.1"));
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend_from_slice(&exts);
    tls_record(22, &handshake_msg(1, &b))
}

/// A TLS 1.2 ServerHello record choosing ECDHE-RSA-AES128-GCM-SHA256, then ChangeCipherSpec.
pub fn tls_server_hello() -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend((0..32u8).map(|i| i.wrapping_mul(13)));
    b.push(0);
    b.extend_from_slice(&0xc02fu16.to_be_bytes());
    b.push(0);
    b.extend_from_slice(&[0, 0]); // no extensions
    let mut r = tls_record(22, &handshake_msg(2, &b));
    r.extend(tls_record(20, &[1]));
    r
}

/// `len` bytes of application data in records of at most 16 KiB (deterministic filler that
/// looks random to a compressor).
pub fn tls_app_data(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + len / 16384 * 5 + 5);
    let mut x: u32 = 0x9e37_79b9;
    let mut left = len;
    while left > 0 {
        let n = left.min(16384);
        let body: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        out.extend(tls_record(23, &body));
        left -= n;
    }
    out
}

/// A whole TLS connection on `s`: handshake with `sni`, `upload` bytes of application data from
/// the client, `download` bytes from the server, then the close.
pub fn tls_session(t: &mut Trace, s: &mut TcpSession, sni: &str, upload: usize, download: usize) {
    s.handshake(t);
    s.client(t, &tls_client_hello(sni));
    s.server(t, &tls_server_hello());
    s.client(t, &tls_record(20, &[1]));
    if upload > 0 {
        s.client(t, &tls_app_data(upload));
    }
    s.server(t, &tls_app_data(download.max(1)));
    s.close(t);
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// An SMB2 client on one TCP session: [`Smb2::login`] negotiates, authenticates (NTLMSSP with
/// the given domain and user) and connects to a share; [`Smb2::read_file`] and
/// [`Smb2::write_file`] then move whole files. Every message is NetBIOS-framed and sent as
/// the client or the server of the session.
#[derive(Debug)]
pub struct Smb2 {
    mid: u64,
    tree: u32,
    session: u64,
    next_fid: u64,
    chunk: usize,
}

impl Default for Smb2 {
    fn default() -> Self {
        Smb2::new()
    }
}

impl Smb2 {
    /// A client that reads and writes in 64 KiB chunks.
    pub fn new() -> Smb2 {
        Smb2 { mid: 0, tree: 0, session: 0x0000_0400_0000_0011, next_fid: 0x41, chunk: 65536 }
    }

    /// Changes the read/write chunk size.
    pub fn chunk(mut self, bytes: usize) -> Smb2 {
        self.chunk = bytes.max(1);
        self
    }

    fn header(&self, cmd: u16, resp: bool, status: u32) -> Vec<u8> {
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(b"\xfeSMB");
        h.extend_from_slice(&64u16.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes()); // credit charge
        h.extend_from_slice(&status.to_le_bytes());
        h.extend_from_slice(&cmd.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes()); // credits
        h.extend_from_slice(&u32::from(resp).to_le_bytes()); // flags
        h.extend_from_slice(&0u32.to_le_bytes()); // next command
        h.extend_from_slice(&self.mid.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // process id
        h.extend_from_slice(&self.tree.to_le_bytes());
        h.extend_from_slice(&self.session.to_le_bytes());
        h.extend_from_slice(&[0u8; 16]); // signature
        h
    }

    fn exchange(&mut self, t: &mut Trace, s: &mut TcpSession, cmd: u16, req: &[u8], resp: &[u8]) {
        for (is_resp, body) in [(false, req), (true, resp)] {
            let mut m = self.header(cmd, is_resp, 0);
            m.extend_from_slice(body);
            let l = m.len() as u32;
            let mut framed = vec![0, (l >> 16) as u8, (l >> 8) as u8, l as u8];
            framed.extend_from_slice(&m);
            if is_resp {
                s.server(t, &framed);
            } else {
                s.client(t, &framed);
            }
        }
        self.mid += 1;
    }

    /// Opens the TCP session and logs in as `domain\user`, connected to `share`
    /// (`\\server\share`).
    pub fn login(&mut self, t: &mut Trace, s: &mut TcpSession, domain: &str, user: &str, share: &str) {
        s.handshake(t);
        let mut neg = vec![0u8; 36];
        neg[0] = 36;
        neg[2] = 2; // two dialects
        neg.extend_from_slice(&0x0202u16.to_le_bytes());
        neg.extend_from_slice(&0x0210u16.to_le_bytes());
        let mut neg_resp = vec![0u8; 64];
        neg_resp[0] = 65;
        neg_resp[4..6].copy_from_slice(&0x0210u16.to_le_bytes());
        neg_resp[8..24].copy_from_slice(&[0x5e; 16]);
        neg_resp[28..32].copy_from_slice(&(1u32 << 20).to_le_bytes());
        neg_resp[32..36].copy_from_slice(&(1u32 << 20).to_le_bytes());
        neg_resp[36..40].copy_from_slice(&(1u32 << 20).to_le_bytes());
        self.exchange(t, s, 0, &neg, &neg_resp);

        // NTLMSSP AUTHENTICATE (message type 3) with domain, user and workstation.
        let (d, u, w) = (utf16(domain), utf16(user), utf16("PC23"));
        let mut ntlm = b"NTLMSSP\0".to_vec();
        ntlm.extend_from_slice(&3u32.to_le_bytes());
        let mut payload = Vec::new();
        for field in [&b""[..], &b""[..], &d, &u, &w, &b""[..]] {
            let off = 72 + payload.len() as u32;
            ntlm.extend_from_slice(&(field.len() as u16).to_le_bytes());
            ntlm.extend_from_slice(&(field.len() as u16).to_le_bytes());
            ntlm.extend_from_slice(&off.to_le_bytes());
            payload.extend_from_slice(field);
        }
        ntlm.extend_from_slice(&0x0200_0001u32.to_le_bytes());
        ntlm.extend_from_slice(&[10, 0, 0x61, 0x4a, 0, 0, 0, 15]);
        ntlm.extend_from_slice(&payload);
        let mut setup = vec![0u8; 24];
        setup[0] = 25;
        setup[12..14].copy_from_slice(&(64u16 + 24).to_le_bytes());
        setup[14..16].copy_from_slice(&(ntlm.len() as u16).to_le_bytes());
        setup.extend_from_slice(&ntlm);
        let mut ok = vec![0u8; 8];
        ok[0] = 9;
        self.exchange(t, s, 1, &setup, &ok);

        let p = utf16(share);
        let mut tc = vec![0u8; 8];
        tc[0] = 9;
        tc[4..6].copy_from_slice(&72u16.to_le_bytes());
        tc[6..8].copy_from_slice(&(p.len() as u16).to_le_bytes());
        tc.extend_from_slice(&p);
        let mut tc_resp = vec![0u8; 16];
        tc_resp[0] = 16;
        tc_resp[2] = 1; // disk share
        self.exchange(t, s, 3, &tc, &tc_resp);
        self.tree = 7;
    }

    fn create(&mut self, t: &mut Trace, s: &mut TcpSession, name: &str, disposition: u32, size: u64) -> [u8; 16] {
        let mut fid = [0u8; 16];
        fid[..8].copy_from_slice(&self.next_fid.to_le_bytes());
        fid[8..16].copy_from_slice(&(!self.next_fid).to_le_bytes());
        self.next_fid += 1;
        let n = utf16(name);
        let mut req = vec![0u8; 56];
        req[0] = 57;
        req[24..28].copy_from_slice(&0x0012_019fu32.to_le_bytes()); // desired access
        req[36..40].copy_from_slice(&disposition.to_le_bytes());
        req[44..46].copy_from_slice(&120u16.to_le_bytes());
        req[46..48].copy_from_slice(&(n.len() as u16).to_le_bytes());
        req.extend_from_slice(&n);
        let mut resp = vec![0u8; 88];
        resp[0] = 89;
        let ft = (1_431_936_000u64 + 11_644_473_600) * 10_000_000;
        for i in 0..4 {
            resp[8 + 8 * i..16 + 8 * i].copy_from_slice(&ft.to_le_bytes());
        }
        resp[40..48].copy_from_slice(&size.to_le_bytes()); // allocation size
        resp[48..56].copy_from_slice(&size.to_le_bytes()); // end of file
        resp[64..80].copy_from_slice(&fid);
        self.exchange(t, s, 5, &req, &resp);
        fid
    }

    fn close_fid(&mut self, t: &mut Trace, s: &mut TcpSession, fid: [u8; 16]) {
        let mut req = vec![0u8; 24];
        req[0] = 24;
        req[8..24].copy_from_slice(&fid);
        let mut resp = vec![0u8; 60];
        resp[0] = 60;
        self.exchange(t, s, 6, &req, &resp);
    }

    /// Opens `name` (a path within the share), reads all of `data` in chunks and closes it.
    pub fn read_file(&mut self, t: &mut Trace, s: &mut TcpSession, name: &str, data: &[u8]) {
        let fid = self.create(t, s, name, 1, data.len() as u64);
        for (i, chunk) in data.chunks(self.chunk).enumerate() {
            let mut req = vec![0u8; 49];
            req[0] = 49;
            req[4..8].copy_from_slice(&(chunk.len() as u32).to_le_bytes());
            req[8..16].copy_from_slice(&((i * self.chunk) as u64).to_le_bytes());
            req[16..32].copy_from_slice(&fid);
            let mut resp = vec![0u8; 16];
            resp[0] = 17;
            resp[2] = 80; // data offset
            resp[4..8].copy_from_slice(&(chunk.len() as u32).to_le_bytes());
            resp.extend_from_slice(chunk);
            self.exchange(t, s, 8, &req, &resp);
        }
        self.close_fid(t, s, fid);
    }

    /// Creates `name`, writes all of `data` in chunks and closes it.
    pub fn write_file(&mut self, t: &mut Trace, s: &mut TcpSession, name: &str, data: &[u8]) {
        let fid = self.create(t, s, name, 5, 0);
        for (i, chunk) in data.chunks(self.chunk).enumerate() {
            let mut req = vec![0u8; 48];
            req[0] = 49;
            req[2..4].copy_from_slice(&112u16.to_le_bytes()); // data offset
            req[4..8].copy_from_slice(&(chunk.len() as u32).to_le_bytes());
            req[8..16].copy_from_slice(&((i * self.chunk) as u64).to_le_bytes());
            req[16..32].copy_from_slice(&fid);
            req.extend_from_slice(chunk);
            let mut resp = vec![0u8; 16];
            resp[0] = 17;
            resp[4..8].copy_from_slice(&(chunk.len() as u32).to_le_bytes());
            self.exchange(t, s, 9, &req, &resp);
        }
        self.close_fid(t, s, fid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64_lines(b""), "");
        assert_eq!(base64_lines(b"f"), "Zg==\r\n");
        assert_eq!(base64_lines(b"fo"), "Zm8=\r\n");
        assert_eq!(base64_lines(b"foobar"), "Zm9vYmFy\r\n");
        let long = base64_lines(&[0u8; 60]);
        assert_eq!(long.lines().next().map(str::len), Some(76));
        assert_eq!(rfc2047_b("UTF-8", b"foo"), "=?UTF-8?B?Zm9v?=");
    }

    #[test]
    fn dns_answer_has_one_record_per_address() {
        let a = dns_answer(7, "www.example.jp", &["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()]);
        assert_eq!(&a[6..8], &[0, 2]);
        assert_eq!(a.len(), 12 + 16 + 4 + 2 * 16);
        assert_eq!(&a[a.len() - 4..], &[192, 0, 2, 2]);
        let q = dns_query(7, "www.example.jp");
        assert_eq!(&q[2..4], &[1, 0]);
    }

    #[test]
    fn tls_records_are_well_formed() {
        let ch = tls_client_hello("c2.example.jp");
        assert_eq!(ch[0], 22);
        assert_eq!(usize::from(u16::from_be_bytes([ch[3], ch[4]])), ch.len() - 5);
        assert!(ch.windows(13).any(|w| w == b"c2.example.jp"));
        let data = tls_app_data(40_000);
        assert_eq!(data.len(), 40_000 + 3 * 5);
    }

    #[test]
    fn mail_dot_stuffs_and_ends_with_a_dot_line() {
        let mut t = Trace::new(crate::Link::Ethernet);
        let mut s = TcpSession::new(crate::ep("10.0.0.1:40000"), crate::ep("10.0.0.2:25"));
        let m = Mail::new("a@example.jp", "b@example.jp", "hi").text(".hidden line\r\nok").attach("x.bin", "application/octet-stream", &[1, 2, 3]).to_bytes();
        smtp_send(&mut t, &mut s, "a@example.jp", &["b@example.jp"], &m);
        assert!(t.frames().len() > 20);
    }
}
