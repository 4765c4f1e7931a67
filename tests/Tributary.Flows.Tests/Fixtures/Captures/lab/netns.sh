#!/bin/bash
# Helpers for the fixture generators in this folder (source it; needs root). Two network namespaces joined by a
# veth pair: trib_fc/veth_fc 10.77.1.1 fd77:1::1 (client) <-> trib_fs/veth_fs 10.77.1.2 fd77:1::2 (server),
# offloads off so that frames on the wire are real-sized with real checksums. Names differ from
# tools/flows/lab.sh's (fp_c/fp_s) so both can run at once. Every background process is killed by PID and both
# namespaces are deleted on exit.
set -u
FX_PIDS=()
FX_NS=()
PY=${PY:-/usr/bin/python3}
FX_TOOLS=${FX_TOOLS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../../../../shared/tools" 2>/dev/null && pwd)}   # ../shared/tools beside the repository

fx_cleanup() {
  local p n
  for p in "${FX_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${FX_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  FX_PIDS=()
  for n in "${FX_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
  FX_NS=()
}
trap fx_cleanup EXIT

fx_bg() {   # run a command in background; PID in LASTPID
  "$@" &
  LASTPID=$!
  FX_PIDS+=("$LASTPID")
}

fx_veth() {
  local ns
  for ns in trib_fc trib_fs; do
    ip netns add $ns; FX_NS+=($ns); ip -n $ns link set lo up
    ip netns exec $ns sysctl -qw net.mptcp.enabled=1
  done
  ip link add veth_fc netns trib_fc address 02:00:00:00:10:01 type veth peer name veth_fs netns trib_fs address 02:00:00:00:10:02
  ip -n trib_fc addr add 10.77.1.1/24 dev veth_fc; ip -n trib_fs addr add 10.77.1.2/24 dev veth_fs
  ip -n trib_fc addr add fd77:1::1/64 dev veth_fc nodad; ip -n trib_fs addr add fd77:1::2/64 dev veth_fs nodad
  ip netns exec trib_fc ethtool -K veth_fc tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  ip netns exec trib_fs ethtool -K veth_fs tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  ip -n trib_fc link set veth_fc up; ip -n trib_fs link set veth_fs up
  sleep 0.5
}

fx_router() {   # trib_fc 10.77.1.1 -- veth_frc 10.77.1.254 [trib_fr] veth_frs 10.77.2.254 -- trib_fs 10.77.2.2 (IPv4 only)
  local ns
  for ns in trib_fc trib_fr trib_fs; do
    ip netns add $ns; FX_NS+=($ns); ip -n $ns link set lo up
  done
  ip netns exec trib_fr sysctl -qw net.ipv4.ip_forward=1
  ip link add veth_fc netns trib_fc address 02:00:00:00:10:01 type veth peer name veth_frc netns trib_fr address 02:00:00:00:10:03
  ip link add veth_fs netns trib_fs address 02:00:00:00:10:02 type veth peer name veth_frs netns trib_fr address 02:00:00:00:10:04
  ip -n trib_fc addr add 10.77.1.1/24 dev veth_fc; ip -n trib_fr addr add 10.77.1.254/24 dev veth_frc
  ip -n trib_fs addr add 10.77.2.2/24 dev veth_fs; ip -n trib_fr addr add 10.77.2.254/24 dev veth_frs
  local pair
  for pair in trib_fc:veth_fc trib_fs:veth_fs trib_fr:veth_frc trib_fr:veth_frs; do
    ip netns exec ${pair%%:*} ethtool -K ${pair#*:} tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip -n ${pair%%:*} link set ${pair#*:} up
  done
  ip -n trib_fc route add default via 10.77.1.254; ip -n trib_fs route add default via 10.77.2.254
  sleep 0.5
}

fx_two_paths_v6() {   # MPTCP: two veth pairs, path 1 fd78:1::1 <-> fd78:1::2, path 2 fd78:2::1 <-> fd78:2::2
  local ns p
  for ns in trib_fc trib_fs; do
    ip netns add $ns; FX_NS+=($ns); ip -n $ns link set lo up
    ip netns exec $ns sysctl -qw net.mptcp.enabled=1
    ip -n $ns mptcp limits set subflow 2 add_addr_accepted 2
  done
  for p in 1 2; do
    ip link add veth_fc$p netns trib_fc type veth peer name veth_fs$p netns trib_fs
    ip -n trib_fc addr add fd78:$p::1/64 dev veth_fc$p nodad; ip -n trib_fs addr add fd78:$p::2/64 dev veth_fs$p nodad
    ip netns exec trib_fc ethtool -K veth_fc$p tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip netns exec trib_fs ethtool -K veth_fs$p tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip -n trib_fc link set veth_fc$p up; ip -n trib_fs link set veth_fs$p up
  done
  sleep 0.5
}

fx_tap() {   # delay-ms [taprelay args...] : like fx_veth, but through tools/flows/taprelay.py (a userspace netem:
             # this kernel has no sch_netem) with that one-way delay; devices trib_tc / trib_ts
  local ns ready; ready=$(mktemp -u)
  for ns in trib_fc trib_fs; do
    ip netns add $ns; FX_NS+=($ns); ip -n $ns link set lo up
  done
  fx_bg $PY "$FX_TOOLS/flows/taprelay.py" --tapc trib_tc --taps trib_ts --nsc trib_fc --nss trib_fs --ready "$ready" --delay "$@" 2>/dev/null
  for _ in $(seq 50); do [ -s "$ready" ] && break; sleep 0.1; done
  rm -f "$ready"
  ip -n trib_fc link set trib_tc address 02:00:00:00:10:01; ip -n trib_fs link set trib_ts address 02:00:00:00:10:02
  ip -n trib_fc addr add 10.77.1.1/24 dev trib_tc; ip -n trib_fs addr add 10.77.1.2/24 dev trib_ts
  ip -n trib_fc addr add fd77:1::1/64 dev trib_tc nodad; ip -n trib_fs addr add fd77:1::2/64 dev trib_ts nodad
  ip netns exec trib_fc ethtool -K trib_tc tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  ip netns exec trib_fs ethtool -K trib_ts tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  ip -n trib_fc link set trib_tc up; ip -n trib_fs link set trib_ts up
  sleep 0.5
}

fx_capture() {   # outfile tcpdump-args... : tcpdump on $FX_CAP_DEV in $FX_CAP_NS (default: the server's veth);
                 # waits until it listens; PID in CAPPID
  local out=$1; shift
  local log; log=$(mktemp)
  fx_bg ip netns exec "${FX_CAP_NS:-trib_fs}" tcpdump -n -U --immediate-mode -B 16384 -s 0 -i "${FX_CAP_DEV:-veth_fs}" -w "$out" "$@" 2>"$log"
  CAPPID=$LASTPID
  for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
  FX_CAPLOG=$log
}

fx_stop_capture() {   # stops tcpdump and reports its counts (a capture that dropped packets is no fixture)
  sleep 0.5
  kill -INT "$CAPPID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$CAPPID" 2>/dev/null || break; sleep 0.1; done
  wait "$CAPPID" 2>/dev/null
  grep -E "captured|dropped" "$FX_CAPLOG" >&2
  rm -f "$FX_CAPLOG"
}
