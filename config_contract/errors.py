"""Errors for unusable input (exit code 2 at the CLI).

Every error renders as one line naming the file, line and variable, e.g.
``examples/prod.env:12: SOMABRAIN_API_URL: line is not KEY=VALUE``. The message must never
contain a secret value: callers pass names, not values.
"""

from __future__ import annotations


class InputError(Exception):
    """Unusable input: missing/unreadable file, unparsable line, bad option value.

    Attributes: ``path`` (str | None), ``line`` (int | None, 1-based), ``variable``
    (str | None), ``reason`` (str). ``str(err)`` is the one-line message.
    """

    def __init__(self, reason: str, *, path: str | None = None, line: int | None = None, variable: str | None = None):
        self.path, self.line, self.variable, self.reason = path, line, variable, reason
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        var = f"{self.variable}: " if self.variable else ""
        return f"{where}{var}{self.reason}".replace("\n", " ")
