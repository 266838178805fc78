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
import hashlib
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


Literal = tuple[str, bool]  # (text, case_insensitive); case-insensitive texts are lower-case
Requirement = list[frozenset[Literal]]  # any of these alternatives, each needing all its literals

#: Cap on alternatives while combining a sequence; past it an element is left unconstrained
#: (which only weakens the requirement, so stays sound).
MAX_ALTERNATIVES = 64


def necessary_literals(pattern: re.Pattern) -> Requirement | None:
    """What every match of ``pattern`` contains: a list of alternatives, each a set of literals
    that all occur in the match (e.g. ``api_?key|password`` → ``[{api, key}, {password}]``);
    ``None`` when nothing can be derived. Only selective literals are kept
    (see :data:`MIN_LITERAL`); an alternative left empty makes the result ``None``."""
    try:
        tree = P.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - any parser trouble: no literals, search the pattern
        return None
    requirement = _requirement(list(tree), bool(tree.state.flags & re.IGNORECASE))
    if requirement is None:
        return None
    kept = [frozenset(lit for lit in alt if _selective(lit)) for alt in requirement]
    if not kept or any(not alt for alt in kept):
        return None
    return kept


def _selective(literal: Literal) -> bool:
    text = literal[0]
    return len(text) >= MIN_LITERAL and any(ch.isalpha() for ch in text)


def _requirement(items, icase: bool) -> Requirement | None:
    alternatives: Requirement = [frozenset()]
    run: list[str] = []

    def combine(requirement: Requirement | None) -> None:
        nonlocal alternatives
        if requirement is None or len(alternatives) * len(requirement) > MAX_ALTERNATIVES:
            return
        alternatives = [a | b for a in alternatives for b in requirement]

    def flush() -> None:
        if run:
            text = "".join(run)
            combine([frozenset({(text.lower(), True) if icase else (text, False)})])
            run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is C.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            inner = (icase or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            combine(_requirement(list(sub), inner))
        elif op is C.BRANCH:
            parts = [_requirement(list(branch), icase) for branch in av[1]]
            if all(part is not None for part in parts):
                combine([alt for part in parts for alt in part])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
            combine(_requirement(list(av[2]), icase))
    flush()
    if any(not alt for alt in alternatives):
        return None
    return alternatives


_LEADING_LOOKBEHIND = re.compile(r"^(?:\(\?:\(\?<=\\W\)\|\(\?<=\^\)\)|\(\?<!\[[^\]]*\]\))")


def _search_form(regex: re.Pattern) -> re.Pattern:
    """The pattern as searched over whole texts: MULTILINE, and a leading look-behind dropped
    (which only widens the matches, but lets the regex engine skip ahead on a literal)."""
    source = regex.pattern
    if not regex.flags & re.VERBOSE:
        source = _LEADING_LOOKBEHIND.sub("", source, count=1)
    return re.compile(source, regex.flags | re.MULTILINE)


#: Hand-derived necessary patterns for plugin patterns without selective literals, keyed by
#: (plugin class, SHA-1 of the pattern source) so that a changed pattern falls back to being
#: searched itself. IPPublicDetector: ``(?:octet\.){3}octet`` with octets of 1-3 digits
#: always contains ``.d{1,3}.d{1,3}.`` (tested in tests/scan/test_parity.py).
HAND_GATES: dict[tuple[str, str], str] = {
    ("IPPublicDetector", "c846407f510ad4dda6afdcab8a65acf78051d659"): r"\.\d{1,3}\.\d{1,3}\.",
}


@dataclass(frozen=True)
class Gate:
    """One condition that lets plugin ``plugin`` (an index into the plugin list) see a line:
    a ``requirement`` (any alternative whose literals all occur on the line) or a
    ``line_pattern`` to search (``file_pattern`` / ``yaml_pattern`` on raw file text)."""

    plugin: int
    requirement: tuple[frozenset, ...] = ()
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
        self.literal_gates = [gate for gate in self.gates if gate.requirement]
        self.gates = [Gate(g.plugin, tuple(dict.fromkeys(g.requirement)), g.line_pattern, g.file_pattern, g.yaml_pattern) for g in self.gates]
        self.literal_gates = [gate for gate in self.gates if gate.requirement]
        self.pattern_gates = [gate for gate in self.gates if not gate.requirement]
        literals = {lit for gate in self.literal_gates for alt in gate.requirement for lit in alt}
        self.folded = sorted(text for text, icase in literals if icase)
        self.exact = sorted(text for text, icase in literals if not icase)

    def _add(self, index: int, regex: re.Pattern) -> None:
        requirement = necessary_literals(regex)
        if requirement:
            self.gates.append(Gate(index, requirement=tuple(requirement)))
        else:
            key = (type(self.plugins[index]).__name__, hashlib.sha1(regex.pattern.encode("utf-8")).hexdigest())
            pattern = re.compile(HAND_GATES[key]) if key in HAND_GATES else _search_form(regex)
            self.gates.append(Gate(index, line_pattern=pattern, file_pattern=pattern))

    def _literals_may_match(self, text: str, plugins: set[int] | None = None) -> bool:
        lowered = text.lower()
        present = {(t, True) for t in self.folded if t in lowered} | {(t, False) for t in self.exact if t in text}
        return any(alt <= present for gate in self.literal_gates if plugins is None or gate.plugin in plugins
                   for alt in gate.requirement)

    def file_may_match(self, text: str, plugins: set[int] | None = None) -> bool:
        """False when no plugin (of ``plugins``, indices; default all) can report anything in
        ``text`` (raw file content, before any transformer)."""
        if self.every_line or self._literals_may_match(text, plugins):
            return True
        return any(gate.file_pattern.search(text) for gate in self.pattern_gates
                   if gate.file_pattern is not None and (plugins is None or gate.plugin in plugins))

    def yaml_may_match(self, text: str) -> bool:
        """:meth:`file_may_match` for a YAML file, whose plugins see detect-secrets' YAML
        transform (``key: "value"`` per scalar): an entropy run must be a whole scalar there,
        so on the raw text it must stand between blanks, quotes, flow indicators or line ends."""
        if self.every_line or self._literals_may_match(text):
            return True
        for gate in self.pattern_gates:
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
        for gate in self.pattern_gates:
            for match in gate.line_pattern.finditer(text):
                first = bisect.bisect_right(starts, match.start())
                last = bisect.bisect_right(starts, max(match.start(), match.end() - 1))
                for number in range(first, last + 1):
                    out.setdefault(number, set()).add(gate.plugin)
        lowered_entries = [entry.lower() for entry in entries]
        lowered = "\n".join(lowered_entries)
        lower_starts = starts if len(lowered) == len(text) else _starts(lowered_entries)
        occurrences: dict[Literal, set[int]] = {}
        for haystack, line_starts, texts, icase in ((lowered, lower_starts, self.folded, True),
                                                    (text, starts, self.exact, False)):
            for literal in texts:
                pos = haystack.find(literal)
                if pos == -1:
                    continue
                found = occurrences[(literal, icase)] = set()
                while pos != -1:
                    number = bisect.bisect_right(line_starts, pos)
                    found.add(number)
                    end = line_starts[number] if number < len(line_starts) else len(haystack)
                    pos = haystack.find(literal, max(pos + 1, end))  # rest of this line is known
        if occurrences:
            empty: set[int] = set()
            for gate in self.literal_gates:
                for alt in gate.requirement:
                    numbers = None
                    for literal in alt:
                        where = occurrences.get(literal, empty)
                        numbers = where if numbers is None else numbers & where
                        if not numbers:
                            break
                    for number in numbers or ():
                        out.setdefault(number, set()).add(gate.plugin)
        return out


def _starts(entries: list[str]) -> list[int]:
    starts, pos = [], 0
    for entry in entries:
        starts.append(pos)
        pos += len(entry) + 1
    return starts
