"""nfnetlink_queue spoken over a raw netlink socket: the kernel hands each
packet an iptables NFQUEUE rule catches to this process, and holds it until
we give a verdict. No library for it exists inside the hosts (standard
library only), so here are the few messages socklab needs, from
linux/netfilter/nfnetlink_queue.h:

    CONFIG   bind a queue; copy metadata only (we never look at payloads);
             how many packets it may hold; whole GSO packets
    PACKET   the kernel -> us: one queued packet (its id)
    VERDICT_BATCH   us -> the kernel: accept every packet of the queue up
             to this id (ids rise in queueing order, so one message releases
             all that are due, in order)
"""
import errno
import socket
import struct

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_NO_ENOBUFS = 5
SO_RCVBUFFORCE = 33

NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
SUBSYS_QUEUE = 3
MSG_PACKET, MSG_CONFIG, MSG_VERDICT_BATCH = 0, 2, 3
CFG_CMD, CFG_PARAMS, CFG_QUEUE_MAXLEN, CFG_MASK, CFG_FLAGS = 1, 2, 3, 4, 5
CMD_BIND = 1
COPY_META = 1
F_GSO = 4  # hand GSO packets over whole, not cut into segments first
ATTR_PACKET_HDR, ATTR_VERDICT_HDR, ATTR_TIMESTAMP = 1, 2, 4
NF_ACCEPT = 1

HEADER = struct.Struct("=IHHII")   # nlmsghdr: len, type, flags, seq, pid
ATTR = struct.Struct("=HH")        # nlattr: len, type
# Packets a queue may hold at once: at 10,000 packets/s and 500 ms, 5,000
# are in flight. Past it the kernel drops (as a full router buffer would).
MAXLEN = 20000


class QueueError(RuntimeError):
    """The kernel refused a queue (no nfnetlink_queue, or no CAP_NET_ADMIN)."""


def _attr(kind, payload):
    pad = b"\0" * (-len(payload) % 4)
    return ATTR.pack(ATTR.size + len(payload), kind) + payload + pad


def _message(kind, flags, queue, attrs, seq=0):
    # nfgenmsg: family AF_UNSPEC, version 0, the queue number (big-endian)
    body = struct.pack("=BB", socket.AF_UNSPEC, 0) + \
        struct.pack(">H", queue) + b"".join(attrs)
    return HEADER.pack(HEADER.size + len(body), (SUBSYS_QUEUE << 8) | kind,
                       NLM_F_REQUEST | flags, seq, 0) + body


def open_socket():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                         NETLINK_NETFILTER)
    sock.bind((0, 0))
    # Room for a burst of packet notices while we sleep until a release;
    # FORCE goes past rmem_max (we have CAP_NET_ADMIN, as binding needs).
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    # An overrun drops the packet in the kernel (it is never queued); we
    # need no error for that, the next recv goes on.
    sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    return sock


def bind(sock, queue):
    """Take queue number `queue` (per network namespace), both families.
    Returns the (queue, packet id) notices of queues bound before that came
    in meanwhile: they are held packets too."""
    mask = struct.pack(">I", F_GSO)
    attrs = [_attr(CFG_CMD, struct.pack(">BBH", CMD_BIND, 0, 0)),
             _attr(CFG_PARAMS, struct.pack(">IB", 0, COPY_META)),
             _attr(CFG_QUEUE_MAXLEN, struct.pack(">I", MAXLEN)),
             _attr(CFG_MASK, mask), _attr(CFG_FLAGS, mask)]
    sock.settimeout(2)
    early = []
    try:
        sock.send(_message(MSG_CONFIG, NLM_F_ACK, queue, attrs, seq=queue))
        while True:
            data = sock.recv(65536)
            early += packets(data)
            for kind, payload in _messages(data):
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", payload)[0]
                    if code:
                        raise QueueError(f"binding queue {queue}: "
                                         f"{errno.errorcode.get(code, code)}")
                    return early
    except socket.timeout:
        raise QueueError(f"binding queue {queue}: the kernel did not answer")
    finally:
        sock.setblocking(False)


def _messages(data):
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind = HEADER.unpack_from(data, offset)[:2]
        if length < HEADER.size:
            break
        yield kind, data[offset + HEADER.size:offset + length]
        offset += (length + 3) & ~3


def packets(data):
    """(queue, packet id, arrival) of each packet notice in what recv()
    returned; arrival is the kernel's receive time of the packet (seconds
    since the epoch) where it took one (see delayd.serve), else None."""
    for kind, payload in _messages(data):
        if kind != (SUBSYS_QUEUE << 8) | MSG_PACKET:
            continue
        queue = struct.unpack_from(">H", payload, 2)[0]
        packet, arrival, offset = None, None, 4
        while offset + ATTR.size <= len(payload):
            length, attr = ATTR.unpack_from(payload, offset)
            if length < ATTR.size:
                break
            if attr & 0x3fff == ATTR_PACKET_HDR:
                packet = struct.unpack_from(">I", payload,
                                            offset + ATTR.size)[0]
            elif attr & 0x3fff == ATTR_TIMESTAMP:
                sec, usec = struct.unpack_from(">QQ", payload,
                                               offset + ATTR.size)
                arrival = sec + usec / 1e6
            offset += (length + 3) & ~3
        if packet is not None:
            yield queue, packet, arrival


def accept_up_to(sock, queue, packet_id):
    """Release every packet of the queue up to packet_id, in order."""
    verdict = _attr(ATTR_VERDICT_HDR, struct.pack(">II", NF_ACCEPT,
                                                  packet_id))
    while True:
        try:
            sock.send(_message(MSG_VERDICT_BATCH, 0, queue, [verdict]))
            return
        except BlockingIOError:
            continue  # a full send buffer drains at once: the kernel reads
