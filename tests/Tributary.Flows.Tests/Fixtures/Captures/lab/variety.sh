#!/bin/bash
# Lab fixtures made with peer.py (payload seeded). Usage: variety.sh SCENARIO OUT.pcap (needs root, tcpdump, tc).
#   v6_mix      IPv6: empty and small downloads (server closes first), an upload, client-closes-first, a client RST
#               while 60 KB are in flight, a 4 KB receive buffer left unread 1.5 s (zero window + probes), and the
#               same source port used twice (the second SYN meets the server's TIME_WAIT)
#   v4_many     120 short connections, 8 at a time
#   v4_simclose three connections whose FINs cross (the client's FIN waits behind its data in a 1 Mbit/s tbf)
#   v4_tbf_loss client - router - server; the router's tbf queues hold 8 KB, so bursts are dropped; captured at the
#               client: c2s originals and their retransmissions, s2c only what got through
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
  *) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac
fx_stop_capture
