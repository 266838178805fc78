"""``somastack-services``: install, start, inspect and stop the real-services harness.

Usage::

    somastack-services [--state-dir DIR] [--port-offset N] [--cache-dir DIR]
                       [-o SVC.KEY=VALUE ...] COMMAND [ARGS]

    install [SERVICE...]   install into the cache (all by default; idempotent, fast when cached);
                           without SERVICE also builds the Pulumi CLI (install/pulumi/build.sh)
    up [SERVICE...]        start (with depends_on), wait until ready, write topology.json
    down                   stop everything this state dir started
    status [--json]        pid, alive, ready, host:port, RSS per service
    start|stop|restart|kill SERVICE
    logs SERVICE [-n N]    last N lines of logs/<svc>.log (credential values masked)

Exit codes (``somastack_deploy.exitcodes``): 0 ok; 1 a service failed to install/start/stop
(the message names the log file); 2 unusable input (unknown service, bad option). Errors are
one line on stderr. Generated credentials are only written to ``credentials.json`` (0600),
never printed. Options: ``-o redis.persistence=none`` turns Redis persistence off (``aof`` default, ``rdb``) (values are
parsed as JSON when they can be, else kept as strings).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.exitcodes import FINDINGS, OK, USAGE

from .base import Context
from .manager import Harness, HarnessError, default_cache_dir, default_state_dir
from .registry import ALL_SERVICES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", type=Path, default=argparse.SUPPRESS, help="stack state directory (default .somastack/services)")
    p.add_argument("--port-offset", default=argparse.SUPPRESS, help="added to every seed 001 port (default: the running stack's, else 0)")
    p.add_argument("--cache-dir", type=Path, default=argparse.SUPPRESS, help="install cache (default $SOMASTACK_CACHE or ~/.cache/somastack-deploy)")
    p.add_argument("-o", "--option", action="append", default=argparse.SUPPRESS, metavar="SVC.KEY=VALUE", help="service option, e.g. redis.persistence=none")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="somastack-services", description="Real infrastructure services on loopback for tests and development.")
    _common(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_ in (("install", "install services into the cache"), ("up", "start services and wait until ready")):
        p = sub.add_parser(name, help=help_)
        _common(p)
        p.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of {', '.join(ALL_SERVICES)} (default: all)")
    p = sub.add_parser("down", help="stop every service of the stack")
    _common(p)
    p = sub.add_parser("status", help="per-service pid, alive, ready, port")
    _common(p)
    p.add_argument("--json", action="store_true", help="JSON output")
    for name, help_ in (("start", "start one service again"), ("stop", "stop one service gracefully"),
                        ("restart", "stop then start one service"), ("kill", "SIGKILL one service (fault test)")):
        p = sub.add_parser(name, help=help_)
        _common(p)
        p.add_argument("service", metavar="SERVICE")
    p = sub.add_parser("logs", help="print the end of a service log")
    _common(p)
    p.add_argument("service", metavar="SERVICE")
    p.add_argument("-n", "--lines", type=int, default=100, help="number of lines (default 100)")
    return parser


def _parse_options(raw: list[str]) -> dict:
    options: dict = {}
    for item in raw:
        key, sep, value = item.partition("=")
        svc, dot, opt = key.partition(".")
        if not sep or not dot or not svc or not opt:
            raise InputError("expected SVC.KEY=VALUE", variable=f"-o {item.split('=')[0]}")
        if svc not in ALL_SERVICES:
            raise InputError(f"unknown service {svc!r} in option", variable=f"-o {key}")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        options.setdefault(svc, {})[opt] = parsed
    return options


def _recorded_offset(state_dir: str) -> str:
    """The port offset a running stack in ``state_dir`` was started with (``state.json``), or "0"."""
    try:
        return str(json.loads((Path(state_dir) / "state.json").read_text()).get("port_offset", 0))
    except (OSError, ValueError, AttributeError):
        return "0"


def _context(args: argparse.Namespace) -> Context:
    state_dir = getattr(args, "state_dir", None) or default_state_dir()
    # Without --port-offset, commands act on the stack as it was started (down, status, kill …).
    raw = getattr(args, "port_offset", None) or _recorded_offset(state_dir)
    try:
        offset = int(raw)
    except ValueError:
        raise InputError(f"not an integer: {raw!r}", variable="--port-offset") from None
    if not 0 <= offset <= 40000:
        raise InputError(f"must be between 0 and 40000 (ports up to 65535), got {offset}", variable="--port-offset")
    cache_dir = getattr(args, "cache_dir", None) or default_cache_dir()
    return Context(state_dir=Path(state_dir).resolve(), cache_dir=Path(cache_dir).resolve(), port_offset=offset,
                   options=_parse_options(getattr(args, "option", [])))


def _masked_log(h: Harness, name: str, lines: int) -> str:
    path = h.ctx.log_path(name)
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        raise InputError("no log yet (service never started in this state dir)", path=str(path), variable=name) from None
    return "\n".join(h.mask_credentials(text).splitlines()[-lines:]) + "\n"


def _print_status(h: Harness, as_json: bool) -> None:
    status = h.status()
    if as_json:
        print(json.dumps({n: s.to_json() for n, s in status.items()}, indent=2, sort_keys=True))
        return
    if not status:
        print("no services in this stack")
    for name, s in status.items():
        ports = ",".join(f"{role}={port}" for role, port in s.ports.items())
        state = "ready" if s.ready else ("alive" if s.alive else "dead")
        print(f"{name:<9} {state:<6} pid={s.pid or '-':<8} {s.host} {ports}  rss={s.rss_bytes / 2**20:.0f}MiB")


#: Builds the Pulumi CLI from the Go module proxy into ``<cache>/pulumi/`` (docs/engine.md).
PULUMI_BUILD = Path(__file__).resolve().parent / "install" / "pulumi" / "build.sh"


def install_pulumi(cache_dir: Path) -> float:
    """Run ``install/pulumi/build.sh CACHE_DIR`` (idempotent: a stamp makes it a no-op when the
    CLI is built). Returns the seconds it took, 0 when it was cached (nothing printed by the
    script). Raises :class:`HarnessError` with the script's last stderr line (it names its log
    file) when the build fails."""
    stamp = Path(cache_dir) / "pulumi" / "bin" / ".stamp"

    def stamp_state():
        try:
            return stamp.stat().st_mtime_ns, stamp.read_text()
        except OSError:
            return None

    before, t0 = stamp_state(), time.monotonic()
    try:
        proc = subprocess.run(["bash", str(PULUMI_BUILD), str(cache_dir)], capture_output=True, text=True, check=False)
    except OSError as err:
        raise HarnessError(f"pulumi: cannot run {PULUMI_BUILD}: {err.strerror}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"{PULUMI_BUILD.name} exited {proc.returncode}"])[-1]
        raise HarnessError(last if last.startswith("pulumi") else f"pulumi build: {last}")
    return 0.0 if stamp_state() == before else time.monotonic() - t0


def run(args: argparse.Namespace) -> int:
    """Execute one parsed command; returns the exit code."""
    h = Harness(_context(args))
    cmd = args.command
    if cmd == "install":
        for name, secs in h.install(args.services or None).items():
            print(f"{name:<9} {'cached' if secs == 0 else f'installed in {secs:.1f} s'}")
        if not args.services:
            secs = install_pulumi(h.ctx.cache_dir)
            print(f"{'pulumi':<9} {'cached' if secs == 0 else f'built in {secs:.1f} s'}")
    elif cmd == "up":
        t0 = time.monotonic()
        topo = h.up(args.services or None)
        print(f"up: {', '.join(sorted(topo.services))} ready in {time.monotonic() - t0:.1f} s")
        print(f"topology: {h.topology_path}")
        print(f"credentials: {h.ctx.credentials_path} (mode 0600)")
    elif cmd == "down":
        t0 = time.monotonic()
        stopped = h.down()
        print(f"down: stopped {', '.join(sorted(stopped)) or 'nothing'} in {time.monotonic() - t0:.1f} s")
    elif cmd == "status":
        _print_status(h, args.json)
    elif cmd in ("start", "restart"):
        getattr(h, cmd)(args.service)
        print(f"{args.service}: ready")
    elif cmd == "stop":
        graceful = h.stop(args.service)
        print(f"{args.service}: stopped{'' if graceful else ' (killed after timeout or not running)'}")
    elif cmd == "kill":
        h.kill(args.service)
        print(f"{args.service}: killed (SIGKILL)")
    elif cmd == "logs":
        sys.stdout.write(_masked_log(h, args.service, args.lines))
    return OK


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``somastack-services``."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except InputError as err:
        print(f"somastack-services: error: {err}", file=sys.stderr)
        return USAGE
    except HarnessError as err:
        print(f"somastack-services: error: {err}", file=sys.stderr)
        return FINDINGS
    except KeyboardInterrupt:
        print("somastack-services: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a plug-in bug: still one line, never a traceback
        print(f"somastack-services: error: {type(err).__name__}: {err}".replace("\n", " "), file=sys.stderr)
        return FINDINGS


if __name__ == "__main__":
    sys.exit(main())
