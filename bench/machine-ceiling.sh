#!/usr/bin/env bash
# How much faster can two cores of this machine do the flow workload than one, whatever the program? The sharded
# mode's target (issue 5: `--threads 2` >= 1.6x its one-thread rate) assumes the machine scales; this measures the
# ceiling with no sharing at all: the big capture is split into two files of half its frames each, and the same
# program runs on the whole file alone and on both halves at once (two processes, one per half, nothing shared but
# the machine). That is the best any sharded run can do: it has the same work and process costs and none of the
# routing, copying or flows split across shards. A pure arithmetic loop shows what the vCPUs give when memory is
# not involved; `cat` to /dev/null what the kernel's read path gives (the copies `--threads` reads chunks with).
#
#   usage: bench/machine-ceiling.sh [-n ROUNDS] [-p BIG.pcap] [-d PEERS_DIR]
#   defaults: 5 rounds; /dev/shm/flows-bench/big.pcap (built by bench/flows-bench.sh when missing); peers in
#             /tmp/flows-peers (built by bench/flows-bench.sh). The halves go beside the big capture.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$here/../shared" 2>/dev/null && pwd || echo /work/shared)
rounds=5
big=/dev/shm/flows-bench/big.pcap
peers=/tmp/flows-peers
while getopts "n:p:d:" o; do
  case $o in
    n) rounds=$OPTARG ;;
    p) big=$OPTARG ;;
    d) peers=$OPTARG ;;
    *) echo "usage: $0 [-n ROUNDS] [-p BIG.pcap] [-d PEERS_DIR]" >&2; exit 2 ;;
  esac
done
if [[ ! -f $big || ! -x $peers/mmap_count || ! -x $peers/nids_count ]]; then
  echo "the big capture or the peers are missing: run bench/flows-bench.sh -n 1 first" >&2
  exit 1
fi
command -v editcap >/dev/null || { echo "editcap (tshark's package) is needed to split the capture" >&2; exit 1; }
"$here/tributary" flows stats "$shared/reference/mos/pcaps/01_handshake_close.pcap" >/dev/null # build once
trib="$here/artifacts/launcher/tributary"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$(dirname "$big")
frames=$(capinfos -c -M "$big" 2>/dev/null | awk '/Number of packets/{print $NF}')
half=$(((frames + 1) / 2))
if [[ ! -f $dir/half-b.pcap || $dir/half-b.pcap -ot $big ]]; then
  rm -f "$dir"/half_*.pcap
  editcap -F pcap -c "$half" "$big" "$dir/half.pcap"
  parts=("$dir"/half_*.pcap)
  mv "${parts[0]}" "$dir/half-a.pcap"
  mv "${parts[1]}" "$dir/half-b.pcap"
fi
a=$dir/half-a.pcap
b=$dir/half-b.pcap

cat >"$tmp/spin.c" <<'EOF'
/* A dependent arithmetic chain with no memory traffic: what one vCPU computes in a fixed number of steps. */
#include <stdio.h>
#include <stdint.h>
int main(void) {
  uint64_t x = 88172645463325252ull;
  for (long i = 0; i < 400000000L; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
  printf("%llu\n", (unsigned long long)x);
  return 0;
}
EOF
gcc -O2 -o "$tmp/spin" "$tmp/spin.c"

# Each workload: the command on the whole file alone, then the same command on both halves at once ("spin"
# takes no file: each process runs the whole loop).
declare -A cmd=(
  [spin]="$tmp/spin"
  [read]="cat"
  [mmap]="$peers/mmap_count"
  [libnids]="$peers/nids_count"
  [flows_stats]="$trib flows stats"
  [flows_stats_buffers]="$trib flows stats --buffers --checksums"
)
# Also run with --threads 2 on the whole file.
declare -A sharded=([flows_stats]=1 [flows_stats_buffers]=1)
order=(spin read mmap libnids flows_stats flows_stats_buffers)
now() { date +%s.%N; }
# The tool's own elapsed time (after process start, before exit) where it prints one; 0 for the others.
inside() { awk '/^seconds /{print $2; found=1} END{if (!found) print 0}' "$1"; }
# The file argument of workload $t.
file() { [[ $t == spin ]] || echo "$1"; }
# Where a run's output goes: a file for the tool (its seconds), /dev/null for the rest (cat prints the capture).
out() { if [[ -n ${sharded[$t]:-} ]]; then echo "$tmp/$1"; else : >"$tmp/$1"; echo /dev/null; fi; }
cat "$big" "$a" "$b" >/dev/null
for ((r = 1; r <= rounds; r++)); do
  for t in "${order[@]}"; do
    s=$(now); ${cmd[$t]} $(file "$big") >"$(out one)" 2>/dev/null; e=$(now)
    alone=$(echo "$e - $s" | bc)
    s=$(now)
    ${cmd[$t]} $(file "$a") >"$(out a)" 2>/dev/null & p1=$!
    ${cmd[$t]} $(file "$b") >"$(out b)" 2>/dev/null & p2=$!
    wait $p1 $p2; e=$(now)
    both=$(echo "$e - $s" | bc)
    threads=0
    : >"$tmp/threads"
    if [[ -n ${sharded[$t]:-} ]]; then
      s=$(now); ${cmd[$t]} --threads 2 "$big" >"$tmp/threads" 2>/dev/null; e=$(now)
      threads=$(echo "$e - $s" | bc)
    fi
    echo "$t $alone $both $threads $(inside "$tmp/one") $(inside "$tmp/a") $(inside "$tmp/b") $(inside "$tmp/threads")" >>"$tmp/runs"
  done
done
echo "# $(date -u +%FT%TZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $rounds rounds, $frames frames, halves of $half"
python3 - "$tmp/runs" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    t, *v = line.split()
    rows.setdefault(t, []).append([float(x) for x in v])
print(f"{'workload':22} {'alone s':>8} {'halves s':>9} {'ceiling':>8} {'(range)':>13} {'--threads 2':>12} {'speed-up':>9}")
inproc = []
for t, v in rows.items():
    alone = statistics.median(x[0] for x in v)
    both = statistics.median(x[1] for x in v)
    # Paired per round: the whole file alone against both halves at once, seconds apart.
    r = [x[0] / x[1] for x in v]
    # "spin" runs the whole loop in each process: two loops in the time of one is 2x.
    k = 2 if t == 'spin' else 1
    ceil = [k * x for x in r]
    line = f"{t:22} {alone:8.3f} {both:9.3f} {statistics.median(ceil):7.2f}x {min(ceil):5.2f}-{max(ceil):.2f}x"
    if any(x[2] for x in v):
        line += f" {statistics.median(x[2] for x in v):11.3f}s {statistics.median(x[0] / x[2] for x in v):8.2f}x"
        # In-process: the tool's own seconds, the slower half for the halves (process start and exit left out).
        ic = [x[3] / max(x[4], x[5]) for x in v]
        it = [x[3] / x[6] for x in v]
        inproc.append(f"{t:22} {statistics.median(x[3] for x in v):8.3f} {statistics.median(max(x[4], x[5]) for x in v):9.3f} "
                      f"{statistics.median(ic):7.2f}x {min(ic):5.2f}-{max(ic):.2f}x {statistics.median(x[6] for x in v):11.3f}s {statistics.median(it):8.2f}x")
    print(line)
if inproc:
    print()
    print("in-process (the tool's own seconds; for the halves the slower one):")
    print(*inproc, sep="\n")
print()
print("ceiling: the whole file alone over both halves at once (paired per round); 2x is perfect scaling.")
print("speed-up: the whole file alone over --threads 2 on the whole file, paired per round.")
EOF
