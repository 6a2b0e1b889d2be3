"""Bottom layer: the errors a user can cause, each shown as one line (never a traceback).

Imports nothing of the kit, so every layer can raise them and the command line
(`refundkit.cli`) can catch them all without importing the commands' modules.
"""
from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with what the user gave us; the message says what to fix."""


class MoneyError(ValueError):
    """An amount that is not a non-negative number of yuan."""


class ClockError(ValueError):
    """A time that is not an ISO time with a UTC offset."""


class CaseError(ValueError):
    """A case that cannot be decided; `field` names the culprit."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class SopError(Exception):
    """An SOP file that cannot be used; `problems` holds one line per defect."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


class NoRuleError(ValueError):
    """The SOP's decision table has no rule for these facts."""


# What the command line reports as one line and exit 2.
# NoRuleError: an edited SOP's table leaves the case uncovered; the line names the facts.
USER_ERRORS = (UserError, SopError, CaseError, ClockError, MoneyError, NoRuleError, FileNotFoundError, PermissionError)
