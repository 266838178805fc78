"""Cycler for the real-services harness: stop (SIGTERM, then SIGKILL after the service's
stop timeout) or kill (SIGKILL, ``--hard``) every service of the stack, dependents first;
start them again in dependency order (levels in parallel). Uses the harness's Python API
(:class:`somastack_deploy.harness.manager.Harness`: ``stop``, ``kill``, ``start``, ``status``)."""

from __future__ import annotations

from pathlib import Path

from .base import Cycler, CyclerError


class HarnessCycler(Cycler):
    """``services``: the stack's service keys to cycle (default: every started service)."""

    name = "harness"

    def __init__(self, harness, services: list[str] | None = None):
        self.h = harness
        self.services = list(services) if services is not None else self.h.started()
        from somastack_deploy.harness.registry import resolve_order

        specs: dict = {}
        levels = resolve_order(self.services, specs)
        # Only our services (resolve_order adds dependencies): keep start order by level.
        self.order = [n for level in levels for n in level if n in self.services]

    @classmethod
    def from_state_dir(cls, state_dir: str, services: list[str] | None = None) -> "HarnessCycler":
        """A cycler on a running harness stack's state directory (port offset read from its
        ``state.json``)."""
        import json

        from somastack_deploy.harness.base import Context
        from somastack_deploy.harness.manager import Harness, default_cache_dir

        p = Path(state_dir)
        try:
            state = json.loads((p / "state.json").read_text())
        except (OSError, ValueError):
            state = {}
        ctx = Context(state_dir=p, cache_dir=default_cache_dir(), port_offset=int(state.get("port_offset", 0)))
        return cls(Harness(ctx), services)

    def take_down(self, *, hard: bool = False) -> None:
        from somastack_deploy.harness.manager import HarnessError

        for name in reversed(self.order):
            try:
                self.h.kill(name) if hard else self.h.stop(name)
            except HarnessError as err:
                raise CyclerError(f"{name}: {err}") from None

    def is_down(self) -> bool:
        status = self.h.status()
        return not any(status[n].alive for n in self.order if n in status)

    def bring_up(self) -> None:
        from somastack_deploy.harness.manager import HarnessError

        try:
            self.h.up(self.order)  # dependency levels in parallel; each waits for readiness
        except HarnessError as err:
            raise CyclerError(str(err)) from None

    def describe(self) -> str:
        return f"harness ({', '.join(self.order)})"
