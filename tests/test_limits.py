"""The kernel's limits a large lab would meet are found at validation:
a network past a bridge's ports, a lab past the neighbour tables."""
import pytest

from lab.errors import ScenarioInvalid
from lab.scenario import limits, load_scenario


def lan(hosts, subnet="10.7.0.0/16", family=4):
    """One network of `hosts` hosts."""
    lines = ["name: big", "networks:", f"  lan: {{subnet: {subnet}}}",
             "hosts:"]
    for i in range(hosts):
        address = f"10.7.{i // 250}.{i % 250 + 1}" if family == 4 else \
            f"'fd00:7::{i + 1:x}'"
        lines.append(f"  h{i}: {{interfaces: {{lan: {address}}}}}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def thresholds(monkeypatch):
    """The machine's gc_thresh3, as the test chooses."""
    chosen = {4: 65536, 6: 1024}
    monkeypatch.setattr(limits, "thresholds", lambda: chosen)
    return chosen


def test_a_network_past_a_bridges_ports_is_refused(write, thresholds):
    load_scenario(write(lan(1024)))  # exactly as many ports: fine
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(lan(1025)))
    message = str(caught.value)
    assert ":3: networks.lan: 1025 hosts are on lan" in message
    assert "at most 1024" in message and "router" in message


def test_a_lab_past_the_neighbour_table_is_refused_naming_the_sysctl(
        write, thresholds):
    thresholds[4] = 300  # a server talking to 200 hosts needs ~400 entries
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(lan(200)))
    message = str(caught.value)
    assert "networks.lan: the lab's hosts would need about 398 IPv4" in \
        message
    assert "sysctl -w net.ipv4.neigh.default.gc_thresh3=" in message


def test_a_lab_that_fits_unless_all_talk_to_all_is_warned(write,
                                                          thresholds):
    thresholds[4] = 1024  # star 2*(40-1) = 78 fits, mesh 40*39 = 1560 not
    scenario = load_scenario(write(lan(40)))
    assert len(scenario.warnings) == 1
    assert "1560 IPv4 neighbour entries" in scenario.warnings[0]
    assert "warning:" in scenario.warnings[0]
    thresholds[4] = 65536
    assert load_scenario(write(lan(40))).warnings == ()


def test_ipv6_neighbours_count_their_link_local_address_too(write,
                                                            thresholds):
    # 30 IPv6 hosts: every pair, both addresses: 30 * 29 * 2 = 1740.
    scenario = load_scenario(write(lan(30, "'fd00:7::/64'", family=6)))
    assert any("1740 IPv6 neighbour entries" in w
               for w in scenario.warnings)


def test_the_machines_thresholds_are_read_with_the_kernels_default():
    found = limits.thresholds()
    assert set(found) == {4, 6}
    assert all(isinstance(v, int) and v > 0 for v in found.values())
