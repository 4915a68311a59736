//! The `rfb` record as Suricata 7 writes it, from a [`sekimori_app::RfbTx`]: the VNC handshake.
//!
//! Fields, in Suricata's order: `server_protocol_version` and `client_protocol_version`
//! {`major`, `minor`} (the banner digits as strings), `authentication` {`security_type`, `vnc`
//! {`challenge`, `response`} (hex), `security_result`}, `screen_shared`, `framebuffer`
//! {`width`, `height`, `name`, `pixel_format` {...}}. Parts not seen are left out.

use sekimori_app::RfbTx;

use crate::http::push_bytes_string;
use crate::json::Obj;
use crate::records::Header;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn digits(b: &[u8; 3]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes the fields of the `rfb` object (without braces) into `o`.
pub fn write_rfb_fields(o: &mut Obj<'_>, tx: &RfbTx) {
    for (k, v) in [
        ("server_protocol_version", tx.server_version),
        ("client_protocol_version", tx.client_version),
    ] {
        if let Some(v) = v {
            o.obj(k, |p| {
                p.str("major", &digits(&v.major))
                    .str("minor", &digits(&v.minor));
            });
        }
    }
    if let Some(t) = tx.security_type {
        o.obj("authentication", |a| {
            a.u64("security_type", u64::from(t));
            if let (Some(c), Some(r)) = (tx.vnc_challenge, tx.vnc_response) {
                a.obj("vnc", |v| {
                    v.str("challenge", &hex(&c)).str("response", &hex(&r));
                });
            }
            if let Some(r) = tx.security_result_str() {
                a.str("security_result", &r);
            }
        });
    }
    if let Some(s) = tx.shared {
        o.bool("screen_shared", s);
    }
    if let Some(init) = &tx.server_init {
        o.obj("framebuffer", |f| {
            f.u64("width", init.width.into())
                .u64("height", init.height.into())
                .raw_with("name", |b| push_bytes_string(b, &init.name));
            let pf = init.pixel_format;
            f.obj("pixel_format", |p| {
                p.u64("bits_per_pixel", pf.bits_per_pixel.into())
                    .u64("depth", pf.depth.into())
                    .bool("big_endian", pf.big_endian)
                    .bool("true_color", pf.true_color)
                    .u64("red_max", pf.red_max.into())
                    .u64("green_max", pf.green_max.into())
                    .u64("blue_max", pf.blue_max.into())
                    .u64("red_shift", pf.red_shift.into())
                    .u64("green_shift", pf.green_shift.into())
                    .u64("blue_shift", pf.blue_shift.into());
            });
        });
    }
}

/// Everything an `rfb` record says.
#[derive(Clone, Copy, Debug)]
pub struct RfbRecord<'a> {
    /// Common header (`event_type` is forced to `rfb`); endpoints oriented as the flow.
    pub header: Header<'a>,
    /// `pkt_src`, when known.
    pub pkt_src: Option<&'a str>,
    /// The transaction.
    pub tx: &'a RfbTx,
}

/// Writes an `rfb` record (one JSON object, no newline) into `buf`.
pub fn write_rfb(buf: &mut Vec<u8>, r: &RfbRecord<'_>) {
    let mut o = Obj::new(buf);
    Header {
        event_type: "rfb",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    o.obj("rfb", |t| write_rfb_fields(t, r.tx));
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekimori_app::rfb::{PixelFormat, RfbVersion, ServerInit};

    #[test]
    fn rfb_object_in_suricata_order() {
        let v = RfbVersion {
            major: *b"003",
            minor: *b"008",
        };
        let tx = RfbTx {
            server_version: Some(v),
            client_version: Some(v),
            offered_types: vec![2],
            security_type: Some(2),
            vnc_challenge: Some([0x1d; 16]),
            vnc_response: Some([0x54; 16]),
            security_result: Some(0),
            shared: Some(false),
            server_init: Some(ServerInit {
                width: 800,
                height: 600,
                pixel_format: PixelFormat {
                    bits_per_pixel: 32,
                    depth: 24,
                    big_endian: false,
                    true_color: true,
                    red_max: 255,
                    green_max: 255,
                    blue_max: 255,
                    red_shift: 16,
                    green_shift: 8,
                    blue_shift: 0,
                },
                name: vec![0xa0],
            }),
            ..RfbTx::default()
        };
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_rfb_fields(&mut o, &tx);
        o.end();
        let got = String::from_utf8(buf).unwrap();
        let want = concat!(
            r#"{"server_protocol_version":{"major":"003","minor":"008"},"#,
            r#""client_protocol_version":{"major":"003","minor":"008"},"#,
            r#""authentication":{"security_type":2,"vnc":{"challenge":"1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d","#,
            r#""response":"54545454545454545454545454545454"},"security_result":"OK"},"#,
            r#""screen_shared":false,"framebuffer":{"width":800,"height":600,"name":"\\xa0","#,
            r#""pixel_format":{"bits_per_pixel":32,"depth":24,"big_endian":false,"true_color":true,"#,
            r#""red_max":255,"green_max":255,"blue_max":255,"red_shift":16,"green_shift":8,"blue_shift":0}}}"#
        );
        assert_eq!(got, want);
    }

    #[test]
    fn partial_handshake_writes_only_what_was_seen() {
        let tx = RfbTx {
            server_version: Some(RfbVersion {
                major: *b"003",
                minor: *b"003",
            }),
            ..RfbTx::default()
        };
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_rfb_fields(&mut o, &tx);
        o.end();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"server_protocol_version":{"major":"003","minor":"003"}}"#
        );
    }
}
