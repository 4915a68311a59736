//! The bulk-read sliding window of one (client, internal server) pair, and the naming of what was
//! read: the share, the common directory and a file-name pattern.

use std::collections::{HashMap, VecDeque};

/// Longest path kept (longer paths are cut at a character boundary).
pub const MAX_PATH: usize = 1024;

#[derive(Clone, Debug)]
struct Read {
    ts: i64,
    bytes: u64,
    path: Box<str>,
    share: Option<Box<str>>,
}

/// Reads of one (client, server) pair within the window.
#[derive(Clone, Debug, Default)]
pub struct Window {
    reads: VecDeque<Read>,
    paths: HashMap<Box<str>, u32>,
    bytes: u64,
    /// Latest read time (s).
    pub last_ts: i64,
    /// Ports and flow of the latest read.
    pub last: (u16, u16, u64),
    /// True while the window is over the alarm thresholds (its peak is kept out of the baseline).
    pub alarm: bool,
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

impl Window {
    /// Adds a read, then drops reads older than `now − window` and beyond `cap`.
    pub fn push(
        &mut self,
        ts: i64,
        bytes: u64,
        path: &str,
        share: Option<&str>,
        window: u64,
        cap: usize,
    ) {
        let path: Box<str> = cut(path, MAX_PATH).into();
        *self.paths.entry(path.clone()).or_insert(0) += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.reads.push_back(Read {
            ts,
            bytes,
            path,
            share: share.map(|s| cut(s, MAX_PATH).into()),
        });
        self.last_ts = self.last_ts.max(ts);
        self.prune(
            self.last_ts
                .saturating_sub(i64::try_from(window).unwrap_or(i64::MAX)),
            cap,
        );
    }

    /// Drops reads before `from` and the oldest beyond `cap`.
    pub fn prune(&mut self, from: i64, cap: usize) {
        while let Some(front) = self.reads.front() {
            if front.ts >= from && self.reads.len() <= cap {
                break;
            }
            if let Some(r) = self.reads.pop_front() {
                self.bytes = self.bytes.saturating_sub(r.bytes);
                if let Some(c) = self.paths.get_mut(&r.path) {
                    *c -= 1;
                    if *c == 0 {
                        self.paths.remove(&r.path);
                    }
                }
            }
        }
    }

    /// Distinct files in the window.
    pub fn files(&self) -> u64 {
        self.paths.len() as u64
    }

    /// Bytes in the window.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.reads.is_empty()
    }

    /// First read time in the window.
    pub fn first_ts(&self) -> Option<i64> {
        self.reads.front().map(|r| r.ts)
    }

    /// Names what the window holds.
    pub fn describe(&self) -> Description {
        let mut shares: HashMap<&str, u32> = HashMap::new();
        for r in &self.reads {
            if let Some(s) = &r.share {
                *shares.entry(s).or_insert(0) += 1;
            }
        }
        let share = shares
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
            .map(|(s, _)| s.to_string());
        let mut paths: Vec<&str> = self.paths.keys().map(|p| &**p).collect();
        paths.sort_unstable();
        let sep = if paths.iter().any(|p| p.contains('\\')) {
            '\\'
        } else {
            '/'
        };
        let directory = common_directory(&paths, sep);
        let names: Vec<&str> = paths.iter().map(|p| file_name(p)).collect();
        let pattern = name_pattern(&names);
        let samples = names.iter().take(5).map(|s| s.to_string()).collect();
        Description {
            share,
            directory,
            pattern,
            samples,
        }
    }
}

/// What a bulk read touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The most used share, if any.
    pub share: Option<String>,
    /// The longest directory common to all paths (empty when none).
    pub directory: String,
    /// A file-name pattern such as `invoice_*.pdf`, `*.docx` or `*`.
    pub pattern: String,
    /// Up to five file names (sorted).
    pub samples: Vec<String>,
}

fn is_sep(c: char) -> bool {
    c == '/' || c == '\\'
}

/// The last component of a path.
pub fn file_name(p: &str) -> &str {
    p.rsplit(is_sep).next().unwrap_or(p)
}

/// The longest directory prefix common to all paths, joined with `sep`.
pub fn common_directory(paths: &[&str], sep: char) -> String {
    let mut common: Option<Vec<&str>> = None;
    for p in paths {
        let parts: Vec<&str> = p.split(is_sep).collect();
        let dirs = parts.get(..parts.len().saturating_sub(1)).unwrap_or(&[]);
        common = Some(match common {
            None => dirs.to_vec(),
            Some(c) => c
                .iter()
                .zip(dirs)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    common.unwrap_or_default().join(&sep.to_string())
}

fn extension(n: &str) -> Option<&str> {
    n.rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && !e.contains(' '))
}

/// A glob for a set of file names: `prefix*suffix` from their common prefix and suffix when that
/// says something, else `*.ext` for a shared extension, else `*.{a,b,…}` for up to four
/// extensions, else `*`. One name is its own pattern.
pub fn name_pattern(names: &[&str]) -> String {
    match names {
        [] => return "*".into(),
        [one] => return (*one).to_string(),
        _ => {}
    }
    let first = names.first().copied().unwrap_or("");
    let mut pre = first.len();
    let mut suf = first.len();
    for n in names.iter().skip(1) {
        pre = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .count()
            .min(pre);
        suf = first
            .chars()
            .rev()
            .zip(n.chars().rev())
            .take_while(|(a, b)| a == b)
            .count()
            .min(suf);
    }
    let shortest = names.iter().map(|n| n.chars().count()).min().unwrap_or(0);
    if pre + suf > shortest {
        suf = shortest.saturating_sub(pre);
    }
    let prefix: String = first.chars().take(pre).collect();
    let suffix: String = {
        let v: Vec<char> = first.chars().rev().take(suf).collect();
        v.into_iter().rev().collect()
    };
    // A prefix is worth naming when it is at least 2 characters; a suffix when it is more than an
    // extension's dot.
    if prefix.chars().count() >= 2
        || (suffix.len() > 1 && suffix.starts_with('.'))
        || suffix.chars().count() >= 3
    {
        return format!("{prefix}*{suffix}");
    }
    let mut exts: Vec<String> = names
        .iter()
        .filter_map(|n| extension(n))
        .map(str::to_ascii_lowercase)
        .collect();
    exts.sort_unstable();
    exts.dedup();
    let all_have = names.iter().all(|n| extension(n).is_some());
    match exts.len() {
        1 if all_have => format!("*.{}", exts.first().map_or("", |s| s.as_str())),
        2..=4 if all_have => format!("*.{{{}}}", exts.join(",")),
        _ => "*".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides_and_counts_distinct_files() {
        let mut w = Window::default();
        w.push(0, 100, "a\\x.doc", Some("\\\\fs\\hr"), 600, 100);
        w.push(10, 100, "a\\x.doc", Some("\\\\fs\\hr"), 600, 100);
        w.push(20, 50, "a\\y.doc", Some("\\\\fs\\hr"), 600, 100);
        assert_eq!((w.files(), w.bytes()), (2, 250));
        w.push(605, 1, "a\\z.doc", None, 600, 100);
        // Reads at 0 fell out (605 − 600 = 5).
        assert_eq!((w.files(), w.bytes()), (3, 151));
        w.push(1300, 7, "b", None, 600, 100);
        assert_eq!((w.files(), w.bytes()), (1, 7));
        // Cap.
        let mut w = Window::default();
        for i in 0..50 {
            w.push(i, 1, &format!("f{i}"), None, 600, 10);
        }
        assert_eq!(w.files(), 10);
        assert_eq!(w.first_ts(), Some(40));
        // Hostile path lengths and multibyte boundaries.
        w.push(60, 1, &"é".repeat(2000), None, 600, 10);
        assert!(w.describe().samples.iter().all(|s| s.len() <= MAX_PATH));
    }

    #[test]
    fn naming() {
        assert_eq!(
            common_directory(&["Finance\\2024\\q1.xlsx", "Finance\\2024\\q2.xlsx"], '\\'),
            "Finance\\2024"
        );
        assert_eq!(
            common_directory(&["Finance\\2024\\q1.xlsx", "Finance\\2023\\q2.xlsx"], '\\'),
            "Finance"
        );
        assert_eq!(common_directory(&["a.txt", "b.txt"], '/'), "");
        assert_eq!(common_directory(&[], '/'), "");
        assert_eq!(
            name_pattern(&["invoice_001.pdf", "invoice_002.pdf", "invoice_113.pdf"]),
            "invoice_*.pdf"
        );
        assert_eq!(name_pattern(&["a.docx", "report.docx"]), "*.docx");
        assert_eq!(
            name_pattern(&["a.docx", "b.xlsx", "c.pdf"]),
            "*.{docx,pdf,xlsx}"
        );
        assert_eq!(name_pattern(&["a", "b.xlsx"]), "*");
        assert_eq!(name_pattern(&["only.txt"]), "only.txt");
        assert_eq!(name_pattern(&[]), "*");
        // Prefix and suffix never overlap on the shortest name.
        assert_eq!(name_pattern(&["aaa", "aaaa"]), "aaa*");
        assert_eq!(file_name("x/y\\z.txt"), "z.txt");
    }

    #[test]
    fn description_of_a_window() {
        let mut w = Window::default();
        for i in 0..25 {
            w.push(
                i,
                1000,
                &format!("Finance\\Payroll\\salary_{i:02}.xlsx"),
                Some("\\\\fs01\\finance"),
                600,
                100,
            );
        }
        let d = w.describe();
        assert_eq!(d.share.as_deref(), Some("\\\\fs01\\finance"));
        assert_eq!(d.directory, "Finance\\Payroll");
        assert_eq!(d.pattern, "salary_*.xlsx");
        assert_eq!(d.samples.len(), 5);
        assert_eq!(d.samples[0], "salary_00.xlsx");
    }
}
