//! Initial packet protection (RFC 9001 §5): keys derived from the client's first Destination
//! Connection ID with HKDF-SHA256, header protection with AES-128-ECB, payload with
//! AES-128-GCM.

use aes::cipher::{BlockEncrypt, KeyInit as _, generic_array::GenericArray};
use aes_gcm::aead::AeadInPlace as _;
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

use super::InitialHeader;

/// Initial salt of QUIC version 1 (RFC 9001 §5.2).
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];

/// Initial salt of drafts 29 to 32.
const SALT_DRAFT29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];

/// The keys of one direction's Initial packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialKeys {
    /// AEAD key.
    pub key: [u8; 16],
    /// AEAD IV.
    pub iv: [u8; 12],
    /// Header protection key.
    pub hp: [u8; 16],
}

/// TLS 1.3 HKDF-Expand-Label with an empty context.
fn expand_label(secret: &[u8], label: &[u8], out: &mut [u8]) -> Option<()> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let full_len = 6 + label.len();
    let mut info = Vec::with_capacity(4 + full_len);
    info.extend_from_slice(&u16::try_from(out.len()).ok()?.to_be_bytes());
    info.push(u8::try_from(full_len).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    hk.expand(&info, out).ok()
}

/// The Initial keys of the client (`server == false`) or the server, for `version` and the
/// client's original Destination Connection ID.
pub fn initial_keys(version: u32, odcid: &[u8], server: bool) -> Option<InitialKeys> {
    let salt: &[u8] = if version == 1 {
        &SALT_V1
    } else {
        &SALT_DRAFT29
    };
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), odcid);
    let mut secret = [0u8; 32];
    let label: &[u8] = if server { b"server in" } else { b"client in" };
    expand_label(&prk, label, &mut secret)?;
    let mut k = InitialKeys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&secret, b"quic key", &mut k.key)?;
    expand_label(&secret, b"quic iv", &mut k.iv)?;
    expand_label(&secret, b"quic hp", &mut k.hp)?;
    Some(k)
}

/// Removes header protection from `pkt` (one whole Initial packet, modified in place) and
/// decrypts its payload into `plain`. None when the packet is too short or does not
/// authenticate (wrong keys, corrupted, or not an Initial of this connection).
pub fn unprotect_initial(
    pkt: &mut [u8],
    h: &InitialHeader<'_>,
    odcid: &[u8],
    server: bool,
    plain: &mut Vec<u8>,
) -> Option<()> {
    let keys = initial_keys(h.version, odcid, server)?;
    let sample_at = h.pn_offset.checked_add(4)?;
    let sample: [u8; 16] = pkt.get(sample_at..sample_at + 16)?.try_into().ok()?;
    let hp = aes::Aes128::new(GenericArray::from_slice(&keys.hp));
    let mut mask = GenericArray::clone_from_slice(&sample);
    hp.encrypt_block(&mut mask);
    let first = pkt.first_mut()?;
    *first ^= mask[0] & 0x0f;
    let pn_len = usize::from(*first & 0x03) + 1;
    let mut pn: u64 = 0;
    for k in 0..pn_len {
        let b = pkt.get_mut(h.pn_offset + k)?;
        *b ^= mask[1 + k];
        pn = (pn << 8) | u64::from(*b);
    }
    let mut nonce = keys.iv;
    for (n, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
        *n ^= p;
    }
    let payload_at = h.pn_offset + pn_len;
    let end = h.pn_offset.checked_add(h.length)?;
    if end < payload_at + 16 {
        return None;
    }
    let (aad, rest) = pkt.split_at(payload_at);
    let body = rest.get(..end - payload_at)?;
    let (ct, tag) = body.split_at(body.len() - 16);
    plain.clear();
    plain.extend_from_slice(ct);
    let aead = Aes128Gcm::new_from_slice(&keys.key).ok()?;
    aead.decrypt_in_place_detached(Nonce::from_slice(&nonce), aad, plain, Tag::from_slice(tag))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9001 Appendix A.1: the keys for DCID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_initial_keys() {
        let dcid = unhex("8394c8f03e515708");
        let c = initial_keys(1, &dcid, false).unwrap();
        assert_eq!(c.key.to_vec(), unhex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(c.iv.to_vec(), unhex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(c.hp.to_vec(), unhex("9f50449e04a0e810283a1e9933adedd2"));
        let s = initial_keys(1, &dcid, true).unwrap();
        assert_eq!(s.key.to_vec(), unhex("cf3a5331653c364c88f0f379b6067e37"));
        assert_eq!(s.iv.to_vec(), unhex("0ac1493ca1905853b0bba03e"));
        assert_eq!(s.hp.to_vec(), unhex("c206b8d9b9f0f37644430b490eeaa314"));
    }
}
