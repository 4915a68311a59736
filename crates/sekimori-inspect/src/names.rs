//! File-name tricks: executable extensions, double extensions (`invoice.doc.exe`,
//! `x.pdf   .scr`), right-to-left override (U+202E), shortcuts.

use serde::Serialize;

/// Extensions that run code when opened on Windows (or carry code to run).
pub const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe",
    "scr",
    "com",
    "pif",
    "bat",
    "cmd",
    "js",
    "jse",
    "vbs",
    "vbe",
    "wsf",
    "wsh",
    "wsc",
    "hta",
    "ps1",
    "psm1",
    "psd1",
    "msi",
    "msp",
    "dll",
    "cpl",
    "jar",
    "lnk",
    "url",
    "chm",
    "hlp",
    "msc",
    "reg",
    "scf",
    "sct",
    "xll",
    "gadget",
    "application",
    "appref-ms",
    "inf",
    "vb",
    "ws",
];

/// Disk-image containers that Windows mounts on double click (counted as executable when
/// [`crate::InspectConfig::disk_images_executable`] is on).
pub const DISK_IMAGE_EXTENSIONS: &[&str] = &["iso", "img", "vhd", "vhdx"];

/// Extensions that Office opens with macros enabled-capable formats.
pub const MACRO_EXTENSIONS: &[&str] = &[
    "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "ppam", "sldm",
];

/// Shortcut extensions.
pub const SHORTCUT_EXTENSIONS: &[&str] = &["lnk", "url"];

/// Extensions a victim reads as a harmless document or picture (the decoy of a double
/// extension, and the declared kind of a type mismatch).
pub const DECOY_EXTENSIONS: &[&str] = &[
    "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "pdf", "rtf", "txt", "csv", "jpg",
    "jpeg", "png", "gif", "bmp", "tif", "tiff", "mp3", "mp4", "avi", "mov", "wav", "wmv", "htm",
    "html", "xml", "odt", "ods", "jtd", "jtdc", "hwp", "zip", "rar", "lzh", "7z",
];

/// Extensions of pictures, media and documents that are never executables nor archives.
pub const MEDIA_DOC_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "ico", "webp", "svg", "mp3", "mp4", "avi",
    "mov", "wav", "wmv", "pdf", "txt", "csv", "rtf", "htm", "html", "css", "xml", "json",
];

/// What a file name reveals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NameFlags {
    /// The final extension (lower case, trailing dots and blanks removed), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The extension counts as executable.
    pub executable: bool,
    /// `.lnk` / `.url`.
    pub shortcut: bool,
    /// A macro-enabled Office extension.
    pub macro_ext: bool,
    /// The decoy extension before an executable one (`doc` in `invoice.doc.exe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub double_extension: Option<String>,
    /// The name contains U+202E RIGHT-TO-LEFT OVERRIDE.
    pub rlo: bool,
}

/// The base name: the part after the last `/` or `\`.
pub fn basename(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Percent-decodes `%XX` sequences (HTTP file names are URI paths); invalid UTF-8 is replaced.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|x| char::from(*x).to_digit(16)),
                b.get(i + 2).and_then(|x| char::from(*x).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits off the last extension, Windows-style: trailing dots and blanks are ignored (the
/// shell strips them), and the extension must be 1..=16 characters without blanks.
fn split_ext(name: &str) -> Option<(&str, String)> {
    let t = name.trim_end_matches(|c: char| c == '.' || c.is_whitespace() || is_invisible(c));
    let dot = t.rfind('.')?;
    let ext = t.get(dot + 1..)?;
    let stem = t.get(..dot)?;
    if ext.is_empty()
        || ext.chars().count() > 16
        || ext
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '\\')
        || stem.trim().is_empty()
    {
        return None;
    }
    Some((stem, ext.to_lowercase()))
}

/// Invisible / format characters used to pad or hide parts of names.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Analyses a file name (a path is reduced to its base name; `%XX` is decoded).
pub fn analyse(name: &str, disk_images: bool, extra: &[String]) -> NameFlags {
    let decoded = percent_decode(name);
    let base = basename(&decoded);
    let mut f = NameFlags {
        rlo: base.contains('\u{202E}'),
        ..NameFlags::default()
    };
    // With RLO the shown order differs from the real one; the real (logical) order decides.
    let Some((stem, ext)) = split_ext(base) else {
        return f;
    };
    f.executable = EXECUTABLE_EXTENSIONS.contains(&ext.as_str())
        || (disk_images && DISK_IMAGE_EXTENSIONS.contains(&ext.as_str()))
        || extra
            .iter()
            .any(|e| e.trim_start_matches('.').eq_ignore_ascii_case(&ext));
    f.shortcut = SHORTCUT_EXTENSIONS.contains(&ext.as_str());
    f.macro_ext = MACRO_EXTENSIONS.contains(&ext.as_str());
    if f.executable
        && let Some((_, inner)) = split_ext(stem)
        && DECOY_EXTENSIONS.contains(&inner.as_str())
    {
        f.double_extension = Some(inner);
    }
    f.extension = Some(ext);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: &str) -> NameFlags {
        analyse(n, true, &[])
    }

    #[test]
    fn executable_extensions() {
        for n in [
            "setup.exe",
            "A.SCR",
            "run.js",
            "x.ps1",
            "p.msi",
            "c:\\t\\x.Bat",
            "y.iso",
        ] {
            assert!(a(n).executable, "{n}");
        }
        for n in [
            "report.pdf",
            "photo.jpg",
            "noext",
            "archive.zip",
            ".exe",
            "a.exe/x",
        ] {
            assert!(!a(n).executable, "{n}");
        }
        assert!(!analyse("y.iso", false, &[]).executable);
        assert!(analyse("y.foo", false, &["FOO".to_owned()]).executable);
    }

    #[test]
    fn double_extension() {
        assert_eq!(
            a("invoice.doc.exe").double_extension.as_deref(),
            Some("doc")
        );
        assert_eq!(a("x.pdf   .scr").double_extension.as_deref(), Some("pdf"));
        assert_eq!(
            a("請求書.xlsx.js").double_extension.as_deref(),
            Some("xlsx")
        );
        assert_eq!(a("x.pdf.exe...  ").double_extension.as_deref(), Some("pdf"));
        assert_eq!(
            a("invoice.pdf%20%20.exe").double_extension.as_deref(),
            Some("pdf")
        );
        // Not double: version numbers, non-decoy inner parts, non-executable final parts.
        assert_eq!(a("python-3.12.1-amd64.exe").double_extension, None);
        assert_eq!(a("jquery.min.js").double_extension, None);
        assert_eq!(a("report.2015.pdf").double_extension, None);
        assert_eq!(a("archive.tar.gz").double_extension, None);
    }

    #[test]
    fn rlo_and_shortcut() {
        let f = a("invoice\u{202E}fdp.exe");
        assert!(f.rlo);
        assert!(f.executable);
        assert!(!a("invoice.pdf").rlo);
        assert!(a("Document.lnk").shortcut);
        assert!(a("Document.lnk").executable);
        assert!(a("budget.XLSM").macro_ext);
        assert!(!a("budget.xlsx").macro_ext);
    }

    #[test]
    fn hostile_names() {
        for n in [
            "",
            ".",
            "...",
            "%",
            "%zz.exe",
            "\u{202E}",
            "a.\u{202E}",
            "/",
            "\\\\",
        ] {
            let _ = a(n);
        }
        assert_eq!(a("%zz.exe").extension.as_deref(), Some("exe"));
    }
}
