#!/usr/bin/env bash
# Whole-process benchmark of the flow stack beside the C peers of tools/flows (issue 5 targets), on the big
# capture rebuilt by tools/flows/gen_big.sh. Every tool runs as its own process under /usr/bin/time, the runs are
# interleaved (round-robin) so that load from other jobs on the shared machine hits every tool alike, and the
# median wall time of each tool is reported with its packet rate and its ratio to the peers measured in the same
# run. mOS cannot run here: its figures (reference/mos/PERF.md, last section, measured on the reference box beside
# the same peers) are compared through the mmap peer, i.e. "reference-box equivalent" = our rate / mmap rate here
# x mmap rate there (13.4 Mpps); the mmap peer pays a first touch per page that is dear on this project's VM
# (docs/performance.md), so the same equivalent through the libpcap peer (9.92 Mpps there), whose read path is
# one-thread `flows stats`'s, is printed beside it. The same capture converted to pcapng (editcap, beside it) is run with one and two
# threads too: pcapng chunks are searched and read differently, and a regression there once made two threads slower
# than one.
#
#   usage: bench/flows-bench.sh [-n RUNS] [-p BIG.pcap] [-d PEERS_DIR]
#   defaults: 5 runs; /dev/shm/flows-bench/big.pcap (built when missing, ~1.7 GB, never in the repository);
#             peers built from a copy of ../shared/tools/flows/peers in /tmp/flows-peers.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$(cd "$here/../shared" && pwd)"
runs=5
big=/dev/shm/flows-bench/big.pcap
peers=/tmp/flows-peers
while getopts "n:p:d:" o; do
  case $o in
    n) runs=$OPTARG ;;
    p) big=$OPTARG ;;
    d) peers=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done

if [[ ! -s $big ]]; then
  mkdir -p "$(dirname "$big")"
  echo "building $big with tools/flows/gen_big.sh ..." >&2
  "$shared/tools/flows/gen_big.sh" "$big" >&2
fi
bigng=${big%.pcap}.pcapng
if [[ ! -s $bigng || $bigng -ot $big ]]; then
  command -v editcap >/dev/null || { echo "editcap (tshark's package) is needed for the pcapng rows" >&2; exit 1; }
  editcap -F pcapng "$big" "$bigng.tmp" && mv "$bigng.tmp" "$bigng"
fi
if [[ ! -x $peers/mmap_count || ! -x $peers/nids_count || ! -x $peers/pcap_count ]]; then
  rm -rf "$peers" && cp -r "$shared/tools/flows/peers" "$peers"
  make -C "$peers" mmap_count pcap_count nids_count >&2
fi
"$here/tributary" flows stats "$shared/reference/mos/pcaps/01_handshake_close.pcap" >/dev/null # build once
# The measured runs exec the built program itself, as the peers run theirs: the ./tributary wrapper's staleness
# check (bash and a find over src/, about 13 ms) is a developer convenience, not part of the tool's work.
trib="$here/artifacts/launcher/tributary"

frames=2677100
declare -A cmd=(
  [mmap]="$peers/mmap_count $big"
  [mmap_touch]="$peers/mmap_count $big --touch"
  [pcap]="$peers/pcap_count $big"
  [libnids]="$peers/nids_count $big"
  [libnids_chksum]="$peers/nids_count $big --chksum"
  [stats]="$trib flows stats $big"
  [stats_buffers_checksums]="$trib flows stats --buffers --checksums $big"
  [stats_threads2]="$trib flows stats --threads 2 $big"
  [stats_buffers_checksums_threads2]="$trib flows stats --buffers --checksums --threads 2 $big"
  [stats_pcapng]="$trib flows stats $bigng"
  [stats_pcapng_threads2]="$trib flows stats --threads 2 $bigng"
)
order=(mmap mmap_touch pcap libnids libnids_chksum stats stats_buffers_checksums stats_threads2 stats_buffers_checksums_threads2
  stats_pcapng stats_pcapng_threads2)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$big" >/dev/null # page cache
for ((r = 1; r <= runs; r++)); do
  for t in "${order[@]}"; do
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" ${cmd[$t]} >"$tmp/out" 2>/dev/null || { echo "$t failed" >&2; cat "$tmp/out" >&2; exit 1; }
    # The tool's own elapsed time (after process start, before exit), where it prints one; 0 for the C peers.
    echo "$t $(cat "$tmp/time") $(awk '/^seconds /{print $2; found=1} END{if (!found) print 0}' "$tmp/out")" >>"$tmp/runs"
  done
done
echo "# $(date -u +%FT%TZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $runs interleaved runs, $frames frames"
python3 - "$tmp/runs" "$frames" <<'EOF'
import sys, statistics
runs, frames = sys.argv[1], int(sys.argv[2])
data = {}
inside = {}
for line in open(runs):
    t, wall, user, sys_, rss, inproc = line.split()
    data.setdefault(t, []).append((float(wall), float(user) + float(sys_), int(rss)))
    inside.setdefault(t, []).append(float(inproc))
med = {t: statistics.median(w for w, _, _ in v) for t, v in data.items()}
mpps = {t: frames / w / 1e6 for t, w in med.items()}
print(f"{'tool':36} {'wall s':>8} {'cpu s':>7} {'Mpps':>7} {'RSS MiB':>8} {'/mmap':>6} {'ref-box Mpps':>12} {'(via pcap)':>10}")
box = lambda t: mpps[t] / mpps['mmap'] * 13.4
box_pcap = lambda t: mpps[t] / mpps['pcap'] * 9.92
for t, v in data.items():
    cpu = statistics.median(c for _, c, _ in v)
    rss = max(r for _, _, r in v) / 1024
    print(f"{t:36} {med[t]:8.3f} {cpu:7.3f} {mpps[t]:7.2f} {rss:8.0f} {mpps[t] / mpps['mmap']:6.2f} {box(t):12.2f} {box_pcap(t):10.2f}")
s, sb = mpps['stats'], mpps['stats_buffers_checksums']
print()
print(f"flows stats (buffers off)            vs libnids {s / mpps['libnids']:.2f}x (target 1.57x), vs mOS 2.68 (ref-box eq.) {box('stats') / 2.68:.2f}x "
      f"(via libpcap {box_pcap('stats') / 2.68:.2f}x; target 3x), {s / mpps['mmap']:.0%} of mmap (target 60%)")
print(f"flows stats --buffers --checksums    vs libnids --chksum {sb / mpps['libnids_chksum']:.2f}x (target 1.3x), vs mOS 2.36 (ref-box eq.) "
      f"{box('stats_buffers_checksums') / 2.36:.2f}x (via libpcap {box_pcap('stats_buffers_checksums') / 2.36:.2f}x; target 2x)")
print(f"--threads 2 speed-up                 {mpps['stats_threads2'] / s:.2f}x buffers off, {mpps['stats_buffers_checksums_threads2'] / sb:.2f}x with buffers (target 1.6x)")
def paired(one, two, series):
    # Ratio of the one-thread run to the two-thread run of the same round (they ran seconds apart), so that load
    # drifting between rounds cancels; the spread across rounds shows how much the machine moved meanwhile.
    r = [a / b for a, b in zip(series(one), series(two))]
    return f"{statistics.median(r):.2f}x ({min(r):.2f}-{max(r):.2f})"
walls = lambda t: [w for w, _, _ in data[t]]
print(f"  paired per round, whole process    {paired('stats', 'stats_threads2', walls)} buffers off, {paired('stats_buffers_checksums', 'stats_buffers_checksums_threads2', walls)} with buffers")
print(f"  pcapng, paired, whole process      {paired('stats_pcapng', 'stats_pcapng_threads2', walls)}; one thread on pcapng {mpps['stats_pcapng'] / s:.2f}x the pcap rate")
print(f"  paired per round, in-process       {paired('stats', 'stats_threads2', inside.get)} buffers off, {paired('stats_buffers_checksums', 'stats_buffers_checksums_threads2', inside.get)} with buffers")
ins = {t: statistics.median(v) for t, v in inside.items()}
print(f"  same, in-process (tool's seconds)  {ins['stats'] / ins['stats_threads2']:.2f}x buffers off, {ins['stats_buffers_checksums'] / ins['stats_buffers_checksums_threads2']:.2f}x with buffers; "
      f"process start and exit {statistics.median(w for w, _, _ in data['stats']) - ins['stats']:.3f} s")
EOF
