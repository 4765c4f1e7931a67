#!/usr/bin/env bash
# Whole-process read + decode benchmark: `tributary capture stats` beside the C peers of
# tools/flows/peers (mmap_count: mmap + header parse, the practical limit; pcap_count: libpcap
# pcap_next_ex + the same parse) on the 1.69 GB big capture (tools/flows/gen_big.sh).
#
#   bench/capture-bench.sh            # RUNS=7 rounds, interleaved; medians and Mpps ratios on stdout
#
# Env: BIG_PCAP (default $WORK_DIR/big.pcap, built if missing), WORK_DIR (default /dev/shm/tributary-capture-bench:
# tmpfs keeps the capture in memory; never the repository), RUNS, SHARED (default ../shared).
# The machine is shared: compare ratios measured in the same interleaved rounds, not bare times.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
runs="${RUNS:-7}"
work="${WORK_DIR:-/dev/shm/tributary-capture-bench}"
big="${BIG_PCAP:-$work/big.pcap}"
mkdir -p "$work"
if [[ ! -f "$big" ]]; then
  echo "building $big with gen_big.sh (~15 s, 1.69 GB)..." >&2
  "$shared/tools/flows/gen_big.sh" "$big" >&2
fi
peers="$work/peers"
rm -rf "$peers"
cp -r "$shared/tools/flows/peers" "$peers"
chmod -R u+w "$peers"
make -s -C "$peers" mmap_count pcap_count >&2
"$repo/tributary" --help >/dev/null      # builds the ReadyToRun binary on first use
trib="$repo/artifacts/launcher/tributary" # measured as the peers are: the program itself, not the wrapper's staleness check
cat "$big" >/dev/null                     # page cache warm (tmpfs: already in memory)

packets=$("$peers/mmap_count" "$big" | sed -E "s/.* pkts=([0-9]+).*/\1/")
names=(mmap_count pcap_count tributary tributary_mmap tributary_filter)
cmds=(
  "$peers/mmap_count $big"
  "$peers/pcap_count $big"
  "$trib capture stats --json --timing $big"
  "$trib capture stats --json --mmap $big"
  "$trib capture stats --json --filter tcp $big"
)
declare -A samples
for ((r = 1; r <= runs; r++)); do
  for i in "${!names[@]}"; do
    t0=$(date +%s%N)
    ${cmds[$i]} >"$work/${names[$i]}.out" 2>"$work/${names[$i]}.err"
    [[ ${names[$i]} == tributary ]] && samples[loop]+="$(sed -nE 's/.* in ([0-9.]+) s .*/\1/p' "$work/tributary.err" | awk '{printf "%d", $1 * 1e6}') "
    t1=$(date +%s%N)
    samples[${names[$i]}]+="$(( (t1 - t0) / 1000 )) "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A med
for n in "${names[@]}" loop; do med[$n]=$(echo "${samples[$n]}" | median); done

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); $packets packets, $(stat -c %s "$big") bytes; $runs interleaved runs, medians"
printf '%-18s %10s %8s %12s %12s  %s\n' tool wall_s Mpps vs_mmap vs_libpcap "runs (s)"
# "loop" = tributary's own read + decode time inside the process (--timing: no runtime start-up, same runs)
for n in "${names[@]}" loop; do
  us=${med[$n]}
  awk -v n="$n" -v us="$us" -v p="$packets" -v m="${med[mmap_count]}" -v l="${med[pcap_count]}" -v all="${samples[$n]}" \
    'BEGIN { split(all, a, " "); s = ""; for (i = 1; i in a; i++) s = s sprintf("%.3f ", a[i] / 1e6);
             printf "%-18s %10.3f %8.2f %11.0f%% %11.0f%%  %s\n", n, us / 1e6, p / us, 100 * m / us, 100 * l / us, s }'
done
# The counts must agree with the C parser (same packets, IPv4, IPv6, TCP).
c=$(cat "$work/mmap_count.out")
j=$(cat "$work/tributary.out")
for k in ip4:ipv4 ip6:ipv6 tcp:tcp pkts:packets; do
  cv=$(sed -E "s/.* ${k%%:*}=([0-9]+).*/\1/" <<<"$c"); jv=$(sed -E "s/.*\"${k##*:}\":([0-9]+).*/\1/" <<<"$j")
  [[ "$cv" == "$jv" ]] || { echo "MISMATCH ${k}: mmap_count $cv, tributary $jv" >&2; exit 1; }
done
echo "# counts agree with mmap_count: $j"
