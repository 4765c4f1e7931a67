#!/bin/bash
# Lab fixtures made with peer.py (payload seeded). Usage: variety.sh SCENARIO OUT.pcap (needs root, tcpdump, tc).
#   v6_mix      IPv6: empty and small downloads (server closes first), an upload, client-closes-first, a client RST
#               while 60 KB are in flight, a 4 KB receive buffer left unread 1.5 s (zero window + probes), and the
#               same source port used twice (the second SYN meets the server's TIME_WAIT)
#   v4_many     120 short connections, 8 at a time
#   v4_simclose three connections whose FINs cross (the client's FIN waits behind its data in a 1 Mbit/s tbf)
#   v4_tbf_loss client - router - server; the router's tbf queues hold 8 KB, so bursts are dropped; captured at the
#               client: c2s originals and their retransmissions, s2c only what got through
#   v4_stale_synack client - router - server, captured at the server: the router blackholes the way back, the client
#               abandons its connect (SYN_SENT) and connects again from the same port with a new ISN while the server
#               still holds the first SYN's request; the server's SYN/ACK retransmissions of that request fall into
#               the new connection's stream, then the way back opens, the client RSTs the request's ACK and gets
#               the SYN/ACK of its own SYN
#   v4_client_view 20 ms one-way delay (taprelay.py), captured at the client: a client RST while the server's
#               data is in flight (captured after the RST), a 10 KB upload with one urgent byte in the middle
#   mptcp_v6    MPTCP over IPv6 on two paths, tcpdump -i any (LINUX_SLL2) in the server namespace: the server's
#               signal endpoint fd78:2::2 (id 5) goes out as ADD_ADDR, the client joins it from its subflow endpoint
#               fd78:2::1 (id 2), then the server's endpoint is deleted mid-connection (REMOVE_ADDR, the join closes)
#   v6_loss_client_view IPv6 through taprelay.py with 3% loss per direction and 5 ms one-way delay, captured at the
#               client: a 60 KB upload and a 90 KB download; the download's lost segments leave holes in the capture
#               that retransmissions fill later
#   v6_tfo      IPv6 TCP Fast Open (net.ipv4.tcp_fastopen=3 both ends): a cookie request, then three requests
#               carried in the SYN
#   simopen     simultaneous open over IPv4 and IPv6 (both ends bind and connect to each other at the same instant,
#               50 ms one-way delay through tools/flows/taprelay.py): SYNs cross, each side answers with a SYN/ACK
. "$(dirname "$0")/netns.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SCEN=${1:?usage: $0 SCENARIO OUT.pcap}
OUT=${2:?usage: $0 SCENARIO OUT.pcap}
serve() { fx_bg ip netns exec trib_fs $PY "$HERE/peer.py" serve "$1" 9000; sleep 0.5; }
run() { ip netns exec trib_fc $PY "$HERE/peer.py" client "$@"; }
case $SCEN in
  v6_mix)
    fx_veth; serve fd77:1::2; fx_capture "$OUT" tcp port 9000
    run fd77:1::2 9000 get:0 get:1000 get:30000 put:20000 hold:5000 abort:60000:5000 stall:30000:1.5 \
      reuse:2000:46000 reuse:3000:46000 ;;
  v4_many)
    fx_veth; serve 10.77.1.2; fx_capture "$OUT" tcp port 9000
    run 10.77.1.2 9000 many:120:300 ;;
  v4_simclose)
    fx_veth; serve 10.77.1.2; fx_capture "$OUT" tcp port 9000
    ip netns exec trib_fc tc qdisc add dev veth_fc root tbf rate 1mbit burst 3000 limit 1000000
    run 10.77.1.2 9000 simclose:20000 simclose:30000 simclose:5000 ;;
  v4_tbf_loss)
    fx_router; serve 10.77.2.2; FX_CAP_NS=trib_fc FX_CAP_DEV=veth_fc fx_capture "$OUT" tcp port 9000
    ip netns exec trib_fr tc qdisc add dev veth_frs root tbf rate 4mbit burst 4000 limit 8000
    ip netns exec trib_fr tc qdisc add dev veth_frc root tbf rate 4mbit burst 4000 limit 8000
    run 10.77.2.2 9000 put:70000 get:30000 ;;
  v4_stale_synack)
    fx_router; serve 10.77.2.2; fx_capture "$OUT" tcp port 9000
    ip netns exec trib_fc $PY - <<'PY'
import socket, subprocess, threading, time
def route(*a): subprocess.run(["ip", "-n", "trib_fr", "route", *a], check=True)
def sock():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.77.1.1", 47000)); return s
route("add", "blackhole", "10.77.1.1/32")
s = sock(); s.setblocking(False)
try:
    s.connect(("10.77.2.2", 9000))
except BlockingIOError:
    pass
time.sleep(1.5); s.close()                 # abandoned in SYN_SENT: nothing is sent
threading.Timer(1.8, route, ("del", "blackhole", "10.77.1.1/32")).start()
s = sock(); s.settimeout(30); s.connect(("10.77.2.2", 9000))
s.sendall(b"get 5000\n"); got = 0
while got < 5000: got += len(s.recv(65536))
s.close()
PY
    ;;
  v4_client_view)
    fx_tap 20; serve 10.77.1.2; FX_CAP_NS=trib_fc FX_CAP_DEV=trib_tc fx_capture "$OUT" tcp port 9000
    run 10.77.1.2 9000 abort:200000:5000 urgent:10000 ;;
  mptcp_v6)
    fx_two_paths_v6
    ip -n trib_fc mptcp endpoint add fd78:2::1 dev veth_fc2 id 2 subflow
    ip -n trib_fs mptcp endpoint add fd78:2::2 dev veth_fs2 id 5 signal
    fx_bg ip netns exec trib_fs $PY "$HERE/peer.py" serve :: 9000 mptcp; sleep 0.5   # :: for the joins to fd78:2::2
    FX_CAP_DEV=any fx_capture "$OUT" tcp port 9000
    ip netns exec trib_fc $PY "$HERE/peer.py" client fd78:1::2 9000 mptcp pause:1:30000:60000 &
    sleep 0.6; ip -n trib_fs mptcp endpoint delete id 5
    wait $! ;;
  v6_loss_client_view)
    fx_tap 5 --loss 0.03 --seed 5; serve fd77:1::2; FX_CAP_NS=trib_fc FX_CAP_DEV=trib_tc fx_capture "$OUT" tcp port 9000
    run fd77:1::2 9000 put:60000 get:90000 ;;
  v6_tfo)
    fx_veth
    for ns in trib_fc trib_fs; do ip netns exec $ns sysctl -qw net.ipv4.tcp_fastopen=3; done
    serve fd77:1::2; fx_capture "$OUT" tcp port 9000
    run fd77:1::2 9000 tfo:2000 tfo:3000 tfo:0 tfo:20000 ;;
  simopen)
    fx_tap 50; FX_CAP_DEV=trib_ts fx_capture "$OUT" tcp
    for ends in "10.77.1.2 50001 10.77.1.1 51001" "fd77:1::2 50002 fd77:1::1 51002"; do
      set -- $ends
      at=$($PY -c 'import time; print(time.time() + 1)')
      fx_bg ip netns exec trib_fs $PY "$HERE/peer.py" simopen $1 $2 $3 $4 "$at"
      ip netns exec trib_fc $PY "$HERE/peer.py" simopen $3 $4 $1 $2 "$at"
      wait $LASTPID
    done ;;
  *) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
fx_stop_capture
