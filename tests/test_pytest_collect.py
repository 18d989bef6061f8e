"""pytest collects a scenario file named on its command line wherever it
lies, and otherwise only YAML below a folder named scenarios inside the
project, or below the folders the ini option socklab_scenarios names (a
project's other YAML, compose files or CI settings, is no scenario)."""

LESSON = """\
networks: {lan: {subnet: 10.76.0.0/24}}
hosts:
  a: {interfaces: {lan: 10.76.0.2}}
steps:
  - {on: a, run: "true"}
"""


def test_a_file_named_on_the_command_line_is_collected_anywhere(pytester):
    (pytester.path / "lesson.yaml").write_text(LESSON)
    (pytester.path / "more").mkdir()
    (pytester.path / "more" / "other.yml").write_text(LESSON)
    result = pytester.runpytest_subprocess(
        "--collect-only", "-q", "lesson.yaml", "more/other.yml")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["lesson.yaml::lesson",
                                 "more/other.yml::other",
                                 "2 tests collected*"])


def test_other_yaml_is_left_alone_unless_named(pytester):
    (pytester.path / "compose.yaml").write_text("services: {}\n")
    (pytester.path / "lesson.yaml").write_text(LESSON)
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "lab.yaml").write_text(LESSON)
    result = pytester.runpytest_subprocess("--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["scenarios/lab.yaml::lab",
                                 "1 test collected*"])
    # named, a file that is no scenario says why, nothing started
    result = pytester.runpytest_subprocess("--collect-only", "compose.yaml")
    result.stdout.fnmatch_lines(["*invalid scenario (nothing started)*",
                                 "*compose.yaml:1: services: unknown field*"])


def test_the_ini_option_names_the_scenario_folders_instead(pytester):
    for name in ("labs/a.yaml", "other/dir/deep/b.yml", "scenarios/c.yaml",
                 "other/d.yaml", "compose.yaml"):
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LESSON)
    pytester.makeini("[pytest]\nsocklab_scenarios = labs other/dir\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["labs/a.yaml::a",
                                 "other/dir/deep/b.yml::b",
                                 "2 tests collected*"])
    # and from the command line, with no ini file
    (pytester.path / "tox.ini").unlink()
    result = pytester.runpytest_subprocess(
        "--collect-only", "-q", "-o", "socklab_scenarios=other")
    result.stdout.fnmatch_lines(["other/d.yaml::d",
                                 "other/dir/deep/b.yml::b",
                                 "2 tests collected*"])


def test_a_project_inside_a_folder_named_scenarios_keeps_its_yaml(pytester):
    # ~/scenarios/mine/: only mine/scenarios/ holds scenarios.
    project = pytester.path / "scenarios" / "mine"
    (project / "scenarios").mkdir(parents=True)
    (project / "scenarios" / "lab.yaml").write_text(LESSON)
    (project / "ci.yaml").write_text("jobs: {}\n")
    (project / "pytest.ini").write_text("[pytest]\n")
    result = pytester.runpytest_subprocess(
        "--collect-only", "-q", "--rootdir", project, project)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*scenarios/lab.yaml::lab",
                                 "1 test collected*"])
