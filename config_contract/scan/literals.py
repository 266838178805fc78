"""VIBE-164 literals in a source tree: detect-secrets' plugins and filters, run fast.

Rule source: seed 000 §4 Rule 164 (zero-hardcode), seed 002 §3.2 (secret purge) and the seed
002 "Verification Commands" (``grep -rn "dev-token\\|somastack2024\\|insecure"``).

The engine is detect-secrets 1.5.0 itself, in process: the same plugins (all built-in ones plus
the SomaStack plugins of :mod:`somastack_deploy.config_contract.scan.plugins`), the same default filters, the
same transformers (YAML, ini, eager ini), the same per-line filter order as
``detect_secrets.core.scan.scan_file``. What is faster:

1. **Prefilter** (:mod:`somastack_deploy.config_contract.scan.prefilter`). For every plugin, the lines it could
   possibly report are selected from necessary literals of its own patterns (one Aho-Corasick
   pass over the case-folded text) or a search of the pattern itself; a file without any candidate is
   done after one read, and detect-secrets' per-line machinery runs only on candidate lines and
   only with the plugins that could report them (the code snippet given to the filters is still
   built from the whole file).
2. **Processes.** :func:`somastack_deploy.config_contract.scan.scan_tree` scans files in chunks with a
   fork-based process pool (default: one process per CPU).

``benchmarks/preflight.py`` (``bench_scan``) checks that nothing the detect-secrets CLI finds
is lost.
"""

from __future__ import annotations

import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

PLUGINS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins.py")

#: SomaStack plugin class names (in :mod:`somastack_deploy.config_contract.scan.plugins`).
SOMASTACK_PLUGINS: tuple[str, ...] = ("SomaStackDevDefaultDetector", "SomaStackSecretAssignmentDetector")
#: SomaStack detect-secrets filters (in the same file), added to detect-secrets' default filters.
SOMASTACK_FILTERS: tuple[str, ...] = ("is_secret_reference", "is_placeholder_secret", "is_field_name_assignment")
#: Their detect-secrets ``secret_type`` values.
SOMASTACK_TYPES: frozenset[str] = frozenset({"SomaStack Dev Default", "SomaStack Secret Assignment"})

_ASSIGNED_NAME = re.compile(
    r"""(?:^|[\s{,(])(?:export\s+|ENV\s+|ARG\s+|-\s+)?["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*(?::=|=|:(?!//))"""
    r"""|^(?:ENV|ARG)\s+([A-Za-z_][A-Za-z0-9_]*)\s"""
)


@dataclass(frozen=True)
class SecretHit:
    """One detect-secrets result, value-free.

    ``path``: file path relative to the scan root ('/'-separated); ``line``: 1-based line;
    ``type``: detect-secrets ``secret_type`` (e.g. ``Secret Keyword``, ``SomaStack Dev Default``);
    ``hashed_secret``: SHA-1 hex of the value (detect-secrets' baseline ``hashed_secret``);
    ``variable``: the name assigned on that line when one is recognisable, else ``None``.
    """

    path: str
    line: int
    type: str
    hashed_secret: str
    variable: str | None = None


@contextmanager
def scan_settings(*, somastack_plugins: bool = True) -> Iterator[None]:
    """Configure detect-secrets' global settings for a scan: every built-in plugin with its
    default options, the default filters, plus (``somastack_plugins``) the SomaStack plugins and
    the SomaStack filter that drops references (``ref+vault://…`` is not a hardcoded secret).

    The file-existence filter is dropped because the walker only yields regular files and it
    would otherwise depend on the working directory.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_settings, transient_settings

    get_mapping_from_secret_type_to_class.cache_clear()
    builtin = sorted({cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()} - set(SOMASTACK_PLUGINS))
    plugins = [{"name": name} for name in builtin]
    if somastack_plugins:
        plugins += [{"name": name, "path": "file://" + PLUGINS_FILE} for name in SOMASTACK_PLUGINS]
    with transient_settings({"plugins_used": plugins}):
        get_mapping_from_secret_type_to_class.cache_clear()
        get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
        if somastack_plugins:  # added to, not replacing, the default filters
            for name in SOMASTACK_FILTERS:
                get_settings().filters[f"file://{PLUGINS_FILE}::{name}"] = {}
        _reset_caches()
        try:
            yield
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()
            _reset_caches()


def _reset_caches() -> None:
    from detect_secrets.settings import get_filters, get_plugins

    get_plugins.cache_clear()
    get_filters.cache_clear()
    _prefilter_cache.clear()


_prefilter_cache: dict[str, object] = {}


def prefilter():
    """The :class:`~config_contract.scan.prefilter.Prefilter` of the configured plugins
    (built once per :func:`scan_settings` block)."""
    if "p" not in _prefilter_cache:
        from detect_secrets.settings import get_plugins

        from .prefilter import Prefilter

        _prefilter_cache["p"] = Prefilter(list(get_plugins()))
    return _prefilter_cache["p"]


def builtin_plugins() -> set[int]:
    """Indices (in ``get_plugins()``) of detect-secrets' own plugins (not SomaStack's)."""
    if "b" not in _prefilter_cache:
        from detect_secrets.settings import get_plugins

        _prefilter_cache["b"] = {i for i, p in enumerate(get_plugins()) if p.secret_type not in SOMASTACK_TYPES}
    return _prefilter_cache["b"]


def _filtered(required: tuple[str, ...], **kwargs) -> bool:
    """``detect_secrets.core.scan._is_filtered_out`` without its per-call introspection: the
    filters taking all of ``required`` are called with the arguments they name; one needing an
    argument not given is skipped, and a ``TypeError`` skips a filter, as there."""
    key = ("filters", required)
    if key not in _prefilter_cache:
        from detect_secrets.core.scan import get_filters_with_parameter

        _prefilter_cache[key] = [(f, tuple(f.injectable_variables)) for f in get_filters_with_parameter(*required)]
    for function, names in _prefilter_cache[key]:
        if any(name not in kwargs for name in names):
            continue
        try:
            if function(**{name: kwargs[name] for name in names}):
                return True
        except TypeError:
            pass
    return False


#: Most (plugin, file kind, line) results :func:`_analyze` remembers (then it starts afresh).
ANALYZE_CACHE_SIZE = 100_000


def file_kind(filename: str) -> tuple:
    """What the configured plugins read from a file name: detect-secrets' file type (the keyword
    plugin's regexes) and whether it is a code file (the SomaStack assignment plugin's quoted-only
    mode). Lines of two files of one kind give the same plugin results."""
    from detect_secrets.util.filetype import determine_file_type

    from .plugins import _CODE_EXTENSIONS

    return determine_file_type(filename), filename.endswith(_CODE_EXTENSIONS)


def _analyze(plugin, filename: str, line: str, line_number: int):
    """detect-secrets' ``_scan_line`` (a plugin's secrets on a line, minus those its secret
    filters drop), calling ``analyze_line`` directly. The secret filters read the secret, the
    line and the plugin, never the file name, and the plugins only the file's kind
    (:func:`file_kind`), so results are remembered per (plugin, kind, line) for the plugins of
    detect-secrets and this package (others are run every time)."""
    from detect_secrets.core.potential_secret import PotentialSecret

    if not _reads_only_file_kind(plugin):
        yield from _analyze_uncached(plugin, filename, line, line_number)
        return
    kinds = _prefilter_cache.setdefault("kinds", {})
    kind = kinds.get(filename)
    if kind is None:
        if len(kinds) > 4096:
            kinds.clear()
        kind = kinds[filename] = file_kind(filename)
    cache = _prefilter_cache.setdefault("analyze", {})
    key = (id(plugin), kind, line)
    found = cache.get(key)
    if found is None:
        if len(cache) >= ANALYZE_CACHE_SIZE:
            cache.clear()
        found = cache[key] = tuple((s.type, s.secret_value)
                                   for s in _analyze_uncached(plugin, filename, line, line_number))
    for secret_type, value in found:
        yield PotentialSecret(type=secret_type, filename=filename, secret=value, line_number=line_number)


def _reads_only_file_kind(plugin) -> bool:
    """Whether ``plugin`` is one of detect-secrets' own or a SomaStack plugin (they read only
    the file's kind from its name; see :func:`_analyze`)."""
    cls = type(plugin)
    return (cls.__module__ or "").startswith("detect_secrets.plugins.") or cls.__name__ in SOMASTACK_PLUGINS


def _analyze_uncached(plugin, filename: str, line: str, line_number: int):
    """:func:`_analyze` without the memory."""
    try:
        secrets = plugin.analyze_line(filename=filename, line=line, line_number=line_number, context=None)
    except TypeError:  # a plugin whose analyze_line takes fewer arguments: inject as detect-secrets does
        from detect_secrets.util.inject import call_function_with_arguments

        secrets = call_function_with_arguments(plugin.analyze_line, filename=filename, line=line,
                                               line_number=line_number, context=None)
    for secret in secrets or ():
        if not _filtered(("secret",), filename=secret.filename, secret=secret.secret_value, plugin=plugin,
                         line=line):
            yield secret


def _scan_candidate_lines(lines: list[str], candidates: dict[int, set[int]], filename: str):
    """detect-secrets' ``_process_line_based_plugins``, restricted to the candidate lines and,
    on each, to the plugins that could report it (same plugins, same filters)."""
    from detect_secrets.settings import get_plugins
    from detect_secrets.util.code_snippet import get_code_snippet

    plugins = get_plugins()
    for line_number in sorted(candidates):
        line = lines[line_number - 1].rstrip()
        found = [(plugins[index], secret) for index in sorted(candidates[line_number])
                 for secret in _analyze(plugins[index], filename, line, line_number)]
        if not found:
            continue
        # detect-secrets applies the line filters before the plugins; they are pure functions
        # of the line, so applying them only where a plugin found something is equivalent.
        snippet = get_code_snippet(lines=lines, line_number=line_number)
        if _filtered(("line",), filename=filename, line=line, context=snippet):
            continue
        for plugin, secret in found:
            if not _filtered(("context",), filename=secret.filename, secret=secret.secret_value, plugin=plugin,
                             line=line, context=snippet):
                yield secret, line


class _NamedText(io.StringIO):
    """A ``StringIO`` with the ``name`` detect-secrets' transformers look at."""

    def __init__(self, text: str, name: str):
        super().__init__(text)
        self.name = name


def scan_file(abs_path: str, rel_path: str) -> list[SecretHit]:
    """Scan one file like ``detect_secrets.core.scan.scan_file`` and return value-free hits.
    Unreadable or non-UTF-8 (binary) files yield nothing, as in detect-secrets. Call inside
    :func:`scan_settings`."""
    from . import read_text

    try:
        text = read_text(abs_path)
    except (OSError, UnicodeDecodeError):
        return []
    return scan_text(text, rel_path)


def scan_text(text: str, rel_path: str) -> list[SecretHit]:
    """:func:`scan_file` for a file's decoded ``text`` (read with universal newlines).

    ``rel_path`` is the name the plugins and filters see (extension-based file types, lock
    files, …) and the one reported.
    """
    from detect_secrets.util.filetype import FileType, determine_file_type

    if _filtered(("filename",), filename=rel_path):
        return []
    gates = prefilter()
    file_type = determine_file_type(rel_path)
    lines = None
    if file_type is FileType.YAML:
        from .yamlcheck import transform_simple, yaml_is_clean

        if not gates.yaml_may_match(text):
            return []
        if yaml_is_clean(text, gates, lambda lines: any_secret(lines, gates, rel_path)):
            return []
        # detect-secrets' YAML transform, through libyaml where that is certain (simple YAML
        # starts with a key or a "- " entry, never a [section], so its ini transformer fails)
        lines = transform_simple(text)
    # detect-secrets' first pass: its ini transformer is tried on every file but only succeeds
    # when the first significant line is a [section] header (configparser raises otherwise).
    if lines is None and (file_type is FileType.YAML or _may_be_ini(text)):
        lines = _transformed(text, rel_path)
    if not lines:
        lines = io.StringIO(text).readlines()
    hits = _hits(lines, gates, rel_path)
    # detect-secrets tries the eager (ini, with a [global] header) transformer on "other" files
    # only when the first pass found nothing; decide on the built-in plugins' hits alone so
    # their results match the CLI's. The eager transform re-reads the same keys and values,
    # adding quotes: when no built-in plugin has a candidate in the raw text (entropy runs
    # counted without quotes), it cannot give them one. The SomaStack plugins saw the raw lines.
    if (file_type is FileType.OTHER and not any(hit.type not in SOMASTACK_TYPES for hit in hits)
            and not eager_ini_fails(text) and gates.eager_needed(text, builtin_plugins())):
        eager = _transformed(text, rel_path, eager=True)
        if eager:
            hits += _hits(eager, gates, rel_path)
    return sorted(set(hits), key=lambda h: (h.line, h.type))


def any_secret(lines: list[str], gates, filename: str) -> bool:
    """Whether a configured plugin reports a secret on one of ``lines`` (entries of a file
    named ``filename``), after its secret filters but without the line filters (which only
    remove results): the test :func:`.yamlcheck.yaml_is_clean` asks of a YAML file's raw and
    ``KEY: "VALUE"`` lines. Only the prefilter's candidates are analysed."""
    from detect_secrets.settings import get_plugins

    plugins = get_plugins()
    for number, indices in gates.candidates(lines).items():
        line = lines[number - 1].rstrip()
        for index in indices:
            for _ in _analyze(plugins[index], filename, line, number):
                return True
    return False


def _transformed(text: str, rel_path: str, *, eager: bool = False) -> list[str] | None:
    """detect-secrets' ``get_transformed_file`` (its YAML and ini transformers); ``None`` also
    when a transformer fails with something other than the ``ParsingError`` it catches itself: a
    YAML timestamp that is no date (``2001-13-45``: ``ValueError`` from PyYAML's constructor),
    nesting deeper than the interpreter's stack (``RecursionError``). detect-secrets' CLI stops
    with a traceback there; the scan reads the file's raw lines instead, as for a parse failure."""
    from detect_secrets.transformers import get_transformed_file

    try:
        return get_transformed_file(_NamedText(text, rel_path), use_eager_transformers=eager)
    except Exception:  # noqa: BLE001 - a third-party parser's failure means "not this format"
        return None


_SECTION = re.compile(r"\[.+\]")
#: A line configparser rejects (``ParsingError``): unindented, not blank, not a ``#``/``;``
#: comment, not a ``[section]`` header, and without the ``=`` or ``:`` of ``key = value``.
_NOT_INI_LINE = re.compile(r"^[^\s#;\[][^=:\n]*$", re.MULTILINE)


def eager_ini_fails(text: str) -> bool:
    """True when detect-secrets' eager ini transform (configparser over ``[global]`` + ``text``)
    must fail, so yields nothing: a line that is neither blank, a comment, a continuation
    (indented), a section header nor ``key = value`` / ``key: value`` (prose, a Dockerfile's
    ``WORKDIR /app``) makes configparser raise ``ParsingError``. False means "maybe"."""
    return _NOT_INI_LINE.search(text) is not None


def _may_be_ini(text: str) -> bool:
    """False when configparser would reject ``text`` at once (its first line that is neither
    blank nor a ``#``/``;`` comment is not a ``[section]`` header)."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and stripped[0] not in "#;":
            return bool(_SECTION.match(stripped))
    return False


def _hits(lines: list[str], gates, rel_path: str) -> list[SecretHit]:
    candidates = gates.candidates(lines)
    if not candidates:
        return []
    return [SecretHit(rel_path, secret.line_number, secret.type, secret.secret_hash, _variable_on(line))
            for secret, line in _scan_candidate_lines(lines, candidates, rel_path)]


def _variable_on(line: str) -> str | None:
    match = _ASSIGNED_NAME.search(line.strip())
    return (match.group(1) or match.group(2)) if match else None
