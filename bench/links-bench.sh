#!/usr/bin/env bash
# Whole-process benchmark of the network monitor beside its peers (issue 2):
#  A. initial dump of 2,000 links x 4 addresses: `tributary links --once` vs `ip link show; ip addr show`
#     (the same listing from iproute2), median wall time over RUNS runs, whole processes;
#  B. sustained event throughput under churn (200 bridges, 45,200 link/address operations): events
#     delivered and CPU seconds of `tributary links --json`, `ip monitor link address` and Debian's
#     mptcpd 0.12 (addr_adv) running at the same time, and whether each is still listening afterwards.
# The in-process dump figure (target <= 10 ms median, warm) is the BenchmarkDotNet class
# InitialDumpBenchmark: dotnet run -c Release --project bench/Tributary.Benchmarks -- --filter '*InitialDump*'
# Needs root. Creates and deletes namespaces tribbench-*. Results go to stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-15}"
"$here/tributary" --help >/dev/null             # build once, outside the measurements
trib="$here/artifacts/launcher/tributary"       # the program itself, not the wrapper's staleness check
work="$(mktemp -d)"
cleanup() {
  for p in $(cat "$work"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  ip netns del tribbench-dump 2>/dev/null || true
  ip netns del tribbench-churn 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu_seconds() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }

echo "# A. initial dump: 2,000 bridges x 4 IPv4 addresses ($RUNS runs each, median wall ms)"
ip netns add tribbench-dump
ip netns exec tribbench-dump sysctl -qw net.ipv6.conf.all.addr_gen_mode=1 net.ipv6.conf.default.addr_gen_mode=1
python3 - <<'PY' | ip -n tribbench-dump -batch -
for i in range(2000):
    print(f"link add name b{i} type bridge"); print(f"link set b{i} up")
    for a in range(4): print(f"addr add 10.{i//250}.{i%250}.{a+1}/32 dev b{i}")
PY
for tool in tributary iproute2; do
  for r in $(seq "$RUNS"); do
    t0=$(ms)
    if [[ $tool == tributary ]]; then "$trib" links --once --netns tribbench-dump >/dev/null
    else ip -n tribbench-dump link show >/dev/null; ip -n tribbench-dump addr show >/dev/null; fi
    echo $(( ($(ms) - t0) / 1000000 ))
  done | median | sed "s/^/$tool\t/"
done
lines=$("$trib" links --once --netns tribbench-dump | wc -l)
expected=$(( 2000 + $(ip -n tribbench-dump -o addr show | grep -vc ' lo ') ))
echo "tributary --once lines: $lines (expected $expected: 2,000 interfaces + 8,000 addresses)"

echo
echo "# B. churn: 200 bridges, 25 rounds of {800 addr add, 200 link down/up, 800 addr del}"
ns=tribbench-churn
ip netns add $ns
ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
python3 - <<'PY' | ip -n $ns -batch -
for i in range(200):
    print(f"link add name c{i} type bridge"); print(f"link set c{i} up")
PY
python3 - > "$work/churn.batch" <<'PY'
for r in range(25):
    for i in range(800): print(f"addr add 10.{100+r}.{i//250}.{i%250+1}/32 dev c{i%200}")
    for i in range(100): print(f"link set c{i} down"); print(f"link set c{i} up")
    for i in range(800): print(f"addr del 10.{100+r}.{i//250}.{i%250+1}/32 dev c{i%200}")
PY
"$trib" links --netns $ns --json >"$work/trib.out" 2>"$work/trib.err" & echo $! >"$work/trib.pid"
ip -n $ns monitor link address >"$work/ipmon.out" 2>&1 & echo $! >"$work/ipmon.pid"
mptcpd_note="not installed"
if [[ -x /usr/libexec/mptcpd ]]; then
  ip netns exec $ns /usr/libexec/mptcpd --log=stderr --plugin-dir=/usr/lib/x86_64-linux-gnu/mptcpd \
     --load-plugins=addr_adv >"$work/mptcpd.out" 2>&1 & echo $! >"$work/mptcpd.pid"
  mptcpd_note=""
fi
sleep 1.5
t0=$(ms)
ip -n $ns -force -batch "$work/churn.batch" || true
t1=$(ms)
sleep 3
echo "churn: $(wc -l <"$work/churn.batch") operations in $(( (t1 - t0) / 1000000 )) ms"
# Still listening? One more address after the storm.
ip -n $ns addr add 10.250.0.1/32 dev c0
sleep 1
printf "consumer\tevent lines\tcpu s\tsaw the address added after the storm\n"
printf "tributary links --json\t%s\t%s\t%s\n" "$(wc -l <"$work/trib.out")" "$(cpu_seconds "$(cat "$work/trib.pid")")" \
  "$(grep -q '"10.250.0.1"' "$work/trib.out" && echo yes || echo NO)"
printf "ip monitor link address\t%s\t%s\t%s\n" "$(wc -l <"$work/ipmon.out")" "$(cpu_seconds "$(cat "$work/ipmon.pid")")" \
  "$(grep -q '10.250.0.1' "$work/ipmon.out" && echo yes || echo NO)"
if [[ -z $mptcpd_note ]]; then
  printf "mptcpd 0.12 (addr_adv)\t-\t%s\t%s\n" "$(cpu_seconds "$(cat "$work/mptcpd.pid")")" \
    "$(ip -n $ns mptcp endpoint show | grep -q '10.250.0.1' && echo yes || echo "NO (deaf: $(ls /proc/$(cat "$work/mptcpd.pid")/fd | wc -l) fds left)")"
else
  echo "mptcpd: $mptcpd_note"
fi
echo "tributary resyncs: $(grep -c 're-reading links and addresses' "$work/trib.err" || true) (warnings on stderr)"
