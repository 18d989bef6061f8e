"""The plan: names, labels, reserved addresses, each host's configuration
for its init. Pure: no Docker."""
import json

from lab import labels, plan
from lab.scenario import load_scenario

SCENARIO = """\
name: p
networks:
  lan_a: {subnet: 10.10.1.0/24}
  lan_b: {subnet: 10.10.2.0/29}
hosts:
  router:
    interfaces: {lan_a: 10.10.1.254, lan_b: 10.10.2.6}
    forward: true
  server:
    interfaces: {lan_b: 10.10.2.1, lan_a: 10.10.1.5}
    gateway: 10.10.2.6
    routes: [{to: 10.10.0.0/16, via: 10.10.2.6}]
    services: [tcp-server --port 9000, {run: ./s, ready: {tcp: 80}}]
"""


def test_names_labels_and_bridges(write):
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    assert p.labels[labels.RUN] == "abcd1234"
    assert p.labels[labels.SCENARIO] == "p"
    assert [n.docker_name for n in p.networks] == [
        "socklab-abcd1234-lan_a", "socklab-abcd1234-lan_b"]
    assert all(len(n.bridge) <= 15 for n in p.networks)  # Linux IFNAMSIZ
    assert p.host("server").container == "socklab-abcd1234-server"
    assert p.host("server").labels["socklab.host"] == "server"


def test_the_bridge_takes_a_spare_address_not_a_hosts(write):
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    # .254 is the router's, so lan_a's reserved address is .253; in the
    # /29, .6 is taken and .5 is free.
    assert [n.gateway for n in p.networks] == ["10.10.1.253", "10.10.2.5"]


def test_every_host_knows_every_name(write):
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    names = p.host("router").extra_hosts
    assert names["server"] == "10.10.2.1"          # first interface
    assert names["server.lan_a"] == "10.10.1.5"
    assert names["router.lan_b"] == "10.10.2.6"
    senders = json.loads(p.host("router").environment["SOCKLAB_NAMES"])
    assert senders["10.10.1.5"] == "server"


def test_the_hosts_file_holds_loopback_and_every_name(write):
    # Written by the init of a host Docker does no networking for.
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    lines = plan.hosts_file(p.host("router").extra_hosts).splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert "10.10.2.1\tserver" in lines
    assert "10.10.1.5\tserver.lan_a" in lines
    assert len(lines) == 2 + len(p.host("router").extra_hosts)


def test_the_init_gets_routes_and_services_in_order(write):
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    config = json.loads(p.host("server").environment["SOCKLAB_HOST"])
    assert config["routes"] == [
        {"to": "default", "via": "10.10.2.6"},
        {"to": "10.10.0.0/16", "via": "10.10.2.6"}]
    assert [s["ready"] for s in config["services"]] == [
        {"signal": True}, {"tcp": 80}]
    assert p.host("server").attachments[0] == ("socklab-abcd1234-lan_b",
                                                "10.10.2.1")
    assert p.host("router").forward and not p.host("server").forward


def test_each_interface_is_a_link_named_in_scenario_order(write):
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    server = p.host("server")
    assert [(link.inside, link.network, link.address, link.bridge)
            for link in server.links] == [
        ("eth0", "socklab-abcd1234-lan_b", "10.10.2.1/29", "slbabcd12341"),
        ("eth1", "socklab-abcd1234-lan_a", "10.10.1.5/24", "slbabcd12340")]
    # Docker's MAC for the address: a host back from a partition or a
    # restart must look the same to its peers' ARP caches.
    assert server.links[0].mac == "02:42:0a:0a:02:01"
    outside = [link.outside for h in p.hosts for link in h.links]
    assert len(set(outside)) == len(outside)
    assert all(len(name) <= 15 for name in outside)  # Linux IFNAMSIZ


def test_wiring_lines_make_and_cut_the_veth_pairs(write):
    from lab.engine.wiring import bridges, cut, wire
    links = plan.make(load_scenario(write(SCENARIO)),
                      "1bcd1234").host("router").links
    # Both ends in the run's link group (0x1bcd1234), removed in one go.
    assert wire(4242, links[:1], "1bcd1234") == [
        "link add v1bcd123400000 type veth peer name eth0 address "
        "02:42:0a:0a:01:fe netns 4242",
        "link set v1bcd123400000 addrgenmode none group 466424372",
        "link set v1bcd123400000 master slb1bcd12340 up"]
    assert bridges(["slb1bcd12340"], "1bcd1234") == [
        "link add slb1bcd12340 type bridge mcast_snooping 0",
        "link set slb1bcd12340 addrgenmode none arp off group 466424372",
        "link set slb1bcd12340 up"]
    assert cut(links) == ["link del v1bcd123400000",
                          "link del v1bcd123400001"]


def test_run_ids_are_link_groups_ip_accepts():
    ids = {plan.new_run_id() for _ in range(2000)}
    assert all(len(i) == 8 and 0 < int(i, 16) < 1 << 31 for i in ids)


def test_only_a_host_with_nothing_but_links_is_simple(write):
    p = plan.make(load_scenario(write(SCENARIO)), "abcd1234")
    # The router only forwards: links and DNS are all its init sets, in the
    # shell. The server has routes and services: its init goes on in Python.
    assert p.host("router").environment["SOCKLAB_SIMPLE"] == "1"
    assert p.host("server").environment["SOCKLAB_SIMPLE"] == ""
