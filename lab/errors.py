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


class EnvironmentUnusable(SocklabError):
    """Docker cannot be used (no daemon, image can't be built, API error)."""
    exit_status = 3
