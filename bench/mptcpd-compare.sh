#!/usr/bin/env bash
# Performance of `tributary mptcpd` beside Debian's mptcpd 0.12 (/usr/libexec/mptcpd, package mptcpd),
# each in a network namespace of its own created and deleted by the harness
# (bench/Tributary.Benchmarks/Mptcp/DaemonComparison.cs):
#   latency  - an address is added (clock starts at the kernel's ack) until addr_adv's endpoint is in the
#              kernel's table; ROUNDS rounds after 5 warm-up rounds, 50 ms apart (DEL_ADDR's RCU grace period)
#   startup  - exec until the endpoint of an existing address is in the kernel (--notify-flags=existing),
#              resident memory (VmRSS) 1 s later, and after a burst of 10,000 address changes
# Both daemons get the same options: --load-plugins=addr_adv --addr-flags=subflow --log=null.
# Needs root. The machine is shared: compare the ratios, run it several times.
# Usage: bench/mptcpd-compare.sh [ROUNDS] [STARTUP_RUNS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=${1:-200}
runs=${2:-10}
mptcpd=/usr/libexec/mptcpd
[[ -x $mptcpd ]] || { echo "mptcpd-compare: $mptcpd missing (apt-get install mptcpd)" >&2; exit 1; }
"$here/tributary" mptcpd --version >/dev/null # builds the ReadyToRun binary on first use
dotnet build "$here/bench/Tributary.Benchmarks" -c Release -nologo -v quiet >/dev/null
harness="$here/artifacts/bin/Tributary.Benchmarks/release/Tributary.Benchmarks"
conf=$(mktemp /tmp/trib-mptcpd-XXXXXX.conf)
trap 'rm -f "$conf"' EXIT
printf '[core]\n' > "$conf"
tributary=("$here/artifacts/launcher/tributary" mptcpd --config "$conf")

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "== endpoint latency after an address appears ($rounds rounds)"
t=$("$harness" mptcpd latency "$rounds" "${tributary[@]}")
m=$("$harness" mptcpd latency "$rounds" "$mptcpd")
echo "tributary mptcpd: $t"
echo "mptcpd 0.12:      $m"
for p in median p90 p99; do
  echo "  $p ratio tributary/mptcpd: $(ratio "$(echo "$t" | field $p)" "$(echo "$m" | field $p)")"
done

echo "== start-up time and resident memory ($runs runs)"
t=$("$harness" mptcpd startup "$runs" "${tributary[@]}")
m=$("$harness" mptcpd startup "$runs" "$mptcpd")
echo "tributary mptcpd: $t"
echo "mptcpd 0.12:      $m"
echo "  start-up median ratio tributary/mptcpd: $(ratio "$(echo "$t" | sed -n 's/.*runs=[0-9]* median=\([0-9.]*\).*/\1/p')" "$(echo "$m" | sed -n 's/.*runs=[0-9]* median=\([0-9.]*\).*/\1/p')")"
echo "  RSS ratio tributary/mptcpd: $(ratio "$(echo "$t" | sed -n 's/.*rss_kib median=\([0-9]*\).*/\1/p')" "$(echo "$m" | sed -n 's/.*rss_kib median=\([0-9]*\).*/\1/p')")"
