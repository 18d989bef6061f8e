#!/usr/bin/env python3
"""Entry point of every built-in program in the host image: each program is
a link to this file (/usr/local/bin/connect -> ...), named for it."""
import importlib
import os
import sys

here = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.dirname(here))
main = importlib.import_module(os.path.basename(here) + ".main").main
sys.exit(main(os.path.basename(sys.argv[0]), sys.argv[1:]))
