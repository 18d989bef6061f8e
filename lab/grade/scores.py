"""A submission's grade from its run: pure, no Docker.

A step earns its points all or nothing: only if it held on each host it
ran on (a fault step: if it did what it says). A lab that never came up
earns nothing, and every step says why. A hidden step's reason is kept
for the teacher (grade.json) and never shown to the student.
"""
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class StepScore:
    number: int
    title: str       # what every output calls the step (title() below)
    points: float
    earned: float
    hidden: bool
    reason: str = ""  # why it failed: its first line; "" when it held
    elapsed_ms: float = 0

    @property
    def ok(self):
        return self.earned == self.points and not self.reason


@dataclass(frozen=True)
class Grade:
    submission: str
    score: float
    maximum: float
    steps: tuple          # StepScore, in the assignment's order
    reason: str = ""      # why it lost points, in one line ("" if it did not)
    error: str = ""       # the lab's own failure, whole (e.g. never ready)
    graded: bool = True   # False: socklab could not grade it (no fault of
    #                       the submission's: the machine, an interrupt)
    elapsed: float = 0

    def to_json(self):
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        data["steps"] = tuple(StepScore(**s) for s in data["steps"])
        return cls(**data)


def title(step):
    """The step's name; without one, its number and (unless hidden) what
    it runs, as reports label it."""
    if step.name:
        return step.name
    return f"step {step.number}" if step.hidden else step.label


def first_line(text):
    return (text or "").strip().split("\n", 1)[0]


def _why(results):
    """The first thing that went wrong in one step's results: what was
    expected (the scenario's own expectations before the implicit `exit
    0`) and the last line the program wrote to stderr, which is mostly
    the reason (a traceback's, a refused connection's)."""
    for result in results:
        if result.error:
            return f"[{result.host}] {first_line(result.error)}"
        failed = sorted((v for v in result.verdicts if not v.ok),
                        key=lambda v: v.note == "implicit")
        if failed:
            stderr = (result.fields.get("stderr") or "").strip()
            last = stderr.splitlines()[-1][:200] if stderr else ""
            return f"[{result.host}] expected {failed[0].describe()}" + (
                f"; stderr: {last}" if last else "")
    return ""


def _step(step, results, lab_error):
    mine = [r for r in results if r.step.number == step.number]
    hosts = {r.host for r in mine}
    # Each host it runs on must have held (a fault step acts on one).
    wanted = set(step.on) if step.action is None else hosts
    missing = sorted(wanted - hosts)
    reason = _why(mine)
    if not reason and (missing or not mine):  # it did not run (everywhere)
        reason = first_line(lab_error) or \
            f"no result from {', '.join(missing) or 'it'}"
    took = max((r.fields.get("elapsed_ms") or 0 for r in mine), default=0)
    return StepScore(step.number, title(step), step.points,
                     0 if reason else step.points, step.hidden, reason,
                     took if isinstance(took, (int, float)) else 0)


def _summary(steps, error):
    if error:
        return first_line(error)
    failed = [s for s in steps if not s.ok]
    if not failed:
        return ""
    first = failed[0]
    why = "failed" if first.hidden else first.reason
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"{first.title}: {why}{more}"


def of_report(submission, scenario, report):
    """The grade of a run (runner.RunReport) of the assignment."""
    steps = tuple(_step(step, report.results, report.error)
                  for step in scenario.steps)
    return Grade(submission, sum(s.earned for s in steps),
                 maximum(scenario), steps, _summary(steps, report.error),
                 report.error, True, round(report.elapsed, 2))


def not_graded(submission, scenario, why, elapsed=0):
    """What a submission that could not be graded scores: nothing, saying
    why (the reason is socklab's or the machine's, not the student's)."""
    steps = tuple(StepScore(s.number, title(s), s.points, 0, s.hidden,
                            first_line(why)) for s in scenario.steps)
    return Grade(submission, 0, maximum(scenario), steps,
                 f"not graded: {first_line(why)}", why, False,
                 round(elapsed, 2))


def maximum(scenario):
    return sum(step.points for step in scenario.steps)


def number(value):
    """Points as people write them: 2, not 2.0; 0.5 stays."""
    return f"{value:g}"
