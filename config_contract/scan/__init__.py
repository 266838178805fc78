"""``preflight --scan PATH``: the source-tree side of VIBE-91 and VIBE-164.

Seed 002 "Verification Commands" grep a SomaStack checkout for hardcoded secrets
(``dev-token``, ``somastack2024``, ``insecure``) and localhost fallbacks. This package does the
same job without grep's false hits:

- ``VIBE-91`` (seed 000 §4 Rule 91): Python environment/settings lookups whose *default* is a
  loopback URL or host, read from the AST (:mod:`.fallbacks`), plus ``${VAR:-localhost…}``
  interpolation defaults in compose, env, Dockerfile and shell files.
- ``VIBE-164`` (seed 000 §4 Rule 164, seed 002 §3.2): secret literals in any text file, found by
  detect-secrets' plugins and filters plus the SomaStack plugins (:mod:`.literals`,
  :mod:`.plugins`).

Accepted findings live in a detect-secrets-format baseline (:mod:`.baseline`). Findings carry the
file path (PATH as given joined with the path below it, '/'-separated, as grep prints it) and
line; messages never contain a secret value.
Severity follows the environment dimension: ``error`` in PROD, ``warning`` in DEV (seed 000 §4:
dev defaults allowed only in DEV, with warnings).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import InputError
from ..findings import Finding

__all__ = ["run_scan", "scan_tree", "read_text", "ScanResult", "write_baseline", "EXCLUDED_DIRS", "RULE_META"]

#: Metadata of the scan-only rule, in the shape of ``somastack_deploy.config_contract.rules.rule_meta()`` (VIBE-91
#: and VIBE-164 are the contract's own rules).
RULE_META: tuple[dict, ...] = (
    {"id": "SCAN-UNPARSED", "name": "scan-unparsed-python", "severity": "warning",
     "source": "issue 2 --scan (Python AST for VIBE-91)",
     "description": "A Python file under the scanned tree does not parse, so it was not checked for VIBE-91 "
                    "loopback fallbacks."},
)

#: Directories never descended into (VCS data, virtualenvs, caches, vendored packages).
EXCLUDED_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                           ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".somastack"})

_SHELL_DEFAULT_SUFFIXES = (".yml", ".yaml", ".env", ".sh", ".bash", ".envrc", ".properties", ".ini", ".cfg",
                           ".conf", ".toml")


def _takes_shell_defaults(rel_path: str) -> bool:
    base = os.path.basename(rel_path).lower()
    return (base.endswith(_SHELL_DEFAULT_SUFFIXES) or base.startswith(("dockerfile", ".env", "docker-compose",
                                                                        "compose"))
            or base.endswith(".dockerfile"))


@dataclass
class ScanResult:
    """Raw, value-free scan results before baseline and severity: ``secrets``
    (:class:`.literals.SecretHit`), ``fallbacks`` (:class:`.fallbacks.FallbackHit`),
    ``unparsed`` (``(path, line, reason)`` of Python files that do not parse),
    ``files`` (files scanned) and ``bytes`` (their total size in bytes)."""

    secrets: list = field(default_factory=list)
    fallbacks: list = field(default_factory=list)
    unparsed: list = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def list_files(root: str) -> list[tuple[str, str, int]]:
    """Regular files under ``root`` as ``(absolute path, display path, size in bytes)``, sorted,
    skipping :data:`EXCLUDED_DIRS` and symlinks. The display path is ``root`` as given joined
    with the path below it, normalised, with ``/`` separators (``--scan .`` gives
    ``app/settings.py``, ``--scan src`` gives ``src/app/settings.py``, as grep would print);
    a file ``root`` yields itself."""
    given = root
    root = os.path.abspath(root)
    if os.path.isfile(root):
        return [(root, _display(given), os.path.getsize(root))]
    out = []
    stack = [(root, "")]  # (directory, its path below root with a trailing "/", or "")
    while stack:
        directory, below = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in EXCLUDED_DIRS:
                        stack.append((entry.path, below + entry.name + os.sep))
                elif entry.is_file(follow_symlinks=False):  # a regular file, not a symlink
                    size = entry.stat(follow_symlinks=False).st_size
                    out.append((entry.path, _display(os.path.join(given, below + entry.name)), size))
            except OSError:
                continue
    out.sort(key=lambda item: item[1])
    return out


def _display(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


#: Bytes asked of ``os.read`` at a time.
_READ_SIZE = 1 << 20


def read_text(abs_path: str) -> str:
    """The file's text as ``open(abs_path, encoding="utf-8").read()`` gives it (universal
    newlines: ``\r\n`` and ``\r`` become ``\n``), read as bytes (``os.read``, without a
    buffered file object) and decoded in one step. Raises ``OSError`` or
    ``UnicodeDecodeError`` (binary files)."""
    fd = os.open(abs_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        while chunk := os.read(fd, _READ_SIZE):
            chunks.append(chunk)
    finally:
        os.close(fd)
    text = b"".join(chunks).decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _scan_one(abs_path: str, rel_path: str) -> tuple[list, list, list]:
    """One file: (secret hits, fallback hits, unparsed). Read once; unreadable or non-UTF-8
    (binary) files give nothing, as in detect-secrets."""
    from . import fallbacks, literals

    try:
        text = read_text(abs_path)
    except (OSError, UnicodeDecodeError):
        return [], [], []
    secrets = literals.scan_text(text, rel_path)
    found, unparsed = [], []
    if rel_path.endswith(".py"):
        try:
            found = fallbacks.scan_python_text(text, rel_path)
        except SyntaxError as err:
            unparsed.append((rel_path, err.lineno, "Python syntax error"))
        except ValueError:
            unparsed.append((rel_path, None, "source contains NUL bytes"))
        except (RecursionError, MemoryError):  # nesting deeper than the stack: ast.parse, its
            # parser ("not not … 1" 100,000 deep raises MemoryError) or the visitor
            unparsed.append((rel_path, None, "nested too deeply to parse"))
    elif _takes_shell_defaults(rel_path):
        found = fallbacks.scan_shell_defaults(text, rel_path)
    return secrets, found, unparsed


def _scan_chunk(chunk: list[tuple[str, str]]) -> tuple[list, list, list]:
    secrets, found, unparsed = [], [], []
    for abs_path, rel_path in chunk:
        s, f, u = _scan_one(abs_path, rel_path)
        secrets += s
        found += f
        unparsed += u
    return secrets, found, unparsed


#: Fewest files for which :func:`scan_tree` starts worker processes (below, forking costs
#: more CPU than it saves wall time).
PARALLEL_MIN_FILES = 2000
#: Files :func:`scan_tree` scans in the parent before forking (to warm the per-line memories).
WARM_FILES = 500


def scan_tree(path: str, *, processes: int | None = None, chunk_size: int = 256,
              exclude: set[str] | None = None, parallel_min_files: int = PARALLEL_MIN_FILES) -> ScanResult:
    """Scan every file under ``path`` (raw results, no baseline, no severity).

    ``processes``: worker processes (default: CPUs; 1 = in this process; trees of fewer than
    ``parallel_min_files`` files are always scanned in this process). ``exclude``: absolute
    paths to skip (e.g. the baseline file). Raises :class:`InputError` when ``path`` does not
    exist.
    """
    from . import literals

    if not os.path.exists(path):
        raise InputError("scan path does not exist", path=path)
    listed = [item for item in list_files(path) if not exclude or item[0] not in exclude]
    files = [(a, r) for a, r, _ in listed]
    result = ScanResult(files=len(listed), bytes=sum(size for *_, size in listed))
    processes = processes or os.cpu_count() or 1
    with literals.scan_settings(), _fewer_collections():
        literals.prefilter()  # build once, before any fork
        if processes <= 1 or len(files) < max(parallel_min_files, 2):
            parts = [_scan_chunk(files)]
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # The first files are scanned here: the per-line memories (prefilter candidates,
            # plugin results) the workers inherit through fork are then warm, so lines every
            # module repeats are judged once, not once per worker.
            warm = min(WARM_FILES, len(files) // 4)
            parts = [_scan_chunk(files[:warm])]
            rest = files[warm:]
            chunks = [rest[i:i + chunk_size] for i in range(0, len(rest), chunk_size)]
            with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
                parts += pool.map(_scan_chunk, chunks)
    for secrets, found, unparsed in parts:
        result.secrets += secrets
        result.fallbacks += found
        result.unparsed += unparsed
    return result


#: Allocations between two young-generation collections during a scan (CPython's default: 700).
GC_THRESHOLD = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the cyclic collector's first threshold to :data:`GC_THRESHOLD` for the scan (and
    its forked workers), then restore it. The scan allocates lines, line memories and match
    objects that live until its end or die by reference count; at the default threshold the
    collector ran about 200 times over the benchmark tree, 2-3 % of the scan's CPU (measured
    side by side). Cycles are still collected, only less often."""
    first, *rest = gc.get_threshold()
    gc.set_threshold(max(first, GC_THRESHOLD), *rest)
    try:
        yield
    finally:
        gc.set_threshold(first, *rest)


def _severity(environment: str) -> str:
    return "error" if environment.upper() == "PROD" else "warning"


def _service(variable: str | None) -> str:
    if not variable:
        return "general"
    from .. import catalog

    return catalog.service_of(catalog.lookup(variable))


def to_findings(result: ScanResult, *, environment: str = "PROD",
                accepted: dict[str, set[str]] | None = None) -> list[Finding]:
    """Turn raw results into findings: one VIBE-164 finding per (file, line, secret) listing the
    detectors that saw it, one VIBE-91 finding per fallback, a ``SCAN-UNPARSED`` warning per
    Python file that does not parse. Entries of ``accepted`` (see :func:`.baseline.load`,
    keyed by absolute path) are dropped."""
    from .baseline import fallback_hash

    accepted = accepted or {}
    severity = _severity(environment)
    findings: list[Finding] = []
    grouped: dict[tuple[str, int, str], list] = {}
    for hit in result.secrets:
        if hit.hashed_secret in accepted.get(os.path.abspath(hit.path), ()):
            continue
        grouped.setdefault((hit.path, hit.line, hit.hashed_secret), []).append(hit)
    for (path, line, _), hits in sorted(grouped.items()):
        types = sorted({h.type for h in hits})
        variable = next((h.variable for h in hits if h.variable), None)
        what = f"{variable}: " if variable else ""
        findings.append(Finding(
            rule="VIBE-164", severity=severity, variable=variable, service=_service(variable), path=path, line=line,
            message=(f"{what}hardcoded secret literal (value ****; detected by {', '.join(types)}); use "
                     "ref+vault://PATH#/KEY, ref+awssecrets://NAME#/KEY or ${VAR} "
                     "(seed 000 §4 Rule 164, seed 002 §3.2)")))
    for hit in sorted(result.fallbacks, key=lambda h: (h.path, h.line)):
        if fallback_hash(hit.variable, hit.fallback) in accepted.get(os.path.abspath(hit.path), ()):
            continue
        name = hit.variable or "environment lookup"
        findings.append(Finding(
            rule="VIBE-91", severity=severity, variable=hit.variable, service=_service(hit.variable), path=hit.path,
            line=hit.line,
            message=(f"{name}: falls back to loopback {hit.fallback!r} ({hit.kind}); no localhost default "
                     "allowed: require it explicitly and fail fast when missing (seed 000 §4 Rule 91, seed 002 §2)")))
    for path, line, reason in sorted(result.unparsed, key=lambda u: (u[0], u[1] or 0)):
        findings.append(Finding(rule="SCAN-UNPARSED", severity="warning", variable=None, service="general", path=path,
                                line=line, message=f"{reason}: not checked for VIBE-91 fallbacks"))
    return findings


def _baseline_path(path: str, baseline: str | None) -> str | None:
    if baseline is not None:
        return baseline
    from .baseline import DEFAULT_BASELINE

    candidate = os.path.join(path, DEFAULT_BASELINE)
    return candidate if os.path.isdir(path) and os.path.isfile(candidate) else None


def _exclusions(baseline_file: str | None) -> set[str]:
    return {os.path.abspath(baseline_file)} if baseline_file else set()


def run_scan(path: str, *, baseline: str | None = None, environment: str = "PROD",
             processes: int | None = None) -> list[Finding]:
    """Scan the source tree (or file) at ``path`` for VIBE-91 fallbacks and VIBE-164 literals.

    ``baseline``: a detect-secrets-format baseline of accepted findings (default:
    ``PATH/.secrets.baseline`` when present); ``environment``: ``PROD`` (findings are errors) or
    ``DEV`` (warnings). Returns findings sorted by path and line. Raises :class:`InputError`
    (exit 2) when ``path`` does not exist or the baseline is unusable. Never includes a secret
    value.
    """
    from . import baseline as baseline_mod

    if environment.upper() not in ("PROD", "DEV"):
        raise InputError(f"environment must be PROD or DEV, not {environment!r}")
    if not os.path.exists(path):
        raise InputError("scan path does not exist", path=path)
    baseline_file = _baseline_path(path, baseline)
    accepted = baseline_mod.load(baseline_file) if baseline_file else {}
    result = scan_tree(path, processes=processes, exclude=_exclusions(baseline_file))
    findings = to_findings(result, environment=environment, accepted=accepted)
    return sorted(findings, key=lambda f: (f.path or "", f.line or 0, f.rule))


def write_baseline(path: str, baseline: str, *, processes: int | None = None) -> int:
    """Scan ``path`` and write every current finding to ``baseline`` (accept them all); returns
    the number of entries. Existing entries are replaced. The baseline file is not scanned."""
    from .baseline import FALLBACK_TYPE, dump, fallback_hash

    result = scan_tree(path, processes=processes, exclude=_exclusions(baseline))
    base = os.path.dirname(os.path.abspath(baseline))

    def name(display: str) -> str:  # baseline paths are relative to the baseline's directory
        return os.path.relpath(os.path.abspath(display), base).replace(os.sep, "/")

    entries = [{"type": h.type, "filename": name(h.path), "hashed_secret": h.hashed_secret, "line_number": h.line}
               for h in result.secrets]
    entries += [{"type": FALLBACK_TYPE, "filename": name(h.path), "line_number": h.line,
                 "hashed_secret": fallback_hash(h.variable, h.fallback)} for h in result.fallbacks]
    dump(entries, baseline)
    return len(entries)
