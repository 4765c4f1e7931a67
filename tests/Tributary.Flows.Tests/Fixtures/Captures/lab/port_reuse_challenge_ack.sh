#!/bin/bash
# lab__port_reuse_challenge_ack[_v6].pcap: a client reuses its 4-tuple while the server still holds the old
# connection ESTABLISHED (the client's RST went to a blackhole route for the server's address, so it never left).
# The server answers the new SYN with an RFC 5961 section 4.2 challenge ACK, the client RSTs it (RFC 9293 SYN-SENT:
# unacceptable ACK), the server drops the old connection, and the client's SYN, sent again 10 ms later, gets the
# SYN/ACK. Usage: port_reuse_challenge_ack.sh OUT.pcap [6] (6: over IPv6; needs root, tcpdump, python3).
. "$(dirname "$0")/netns.sh"
OUT=${1:?usage: $0 OUT.pcap [6]}
if [ "${2:-4}" = 6 ]; then C=fd77:1::1 S=fd77:1::2 HOST=fd77:1::2/128; else C=10.77.1.1 S=10.77.1.2 HOST=10.77.1.2/32; fi
fx_veth
fx_bg ip netns exec trib_fs $PY -c '
import socket, random, sys
l = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 9000)); l.listen(8)
conns = []
for n in range(2):
    c, _ = l.accept(); conns.append(c)
    req = b""
    while not req.endswith(b"\n"):
        req += c.recv(100)
    c.sendall(random.Random(n).randbytes(3000 + 2000 * n))
for c in conns[1:]:          # the first one was reset by the client
    while c.recv(65536): pass
    c.close()
' $S
sleep 0.5
fx_capture "$OUT" tcp port 9000
ip netns exec trib_fc $PY -c '
import socket, struct, subprocess, sys, time
client, server, host = sys.argv[1:4]
def connect():
    s = socket.socket(socket.AF_INET6 if ":" in client else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((client, 45000)); s.connect((server, 9000)); return s
def exchange(s, req, n):
    s.sendall(req); got = b""
    while len(got) < n: got += s.recv(65536)
s = connect(); exchange(s, b"first\n", 3000)
subprocess.run(["ip", "route", "add", "blackhole", host], check=True)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()   # RST, dropped: the server stays ESTABLISHED
time.sleep(0.2)
subprocess.run(["ip", "route", "del", "blackhole", host], check=True)
s = connect(); exchange(s, b"second request\n", 5000); s.close()
' $C $S $HOST
fx_stop_capture
