"""The UDP programs: udp-server, udp-client, udp-send, udp-listen."""
import errno
import socket
import time

from .addressing import (default_bind, family_of, is_multicast, join,
                         resolve, send_to_group, source)
from .common import (classify, emit, log, name_of, payload, ready, run_for,
                     text)


def _bound(args):
    """The server's socket: on --bind, else on the wildcard of the group's
    family (--join), else on every address of the host (default_bind)."""
    group = getattr(args, "join", None)
    if not args.bind:
        args.bind = ("::" if ":" in group else "0.0.0.0") if group else \
            default_bind()
    sock = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.bind, args.port))
    if group and not join(sock, group):
        raise OSError(errno.ENODEV, f"no interface took group {group}")
    return sock


def _target(args):
    """The first address of --to (of --family, where given)."""
    return resolve(args.to, args.family, socket.SOCK_DGRAM)[0]


def _failed(exc, **fields):
    outcome, code = classify(exc)
    emit({"outcome": outcome, "errno": code, **fields})
    return 0


def udp_server(args):
    try:
        sock = _bound(args)
    except OSError as exc:
        return _failed(exc, messages=0)
    log("listening", bind=args.bind, port=args.port, protocol="udp")
    ready()
    alive = run_for(args.duration)
    sock.settimeout(0.2)
    messages = 0
    while alive() and (not args.count or messages < args.count):
        try:
            data, peer = sock.recvfrom(65536)
        except socket.timeout:
            continue
        messages += 1
        log("message", peer=name_of(peer[0]), bytes=len(data),
            data=text(data[:200]))
        if args.reply != "none":
            reply = data if args.reply == "echo" else \
                f"ack {len(data)}".encode()
            sock.sendto(reply, peer)
    emit({"outcome": "ok", "errno": None, "messages": messages})
    return 0


def udp_client(args):
    result = {"outcome": "ok", "errno": None, "sent": 0, "replies": 0,
              "lost": 0, "received": []}
    data = payload(args.message, args.size)
    try:
        family, address = _target(args)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.settimeout(args.timeout)
        for index in range(args.count):
            if index and args.interval:
                time.sleep(args.interval)
            sock.sendto(data, address)
            result["sent"] += 1
            try:
                reply, _ = sock.recvfrom(65536)
            except socket.timeout:
                continue
            result["replies"] += 1
            result["received"].append(text(reply))
    except OSError as exc:
        # e.g. ECONNREFUSED: an ICMP port-unreachable answered a datagram
        result["outcome"], result["errno"] = classify(exc)
    result["lost"] = result["sent"] - result["replies"]
    emit(result)
    return 0


def udp_send(args):
    sent = 0
    try:
        family, address = _target(args)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        if args.broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        mine = source(args.source, family)
        sock.bind((mine, 0))
        if is_multicast(address[0]):
            send_to_group(sock, family, mine, args.ttl)
        data = payload(args.message, args.size)
        for index in range(args.count):
            if index and args.interval:
                time.sleep(args.interval)
            sock.sendto(data, address)
            sent += 1
    except OSError as exc:
        return _failed(exc, sent=sent)
    emit({"outcome": "ok", "errno": None, "sent": sent})
    return 0


def udp_listen(args):
    try:
        sock = _bound(args)
    except OSError as exc:
        return _failed(exc, received=0, messages=[], senders=[])
    ready()
    alive = run_for(args.duration)
    sock.settimeout(0.1)
    messages, senders = [], []
    while alive() and (not args.count or len(messages) < args.count):
        try:
            data, peer = sock.recvfrom(65536)
        except socket.timeout:
            continue
        messages.append(text(data))
        sender = name_of(peer[0])
        if sender not in senders:
            senders.append(sender)
    emit({"outcome": "ok", "errno": None, "received": len(messages),
          "messages": messages, "senders": senders})
    return 0
