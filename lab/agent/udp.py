"""The UDP programs: udp-server, udp-client, udp-send, udp-listen."""
import socket
import time

from .common import (classify, emit, interfaces, log, name_of, payload, ready,
                     run_for, target, text)


def _bound(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((getattr(args, "bind", "0.0.0.0"), args.port))
    return sock


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
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(args.timeout)
    data = payload(args.message, args.size)
    try:
        address = target(args.to)
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


def _source(choice):
    """The address to send from: a network name or an address of ours.
    Without one, the first interface: a limited broadcast (255.255.255.255)
    needs a source address to pick its interface when there is no default
    route."""
    mine = interfaces()
    if choice:
        return mine.get(choice, choice)
    return next(iter(mine.values()), "0.0.0.0")


def udp_send(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    try:
        if args.broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind((_source(args.source), 0))
        address = target(args.to)
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
