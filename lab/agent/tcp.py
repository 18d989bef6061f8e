"""The TCP programs: connect, connect-many, tcp-server, tcp-client."""
import errno
import os
import selectors
import socket
import struct
import threading
import time

from .addressing import (connect_any, default_bind, family_of, plain,
                         resolve)
from .common import (classify, emit, log, ms_since, name_of, payload, ready,
                     interrupted, run_for, text)

HEADER = struct.Struct("!I")  # --framing length: 4-byte big-endian length
LOGGED_CHARS = 200             # long payloads are cut in log lines


def frame(data, framing):
    return HEADER.pack(len(data)) + data if framing == "length" else data


def _recv_exact(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(min(size, 65536))
        if not chunk:
            return b""  # the peer closed mid-frame: treat as closed
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_message(sock, framing):
    """One message: one recv() without framing, one frame with it.
    b'' means the peer closed the connection."""
    if framing == "none":
        return sock.recv(65536)
    header = _recv_exact(sock, HEADER.size)
    if not header:
        return b""
    (size,) = HEADER.unpack(header)
    return _recv_exact(sock, size) if size else b""


def connect(args):
    start = time.monotonic()
    address = None
    try:
        sock, address = connect_any(args.to, args.family, args.timeout)
        outcome, code = "connected", None
        if args.hold:
            time.sleep(args.hold)
        sock.close()
    except OSError as exc:
        outcome, code = classify(exc)
        address = getattr(exc, "tried", None)
    emit({"outcome": outcome, "errno": code, "elapsed_ms": ms_since(start),
          "to": args.to, "address": address and plain(address)})
    return 0


def _many_word(code):
    if code == 0:
        return "established"
    outcome, _ = classify(OSError(code, os.strerror(code)))
    return {"refused": "refused", "reset": "reset", "timeout": "timed_out",
            "unreachable": "unreachable"}.get(outcome, "errors")


def connect_many(args):
    """Open every connection before deciding any, as a crowd of clients
    would; all stay open until each is established, refused or timed out."""
    start = time.monotonic()
    counts = dict.fromkeys(("established", "refused", "timed_out", "reset",
                            "unreachable", "errors"), 0)
    family, address = resolve(args.to, args.family)[0]
    selector = selectors.DefaultSelector()
    socks = []
    for _ in range(args.count):
        sock = socket.socket(family)
        sock.setblocking(False)
        socks.append(sock)
        code = sock.connect_ex(address)
        if code == errno.EINPROGRESS:
            selector.register(sock, selectors.EVENT_WRITE)
        else:
            counts[_many_word(code)] += 1
    deadline = start + args.timeout
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(deadline - time.monotonic()):
            selector.unregister(key.fileobj)
            code = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            counts[_many_word(code)] += 1
    counts["timed_out"] += len(selector.get_map())
    if args.hold:
        time.sleep(args.hold)
    for sock in socks:
        sock.close()
    emit({**counts, "elapsed_ms": ms_since(start)})
    return 0


class _Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.messages = 0

    def add(self, field):
        with self.lock:
            setattr(self, field, getattr(self, field) + 1)


def _serve(conn, peer, args, tally):
    name = name_of(peer[0])
    log("connection", peer=name, port=peer[1])
    try:
        while True:
            data = read_message(conn, args.framing)
            if not data:
                log("closed", peer=name, by="peer")
                break
            tally.add("messages")
            log("message", peer=name, bytes=len(data),
                data=text(data[:LOGGED_CHARS]))
            if args.delay:
                time.sleep(args.delay)
            if args.reply != "none":
                reply = data if args.reply == "echo" else \
                    f"ack {len(data)}".encode()
                conn.sendall(frame(reply, args.framing))
            if args.close == "after-reply":
                log("closed", peer=name, by="server")
                break
    except OSError as exc:
        log("error", peer=name, errno=classify(exc)[1])
    finally:
        conn.close()


def tcp_server(args):
    args.bind = args.bind or default_bind()
    sock = socket.socket(family_of(args.bind))
    if not args.no_reuseaddr:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.bind, args.port))
        sock.listen(args.backlog)
    except OSError as exc:
        outcome, code = classify(exc)
        log("bind-failed", port=args.port, errno=code)
        emit({"outcome": outcome, "errno": code, "connections": 0,
              "messages": 0})
        return 0
    log("listening", bind=args.bind, port=args.port, backlog=args.backlog,
        concurrency=args.concurrency)
    ready()
    alive = run_for(args.duration)
    tally = _Tally()
    workers = []
    sock.settimeout(0.2)  # wake up to check --for and --count
    while alive() and not args.no_accept and \
            (not args.count or tally.connections < args.count):
        try:
            conn, peer = sock.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        tally.add("connections")
        if args.concurrency == "none":
            _serve(conn, peer, args, tally)
        elif args.concurrency == "thread":
            worker = threading.Thread(target=_serve,
                                      args=(conn, peer, args, tally),
                                      daemon=True)
            worker.start()
            workers.append(worker)
        else:
            pid = os.fork()
            if pid == 0:
                sock.close()
                _serve(conn, peer, args, tally)
                os._exit(0)
            conn.close()
            workers.append(pid)
    while args.no_accept and alive():
        time.sleep(0.2)
    for worker in workers if not interrupted() else ():
        # (Interrupted: its connections' result so far; a peer may
        # hold one open for ever.)
        worker.join() if isinstance(worker, threading.Thread) \
            else os.waitpid(worker, 0)
    sock.close()
    emit({"outcome": "ok", "errno": None, "connections": tally.connections,
          "messages": tally.messages})
    return 0


def _send(sock, data, args, result):
    sent = sock.send(data) if args.send_call == "send" else \
        (sock.sendall(data) or len(data))
    result["sent"] += 1
    result["sent_bytes"] += sent


def _record(reply, result):
    result["replies"] += 1
    result["received"].append(text(reply))
    result["received_bytes"] += len(reply)


def _read_burst(sock, args, result):
    """After a burst: read replies until all are in, the peer closes, or it
    has gone quiet. Without framing a reply is whatever one recv() gives,
    which is exactly what shows coalescing."""
    got_any = False
    while result["replies"] < args.count and \
            result["received_bytes"] < result["sent_bytes"]:
        try:
            reply = read_message(sock, args.framing)
        except socket.timeout:
            if got_any:
                return  # quiet after some replies: that is all of them
            raise
        if not reply:
            result["peer_closed"] = True
            return
        _record(reply, result)
        got_any = True
        sock.settimeout(min(args.timeout, 0.5))


def _wait_close(sock, seconds, result):
    """Read until the peer's FIN shows as recv() == b'' (or time is up)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass  # late data is not a reply we asked for
        result["peer_closed"] = True
    except socket.timeout:
        pass


def tcp_client(args):
    start = time.monotonic()
    result = {"outcome": "ok", "errno": None, "sent": 0, "replies": 0,
              "received": [], "sent_bytes": 0, "received_bytes": 0,
              "peer_closed": False, "address": None}
    sock = None
    try:
        sock, address = connect_any(args.to, args.family, args.timeout)
        result["address"] = plain(address)
        data = frame(payload(args.message, args.size), args.framing)
        for index in range(args.count):
            if index and args.interval:
                time.sleep(args.interval)
            _send(sock, data, args, result)
            if args.burst or args.no_reply:
                ready()
                continue
            reply = read_message(sock, args.framing)
            if not reply:
                result["peer_closed"] = True
                break
            _record(reply, result)
            # A background client is ready once a server answered it: an
            # iterative server is then busy with it, whoever comes next.
            ready()
        if args.burst and not args.no_reply:
            _read_burst(sock, args, result)
        if args.wait_close and not result["peer_closed"]:
            _wait_close(sock, args.wait_close, result)
        if args.hold:
            time.sleep(args.hold)
    except OSError as exc:
        result["outcome"], result["errno"] = classify(exc)
        if sock is None:
            result["address"] = getattr(exc, "tried", None) and \
                plain(exc.tried)
    finally:
        if sock is not None:
            sock.close()
    result["elapsed_ms"] = ms_since(start)
    emit(result)
    return 0
