"""The cycler interface shared by every target."""

from __future__ import annotations

from abc import ABC, abstractmethod


class CyclerError(RuntimeError):
    """The target refused to stop or start a service; one line naming the service."""


class Cycler(ABC):
    """Takes a stack's services down and brings them up again.

    ``take_down(hard)`` stops every service (``hard``: SIGKILL / kill instead of a graceful
    stop, where the target has one) and returns once the stop was requested; ``is_down()``
    is True when no service process/task/pod runs any more; ``bring_up()`` starts them again
    and returns when the target reports them started (the loop checks health itself, with
    the probes, concurrently). ``describe()`` names the target in reports.
    """

    name = "cycler"

    @abstractmethod
    def take_down(self, *, hard: bool = False) -> None: ...

    @abstractmethod
    def is_down(self) -> bool: ...

    @abstractmethod
    def bring_up(self) -> None: ...

    def describe(self) -> str:
        return self.name
