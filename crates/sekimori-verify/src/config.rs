//! Translation of a test's Suricata `suricata.yaml` into what sekimori reads.
//!
//! sekimori's `-c` takes TOML in its own schema, and its `--set` takes its own keys or the
//! Suricata names it knows (it reports the others as ignored). So a test's YAML becomes:
//! * a small TOML file for what needs lists or our own names: the EVE types of the enabled
//!   `eve-log` outputs (`files` is our `fileinfo`), its file name, the `anomaly` sub-types,
//!   whether `stats` records are written, and the file store (`<outdir>/filestore`);
//! * `--home-net` from `vars.address-groups.HOME_NET` (when it is a plain list of networks);
//! * `-k` from `pcap-file.checksum-checks`;
//! * `--set key=value` for every other scalar setting, in Suricata's dotted names, for sekimori
//!   to take or report as ignored.
//!
//! What is dropped here (eve-log options without a counterpart, other outputs, lists) is listed
//! in [`Translation::ignored`], so the runner can say a config was only partly applied.
//! `include:` files are read (relative to the including file) and the including file's keys win.

use crate::spec::{yaml_key, yaml_scalar_string, yaml_short, yaml_truthy};
use serde_yaml::{Mapping, Value as Yaml};
use std::path::Path;

/// What a test's suricata.yaml becomes on sekimori's command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Translation {
    /// TOML text for `-c`, when anything needed it.
    pub toml: Option<String>,
    /// `--home-net` networks.
    pub home_net: Vec<String>,
    /// `-k` mode (`none`, `all`, `auto`).
    pub checksum: Option<String>,
    /// `--set key=value` pairs (Suricata names), in file order.
    pub sets: Vec<String>,
    /// Settings left out, as dotted paths.
    pub ignored: Vec<String>,
    /// EVE file name, when not `eve.json`.
    pub eve_filename: Option<String>,
}

/// The config cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[error("suricata.yaml: {0}")]
pub struct ConfigError(pub String);

/// Top-level sections that are about the Suricata installation, not about traffic handling.
const INSTALLATION_SECTIONS: &[&str] = &[
    "logging",
    "default-rule-path",
    "rule-files",
    "classification-file",
    "reference-config-file",
    "default-log-dir",
    "plugins",
    "include",
    "unix-command",
    "run-as",
    "coredump",
    "host-mode",
    "threading",
    "profiling",
];

/// libhtp's body limits when the config names none (`HTP_CONFIG_DEFAULT_*_BODY_LIMIT`).
const LIBHTP_DEFAULT_BODY_LIMIT: u32 = 4096;

/// Reads `path` (with its `include:` files) and translates it.
pub fn translate_file(path: &Path, outdir: &Path) -> Result<Translation, ConfigError> {
    let doc = load_with_includes(path, 0)?;
    Ok(translate(&doc, outdir))
}

fn load_with_includes(path: &Path, depth: usize) -> Result<Mapping, ConfigError> {
    if depth > 8 {
        return Err(ConfigError(format!(
            "include nesting too deep at {}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
    let doc: Yaml =
        serde_yaml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    let map = match doc {
        Yaml::Mapping(m) => m,
        Yaml::Null => Mapping::new(),
        other => {
            return Err(ConfigError(format!(
                "{}: top level is not a mapping: {}",
                path.display(),
                yaml_short(&other)
            )));
        }
    };
    let mut base = Mapping::new();
    if let Some(inc) = map.get("include") {
        let files: Vec<String> = match inc {
            Yaml::Sequence(s) => s.iter().filter_map(yaml_scalar_string).collect(),
            other => yaml_scalar_string(other).into_iter().collect(),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        for f in files {
            let included = load_with_includes(&dir.join(&f), depth + 1)?;
            merge(&mut base, included);
        }
    }
    merge(&mut base, map);
    Ok(base)
}

/// Deep merge: mappings merge key by key, anything else is replaced.
fn merge(base: &mut Mapping, over: Mapping) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Yaml::Mapping(b)), Yaml::Mapping(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Translates a loaded config. `outdir` is the test's log directory (for the file store).
pub fn translate(doc: &Mapping, outdir: &Path) -> Translation {
    let mut t = Translation::default();
    let mut outputs = toml::Table::new();
    let mut files = toml::Table::new();
    for (k, v) in doc {
        let key = yaml_key(k);
        match key.as_str() {
            "outputs" => translate_outputs(v, outdir, &mut t, &mut outputs, &mut files),
            "vars" => translate_vars(v, &mut t),
            "pcap-file" => {
                if let Some(m) = v.as_mapping() {
                    for (pk, pv) in m {
                        let pk = yaml_key(pk);
                        if pk == "checksum-checks" {
                            t.checksum = match yaml_truthy(pv) {
                                Some(true) => Some("all".into()),
                                Some(false) => Some("none".into()),
                                None => yaml_scalar_string(pv).map(|s| s.to_ascii_lowercase()),
                            };
                        } else {
                            t.ignored.push(format!("pcap-file.{pk}"));
                        }
                    }
                }
            }
            k if INSTALLATION_SECTIONS.contains(&k) || k.starts_with('%') => {}
            _ => flatten(&key, v, &mut t),
        }
    }
    // A suricata.yaml that leaves libhtp's body limits out gets libhtp's built-in 4 KiB, not
    // the 100 KiB of the packaged config (which is sekimori's default).
    for side in ["request", "response"] {
        let key = format!("app-layer.protocols.http.libhtp.default-config.{side}-body-limit");
        if !t
            .sets
            .iter()
            .any(|s| s.split_once('=').is_some_and(|(k, _)| k == key))
        {
            t.sets.push(format!("{key}={LIBHTP_DEFAULT_BODY_LIMIT}"));
        }
    }
    let mut root = toml::Table::new();
    if !outputs.is_empty() {
        root.insert("outputs".into(), toml::Value::Table(outputs));
    }
    if !files.is_empty() {
        root.insert("files".into(), toml::Value::Table(files));
    }
    if !root.is_empty() {
        t.toml = toml::to_string(&root).ok();
    }
    t
}

/// Scalars become `--set` pairs, lists of scalars one comma-separated pair (as Suricata's
/// `--set` takes them); other lists are not expressible that way and are reported.
fn flatten(prefix: &str, v: &Yaml, t: &mut Translation) {
    match v {
        Yaml::Mapping(m) => {
            for (k, val) in m {
                flatten(&format!("{prefix}.{}", yaml_key(k)), val, t);
            }
        }
        Yaml::Sequence(items) => {
            let scalars: Option<Vec<String>> = items.iter().map(yaml_scalar_string).collect();
            match scalars {
                Some(list) if !list.is_empty() && list.iter().all(|i| !i.contains(',')) => {
                    t.sets.push(format!("{prefix}={}", list.join(",")));
                }
                _ => t.ignored.push(prefix.to_string()),
            }
        }
        Yaml::Null => {}
        Yaml::Tagged(tagged) => flatten(prefix, &tagged.value, t),
        scalar => {
            if let Some(s) = yaml_scalar_string(scalar) {
                t.sets.push(format!("{prefix}={s}"));
            }
        }
    }
}

fn translate_vars(v: &Yaml, t: &mut Translation) {
    let Some(m) = v.as_mapping() else { return };
    for (group, entries) in m {
        let group = yaml_key(group);
        let Some(entries) = entries.as_mapping() else {
            continue;
        };
        for (name, value) in entries {
            let name = yaml_key(name);
            let text = yaml_scalar_string(value).unwrap_or_default();
            let plain = text.trim().trim_start_matches('[').trim_end_matches(']');
            let is_default = match name.as_str() {
                "EXTERNAL_NET" => text.trim() == "!$HOME_NET" || text.trim() == "any",
                "HOME_NET" => false,
                _ => true, // other groups: Suricata's defaults are close enough; not reported
            };
            if group == "address-groups"
                && name == "HOME_NET"
                && !plain.contains(['$', '!'])
                && !plain.trim().is_empty()
            {
                t.home_net = plain.split(',').map(|s| s.trim().to_string()).collect();
            } else if !is_default {
                t.ignored.push(format!("vars.{group}.{name}"));
            }
        }
    }
}

fn translate_outputs(
    v: &Yaml,
    outdir: &Path,
    t: &mut Translation,
    outputs: &mut toml::Table,
    files: &mut toml::Table,
) {
    let Some(seq) = v.as_sequence() else {
        t.ignored.push("outputs".into());
        return;
    };
    let mut eve_types: Vec<String> = Vec::new();
    let mut saw_eve = false;
    for item in seq {
        let Some(m) = item.as_mapping() else { continue };
        for (name, body) in m {
            let name = yaml_key(name);
            let enabled = body.get("enabled").and_then(yaml_truthy).unwrap_or(false);
            match name.as_str() {
                "eve-log" => {
                    if !enabled {
                        continue;
                    }
                    saw_eve = true;
                    translate_eve(body, t, &mut eve_types, outputs);
                }
                "file-store" => {
                    if !enabled {
                        continue;
                    }
                    let dir = body
                        .get("dir")
                        .and_then(yaml_scalar_string)
                        .map(|d| outdir.join(d))
                        .unwrap_or_else(|| outdir.join("filestore"));
                    files.insert(
                        "filestore".into(),
                        toml::Value::String(dir.to_string_lossy().into_owned()),
                    );
                    if body.get("force-filestore").and_then(yaml_truthy) == Some(true) {
                        files.insert("force_filestore".into(), toml::Value::Boolean(true));
                    }
                    if let Some(bm) = body.as_mapping() {
                        for (bk, _) in bm {
                            let bk = yaml_key(bk);
                            if !matches!(
                                bk.as_str(),
                                "enabled" | "version" | "dir" | "force-filestore"
                            ) {
                                t.ignored.push(format!("outputs.file-store.{bk}"));
                            }
                        }
                    }
                }
                // fast.log and stats.log are written by sekimori as it sees fit; the others
                // (unified2, pcap-log, ...) have no counterpart and are not checked by tests
                // except through their own files.
                "fast" | "stats" => {}
                other => {
                    if enabled {
                        t.ignored.push(format!("outputs.{other}"));
                    }
                }
            }
        }
    }
    if saw_eve {
        let stats = eve_types.iter().any(|x| x == "stats");
        outputs.insert(
            "eve_types".into(),
            toml::Value::Array(eve_types.into_iter().map(toml::Value::String).collect()),
        );
        outputs.insert("stats".into(), toml::Value::Boolean(stats));
    } else {
        t.ignored
            .push("outputs (no enabled eve-log: sekimori's default EVE types kept)".into());
    }
}

fn translate_eve(
    body: &Yaml,
    t: &mut Translation,
    types: &mut Vec<String>,
    outputs: &mut toml::Table,
) {
    let Some(m) = body.as_mapping() else { return };
    for (k, v) in m {
        let k = yaml_key(k);
        match k.as_str() {
            "enabled" | "filetype" => {}
            "filename" => {
                if let Some(f) = yaml_scalar_string(v)
                    && f != "eve.json"
                {
                    outputs.insert("eve_filename".into(), toml::Value::String(f.clone()));
                    t.eve_filename = Some(f);
                }
            }
            "types" => {
                let Some(seq) = v.as_sequence() else { continue };
                for entry in seq {
                    let (name, opts) = match entry {
                        Yaml::Mapping(em) => match em.iter().next() {
                            Some((n, o)) => (yaml_key(n), Some(o)),
                            None => continue,
                        },
                        other => match yaml_scalar_string(other) {
                            Some(n) => (n, None),
                            None => continue,
                        },
                    };
                    if opts.and_then(|o| o.get("enabled")).and_then(yaml_truthy) == Some(false) {
                        continue;
                    }
                    let ours = match name.as_str() {
                        "files" => "fileinfo".to_string(),
                        other => other.to_string(),
                    };
                    if !types.contains(&ours) {
                        types.push(ours);
                    }
                    let Some(opts) = opts.and_then(Yaml::as_mapping) else {
                        continue;
                    };
                    for (ok, ov) in opts {
                        let ok = yaml_key(ok);
                        if name == "anomaly" && ok == "types" {
                            if let Some(at) = ov.as_mapping() {
                                for (ak, av) in at {
                                    let ak = yaml_key(ak);
                                    let key = match ak.as_str() {
                                        "decode" => "decode_anomalies",
                                        "stream" => "stream_anomalies",
                                        "applayer" => "app_anomalies",
                                        _ => {
                                            t.ignored.push(format!(
                                                "outputs.eve-log.types.anomaly.types.{ak}"
                                            ));
                                            continue;
                                        }
                                    };
                                    if let Some(b) = yaml_truthy(av) {
                                        outputs.insert(key.into(), toml::Value::Boolean(b));
                                    }
                                }
                            }
                        } else if name == "alert"
                            && matches!(ok.as_str(), "payload" | "payload-printable" | "packet")
                        {
                            let key = match ok.as_str() {
                                "payload" => "alert_payload",
                                "payload-printable" => "alert_payload_printable",
                                _ => "alert_packet",
                            };
                            if let Some(b) = yaml_truthy(ov) {
                                outputs.insert(key.into(), toml::Value::Boolean(b));
                            }
                        } else if name == "alert" && ok == "payload-buffer-size" {
                            match yaml_scalar_string(ov).as_deref().and_then(size_bytes) {
                                Some(n) => {
                                    outputs.insert(
                                        "alert_payload_buffer_size".into(),
                                        toml::Value::Integer(n),
                                    );
                                }
                                None => {
                                    t.ignored.push(format!("outputs.eve-log.types.{name}.{ok}"))
                                }
                            }
                        } else if name == "http" && ok == "dump-all-headers" {
                            if let Some(d) = yaml_scalar_string(ov) {
                                outputs.insert(
                                    "http_dump_all_headers".into(),
                                    toml::Value::String(d.to_ascii_lowercase()),
                                );
                            }
                        } else if ok != "enabled" {
                            t.ignored.push(format!("outputs.eve-log.types.{name}.{ok}"));
                        }
                    }
                }
            }
            "community-id" => match yaml_truthy(v) {
                Some(b) => {
                    outputs.insert("community_id".into(), toml::Value::Boolean(b));
                }
                None => t.ignored.push("outputs.eve-log.community-id".into()),
            },
            "community-id-seed" => {
                match yaml_scalar_string(v).and_then(|s| s.parse::<u16>().ok()) {
                    Some(n) => {
                        outputs.insert("community_id_seed".into(), toml::Value::Integer(n.into()));
                    }
                    None => t.ignored.push("outputs.eve-log.community-id-seed".into()),
                }
            }
            other => t.ignored.push(format!("outputs.eve-log.{other}")),
        }
    }
}

/// A Suricata size (`4kb`, `1mb`, `512`) in bytes.
fn size_bytes(v: &str) -> Option<i64> {
    let v = v.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = v.strip_suffix("kb") {
        (n, 1024)
    } else if let Some(n) = v.strip_suffix("mb") {
        (n, 1024 * 1024)
    } else if let Some(n) = v.strip_suffix("gb") {
        (n, 1024 * 1024 * 1024)
    } else {
        (v.as_str(), 1)
    };
    num.trim().parse::<i64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(y: &str) -> Translation {
        let doc: Yaml = serde_yaml::from_str(y).unwrap();
        translate(doc.as_mapping().unwrap(), Path::new("/out"))
    }

    #[test]
    fn eve_types_and_options() {
        let t = tr(r#"%YAML 1.1
---
outputs:
  - fast: {enabled: yes}
  - eve-log:
      enabled: yes
      filetype: regular
      filename: alerts.json
      community-id: true
      types:
        - alert:
            payload: yes
            metadata: no
        - files:
            force-hash: [md5]
        - drop: {flows: all}
        - anomaly:
            types: {decode: yes, stream: no}
        - http: {enabled: no}
        - stats
        - flow
"#);
        let toml = t.toml.clone().unwrap();
        let parsed: toml::Table = toml.parse().unwrap();
        let types: Vec<&str> = parsed["outputs"]["eve_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["alert", "fileinfo", "drop", "anomaly", "stats", "flow"]
        );
        assert_eq!(parsed["outputs"]["stats"].as_bool(), Some(true));
        assert_eq!(parsed["outputs"]["decode_anomalies"].as_bool(), Some(true));
        assert_eq!(parsed["outputs"]["stream_anomalies"].as_bool(), Some(false));
        assert_eq!(
            parsed["outputs"]["eve_filename"].as_str(),
            Some("alerts.json")
        );
        assert_eq!(t.eve_filename.as_deref(), Some("alerts.json"));
        assert_eq!(parsed["outputs"]["alert_payload"].as_bool(), Some(true));
        assert_eq!(size_bytes("4kb"), Some(4096));
        assert_eq!(size_bytes("12"), Some(12));
        assert_eq!(size_bytes("x"), None);
        assert_eq!(parsed["outputs"]["community_id"].as_bool(), Some(true));
        assert!(parsed["outputs"].get("community_id_seed").is_none());
        for k in [
            "outputs.eve-log.types.files.force-hash",
            "outputs.eve-log.types.drop.flows",
        ] {
            assert!(t.ignored.iter().any(|i| i == k), "{k} in {:?}", t.ignored);
        }
        assert!(
            t.sets.iter().all(|s| s.contains("-body-limit=4096")),
            "{:?}",
            t.sets
        );
    }

    #[test]
    fn settings_vars_checksum_and_filestore() {
        let t = tr(r#"
vars:
  address-groups:
    HOME_NET: "[192.168.0.0/16,10.0.0.0/8]"
    EXTERNAL_NET: "!$HOME_NET"
    HTTP_SERVERS: "$HOME_NET"
pcap-file:
  checksum-checks: no
stream:
  midstream: true
  reassembly:
    depth: 0
app-layer:
  protocols:
    smtp:
      mime:
        extract-urls-schemes: [http, https]
logging:
  default-log-level: notice
outputs:
  - file-store:
      version: 2
      enabled: yes
      force-filestore: yes
  - file-store-disabled: {enabled: no}
"#);
        assert_eq!(t.home_net, ["192.168.0.0/16", "10.0.0.0/8"]);
        assert_eq!(t.checksum.as_deref(), Some("none"));
        assert_eq!(
            t.sets,
            [
                "stream.midstream=true",
                "stream.reassembly.depth=0",
                "app-layer.protocols.smtp.mime.extract-urls-schemes=http,https",
                "app-layer.protocols.http.libhtp.default-config.request-body-limit=4096",
                "app-layer.protocols.http.libhtp.default-config.response-body-limit=4096",
            ],
            "libhtp's own 4 KiB body limits when the config names none"
        );
        let named = tr(
            "app-layer:\n  protocols:\n    http:\n      libhtp:\n        default-config:\n          response-body-limit: 1mb\n",
        );
        assert!(named.sets.contains(
            &"app-layer.protocols.http.libhtp.default-config.response-body-limit=1mb".to_string()
        ));
        assert!(
            !named
                .sets
                .iter()
                .any(|s| s.ends_with("response-body-limit=4096"))
        );
        assert!(t.sets.contains(
            &"app-layer.protocols.smtp.mime.extract-urls-schemes=http,https".to_string()
        ));
        assert!(
            !t.ignored
                .contains(&"outputs.file-store.force-filestore".to_string())
        );
        assert!(t.ignored.iter().any(|i| i.contains("no enabled eve-log")));
        let parsed: toml::Table = t.toml.unwrap().parse().unwrap();
        assert_eq!(
            parsed["files"]["filestore"].as_str(),
            Some("/out/filestore")
        );
        assert_eq!(parsed["files"]["force_filestore"].as_bool(), Some(true));
        assert!(
            parsed.get("outputs").is_none(),
            "no eve-log: keep sekimori's types"
        );
    }

    #[test]
    fn disabled_eve_and_odd_shapes() {
        let t = tr("outputs:\n  - eve-log: {enabled: no, types: [alert]}\n");
        assert!(t.toml.is_none());
        let t = tr("outputs: 5\nvars: [1]\nstream: ~\npcap-file: 3\n");
        assert_eq!(t.ignored, ["outputs"]);
        let t = tr("outputs:\n  - eve-log: {enabled: yes, types: [{}, [1], 5]}\n");
        let parsed: toml::Table = t.toml.unwrap().parse().unwrap();
        assert_eq!(
            parsed["outputs"]["eve_types"].as_array().unwrap().len(),
            1,
            "the number 5 is a name"
        );
        let t = tr("vars: {address-groups: {HOME_NET: \"[$X,!1.2.3.4]\"}}\n");
        assert!(t.home_net.is_empty());
        assert_eq!(t.ignored, ["vars.address-groups.HOME_NET"]);
    }

    #[test]
    fn includes_merge_with_the_including_file_winning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.yaml"),
            "stream: {midstream: false, inline: auto}\nvars: {address-groups: {HOME_NET: \"[10.0.0.0/8]\"}}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("main.yaml"),
            "%YAML 1.1\n---\ninclude: base.yaml\nstream: {midstream: true}\n",
        )
        .unwrap();
        let t = translate_file(&dir.path().join("main.yaml"), Path::new("/out")).unwrap();
        assert_eq!(t.sets[..2], ["stream.midstream=true", "stream.inline=auto"]);
        assert_eq!(t.home_net, ["10.0.0.0/8"]);
        std::fs::write(dir.path().join("loop.yaml"), "include: loop.yaml\n").unwrap();
        assert!(translate_file(&dir.path().join("loop.yaml"), Path::new("/out")).is_err());
        assert!(translate_file(&dir.path().join("missing.yaml"), Path::new("/out")).is_err());
        std::fs::write(dir.path().join("list.yaml"), "- 1\n").unwrap();
        assert!(translate_file(&dir.path().join("list.yaml"), Path::new("/out")).is_err());
    }
}
