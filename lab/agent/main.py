"""Dispatch by program name: every built-in program is one link to
`__main__.py`, and the name it was called by picks the program. Only that
program's module is imported: every host's init and every step start a
Python process, so on a 2-core machine bringing up 30 hosts, imports are a
real share of the bring-up."""
import importlib
import os
import sys

PROGRAMS = {  # name -> (module, function); each parses its own arguments
    "connect": ("tcp", "connect"),
    "connect-many": ("tcp", "connect_many"),
    "tcp-server": ("tcp", "tcp_server"),
    "tcp-client": ("tcp", "tcp_client"),
    "udp-server": ("udp", "udp_server"),
    "udp-client": ("udp", "udp_client"),
    "udp-send": ("udp", "udp_send"),
    "udp-listen": ("udp", "udp_listen"),
    "service-log": ("servicelog", "service_log"),
}
TOOLS = {  # socklab's own, given raw argv
    "socklab-host": ("hostinit", "main"),  # socklab-init goes on here
    "socklab-step": ("step", "main"),
    "socklab-net": ("netconf", "main"),
    "socklab-wire": ("wire", "main"),
    "socklab-delay": ("delayd", "main"),
}
NAMES = tuple(PROGRAMS) + tuple(TOOLS)


def _function(module, name):
    return getattr(importlib.import_module(f".{module}", __package__), name)


def link(directory, target):
    """Install every program as a link to the entry point (image build)."""
    for name in NAMES:
        path = os.path.join(directory, name)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(target, path)
    return 0


def main(name, argv):
    if argv[:1] == ["--link"] and name == "__main__.py":
        return link(argv[1], os.path.realpath(sys.argv[0]))
    if name in TOOLS:
        return _function(*TOOLS[name])(argv)
    if name not in PROGRAMS:
        print(f"socklab agent: unknown program {name!r}; one of "
              f"{', '.join(NAMES)}", file=sys.stderr)
        return 2
    from . import programs
    try:
        args = programs.build()[name].parse_args(argv)
    except programs.UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return _function(*PROGRAMS[name])(args)
    except KeyboardInterrupt:  # a client's Ctrl-C, or a server's second
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
