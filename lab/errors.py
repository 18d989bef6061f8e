"""The one exception hierarchy. Each kind maps to an exit status of
`socklab run` (see the scenario format's "Running" section)."""


class SocklabError(Exception):
    """Root of every error socklab reports to its user."""
    exit_status = 1


class ScenarioInvalid(SocklabError):
    """The scenario file is wrong; nothing was started. Carries every
    problem found, each already naming file, line and field."""
    exit_status = 2

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class NotFound(SocklabError):
    """A lab or host named on the command line does not exist."""
    exit_status = 2


class RunFailed(SocklabError):
    """The lab could not become what the scenario says: a host's setup or a
    service failed. Carries the host's log tail."""
    exit_status = 1


class InUse(SocklabError):
    """What the scenario needs is held by a lab left up (`socklab up`),
    e.g. an overlapping subnet on a swarm: the user's to resolve (down
    that lab, or change the scenario), not a fault of the machine."""
    exit_status = 2


class EnvironmentUnusable(SocklabError):
    """Docker or this machine cannot be used (no daemon, image can't be
    built, API error, a folder socklab must write)."""
    exit_status = 3


class FileUnusable(EnvironmentUnusable):
    """A folder or file of this machine cannot be used: the state folder,
    the results folder, a log or a capture (missing, not a folder,
    read-only, the disk full). One line: what, where, and what to do."""


def file_fault(what, exc, remedy):
    """FileUnusable in one line for an OSError met on `what`: the path
    the error names, why, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return FileUnusable(f"{what}{where}: {reason}; {remedy}")
