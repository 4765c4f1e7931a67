#!/usr/bin/env python3
"""Both ends of the lab fixtures' traffic (used by variety.sh). Payload bytes are seeded, so content repeats run to run.

  peer.py serve HOST PORT            accept forever; each connection sends one request line and the server acts on it:
      get N      send N bytes, then shut down its side and wait for the client's FIN (server closes first)
      put N      read N bytes, answer "ok\\n", then read the next request or the client's FIN
      hold N     send N bytes, then wait for the client's FIN before closing (client closes first)
      simclose N read half of the N bytes coming, then shut down (the client's FIN is still queued: FINs cross)
  peer.py client HOST PORT ACTION... run actions in order, each on a new connection:
      get:N  put:N  hold:N         as above, reading everything
      abort:N:K                    get N, read K bytes, then RST (SO_LINGER 0) with data still in flight
      stall:N:SECONDS              get N with a 4 KB receive buffer, reading nothing for SECONDS (zero window)
      reuse:N:PORT                 get N from source PORT (SO_REUSEADDR; run twice for 4-tuple reuse)
      simclose:N                   send N bytes then shut down without waiting (see serve)
      many:COUNT:N                 COUNT connections get:N, 8 at a time
      tfo:N                        get N with TCP Fast Open (sendto MSG_FASTOPEN: the first one asks for a cookie,
                                   later ones carry the request in the SYN; the server enables TCP_FASTOPEN)
      urgent:N                     put N, one byte of it in the middle sent as urgent data (MSG_OOB; the server
                                   reads urgent data inline)
  A trailing "mptcp" after PORT (serve and client) uses MPTCP sockets (IPPROTO_MPTCP).
      pause:SECONDS:UP:DOWN        put UP bytes, then sleep SECONDS, then get DOWN bytes, on one connection
  peer.py simopen LOCAL LPORT REMOTE RPORT AT   bind LOCAL:LPORT and connect to REMOTE:RPORT at time AT (the peer
                                     does the same the other way: simultaneous open), send 1000 bytes, read 1000, close
"""
import random, socket, struct, sys, threading, time


def data(n, seed):
    return random.Random(seed).randbytes(n)


PROTO = 0  # IPPROTO_MPTCP (262) with "mptcp"


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def recv_all(s, n):
    got = 0
    while got < n:
        b = s.recv(65536)
        if not b:
            break
        got += len(b)
    return got


def drain(s):
    while s.recv(65536):
        pass


def handle(c):
    try:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    except OSError:
        pass
    with c:
        while True:  # after a put the client may send another request on the same connection
            line = b""
            while not line.endswith(b"\n"):
                b = c.recv(1)
                if not b:
                    return
                line += b
            cmd, n = line.decode().split()
            n = int(n)
            try:
                if cmd in ("get", "hold"):
                    c.sendall(data(n, n))
                    if cmd == "get":
                        c.shutdown(socket.SHUT_WR)
                    drain(c)
                    return
                elif cmd == "put":
                    recv_all(c, n)
                    c.sendall(b"ok\n")
                elif cmd == "simclose":
                    recv_all(c, n // 2)
                    c.shutdown(socket.SHUT_WR)
                    drain(c)
                    return
            except OSError:
                return


def serve(host, port):
    l = socket.socket(family(host), socket.SOCK_STREAM, PROTO)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, port))
    try:
        l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    except OSError:
        pass
    l.listen(64)
    while True:
        c, _ = l.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def connect(host, port, sport=0, rcvbuf=0):
    s = socket.socket(family(host), socket.SOCK_STREAM, PROTO)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if ":" in host else "0.0.0.0", sport))
    s.connect((host, port))
    return s


def client(host, port, actions):
    for a in actions:
        kind, *args = a.split(":")
        v = [int(float(x)) if kind != "stall" else float(x) for x in args]
        if kind in ("get", "hold", "put"):
            s = connect(host, port)
            s.sendall(f"{kind} {v[0]}\n".encode())
            if kind == "put":
                s.sendall(data(v[0], v[0]))
                recv_all(s, 3)
            else:
                recv_all(s, v[0])
            s.close()
        elif kind == "abort":
            s = connect(host, port)
            s.sendall(f"hold {v[0]}\n".encode())
            recv_all(s, v[1])
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        elif kind == "stall":
            s = connect(host, port, rcvbuf=4096)
            s.sendall(f"get {int(v[0])}\n".encode())
            time.sleep(v[1])
            recv_all(s, int(v[0]))
            s.close()
        elif kind == "reuse":
            s = connect(host, port, sport=v[1])
            s.sendall(f"get {v[0]}\n".encode())
            recv_all(s, v[0])
            s.close()
        elif kind == "simclose":
            s = connect(host, port)
            s.sendall(f"simclose {v[0]}\n".encode())
            s.sendall(data(v[0], 1))
            s.shutdown(socket.SHUT_WR)
            drain(s)
            s.close()
        elif kind == "pause":
            s = connect(host, port)
            s.sendall(f"put {v[1]}\n".encode())
            s.sendall(data(v[1], v[1]))
            recv_all(s, 3)
            time.sleep(float(args[0]))
            s.sendall(f"get {v[2]}\n".encode())
            recv_all(s, v[2])
            s.close()
        elif kind == "tfo":
            s = socket.socket(family(host), socket.SOCK_STREAM, PROTO)
            s.sendto(f"get {v[0]}\n".encode(), socket.MSG_FASTOPEN, (host, port))
            recv_all(s, v[0])
            s.close()
        elif kind == "urgent":
            s = connect(host, port)
            s.sendall(f"put {v[0]}\n".encode())
            body = data(v[0], v[0])
            s.sendall(body[: v[0] // 2])
            s.send(body[v[0] // 2 : v[0] // 2 + 1], socket.MSG_OOB)
            s.sendall(body[v[0] // 2 + 1 :])
            recv_all(s, 3)
            s.close()
        elif kind == "many":
            def one():
                s = connect(host, port)
                s.sendall(f"get {v[1]}\n".encode())
                recv_all(s, v[1])
                s.close()
            for start in range(0, v[0], 8):
                ts = [threading.Thread(target=one) for _ in range(min(8, v[0] - start))]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
        time.sleep(0.05)


def simopen(local, lport, remote, rport, at):
    s = socket.socket(family(local))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((local, lport))
    time.sleep(max(0.0, at - time.time()))
    s.connect((remote, rport))
    s.sendall(data(1000, lport))
    recv_all(s, 1000)
    s.close()


if __name__ == "__main__":
    if "mptcp" in sys.argv[4:5]:
        PROTO = 262
        del sys.argv[4]
    if sys.argv[1] == "simopen":
        simopen(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
    elif sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
