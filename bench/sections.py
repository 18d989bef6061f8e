"""BENCHMARKS.md holds one section per benchmark script, between markers
that name it; each script rewrites its own section and keeps the others."""
from pathlib import Path


def replace(path, script, text):
    path = Path(path)
    start, end = f"<!-- {script} -->", f"<!-- end {script} -->"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{text.strip()}\n{end}\n"
    if start in old and end in old:
        before, rest = old.split(start, 1)
        new = before + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)
