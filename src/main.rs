//! `sekimori`: the command-line front end. Parses arguments, loads the configuration, feeds
//! packets from the chosen source through the engine, and shows progress and a summary.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sekimori_capture::{CaptureError, MultiFileSource, PacketSource};
use sekimori_engine::{Config, Engine, EngineOptions, Summary};
use sekimori_rules::LogLevel;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "sekimori",
    version,
    about = "関守 — multi-layer network defence engine (IDS/IPS, URL policy, DLP, behaviour)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse pcap/pcapng files (several are merged in timestamp order) and write EVE JSON.
    Analyze(AnalyzeArgs),
    /// Capture live from an interface (needs the `live` build feature and libpcap).
    Run(RunArgs),
    /// Behaviour baseline tools.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Rule file tools.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum BaselineCommand {
    /// Build the per-host baseline of normal traffic from captures (no behaviour alerts).
    Learn(AnalyzeArgs),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Load rule files and report what loaded, what failed and why, and unsupported keywords.
    Check(RulesCheckArgs),
}

#[derive(Args)]
struct RulesCheckArgs {
    /// Rule files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the report as JSON: {"loaded":N,"failed":M,"unsupported":{...},...}.
    #[arg(long)]
    json: bool,
    /// classification.config to check classtypes against (default: a `*classification.config`
    /// beside the first rule file, if there is one).
    #[arg(long, value_name = "FILE")]
    classification: Option<PathBuf>,
    /// $HOME_NET as comma-separated CIDRs.
    #[arg(long = "home-net", value_delimiter = ',')]
    home_net: Vec<String>,
}

#[derive(Args)]
struct CommonArgs {
    /// Directory for eve.json and other logs.
    #[arg(short = 'l', long = "log-dir", default_value = "./sekimori-out")]
    log_dir: PathBuf,
    /// Rule file(s) in Suricata syntax (repeatable).
    #[arg(short = 'S', long = "rules")]
    rules: Vec<PathBuf>,
    /// Configuration file (TOML); every setting has a default.
    #[arg(short = 'c', long = "config")]
    config: Option<PathBuf>,
    /// $HOME_NET as comma-separated CIDRs (overrides the config).
    #[arg(long = "home-net", value_delimiter = ',')]
    home_net: Vec<String>,
    /// Override a setting: `--set stream.midstream=true`; our keys or Suricata's names.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Checksum validation: auto, all or none (as Suricata's `-k`).
    #[arg(short = 'k', long = "checksum-checks", value_name = "MODE")]
    checksum_checks: Option<String>,
    /// No progress bar and no summary.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Directory of the behaviour baseline kept across runs (default: LOG_DIR/state).
    #[arg(long = "state", value_name = "DIR")]
    state: Option<PathBuf>,
    /// A rule that fails to load stops the start-up with exit code 1 (as Suricata's flag of the
    /// same name); otherwise such rules are reported and skipped.
    #[arg(long = "init-errors-fatal")]
    init_errors_fatal: bool,
    /// Load the rules, report on them (LOG_DIR/sekimori.log and LOG_DIR/rules.json) and exit
    /// without reading packets (as Suricata's flag of the same name).
    #[arg(long = "engine-analysis")]
    engine_analysis: bool,
    /// YARA rule file(s) run on every file the protocols carry (repeatable; adds to
    /// `inspect.yara_rules`).
    #[arg(long = "yara", value_name = "FILE")]
    yara: Vec<PathBuf>,
    /// Hash list(s) of known-bad files: md5/sha1/sha256, one per line (repeatable; re-read when
    /// they change; adds to `inspect.hash_lists`).
    #[arg(long = "hash-list", value_name = "FILE")]
    hash_list: Vec<PathBuf>,
    /// Act as an inline IPS would: drop/reject rules and layer policies (DLP `block_at`) drop
    /// the packet and the rest of its flow; alerts say `blocked` and `drop` records are written.
    #[arg(long = "simulate-ips", overrides_with = "simulate_ips")]
    simulate_ips: bool,
    /// Stop after this stage (capture, decode, flow, full): for benchmarks of each stage's cost.
    #[arg(
        long = "stop-after",
        value_name = "STAGE",
        default_value = "full",
        hide_short_help = true
    )]
    stop_after: sekimori_engine::Stage,
}

#[derive(Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Input pcap/pcapng files.
    #[arg(required_unless_present = "engine_analysis", value_name = "PCAP")]
    pcaps: Vec<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Interface to capture from.
    #[arg(short = 'i', long = "interface")]
    interface: String,
    /// BPF filter expression.
    #[arg(short = 'f', long = "bpf")]
    bpf: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(a) => analyze(a, false),
        Command::Baseline {
            command: BaselineCommand::Learn(a),
        } => analyze(a, true),
        Command::Run(r) => run_live(r),
        Command::Rules {
            command: RulesCommand::Check(a),
        } => rules_check(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sekimori: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
    }
    s
}

fn load_config(common: &CommonArgs) -> Result<Config> {
    let text = match &common.config {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read config {}", p.display()))?,
        None => String::new(),
    };
    let mut overrides = Vec::new();
    for s in &common.set {
        let (k, v) = s
            .split_once('=')
            .with_context(|| format!("--set {s}: expected KEY=VALUE"))?;
        overrides.push((k.trim().to_string(), v.trim().to_string()));
    }
    let (mut cfg, ignored) =
        Config::from_toml_with(&text, &overrides).map_err(|e| match (&common.config, e) {
            (Some(p), sekimori_engine::ConfigError::Parse { message, .. }) => {
                anyhow::anyhow!("invalid config {}: {message}", p.display())
            }
            (_, e) => e.into(),
        })?;
    for k in ignored {
        eprintln!("sekimori: warning: --set {k}: no such setting in sekimori; ignored");
    }
    if !common.home_net.is_empty() {
        cfg.vars.home_net = common
            .home_net
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
    }
    cfg.inspect.yara_rules.extend(common.yara.iter().cloned());
    cfg.inspect
        .hash_lists
        .extend(common.hash_list.iter().cloned());
    if let Some(k) = &common.checksum_checks {
        cfg.decoder.checksum_checks = k.clone();
    }
    cfg.validate()?;
    Ok(cfg)
}

fn make_engine(common: &CommonArgs, learn: bool) -> Result<Engine> {
    let config = load_config(common)?;
    std::fs::create_dir_all(&common.log_dir)
        .with_context(|| format!("cannot create log directory {}", common.log_dir.display()))?;
    let engine = Engine::new(EngineOptions {
        config,
        log_dir: common.log_dir.clone(),
        rule_files: common.rules.clone(),
        state_dir: Some(
            common
                .state
                .clone()
                .unwrap_or_else(|| common.log_dir.join("state")),
        ),
        learn,
        simulate_ips: common.simulate_ips,
    })?;
    for w in engine.warnings() {
        eprintln!("sekimori: warning: {w}");
    }
    let mut engine = engine;
    engine.set_stop_after(common.stop_after);
    Ok(engine)
}

fn analyze(args: AnalyzeArgs, learn: bool) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.common.log_dir).with_context(|| {
        format!(
            "cannot create log directory {}",
            args.common.log_dir.display()
        )
    })?;
    let mut log = RunLog::open(&args.common.log_dir);
    log.line(
        LogLevel::Info,
        "main",
        &format!("This is sekimori version {}", env!("CARGO_PKG_VERSION")),
    );
    if args.common.engine_analysis {
        return engine_analysis(&args.common, &mut log);
    }
    if args.common.init_errors_fatal && !rules_load_cleanly(&args.common, &mut log)? {
        return Ok(ExitCode::from(1));
    }
    let mut engine = make_engine(&args.common, learn)?;
    for w in engine.warnings() {
        log.line(LogLevel::Warning, "engine", w);
    }
    let mut source = MultiFileSource::open(&args.pcaps)?;
    let show = !args.common.quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let bar = if show {
        Some(progress_bar(source.progress().total))
    } else {
        None
    };

    let mut input_error: Option<CaptureError> = None;
    let mut n: u64 = 0;
    loop {
        match source.next_packet() {
            Ok(Some(pkt)) => {
                engine.process(&pkt);
                n += 1;
                if n.is_multiple_of(4096)
                    && let Some(b) = &bar
                {
                    b.set_position(source.progress().done);
                }
            }
            Ok(None) => break,
            Err(e) => {
                // Keep going with the other files; report the first failure at the end.
                eprintln!("sekimori: error: {e}");
                input_error.get_or_insert(e);
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let capture = source.stats();
    for f in &capture.per_file {
        if let Some(off) = f.truncated {
            eprintln!(
                "sekimori: warning: {} is truncated at byte offset {off}; processed what was there",
                f.path.display()
            );
        }
    }
    let summary = engine.finish()?;
    log.line(
        LogLevel::Info,
        "main",
        &format!(
            "{} packets processed; output in {}",
            summary.packets, summary.eve_file
        ),
    );
    if !args.common.quiet {
        print_summary(&summary, &args.common.log_dir, started.elapsed());
    }
    Ok(if input_error.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(t) => ProgressBar::new(t),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_summary(s: &Summary, log_dir: &Path, wall: Duration) {
    let secs = wall.as_secs_f64().max(1e-9);
    let mbps = s.bytes as f64 * 8.0 / secs / 1e6;
    eprintln!(
        "sekimori: analysed {} packets, {} bytes in {:.2} s ({:.1} Mbit/s)",
        s.packets, s.bytes, secs, mbps
    );
    eprintln!("  flows:      {}", s.flows);
    if s.rules > 0 {
        eprintln!("  rules:      {} in use", s.rules);
    }
    eprintln!(
        "  anomalies:  {} decoder, {} stream",
        s.decoder_anomalies, s.stream_events
    );
    eprintln!("  defrag:     {} datagrams reassembled", s.reassembled);
    let events: Vec<String> = s.events.iter().map(|(t, n)| format!("{t} {n}")).collect();
    eprintln!(
        "  events:     {}",
        if events.is_empty() {
            "none".to_string()
        } else {
            events.join(", ")
        }
    );
    eprintln!("  output:     {}", log_dir.join(&s.eve_file).display());
}

#[cfg(feature = "live")]
fn run_live(args: RunArgs) -> Result<ExitCode> {
    let mut engine = make_engine(&args.common, false)?;
    let mut source =
        sekimori_capture::LiveSource::open(&args.interface, args.bpf.as_deref(), 65535, true)?;
    // Ctrl-C (or SIGTERM) ends the capture cleanly: flows are flushed and logged, stats written.
    let stop = source.stop_flag();
    ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::Relaxed))
        .context("cannot install the signal handler")?;
    if !args.common.quiet {
        eprintln!("sekimori: capturing on {} (Ctrl-C to stop)", args.interface);
    }
    let started = Instant::now();
    while let Some(pkt) = source.next_packet()? {
        engine.process(&pkt);
    }
    let capture = source.stats();
    let summary = engine.finish()?;
    if !args.common.quiet {
        print_summary(&summary, &args.common.log_dir, started.elapsed());
        eprintln!(
            "  kernel:     {} received, {} dropped",
            capture.kernel_received, capture.kernel_dropped
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "live"))]
fn run_live(args: RunArgs) -> Result<ExitCode> {
    anyhow::bail!(
        "live capture on {} needs a build with `--features live` (and libpcap-dev installed)",
        args.interface
    )
}

/// The run's log, LOG_DIR/sekimori.log: Suricata's suricata.log counterpart (start-up, rule
/// loading in Suricata's words, warnings, the end), one line each:
/// `2024-01-31T10:00:00.000000+0000 <Info> -- module: message`. A log that cannot be created
/// is reported once on stderr and the run goes on without it.
struct RunLog {
    out: Option<std::io::BufWriter<std::fs::File>>,
}

impl RunLog {
    fn open(dir: &Path) -> RunLog {
        let path = dir.join("sekimori.log");
        match std::fs::File::create(&path) {
            Ok(f) => RunLog {
                out: Some(std::io::BufWriter::new(f)),
            },
            Err(e) => {
                eprintln!("sekimori: warning: cannot create {}: {e}", path.display());
                RunLog { out: None }
            }
        }
    }

    fn line(&mut self, level: LogLevel, module: &str, message: &str) {
        use std::io::Write as _;
        let Some(out) = self.out.as_mut() else { return };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let ts = sekimori_capture::Timestamp::from_micros(
            i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
            now.subsec_micros(),
        );
        let ok = writeln!(
            out,
            "{} <{}> -- {module}: {message}",
            sekimori_eve::timestamp_string(ts),
            level.as_str()
        )
        .and_then(|()| out.flush());
        if let Err(e) = ok {
            eprintln!("sekimori: warning: writing sekimori.log failed: {e}");
            self.out = None;
        }
    }
}

/// Loads the rule files as the engine will (variables, classifications beside the first
/// file) and logs what Suricata logs about them.
fn load_rules_logged(common: &CommonArgs, log: &mut RunLog) -> Result<sekimori_rules::RuleSet> {
    use sekimori_rules::{Classifications, Vars, load_files};
    for f in &common.rules {
        std::fs::metadata(f).with_context(|| format!("cannot read rule file {}", f.display()))?;
    }
    let mut vars = Vars::suricata_defaults();
    let cfg = load_config(common)?;
    vars.set_address("HOME_NET", &format!("[{}]", cfg.vars.home_net.join(",")));
    let classes = common
        .rules
        .first()
        .and_then(|f| sekimori_engine::classification_beside(f))
        .and_then(|p| Classifications::load(&p).ok())
        .map(|(c, _)| c)
        .unwrap_or_default();
    let set = load_files(&common.rules, &vars, &classes);
    for l in set.log_lines() {
        log.line(l.level, &l.module, &l.message);
    }
    Ok(set)
}

/// `--engine-analysis`: loads the rules, logs every failure, writes LOG_DIR/rules.json (one
/// line per loaded rule: ids, message, action, buffers, keywords the matcher does not
/// support) and exits: 1 when a rule failed and `--init-errors-fatal` is set, else 0.
fn engine_analysis(common: &CommonArgs, log: &mut RunLog) -> Result<ExitCode> {
    use std::io::Write as _;
    let set = load_rules_logged(common, log)?;
    let path = common.log_dir.join("rules.json");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?,
    );
    for r in &set.rules {
        let lists: Vec<&str> = r.lists.iter().map(|l| l.buffer.name()).collect();
        let line = serde_json::json!({
            "raw": r.text,
            "id": r.sid,
            "gid": r.gid,
            "rev": r.rev,
            "msg": r.msg,
            "action": r.action.as_str(),
            "lists": lists,
            "unsupported": r.unsupported,
        });
        writeln!(out, "{line}").with_context(|| format!("cannot write {}", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    log.line(
        LogLevel::Info,
        "engine-analysis",
        &format!("rules analysis written to {}", path.display()),
    );
    if common.init_errors_fatal && (set.stats.failed > 0 || set.stats.file_errors > 0) {
        log.line(LogLevel::Error, "main", "Loading signatures failed.");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--init-errors-fatal`: loads the rule files once and reports every rule that fails.
fn rules_load_cleanly(common: &CommonArgs, log: &mut RunLog) -> Result<bool> {
    use sekimori_rules::CheckReport;
    if common.rules.is_empty() {
        return Ok(true);
    }
    let set = load_rules_logged(common, log)?;
    let report = CheckReport::new(&set);
    if report.failed == 0 && set.stats.file_errors == 0 {
        return Ok(true);
    }
    log.line(LogLevel::Error, "main", "Loading signatures failed.");
    for (reason, details) in &report.failures {
        for d in details {
            let file = d.file.as_deref().unwrap_or("rules");
            eprintln!(
                "sekimori: error: {file}:{}: {reason}: {}",
                d.line, d.message
            );
        }
    }
    eprintln!(
        "sekimori: error: {} rule(s) failed to load (--init-errors-fatal)",
        report.failed
    );
    Ok(false)
}

fn rules_check(args: RulesCheckArgs) -> Result<ExitCode> {
    use sekimori_rules::{Classifications, Vars, check_files};
    let mut vars = Vars::suricata_defaults();
    if !args.home_net.is_empty() {
        vars.set_address("HOME_NET", &format!("[{}]", args.home_net.join(",")));
    }
    let class_file = args
        .classification
        .clone()
        .or_else(|| sekimori_engine::classification_beside(&args.files[0]));
    let classes = match &class_file {
        Some(p) => {
            let (c, errors) = Classifications::load(p)
                .with_context(|| format!("cannot read classification file {}", p.display()))?;
            for e in errors {
                eprintln!("sekimori: warning: {}:{}: {}", p.display(), e.line, e.error);
            }
            c
        }
        None => Classifications::new(),
    };
    for f in &args.files {
        std::fs::metadata(f).with_context(|| format!("cannot read rule file {}", f.display()))?;
    }
    let started = Instant::now();
    let report = check_files(&args.files, &vars, &classes);
    let took = started.elapsed();
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.render_text());
        println!("loaded in {:.3} s", took.as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}
