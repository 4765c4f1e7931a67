#!/usr/bin/env bash
# Live capture without drops, beside tcpdump, on a veth pair between two namespaces made here
# (root). A C generator (bench/udpflood.c, sendmmsg) sends UDP from namespace A; the capturer runs in
# namespace B on the peer interface: `tributary capture stats --interface vb` (TPACKET_V3 ring) and
# `tcpdump -i vb -w /dev/null` (libpcap, also TPACKET_V3), one after the other, at a fixed rate and
# unthrottled. Reported per run: generator rate, packets captured, kernel drops, capturer CPU time
# (utime+stime from /proc) and CPU per packet. On a 2-core box the kernel copy into the ring runs
# in the sender's softirq, so the system cost also shows as a lower generator rate.
#
#   sudo bench/capture-live-bench.sh        # env SECONDS_PER_RUN (3), RATE (300000), PAYLOAD (64)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${SECONDS_PER_RUN:-3}"
rate="${RATE:-300000}"
payload="${PAYLOAD:-64}"
work="$(mktemp -d /tmp/trib-livebench.XXXXXX)"
a="trib-lb-a-$$"; b="trib-lb-b-$$"
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
gcc -O2 -o "$work/udpflood" "$repo/bench/udpflood.c"
"$repo/tributary" --help >/dev/null
ip netns add "$a"; ip netns add "$b"
ip link add va netns "$a" type veth peer name vb netns "$b"
ip -n "$a" addr add 10.213.0.1/24 dev va; ip -n "$b" addr add 10.213.0.2/24 dev vb
ip -n "$a" link set va up; ip -n "$b" link set vb up; ip -n "$a" link set lo up; ip -n "$b" link set lo up
ip -n "$a" neigh add 10.213.0.2 lladdr "$(ip -n "$b" -br link show vb | awk '{print $3}')" dev va

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {   # run NAME RATE
  local name=$1 r=$2 pid out err
  out="$work/$name.out"; err="$work/$name.err"
  if [[ $name == tributary ]]; then
    ip netns exec "$b" "$repo/tributary" capture stats --json --interface vb >"$out" 2>"$err" & pid=$!
  else
    ip netns exec "$b" tcpdump -i vb -n -s 262144 -w /dev/null >"$out" 2>"$err" & pid=$!
  fi
  sleep 1.5                                   # started and listening
  local t0; t0=$(cpu_ticks "$pid")
  local gen; gen=$(ip netns exec "$a" "$work/udpflood" 10.213.0.2 9 "$secs" "$r" "$payload")
  sleep 0.5                                   # drain the ring (10 ms block timeout; tcpdump: 1 s)
  [[ $name == tcpdump ]] && sleep 1
  local t1; t1=$(cpu_ticks "$pid")
  kill -TERM "$pid"; wait "$pid" || true      # background jobs inherit SIGINT ignored
  local sent elapsed captured received dropped
  read -r sent elapsed <<<"$gen"
  if [[ $name == tributary ]]; then
    captured=$(sed -E 's/.*"packets":([0-9]+).*/\1/' "$out")
    received=$(sed -nE 's/.*kernel received ([0-9]+) packets, dropped ([0-9]+).*/\1/p' "$err")
    dropped=$(sed -nE 's/.*kernel received ([0-9]+) packets, dropped ([0-9]+).*/\2/p' "$err")
  else
    captured=$(sed -nE 's/^([0-9]+) packets captured.*/\1/p' "$err")
    received=$(sed -nE 's/^([0-9]+) packets received by filter.*/\1/p' "$err")
    dropped=$(sed -nE 's/^([0-9]+) packets dropped by kernel.*/\1/p' "$err")
  fi
  local tick; tick=$(getconf CLK_TCK)
  awk -v n="$name" -v r="$r" -v s="$sent" -v e="$elapsed" -v c="$captured" -v rc="$received" -v d="$dropped" \
      -v t="$((t1 - t0))" -v hz="$tick" \
    'BEGIN { cpu = t / hz; printf "%-10s %9s %11d %9.0f %10d %10d %8d %8.2f %10.1f\n", n, (r == 0 ? "max" : r), s, s / e, c, rc, d, cpu, (c > 0 ? cpu * 1e9 / c : 0) }'
}

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); ${secs}s per run, ${payload}-byte UDP payloads"
printf '%-10s %9s %11s %9s %10s %10s %8s %8s %10s\n' capturer rate_pps sent sent_pps captured received dropped cpu_s ns_per_pkt
for r in "$rate" 0; do
  run tributary "$r"
  run tcpdump "$r"
done
