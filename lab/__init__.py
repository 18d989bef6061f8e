"""socklab: a Docker-composed multi-host lab for TCP/UDP socket programs."""
__version__ = "0.1.0"
