# The image every lab host runs. With a registry, `docker build .` works as
# usual; without one, socklab makes a Debian base locally (debootstrap) and
# passes it as BASE_IMAGE, so the FROM line below is only the default.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# The tools the built-in programs and the host init use, the few a person
# poking at a lab reaches for first (ping, tracepath, nc), and a static
# busybox, which socklab puts into hosts that run an image of the user's
# (it needs no library of theirs). Whatever the base lacks comes from
# Debian (an ordinary Python base lacks them all).
RUN missing=; \
    for tool in ip iptables tcpdump ps setpriv ping tracepath nc; do \
      command -v $tool >/dev/null || missing=yes; done; \
    dpkg -s busybox-static >/dev/null 2>&1 || missing=yes; \
    if [ -n "$missing" ]; then \
      apt-get update && apt-get install -y --no-install-recommends \
        iproute2 iptables tcpdump procps util-linux \
        iputils-ping iputils-tracepath netcat-openbsd busybox-static && \
      apt-get clean && \
      rm -rf /var/lib/apt/lists/*; \
    fi

COPY lab/agent/ /opt/socklab/agent/
# Compiled once here: every host's init and every step is a new Python
# process, and PYTHONDONTWRITEBYTECODE (below) would make each recompile.
RUN chmod 755 /opt/socklab/agent/__main__.py /opt/socklab/agent/*.sh && \
    python3 -m compileall -q /opt/socklab/agent && \
    python3 /opt/socklab/agent/__main__.py --link /usr/local/bin && \
    ln -sf /opt/socklab/agent/init.sh /usr/local/bin/socklab-init && \
    ln -sf /opt/socklab/agent/links.sh /usr/local/bin/socklab-links

# A host's root file system is read-only; what its programs may write goes
# to one tmpfs of a bounded size, mounted at /scratch (limits.disk): a
# program that fills it gets ENOSPC in its own host, and the machine's
# disk is never touched. The usual writable places lead there. (Helpers,
# which run without that tmpfs, write to the folders made here.)
RUN mkdir -p /scratch/home /scratch/root && \
    mkdir -m 1777 /scratch/tmp && \
    rm -rf /tmp /var/tmp /root /home && \
    ln -s /scratch/tmp /tmp && ln -s /scratch/tmp /var/tmp && \
    ln -s /scratch/root /root && ln -s /scratch/home /home

# Unbuffered so a program's print() reaches the log when it happens; UTF-8
# so messages in any language survive the trip.
ENV PYTHONUNBUFFERED=1 PYTHONIOENCODING=utf-8 LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /lab/scenario
CMD ["socklab-init"]
