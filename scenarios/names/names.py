# Names and addresses, both ways, as the tutorials look them up:
#   socket.gethostname()       this host's own name
#   socket.gethostbyname(NAME) a name's IPv4 address
#   socket.gethostbyaddr(ADDR) an address's name: (name, aliases, addresses)
# With no argument it looks up itself: gethostname(), then that name's
# address (the tutorials' way of finding "my IP").
#
#     python3 names.py [NAME | ADDRESS ...]
import ipaddress
import socket
import sys
import time


def lookup(query):
    try:
        ipaddress.ip_address(query)
        call = socket.gethostbyaddr     # an address: ask for its name
    except ValueError:
        call = socket.gethostbyname     # a name: ask for its address
    start = time.monotonic()
    try:
        print(f"{call.__name__}({query!r}) = {call(query)!r}")
    except OSError as exc:  # socket.gaierror (names), socket.herror (addresses)
        print(f"{call.__name__}({query!r}) raised {type(exc).__name__}: {exc}"
              f" after {(time.monotonic() - start) * 1000:.0f} ms")


if len(sys.argv) == 1:
    me = socket.gethostname()
    print(f"gethostname() = {me!r}")
    lookup(me)
for query in sys.argv[1:]:
    lookup(query)
