"""Delay and jitter, measured on real hosts (issue 18).

    .venv/bin/python bench/delay.py [--trips 40] [--output BENCHMARKS.md]

Brings one lab up (`socklab up`): hosts a and b on seven networks, one
undelayed, five delayed 1, 10, 50, 100 and 500 ms, one 50 ms +- 20 ms; a
runs a UDP echo and TCP servers. From b it measures on each network UDP
echo round trips and TCP connect() times (a round trip each), against
twice the delay; numbered datagrams through the 10 ms network at rising
rates (how many arrive, how many out of order); and a 20 MB TCP transfer
over the 10 ms and 100 ms networks. Prints the figures and writes its
section of BENCHMARKS.md (bench/sections.py keeps the others).

Targets: the median round trip within 2 ms + 2% of twice the delay up to
500 ms; no packet reordered without jitter; at least 10,000 packets/s
through a delayed link, on a 2-core machine.
"""
import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import sections  # noqa: E402
from bench.run import machine  # noqa: E402

SOCKLAB = [sys.executable, "-m", "lab.cli"]
NAME = "bench-delay"
NETWORKS = [("d0", None, None), ("d1", 1, None), ("d10", 10, None),
            ("d50", 50, None), ("d100", 100, None), ("d500", 500, None),
            ("j50", 50, 20)]
RATES = (10000, 20000, 40000)


def scenario():
    lines = [f"name: {NAME}", "networks:"]
    for index, (name, delay, jitter) in enumerate(NETWORKS):
        extra = (f", delay: {delay}ms" if delay else "") + \
            (f", jitter: {jitter}ms" if jitter else "")
        lines.append(f"  {name}: {{subnet: 10.67.{30 + index}.0/24{extra}}}")
    interfaces = lambda last: ", ".join(  # noqa: E731
        f"{n}: 10.67.{30 + i}.{last}" for i, (n, _, _) in enumerate(NETWORKS))
    lines += ["hosts:",
              f"  a: {{interfaces: {{{interfaces(10)}}}, services: ["
              "udp-server --port 5000, tcp-server --port 9000, "
              "tcp-server --port 9001 --framing length --reply ack]}",
              f"  b: {{interfaces: {{{interfaces(20)}}}}}", "steps: []"]
    return "\n".join(lines) + "\n"


def on(host, *argv):
    done = subprocess.run(SOCKLAB + ["exec", NAME, host, "--", *argv],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} on {host}: {done.stdout}"
                         f"{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def trips(kind, network, count):
    return on("b", "python3", "delay_probe.py", kind, f"a.{network}",
              str(count))["trips"]


def flood(network, rate, seconds=2.0):
    found = {}
    sink = threading.Thread(target=lambda: found.update(
        on("a", "python3", "delay_probe.py", "sink", "10")))
    sink.start()
    time.sleep(1.5)  # the sink's exec and bind
    sent = on("b", "python3", "delay_probe.py", "flood", f"a.{network}",
              str(rate), str(seconds))
    sink.join()
    return sent, found


def transfer(network, size=20_000_000):
    result = on("b", "tcp-client", "--to", f"a.{network}:9001", "--size",
                str(size), "--framing", "length")
    return size / (result["elapsed_ms"] / 1000) / 1e6


def row(name, delay, jitter, udp, connect):
    want = 2 * (delay or 0)
    med, med_c = statistics.median(udp), statistics.median(connect)
    limit = 2 + 0.02 * want
    off = med - want
    ok = "yes" if (abs(off) <= limit or not delay) else "NO"
    asked = "none" if not delay else \
        f"{delay} ms" + (f" +- {jitter} ms" if jitter else "")
    return (f"| {asked} | {want} | {med:.2f} | {off:+.2f} | "
            f"{min(udp):.2f} / {max(udp):.2f} | {med_c:.2f} | "
            f"{'-' if jitter else ok} |"), (ok != "NO" or jitter)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=40)
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="socklab-bench-delay-"))
    (work / "delay.yaml").write_text(scenario())
    shutil.copy(ROOT / "bench" / "delay_probe.py", work)
    up = subprocess.run(SOCKLAB + ["up", str(work / "delay.yaml"),
                                   "--results", str(work / "results")],
                        cwd=ROOT, capture_output=True, text=True)
    if up.returncode:
        raise SystemExit(up.stdout + up.stderr)
    try:
        table, all_ok, notes = [], True, []
        for name, delay, jitter in NETWORKS:
            count = max(5, args.trips // 4) if (delay or 0) >= 500 else \
                args.trips
            udp, connect = trips("udp", name, count), \
                trips("connect", name, max(5, count // 2))
            line, ok = row(name, delay, jitter, udp, connect)
            all_ok &= bool(ok)
            table.append(line)
            print(line, flush=True)
            if jitter:
                low, high = 2 * (delay - jitter), 2 * (delay + jitter)
                inside = sum(low <= t <= high for t in udp)
                notes.append(f"{delay} ms +- {jitter} ms: {inside} of "
                             f"{len(udp)} round trips within {low}..{high}"
                             f" ms, none under {low} ms: "
                             f"{min(udp) >= low}")
        floods = []
        for rate in RATES:
            sent, got = flood("d10", rate)
            floods.append(f"| {rate} | {sent['sent'] / sent['seconds']:.0f} |"
                          f" {sent['sent']} | {got['received']} | "
                          f"{got['reordered']} |")
            print(floods[-1], flush=True)
        speeds = {n: transfer(n) for n in ("d0", "d10", "d100")}
        print(speeds)
    finally:
        subprocess.run(SOCKLAB + ["down", NAME], cwd=ROOT,
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    with open("/proc/loadavg") as load:
        busy = load.read().split()[:3]
    text = "\n".join([
        "## Delay and jitter", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"with `.venv/bin/python bench/delay.py` on {machine()}; load "
        f"average at the end {' '.join(busy)} (other runs shared the "
        "machine). Two hosts on seven networks; each packet entering a "
        "host on a delayed network waits in that host's delay line "
        "(NFQUEUE and socklab-delay, see README), so a round trip is "
        "twice the delay.", "",
        f"Round trips from b to a: UDP echoes ({args.trips} per network, "
        f"{max(5, args.trips // 4)} at 500 ms, after one to warm ARP) and "
        "TCP connect() (half as many). Target: the UDP median within "
        "2 ms + 2% of twice the delay.", "",
        "| delay | 2 x delay (ms) | UDP median (ms) | off by (ms) | "
        "min / max (ms) | connect() median (ms) | within target |",
        "|---|---:|---:|---:|---:|---:|---|", *table, "",
        *[f"- {note}" for note in notes],
        "", "Numbered 64-byte datagrams through the 10 ms network for 2 s "
        "at each rate (target: 10,000 packets/s, none reordered):", "",
        "| rate asked (/s) | rate sent (/s) | sent | received | "
        "reordered |", "|---:|---:|---:|---:|---:|", *floods, "",
        "(rate sent: what one Python sender reached here; the delay line "
        "is in the receiving host.)", "",
        "20 MB over TCP (tcp-client, length framing, until the server's "
        "ack): " + ", ".join(
            f"{'undelayed' if n == 'd0' else n[1:] + ' ms'} "
            f"{speed:.0f} MB/s" for n, speed in speeds.items()) + ". Over "
        "a long link a 20 MB transfer is mostly TCP's slow start (one window"
        " doubling per round trip), as it would be on a real one.",
        "", "Every UDP median within target: "
        f"{'yes' if all_ok else 'NO'}.", ""])
    sections.replace(args.output, "bench/delay.py", text)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
