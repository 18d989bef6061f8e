"""The format reference lives in this repository (docs/format.md, linked
from the README), and its table of the built-ins' results is the one the
validator checks expectations against."""
from lab.scenario import reference
from tests.conftest import ROOT


def test_the_results_table_is_the_validators():
    page = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    shown = page.split(reference.BEGIN, 1)[1].split(reference.END, 1)[0]
    assert shown.strip() == reference.results_table().strip(), \
        "docs/format.md: paste `python -m lab.scenario.reference` there"


def test_the_readme_sends_readers_to_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/format.md" in readme and "../shared" not in readme
