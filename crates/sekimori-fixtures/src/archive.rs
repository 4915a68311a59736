//! File contents for fixtures: ZIP archives (stored entries, optionally encrypted with the
//! traditional PKWARE "ZipCrypto" cipher of APPNOTE 6.1) and a minimal PE executable, so tests
//! of DLP and download inspection build exactly the files they are about.

/// CRC-32 (IEEE 802.3, reflected), as ZIP stores it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = crc32_step(crc, b);
    }
    !crc
}

fn crc32_step(crc: u32, b: u8) -> u32 {
    let mut c = (crc ^ u32::from(b)) & 0xff;
    for _ in 0..8 {
        c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
    }
    c ^ (crc >> 8)
}

/// Traditional PKWARE encryption of one entry: the 12-byte header (its last byte the CRC's
/// high byte, for the password check), then the data.
fn zipcrypto(password: &[u8], crc: u32, data: &[u8]) -> Vec<u8> {
    let mut k = [0x1234_5678u32, 0x2345_6789, 0x3456_7890];
    let update = |k: &mut [u32; 3], b: u8| {
        k[0] = crc32_step(k[0], b);
        k[1] = k[1].wrapping_add(k[0] & 0xff).wrapping_mul(134_775_813).wrapping_add(1);
        k[2] = crc32_step(k[2], (k[1] >> 24) as u8);
    };
    for &b in password {
        update(&mut k, b);
    }
    let mut header = [0x5au8; 12];
    header[11] = (crc >> 24) as u8;
    let mut out = Vec::with_capacity(12 + data.len());
    for &p in header.iter().chain(data) {
        let t = (k[2] | 2) as u16;
        out.push(p ^ ((u32::from(t) * u32::from(t ^ 1)) >> 8) as u8);
        update(&mut k, p);
    }
    out
}

/// A ZIP archive of stored (uncompressed) entries with UTF-8 names; with a `password`, every
/// entry is ZipCrypto-encrypted (its name stays visible, its contents do not).
pub fn zip(entries: &[(&str, &[u8])], password: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let flags: u16 = u16::from(password.is_some()) | 0x0800;
    for (name, plain) in entries {
        let offset = out.len() as u32;
        let crc = crc32(plain);
        let data = match password {
            Some(p) => zipcrypto(p, crc, plain),
            None => plain.to_vec(),
        };
        let head = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&flags.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(plain.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
                h.extend_from_slice(&0u32.to_le_bytes()); // external attrs
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(head(0x0403_4b50, false));
        out.extend_from_slice(&data);
        central.extend(head(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    let n = entries.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    out
}

/// A minimal 32-bit PE executable (DOS header, PE signature, COFF and optional header with 16
/// data directories) followed by `body`; `signed` puts a non-empty Authenticode (security)
/// directory in, as signed installers have.
pub fn pe(body: &[u8], signed: bool) -> Vec<u8> {
    let mut v = vec![0u8; 0x200];
    v[..2].copy_from_slice(b"MZ");
    v[0x3c] = 0x80;
    v[0x80..0x84].copy_from_slice(b"PE\0\0");
    v[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes()); // i386
    v[0x86..0x88].copy_from_slice(&1u16.to_le_bytes()); // one section
    v[0x94..0x96].copy_from_slice(&0xe0u16.to_le_bytes()); // optional header size
    v[0x96..0x98].copy_from_slice(&0x0102u16.to_le_bytes()); // executable, 32-bit
    let opt = 0x80 + 24;
    v[opt..opt + 2].copy_from_slice(&0x10bu16.to_le_bytes()); // PE32
    v[opt + 92..opt + 96].copy_from_slice(&16u32.to_le_bytes()); // data directories
    if signed {
        let security = opt + 96 + 4 * 8;
        v[security..security + 4].copy_from_slice(&0x400u32.to_le_bytes());
        v[security + 4..security + 8].copy_from_slice(&0x100u32.to_le_bytes());
    }
    v.extend_from_slice(body);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn zip_has_local_and_central_records() {
        let z = zip(&[("a.txt", b"hello"), ("b/c.txt", b"world")], None);
        assert!(z.starts_with(b"PK\x03\x04"));
        assert_eq!(z.windows(4).filter(|w| w == b"PK\x01\x02").count(), 2);
        assert!(z.windows(5).any(|w| w == b"hello"));
        // APPNOTE layout: the name follows a 30-byte local and a 46-byte central header.
        assert_eq!(&z[30..35], b"a.txt");
        let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        assert_eq!(u16::from_le_bytes([z[cd + 28], z[cd + 29]]), 5);
        assert_eq!(&z[cd + 46..cd + 51], b"a.txt");
        let eocd = z.len() - 22;
        assert_eq!(&z[eocd..eocd + 4], b"PK\x05\x06");
        assert_eq!(u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap()) as usize, cd);
        let e = zip(&[("a.txt", b"hello")], Some(b"pw"));
        assert!(!e.windows(5).any(|w| w == b"hello"), "encrypted contents are not visible");
        assert!(e.windows(5).any(|w| w == b"a.txt"), "names are");
    }

    #[test]
    fn pe_is_mz_with_a_pe_header() {
        let p = pe(b"payload", true);
        assert!(p.starts_with(b"MZ"));
        assert_eq!(&p[0x80..0x84], b"PE\0\0");
        assert!(p.ends_with(b"payload"));
    }
}
