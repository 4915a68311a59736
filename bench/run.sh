#!/usr/bin/env bash
# Times `sekimori analyze` on the benchmark corpus (../shared/docs/benchmark.md) and prints each
# figure as a ratio to baselines measured in the same run, because these machines are noisy:
#   read     `cat` of the corpus to /dev/null (I/O, page cache warm)
#   capture  sekimori reading and counting packets only (--stop-after capture)
#   decode   + decoding
#   flow     + defragmentation and the flow table
#   full     + TCP reassembly, protocols, files, DLP and behaviour (every layer, no rules)
# then what each layer costs, as a ratio to `full` from the same run:
#   -dlp, -behavior, -inspect   full with that layer switched off (layers.X=false)
#   +yara             full with YARA_RULES (default bench/yara/bench.yar) on every file
#   +et-open          full with the ET Open ruleset loaded (-S ../shared/data/rules/et-open.rules)
# Max RSS comes from /usr/bin/time.
#
# Usage: bench/run.sh [REPEAT]   REPEAT copies of the suricata-verify pcaps (40 = the 295 MB
#        reference corpus; 55 ≈ 400 MB). RUNS=N repeats each measurement (default 3, best kept).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SEKIMORI_SHARED:-../shared}
REPEAT=${1:-40}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT"

need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "installing $2 (for $1)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null
}
need editcap wireshark-common
[ -x /usr/bin/time ] || need /usr/bin/time time

corpus="$OUT/bench-$REPEAT.pcap"
if [ ! -s "$corpus" ]; then
    echo "building $corpus ..." >&2
    # shellcheck disable=SC2046
    python3 "$SHARED/tools/make-bench-pcap.py" "$corpus" "$REPEAT" \
        $(find "$SHARED/data/suricata-verify" -name '*.pcap' -o -name '*.pcapng' | sort) >&2
fi
bytes=$(stat -c %s "$corpus")

cargo build --release --quiet
bin=target/release/sekimori

# best-of-N wall seconds and max RSS (KiB) of a command
measure() {
    local best="" rss=0
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
            cat "$OUT/stderr.txt" >&2; exit 1; }
        read -r secs kib < "$OUT/time.txt"
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
        [ "$kib" -gt "$rss" ] && rss=$kib
    done
    echo "$best $rss"
}

cat "$corpus" > /dev/null  # warm the page cache
printf '%-9s %9s %10s %12s %10s %14s\n' stage seconds MB/s "vs capture" "vs read" "max RSS (MiB)"
read -r t_read _ < <(measure cat "$corpus")
read -r t_cap rss_cap < <(measure "$bin" analyze -q -l "$OUT/log" --stop-after capture "$corpus")
row() {
    awk -v n="$1" -v t="$2" -v c="$t_cap" -v r="$t_read" -v b="$bytes" -v m="$3" \
        'BEGIN{printf "%-9s %9.2f %10.1f %11.2fx %9.2fx %14.1f\n", n, t, b/1e6/t, t/c, t/r, m/1024}'
}
row read "$t_read" 0
row capture "$t_cap" "$rss_cap"
for stage in decode flow full; do
    read -r t rss < <(measure "$bin" analyze -q -l "$OUT/log" --stop-after "$stage" "$corpus")
    row "$stage" "$t" "$rss"
done
echo "corpus: $corpus, $bytes bytes; best of $RUNS runs; 'vs' columns are time ratios (lower is better)"

# What each layer costs: ratios to the full pipeline of this same run.
read -r t_full rss_full < <(measure "$bin" analyze -q -l "$OUT/log" "$corpus")
layer_row() {
    awk -v n="$1" -v t="$2" -v f="$t_full" -v b="$bytes" -v m="$3" \
        'BEGIN{printf "%-13s %9.2f %10.1f %11.2fx %14.1f\n", n, t, b/1e6/t, t/f, m/1024}'
}
printf '\n%-13s %9s %10s %12s %14s\n' layers seconds MB/s "vs full" "max RSS (MiB)"
layer_row full "$t_full" "$rss_full"
for layer in dlp behavior inspect; do
    read -r t rss < <(measure "$bin" analyze -q -l "$OUT/log" --set "layers.$layer=false" "$corpus")
    layer_row "-$layer" "$t" "$rss"
done
YARA_RULES=${YARA_RULES:-bench/yara/bench.yar}
if [ -s "$YARA_RULES" ] && "$bin" analyze --help | grep -q -- --yara; then
    read -r t rss < <(measure "$bin" analyze -q -l "$OUT/log" --yara "$YARA_RULES" "$corpus")
    layer_row "+yara" "$t" "$rss"
fi
RULES=${RULES:-$SHARED/data/rules/et-open.rules}
if [ -s "$RULES" ]; then
    read -r t rss < <(measure "$bin" analyze -q -l "$OUT/log" -S "$RULES" "$corpus")
    layer_row "+et-open" "$t" "$rss"
    alerts=$(grep -c '"event_type":"alert"' "$OUT/log/eve.json" || true)
    echo "ET Open: $(grep -c -v '^\s*\(#\|$\)' "$RULES") rules, $alerts alert records on the corpus"
fi
