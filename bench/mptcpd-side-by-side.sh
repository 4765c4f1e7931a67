#!/usr/bin/env bash
# Side by side: Debian's mptcpd 0.12 (/usr/libexec/mptcpd) and `tributary mptcpd` on the same lab scenario
# (the two-namespace, two-path topology of ORACLE.md, the steps of scenarios s02, s03 and s08), each daemon
# on a freshly built lab, with the same options:
#   --load-plugins=addr_adv --notify-flags=existing,skip_link_local,skip_loopback --addr-flags=subflow
# After each step it records the client's endpoints and limits (and, for the connection step, the client's
# MPTCP subflows), then prints both daemons' results side by side. Steps 1-4 must be identical; from the
# link flap on, mptcpd 0.12 shows its documented defects (stale endpoints, deafness after ENOBUFS) and
# tributary the corrected behaviour.
# Everything happens in the namespaces sbs-cli / sbs-srv, which are deleted at the end. Needs root.
# Usage: bench/mptcpd-side-by-side.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI=sbs-cli
SRV=sbs-srv
out=$(mktemp -d /tmp/trib-sbs-XXXXXX)
daemon_pid=
server_pid=

cli() { ip netns exec "$CLI" "$@"; }
srv() { ip netns exec "$SRV" "$@"; }

teardown() {
  [[ -n $daemon_pid ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  daemon_pid= server_pid=
  ip netns del "$CLI" 2>/dev/null
  ip netns del "$SRV" 2>/dev/null
  return 0
}
trap 'teardown; rm -rf "$out"' EXIT

setup() {
  teardown
  ip netns add "$CLI"; ip netns add "$SRV"
  for ns in "$CLI" "$SRV"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  for p in 1 2; do
    ip -n "$CLI" link add "c$p" type veth peer name "s$p" netns "$SRV"
    ip -n "$CLI" addr add "10.11.$p.1/24" dev "c$p"
    ip -n "$CLI" addr add "fd11:$p::1/64" dev "c$p" nodad
    ip -n "$SRV" addr add "10.11.$p.2/24" dev "s$p"
    ip -n "$SRV" addr add "fd11:$p::2/64" dev "s$p" nodad
    ip -n "$CLI" link set "c$p" up; ip -n "$SRV" link set "s$p" up
    cli sysctl -qw "net.ipv4.conf.c$p.rp_filter=0"; srv sysctl -qw "net.ipv4.conf.s$p.rp_filter=0"
  done
  ip -n "$CLI" route add default via 10.11.1.2 dev c1 metric 100
  ip -n "$CLI" route add default via 10.11.2.2 dev c2 metric 200
  ip -n "$CLI" -6 route add default via fd11:1::2 dev c1 metric 100
  ip -n "$CLI" -6 route add default via fd11:2::2 dev c2 metric 200
  srv ip mptcp limits set subflows 8 add_addr_accepted 8
  for _ in $(seq 50); do cli ip -6 addr show tentative | grep -q inet6 || break; sleep 0.1; done
  # Started directly (not through a shell function) so that $! is the process itself, which `ip netns exec` becomes.
  ip netns exec "$SRV" python3 -c '
import socket, threading
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5201)); s.listen(8)
def drain(c):
    while c.recv(65536): pass
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
' & server_pid=$!
}

snapshot() { # NAME STEP
  { echo "endpoints:"; cli ip mptcp endpoint show | sed 's/ *$//; s/^/  /'; echo "limits: $(cli ip mptcp limits show | sed 's/ *$//')"; } > "$out/$1.$2"
}

connection() { # NAME STEP: a 3 s connection 10.11.1.1 -> 10.11.1.2:5201, then its subflows
  cli python3 -c '
import socket, struct, time
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
c.bind(("10.11.1.1", 0)); c.connect(("10.11.1.2", 5201))
end = time.time() + 3
while time.time() < end:
    c.send(b"x" * 16384); time.sleep(0.01)
info = c.getsockopt(284, 1, 96)
print("additional subflows: %d" % info[0])
c.close()
' > "$out/$1.conn" 2>&1 &
  local pid=$!
  sleep 2
  cli ss -tnH state established dst 10.11.1.2 | awk '{print "  subflow " $3 " -> " $4}' | sed 's/:[0-9]* ->/ ->/' | sort > "$out/$1.sf"
  wait $pid
  { cat "$out/$1.conn"; cat "$out/$1.sf"; } > "$out/$1.$2"
}

run() { # NAME COMMAND...
  local name=$1; shift
  setup
  ip netns exec "$CLI" "$@" --load-plugins=addr_adv --notify-flags=existing,skip_link_local,skip_loopback --addr-flags=subflow \
    > "$out/$name.log" 2>&1 &
  daemon_pid=$!
  sleep 3; snapshot "$name" 1
  connection "$name" 2
  cli ip addr add 10.11.2.11/24 dev c2; sleep 1; snapshot "$name" 3
  cli ip addr del 10.11.2.11/24 dev c2; sleep 1; snapshot "$name" 4
  cli ip link set c2 down; sleep 1; snapshot "$name" 5
  cli ip link set c2 up; sleep 3; snapshot "$name" 6
  cli ip addr del 10.11.2.1/24 dev c2; cli ip addr add 10.11.2.1/24 dev c2; sleep 1; snapshot "$name" 7
  for i in $(seq 3000); do echo "addr add 10.11.1.50/24 dev c1"; echo "addr del 10.11.1.50/24 dev c1"; done > "$out/batch"
  echo "addr add 10.11.1.50/24 dev c1" >> "$out/batch"
  cli ip -batch "$out/batch"; sleep 5; snapshot "$name" 8
  cli ip addr add 10.11.1.60/24 dev c1; sleep 1; snapshot "$name" 9
  if kill -0 "$daemon_pid" 2>/dev/null; then echo alive > "$out/$name.alive"; else echo dead > "$out/$name.alive"; fi
  teardown
}

"$here/tributary" mptcpd --version >/dev/null # builds the binary on first use
conf=$(mktemp /tmp/trib-mptcpd-XXXXXX.conf); printf '[core]\n' > "$conf"
echo "running mptcpd 0.12 ..." >&2
run mptcpd /usr/libexec/mptcpd
echo "running tributary mptcpd ..." >&2
run tributary "$here/artifacts/launcher/tributary" mptcpd --config "$conf"
rm -f "$conf"

steps=("start (existing addresses)" "3 s connection from c1: extra subflows" "add 10.11.2.11/24 on c2" "delete 10.11.2.11/24"
       "link c2 down" "link c2 up" "delete and re-add 10.11.2.1/24" "3000 add/del cycles of 10.11.1.50 (ends present)"
       "add 10.11.1.60/24 after the burst")
same=0; differ=0
for i in "${!steps[@]}"; do
  n=$((i + 1))
  printf '\n=== step %d: %s\n' "$n" "${steps[$i]}"
  if cmp -s "$out/mptcpd.$n" "$out/tributary.$n"; then
    echo "--- identical:"; cat "$out/tributary.$n"; same=$((same + 1))
  else
    paste -d'|' <(sed 's/^/ /' "$out/mptcpd.$n" | awk '{printf "%-44s\n", $0}') <(cat "$out/tributary.$n") | sed '1i mptcpd 0.12                                 |tributary mptcpd'
    differ=$((differ + 1))
  fi
done
echo
echo "daemon alive after the steps: mptcpd 0.12 $(cat "$out/mptcpd.alive"), tributary $(cat "$out/tributary.alive")"
echo "steps identical: $same, different: $differ (differences from step 5 on are mptcpd 0.12's defects: ORACLE s03, s08)"
