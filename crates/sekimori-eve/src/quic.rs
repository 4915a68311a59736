//! The `quic` record as Suricata 7 writes it, from a [`sekimori_app::QuicTx`] (one per TLS
//! hello carried in Initial packets): `version`, `sni`, `ja3` {`hash`, `string`} (client) or
//! `ja3s` (server), and `extensions` [{`name`, `type`, `values`}] in hello order.

use sekimori_app::QuicTx;
use sekimori_app::quic::extension_name;

use crate::json::Obj;
use crate::records::Header;

/// Writes the fields of the `quic` object (without braces) into `o`.
pub fn write_quic_fields(o: &mut Obj<'_>, tx: &QuicTx) {
    o.str("version", &tx.version_string());
    if let Some(sni) = tx.sni() {
        o.bytes("sni", sni);
    }
    for (k, h, s) in [
        ("ja3", &tx.ja3_hash, &tx.ja3),
        ("ja3s", &tx.ja3s_hash, &tx.ja3s),
    ] {
        if let (Some(h), Some(s)) = (h, s) {
            o.obj(k, |j| {
                j.str("hash", h).str("string", s);
            });
        }
    }
    let exts = tx.extensions();
    if !exts.is_empty() {
        o.arr("extensions", |a| {
            for &t in exts {
                a.obj(|e| {
                    if let Some(n) = extension_name(t) {
                        e.str("name", n);
                    }
                    e.u64("type", t.into());
                    let values = tx.extension_values(t);
                    if !values.is_empty() {
                        e.arr("values", |v| {
                            for x in &values {
                                v.str(x);
                            }
                        });
                    }
                });
            }
        });
    }
}

/// Everything a `quic` record says.
#[derive(Clone, Copy, Debug)]
pub struct QuicRecord<'a> {
    /// Common header (`event_type` is forced to `quic`); endpoints oriented as the packet.
    pub header: Header<'a>,
    /// `pkt_src`, when known.
    pub pkt_src: Option<&'a str>,
    /// The transaction.
    pub tx: &'a QuicTx,
}

/// Writes a `quic` record (one JSON object, no newline) into `buf`.
pub fn write_quic(buf: &mut Vec<u8>, r: &QuicRecord<'_>) {
    let mut o = Obj::new(buf);
    Header {
        event_type: "quic",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    o.obj("quic", |q| write_quic_fields(q, r.tx));
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekimori_app::tls::ServerHello;

    #[test]
    fn server_hello_object() {
        let tx = QuicTx {
            tx_id: 1,
            version: 1,
            server_hello: Some(ServerHello {
                extensions: vec![43, 51, 41],
                selected_version: Some(0x0304),
                ..ServerHello::default()
            }),
            ja3s: Some("771,4866,43-51-41".into()),
            ja3s_hash: Some("2253c82f03b621c5144709b393fde2c9".into()),
            ..QuicTx::default()
        };
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_quic_fields(&mut o, &tx);
        o.end();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            concat!(
                r#"{"version":"1","ja3s":{"hash":"2253c82f03b621c5144709b393fde2c9","string":"771,4866,43-51-41"},"#,
                r#""extensions":[{"name":"supported_versions","type":43,"values":["Tls13"]},"#,
                r#"{"name":"key_share","type":51},{"name":"pre_shared_key","type":41}]}"#
            )
        );
    }
}
