"""Hosts from images of the user's (image:, build:), on real containers: a
FROM scratch image with one static binary and no shell, an image with a
shell; addresses, routes, firewall, captures and faults on them; builds
made once per folder content; a failing build and a missing image."""
import io
import tarfile
import textwrap

import docker
import pytest

from lab.engine import image
from lab.progress import Progress
from tests.conftest import leftovers, socklab

pytestmark = pytest.mark.docker

LAB = """\
name: own
networks:
  lan: {subnet: 10.81.1.0/24}
  far: {subnet: 10.81.2.0/24}
hosts:
  router: {interfaces: {lan: 10.81.1.1, far: 10.81.2.1}, forward: true}
  web:
    interfaces: {lan: 10.81.1.10}
    build: scratch
    firewall: ["-A INPUT -p tcp --dport 8081 -j DROP"]
    capture: true
    services:
      - run: /bin/busybox httpd -f -p 8080 -h /www
        ready: {tcp: 8080}
  shelled:
    interfaces: {far: 10.81.2.10}
    gateway: 10.81.2.1
    image: socklab-test-shell:1
    services:
      - run: cd /tmp && python3 -u -m http.server 8000 --bind 0.0.0.0
        ready: {log: Serving}
  client:
    interfaces: {lan: 10.81.1.20}
    gateway: 10.81.1.1
steps:
  - {on: client, run: connect --to web:8080, expect: {outcome: connected}}
  - {on: client, run: connect --to web:8082, expect: {outcome: refused}}
  - {on: client, run: connect --to web:8081 --timeout 1,
     expect: {outcome: timeout}}
  # In the scratch image: no shell, so the command is an argument list.
  - {on: web, run: /bin/busybox wget -q -O - http://127.0.0.1:8080/,
     expect: {stdout: {contains: hello-www}}}
  - {on: web, run: "echo $HOME", expect: {exit: {ne: 0}}}
  # Built-in programs run on such a host too, with its addresses.
  - {on: web, run: connect --to shelled:8000, expect: {outcome: unreachable}}
  - {on: client, run: connect --to shelled:8000, expect: {outcome: connected}}
  - {on: shelled, run: "echo $((6*7)) && hostname && cat /etc/hosts",
     expect: {stdout: {matches: "42\\nshelled\\n(.|\\n)*10.81.1.10\\tweb"}}}
  - partition: {host: web, network: lan}
  - {on: client, run: connect --to web:8080 --timeout 1,
     expect: {outcome: {in: [timeout, unreachable]}}}
  - heal: {host: web, network: lan}
  - {on: client, run: connect --to web:8080, expect: {outcome: connected}}
  - kill: shelled
  - {on: client, run: connect --to shelled:8000 --timeout 1,
     expect: {outcome: {in: [timeout, unreachable]}}}
  - restart: shelled
  - {on: client, run: connect --to shelled:8000, expect: {outcome: connected}}
"""


@pytest.fixture(scope="module")
def lab_folder(tmp_path_factory):
    """The scenario, a build folder for a FROM scratch image holding only a
    static busybox (taken from socklab's own image) and a page, and an
    image with a shell."""
    folder = tmp_path_factory.mktemp("own")
    (folder / "own.yaml").write_text(LAB)
    scratch = folder / "scratch"
    (scratch / "www").mkdir(parents=True)
    (scratch / "www" / "index.html").write_text("hello-www\n")
    (scratch / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n")
    client = docker.from_env()
    # This checkout's host image (":latest" is whichever was built last).
    ours = image.ensure(client.api, Progress(None))
    host = client.containers.create(ours, "true")
    try:
        stream, _ = host.get_archive("/bin/busybox")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            (scratch / "busybox").write_bytes(
                tar.extractfile("busybox").read())
        (scratch / "busybox").chmod(0o755)
    finally:
        host.remove()
    client.images.get(ours).tag("socklab-test-shell", "1")
    return folder


def test_hosts_from_a_scratch_image_and_a_shelled_one(lab_folder, tmp_path):
    done = socklab("run", "--jobs", "1", lab_folder / "own.yaml",
                   "--results", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "own" / "web.pcap").stat().st_size > 24
    log = (tmp_path / "own" / "hosts" / "shelled.log").read_text()
    assert "Serving HTTP" in log
    # The folder did not change: the second run builds nothing.
    again = socklab("run", "--jobs", "1", lab_folder / "own.yaml",
                    "--results", tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "building socklab-build-scratch" in done.stdout
    assert "building" not in again.stdout
    assert leftovers() == []
    # socklab's builds can be listed and pruned; the next run rebuilds.
    pruned = socklab("clean", "--builds")
    assert "socklab-build-scratch:" in pruned.stdout, pruned.stdout
    assert not docker.from_env().images.list(
        filters={"reference": "socklab-build-scratch"})


def test_a_failing_build_is_exit_3_with_its_last_lines(write, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "Dockerfile").write_text(
        "FROM scratch\nCOPY no-such-file /x\n")
    path = write("""\
        networks: {lan: {subnet: 10.81.3.0/24}}
        hosts: {a: {interfaces: {lan: 10.81.3.10}, build: bad}}
        """)
    done = socklab("run", path, "--results", tmp_path / "out")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "building socklab-build-bad" in done.stderr
    assert "no-such-file" in done.stderr and "Traceback" not in done.stderr
    assert leftovers() == []


def test_an_image_the_engine_lacks_is_exit_3_naming_it(write, tmp_path):
    path = write("""\
        networks: {lan: {subnet: 10.81.4.0/24}}
        hosts: {a: {interfaces: {lan: 10.81.4.10},
                    image: "socklab-no-such:image"}}
        """)
    done = socklab("run", path, "--results", tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "no image 'socklab-no-such:image'" in done.stderr
    assert leftovers() == []


@pytest.mark.parametrize("host, message", [
    ("{image: x, build: b}", "hosts.a.build: give `image` or `build`"),
    ("{build: nothing-here}", "no Dockerfile in"),
    ("{build: ../elsewhere}", "is outside the scenario's folder"),
])
def test_image_and_build_are_validated(write, host, message, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text("FROM scratch\n")
    spec = host[1:-1]
    path = write(textwrap.dedent(f"""\
        networks: {{lan: {{subnet: 10.81.5.0/24}}}}
        hosts: {{a: {{interfaces: {{lan: 10.81.5.10}}, {spec}}}}}
        """))
    done = socklab("validate", path)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def teardown_module():
    client = docker.from_env()
    for built in client.images.list(filters={"label": "socklab.image=build"}):
        for tag in built.tags:
            if tag.startswith("socklab-build-scratch"):
                client.images.remove(tag, force=True)
    client.images.remove("socklab-test-shell:1")  # a tag: the image stays
