"""The scan's prefilter: which lines each detect-secrets plugin could possibly report.

A plugin reports a secret on a line only where one of its patterns matches that line. For each
pattern the prefilter derives, from the pattern's own parse tree (``re._parser``), a set of
literal strings one of which every match must contain (e.g. ``AKIA…`` keys need ``akia`` or
``asia`` …, the keyword plugin needs ``password``, ``secret``, ``api``, …); finding those with
``str.find`` over the lower-cased text is far cheaper than running the patterns. A pattern whose
necessary literals are too weak (shorter than 3 characters) or unknown is itself searched over
the text instead. The entropy plugins need a quoted run of at least ``floor(2**limit)+1``
characters of their charset (a string of n characters carries at most log2(n) bits of Shannon
entropy); on the raw file text the run is searched without quotes, since detect-secrets' YAML and
ini transformers add quotes. Any other kind of plugin gets every line.

The result is a superset of what the plugins can report (a false candidate only costs time):
removing conditions from a regex can only widen what it matches, and the literals are taken from
parts every match must pass through. ``benchmarks/scan.py`` checks it against the CLI.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

#: Necessary literals shorter than this, or without a letter, are not selective enough; the
#: pattern itself is searched instead.
MIN_LITERAL = 2


def necessary_literals(pattern: re.Pattern) -> set[tuple[str, bool]] | None:
    """Literal strings one of which every match of ``pattern`` contains, as
    ``(text, case_insensitive)`` pairs (case-insensitive ones are lower-cased); ``None`` when
    none can be derived."""
    try:
        tree = P.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - any parser trouble: no literals, search the pattern
        return None
    return _necessary(list(tree), bool(tree.state.flags & re.IGNORECASE))


def _shortest(candidate: set[tuple[str, bool]]) -> int:
    return min(len(text) for text, _ in candidate)


def _necessary(items, icase: bool) -> set[tuple[str, bool]] | None:
    best: set[tuple[str, bool]] | None = None
    run: list[str] = []

    def consider(candidate: set[tuple[str, bool]] | None) -> None:
        nonlocal best
        if candidate and all(text for text, _ in candidate) and (best is None or _shortest(candidate) > _shortest(best)):
            best = candidate

    def flush() -> None:
        if run:
            text = "".join(run)
            consider({(text.lower(), True) if icase else (text, False)})
            run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is C.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            inner = (icase or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            consider(_necessary(list(sub), inner))
        elif op is C.BRANCH:
            parts = [_necessary(list(branch), icase) for branch in av[1]]
            if all(parts):
                consider(set().union(*parts))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            consider(_necessary(list(av[2]), icase))
    flush()
    return best


def _selective(literals: set[tuple[str, bool]]) -> bool:
    return all(len(text) >= MIN_LITERAL and any(ch.isalpha() for ch in text) for text, _ in literals)


_LEADING_LOOKBEHIND = re.compile(r"^(?:\(\?:\(\?<=\\W\)\|\(\?<=\^\)\)|\(\?<!\[[^\]]*\]\))")


def _search_form(regex: re.Pattern) -> re.Pattern:
    """The pattern as searched over whole texts: MULTILINE, and a leading look-behind dropped
    (which only widens the matches, but lets the regex engine skip ahead on a literal)."""
    source = regex.pattern
    if not regex.flags & re.VERBOSE:
        source = _LEADING_LOOKBEHIND.sub("", source, count=1)
    return re.compile(source, regex.flags | re.MULTILINE)


@dataclass(frozen=True)
class Gate:
    """One condition that lets plugin ``plugin`` (an index into the plugin list) see a line:
    a necessary ``literals`` set (lower-case) or a ``line_pattern`` to search (on raw file text
    ``file_pattern`` is used)."""

    plugin: int
    literals: tuple[tuple[str, bool], ...] = ()
    line_pattern: re.Pattern | None = None
    file_pattern: re.Pattern | None = None
    yaml_pattern: re.Pattern | None = None


class Prefilter:
    """Gates for the configured plugins. ``Prefilter(plugins)``; ``every_line`` is true when a
    plugin is of an unknown kind (then :meth:`candidates` selects all lines for all plugins)."""

    def __init__(self, plugins: list):
        from detect_secrets.plugins import keyword
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

        self.plugins = plugins
        self.gates: list[Gate] = []
        self.every_line = False
        for index, plugin in enumerate(plugins):
            if isinstance(plugin, HighEntropyStringsPlugin):
                run = "[%s]{%d,}" % (re.escape(plugin.charset), int(2 ** plugin.entropy_limit) + 1)
                whole_scalar = r"(?:^|(?<=[\s\"'\[{,]))%s(?=$|[\s\"'\]},])" % run
                self.gates.append(Gate(index, line_pattern=re.compile(r"([\'\"])%s\1" % run),
                                       file_pattern=re.compile(run),
                                       yaml_pattern=re.compile(whole_scalar, re.MULTILINE)))
            elif isinstance(plugin, keyword.KeywordDetector):
                self._add(index, re.compile("|".join(keyword.DENYLIST), re.IGNORECASE))
            elif isinstance(plugin, RegexBasedDetector):
                for regex in plugin.denylist:
                    self._add(index, regex)
            else:
                self.every_line = True
        #: case-insensitive literals (lower-case, searched in the lower-cased text) and exact ones
        self.literals: dict[str, list[int]] = {}
        self.exact_literals: dict[str, list[int]] = {}
        for gate in self.gates:
            for text, icase in gate.literals:
                (self.literals if icase else self.exact_literals).setdefault(text, []).append(gate.plugin)

    def _add(self, index: int, regex: re.Pattern) -> None:
        literals = necessary_literals(regex)
        if literals and _selective(literals):
            self.gates.append(Gate(index, literals=tuple(sorted(literals))))
        else:
            pattern = _search_form(regex)
            self.gates.append(Gate(index, line_pattern=pattern, file_pattern=pattern))

    def file_may_match(self, text: str) -> bool:
        """False when no plugin can report anything in ``text`` (raw file content)."""
        if self.every_line:
            return True
        lowered = text.lower()
        if any(literal in lowered for literal in self.literals) or any(lit in text for lit in self.exact_literals):
            return True
        return any(gate.file_pattern.search(text) for gate in self.gates if gate.file_pattern is not None)

    def yaml_may_match(self, text: str) -> bool:
        """:meth:`file_may_match` for a YAML file, whose plugins see detect-secrets' YAML
        transform (``key: "value"`` per scalar): an entropy run must be a whole scalar there,
        so on the raw text it must stand between blanks, quotes, flow indicators or line ends."""
        if self.every_line:
            return True
        lowered = text.lower()
        if any(literal in lowered for literal in self.literals) or any(lit in text for lit in self.exact_literals):
            return True
        for gate in self.gates:
            pattern = gate.yaml_pattern or gate.file_pattern
            if pattern is not None and pattern.search(text):
                return True
        return False

    def candidates(self, lines: list[str]) -> dict[int, set[int]]:
        """``{1-based index into lines: {plugin indices}}`` for the lines a plugin could report.
        An entry may itself contain newlines (detect-secrets' YAML transform writes multi-line
        values into one entry); positions are mapped back by entry lengths."""
        if self.every_line:
            everything = set(range(len(self.plugins)))
            return {number: everything for number in range(1, len(lines) + 1)}
        entries = [line[:-1] if line.endswith("\n") else line for line in lines]
        out: dict[int, set[int]] = {}
        text = "\n".join(entries)
        starts = _starts(entries)
        for gate in self.gates:
            if gate.line_pattern is None:
                continue
            for match in gate.line_pattern.finditer(text):
                first = bisect.bisect_right(starts, match.start())
                last = bisect.bisect_right(starts, max(match.start(), match.end() - 1))
                for number in range(first, last + 1):
                    out.setdefault(number, set()).add(gate.plugin)
        lowered_entries = [entry.lower() for entry in entries]
        lowered = "\n".join(lowered_entries)
        lower_starts = starts if len(lowered) == len(text) else _starts(lowered_entries)
        for haystack, line_starts, table in ((lowered, lower_starts, self.literals),
                                             (text, starts, self.exact_literals)):
            for literal, plugin_indices in table.items():
                pos = haystack.find(literal)
                while pos != -1:
                    number = bisect.bisect_right(line_starts, pos)
                    out.setdefault(number, set()).update(plugin_indices)
                    # the rest of this line is already a candidate for these plugins
                    end = line_starts[number] if number < len(line_starts) else len(haystack)
                    pos = haystack.find(literal, max(pos + 1, end))
        return out


def _starts(entries: list[str]) -> list[int]:
    starts, pos = [], 0
    for entry in entries:
        starts.append(pos)
        pos += len(entry) + 1
    return starts
