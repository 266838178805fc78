"""VIBE-91 in Python source: environment lookups that fall back to a loopback address.

Rule source: seed 000 §4 Rule 91 (zero-fallback: no localhost defaults, every service URL set
explicitly) and seed 002 §2 (``os.getenv("REDIS_HOST", "localhost")`` is the violation) and its
"Verification Commands" 2 and 3, which grep for ``localhost``/``os.getenv.*localhost``. Grep
also hits comments, docstrings, log messages and ``"localhost" in allowed_hosts`` checks; this
module reads the Python AST, so only a *default value* of an environment or settings lookup
counts:

- ``os.getenv(NAME, DEFAULT)``, ``os.environ.get(NAME, DEFAULT)``, ``os.environ.setdefault``,
  ``getenv``/``environ.get`` imported from ``os``, each also with ``default=``;
- ``os.environ.get(NAME) or DEFAULT`` / ``os.getenv(NAME) or DEFAULT``;
- settings-library lookups with a ``default=`` keyword: environs / django-environ
  (``env("X", default=…)``, ``env.str("X", default=…)``, ``env.url(…)``), python-decouple
  (``config("X", default=…)``);
- pydantic-settings classes (a class whose base name ends in ``Settings``): a field's default
  (``redis_host: str = "localhost"`` or ``Field("localhost")`` / ``Field(default=…)``); the
  variable is ``env_prefix`` + field name, upper-cased, or the field's ``alias`` /
  ``validation_alias``.

A DEFAULT is loopback when it is a URL, ``host[:port]`` or a list of them with a host that
:func:`somastack_deploy.config_contract.grammar.hosts.is_local_host` classifies as loopback or
unspecified (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``, ``0.0.0.0``, ``::``). String constants, f-strings (their
literal parts) and module-level string constants are evaluated; anything else is not judged.
"""

from __future__ import annotations

import ast
import bisect
import functools
import gc
import re
from dataclasses import dataclass

from ..grammar.hosts import LOCAL_HOST_HINT, classify_host, hosts_in, is_local_value, local_host_hint_spans


@dataclass(frozen=True)
class FallbackHit:
    """A loopback fallback: ``path`` (relative), ``line`` (1-based), ``variable`` (the
    environment variable or settings field, upper-cased; ``None`` when not a constant),
    ``fallback`` (the default as written; loopback addresses are not secrets), ``kind``
    (``getenv``, ``or-default``, ``settings-lookup``, ``settings-field``, ``shell-default``)."""

    path: str
    line: int
    variable: str | None
    fallback: str
    kind: str


#: ``${VAR:-default}`` / ``${VAR-default}`` in compose files, env files, Dockerfiles, scripts.
_SHELL_DEFAULT = re.compile(r"\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*):?-(?P<default>[^}]*)\}")

def is_loopback(value: str) -> bool:
    """True when ``value`` (a URL, ``host``, ``host:port`` or a comma-separated list of them)
    points at this machine: any element's host is loopback or unspecified
    (:func:`somastack_deploy.config_contract.grammar.hosts.is_local_value`, seed 000 §4 Rule 91)."""
    return is_local_value(value)


_LISTEN_NAME = re.compile(r"BIND|LISTEN", re.IGNORECASE)


def _is_listen_default(variable: str | None, value: str) -> bool:
    """``0.0.0.0`` / ``::`` as the default of a ``*BIND*`` / ``*LISTEN*`` variable is the
    address a server listens on, not a service it connects to (not a VIBE-91 fallback)."""
    if not variable or not _LISTEN_NAME.search(variable):
        return False
    hosts = hosts_in(value)
    return bool(hosts) and all(classify_host(host) == "unspecified" for host in hosts)


_ENV_GETTERS = {("os", "getenv"), ("os.environ", "get"), ("os.environ", "setdefault"), ("environ", "get"),
                ("environ", "setdefault")}
_SETTINGS_FUNCS = {"env", "config", "environ"}
_SETTINGS_METHODS = {"str", "url", "db_url", "cache_url", "get_value", "get", "json", "list"}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Visitor:
    def __init__(self, path: str, constants: dict[str, str], getenv_names: set[str]):
        self.path, self.constants, self.getenv_names = path, constants, getenv_names
        self.hits: list[FallbackHit] = []

    # -- values ---------------------------------------------------------------------------
    def _string(self, node: ast.AST | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "0"
                           for v in node.values)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def _name(self, node: ast.AST | None) -> str | None:
        value = self._string(node)
        return value if value and not isinstance(node, ast.JoinedStr) else None

    def _report(self, node: ast.AST, variable: str | None, default: ast.AST | None, kind: str) -> None:
        value = self._string(default)
        if value is not None and is_loopback(value) and not _is_listen_default(variable, value):
            self.hits.append(FallbackHit(self.path, getattr(default, "lineno", node.lineno),
                                         variable.upper() if variable else None, value, kind))

    # -- lookups --------------------------------------------------------------------------
    def _env_lookup(self, call: ast.AST) -> tuple[str | None, ast.AST | None] | None:
        """(variable, default node) when ``call`` is an os-environment lookup, else None."""
        if not isinstance(call, ast.Call):
            return None
        func = call.func
        if isinstance(func, ast.Attribute):
            key = (_dotted(func.value), func.attr)
            if key not in _ENV_GETTERS:
                return None
        elif isinstance(func, ast.Name):
            if func.id not in self.getenv_names:
                return None
        else:
            return None
        variable = self._name(call.args[0]) if call.args else None
        default = call.args[1] if len(call.args) > 1 else None
        for kw in call.keywords:
            if kw.arg in ("default", "value"):
                default = kw.value
            elif kw.arg == "key":
                variable = self._name(kw.value)
        return variable, default

    # -- traversal ------------------------------------------------------------------------
    def run(self, tree: ast.Module, lines: list[int] | None) -> None:
        """Visit the lookups in ``tree``; with ``lines`` (sorted 1-based numbers), only the
        subtrees whose line span contains one of them (a default must be written there)."""
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            for child in ast.iter_child_nodes(node):
                start = getattr(child, "lineno", None)
                if lines is not None and start is not None:
                    i = bisect.bisect_left(lines, start)
                    if i == len(lines) or lines[i] > (child.end_lineno or start):
                        continue
                if isinstance(child, ast.Call):
                    self.visit_Call(child)
                elif isinstance(child, ast.BoolOp):
                    self.visit_BoolOp(child)
                elif isinstance(child, ast.ClassDef):
                    self.visit_ClassDef(child)
                stack.append(child)

    def visit_Call(self, node: ast.Call) -> None:
        lookup = self._env_lookup(node)
        if lookup is not None:
            self._report(node, lookup[0], lookup[1], "getenv")
        else:
            func = node.func
            is_settings = (isinstance(func, ast.Name) and func.id in _SETTINGS_FUNCS) or (
                isinstance(func, ast.Attribute) and func.attr in _SETTINGS_METHODS
                and isinstance(func.value, ast.Name) and func.value.id in _SETTINGS_FUNCS)
            if is_settings:
                default = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
                if default is not None:
                    self._report(node, self._name(node.args[0]) if node.args else None, default, "settings-lookup")

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if isinstance(node.op, ast.Or):
            for left, right in zip(node.values, node.values[1:]):
                lookup = self._env_lookup(left)
                if lookup is not None and lookup[1] is None:
                    self._report(node, lookup[0], right, "or-default")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any((_dotted(base) or "").endswith("Settings") for base in node.bases):
            self._settings_class(node)

    def _settings_class(self, node: ast.ClassDef) -> None:
        prefix = ""
        for stmt in node.body:  # model_config = SettingsConfigDict(env_prefix="SA01_")
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
                if isinstance(stmt.value, ast.Call):
                    for kw in stmt.value.keywords:
                        if kw.arg == "env_prefix":
                            prefix = self._string(kw.value) or ""
        for stmt in node.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None):
                continue
            variable, default = prefix + stmt.target.id, stmt.value
            if isinstance(default, ast.Call) and (_dotted(default.func) or "").split(".")[-1] == "Field":
                field = default
                default = field.args[0] if field.args else None
                for kw in field.keywords:
                    if kw.arg == "default":
                        default = kw.value
                    elif kw.arg in ("alias", "validation_alias") and self._name(kw.value):
                        variable = self._name(kw.value)
            self._report(stmt, variable, default, "settings-field")


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = value.value
    return constants


def _getenv_aliases(tree: ast.Module, source: str) -> set[str]:
    names: set[str] = set()
    if not re.search(r"from\s+os\s+import", source):
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name == "getenv":
                    names.add(alias.asname or alias.name)
    return names


def parse_module(source: str, path: str) -> ast.Module:
    """``ast.parse(source, filename=path)`` with the cyclic garbage collector paused.

    CPython 3.11 keeps one AST-construction depth counter per interpreter. When a collection
    during the conversion runs a finalizer that itself parses (the unraisable-exception hook
    formats a traceback, and 3.11's traceback module parses source for its ``^^^`` carets), the
    outer parse fails with ``SystemError: AST constructor recursion depth mismatch``
    (python/cpython gh-106905). The new AST nodes die by reference count only, so pausing the
    collector for the call removes the nested parse. Raises ``SyntaxError`` / ``ValueError``
    like ``ast.parse``.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=path)
    finally:
        if paused:
            gc.enable()


def scan_source(source: str, path: str) -> list[FallbackHit]:
    """Return the loopback fallbacks in one Python module's ``source``.

    Raises ``SyntaxError`` (and ``ValueError`` for NUL bytes) when it does not parse; the
    caller reports that as unscannable rather than guessing with a regex.
    """
    tree = parse_module(source, path)
    constants = _module_constants(tree)
    visitor = _Visitor(path, constants, _getenv_aliases(tree, source))
    # A default is written on a line holding a loopback word, unless it is a module constant
    # defined elsewhere (then every subtree is visited).
    lines = None if any(is_loopback(v) for v in constants.values()) else [
        number for number, text in enumerate(source.splitlines(), start=1) if _LOOPBACK_WORDS.search(text)]
    visitor.run(tree, lines)
    return sorted(set(visitor.hits), key=lambda h: (h.line, h.variable or ""))


#: Text that may name this machine (the host grammar's screen; a line without a match holds no
#: loopback or unspecified host).
_LOOPBACK_WORDS = LOCAL_HOST_HINT


def scan_python_text(source: str, rel_path: str) -> list[FallbackHit]:
    """:func:`scan_source`, skipping (without parsing) a module that cannot hold a reported
    lookup: no loopback word, none of the lookup tokens, or no loopback word that could be a
    lookup's default (:func:`needs_ast`). Syntax errors propagate."""
    if not _LOOPBACK_WORDS.search(source) or not any(token in source for token in _LOOKUP_TOKENS):
        return []
    if not needs_ast(source):
        return []
    return scan_source(source, rel_path)


#: A string literal on one line: optional prefix, then a one-line triple-quoted or a plain
#: single- or double-quoted string.
_LITERAL = re.compile(r'''(?<![A-Za-z0-9_])(?P<prefix>[rRbBuUfF]{0,2})'''
                      r'''(?P<body>"""(?:[^\\\n]|\\.)*?"""|\'\'\'(?:[^\\\n]|\\.)*?\'\'\''''
                      r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')''')
_FSTRING_FIELD = re.compile(r"\{[^{}]*\}")
#: Text before / after a literal that makes it a comparison operand, never a lookup default.
_COMPARED_BEFORE = re.compile(r"(?:\bif|\belif|\bwhile|\bassert|\bin|\bnot|\bis|==|!=)\s*\(?\s*$")
_COMPARED_AFTER = re.compile(r"\s*(?:in\b|not\s+in\b|==|!=)")


def needs_ast(source: str) -> bool:
    """Whether a loopback word in ``source`` could be part of a lookup's default, so that the
    module must be parsed. Decided line by line (each line holding a loopback word), without
    parsing:

    - a word inside a one-line string literal whose value is not loopback (a docstring or log
      message mentioning localhost) is harmless, unless the literal touches another one
      (implicit concatenation) or holds a backslash escape;
    - a loopback literal that is an operand of ``if``/``in``/``==``/``!=``/``assert`` (``if
      "localhost" in allowed``) is harmless;
    - a word in a comment (after a ``#`` outside literals) or in an identifier
      (``localhost_url``, ``x[::1]``) is harmless; a line whose whole text is loopback (inside a
      multi-line string) is not.

    Anything else (a loopback literal after ``,``, ``(``, ``=``, ``or``, ``default=``, an
    unterminated quote) means "parse": the answer errs towards parsing."""
    end = -1
    for word_start, word_end in local_host_hint_spans(source):
        if word_start < end:
            continue  # a line is judged once, by its first loopback word
        start = source.rfind("\n", 0, word_start) + 1
        end = source.find("\n", word_end)
        end = len(source) if end == -1 else end
        if line_needs_ast(source[start:end]):
            return True
    return False


@functools.lru_cache(maxsize=8192)
def line_needs_ast(line: str) -> bool:
    """:func:`needs_ast` for one line (any of its loopback words); a pure function of the line,
    memoised because code repeats lines (boilerplate, the same check in many modules)."""
    return any(_line_needs_ast(line, m.start()) for m in _LOOPBACK_WORDS.finditer(line))


def _line_needs_ast(line: str, column: int) -> bool:
    """:func:`needs_ast` for the loopback word at ``column`` of ``line``."""
    for lit in _LITERAL.finditer(line):
        if lit.end() <= column:
            continue
        if lit.start() > column:
            break
        body = lit.group("body")
        quote = 3 if body[:3] in ('"""', "'''") else 1
        text = body[quote:-quote]
        if "f" in lit.group("prefix").lower():
            text = _FSTRING_FIELD.sub("0", text)
        before, after = line[:lit.start()], line[lit.end():]
        if "\\" in text or after.lstrip()[:1] in ("'", '"') or before.rstrip()[-1:] in ("'", '"'):
            return True  # escapes, implicit concatenation: judge the value in the AST
        if not is_loopback(text):
            return False
        return not (_COMPARED_BEFORE.search(before) or _COMPARED_AFTER.match(after))
    code = _LITERAL.sub("", line[:column])
    if "#" in code:
        return False  # a comment
    if code.count('"') % 2 or code.count("'") % 2:
        return True  # inside an unterminated literal
    return is_loopback(line.strip())  # an identifier, or a line of a multi-line string


#: Every lookup this module reports contains one of these (getenv/environ calls and imports,
#: ``default=`` keywords, ``*Settings`` classes).
_LOOKUP_TOKENS = ("getenv", "environ", "default", "Settings")


def scan_shell_defaults(text: str, path: str) -> list[FallbackHit]:
    """Loopback defaults in ``${VAR:-default}`` interpolations (Docker Compose, env files,
    Dockerfiles, shell), e.g. ``REDIS_URL: ${REDIS_URL:-redis://localhost:6379}``; the
    compose-file side of seed 002 §2. Commented-out lines (``#`` first) are skipped."""
    hits: list[FallbackHit] = []
    if "${" not in text or not _LOOPBACK_WORDS.search(text):
        return hits
    for number, line in enumerate(text.splitlines(), start=1):
        if "${" not in line or line.lstrip().startswith("#"):
            continue
        for match in _SHELL_DEFAULT.finditer(line):
            if is_loopback(match.group("default")):
                hits.append(FallbackHit(path, number, match.group("var").upper(), match.group("default"), "shell-default"))
    return hits
