"""The scan's prefilter: which lines each detect-secrets plugin could possibly report.

A plugin reports a secret on a line only where one of its patterns matches that line. For each
pattern the prefilter takes what every match must contain (:mod:`.necessary`: alternatives,
each a set of literals that all occur in the match, refined by long character-class runs such
as ``[a-z0-9]{32}``). All literals are found in one
Aho-Corasick pass (pyahocorasick) over the text's case-folded form (:func:`fold`; exact
literals confirmed in the original text); runs are checked only on lines that have the
literals. That is far cheaper than running the patterns. A pattern without selective literals
is searched itself (or, for three known detect-secrets patterns, a hand-derived part of it:
:data:`HAND_GATES`). The entropy plugins need a quoted run of at least ``floor(2**limit)+1``
characters of their charset (a string of n characters carries at most log2(n) bits of Shannon
entropy), searched for all of them in one pass (:class:`QuotedRuns`); on raw file text the run
is searched in the form the YAML or ini transformers would quote. A plugin may declare its
own necessary pattern (``prefilter_pattern``: every line it can report matches it, or
``prefilter_folded_parts``: the line's :func:`fold` matches one of them), searched only on the
lines that have its literals; the SomaStack assignment plugin does, as its literals
``token``/``password`` are everywhere in code. A plugin of any other kind gets every line.

The result is a superset of what the plugins can report (a false candidate only costs time):
dropping parts of a regex only widens what it matches, and literals and runs are taken from
parts every match passes through. ``tests/scan/test_parity.py`` checks this property on strings
generated from every plugin pattern, and against the detect-secrets CLI on a generated tree;
``benchmarks/scan.py`` does the latter on 10,000 files.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress, repeat

from ..grammar.folding import fold
from .necessary import Literal, necessary_literals

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
#: searched itself. Each is a part every match must contain, starting with a literal so the
#: regex engine can skip ahead (IPPublicDetector: ``(?:octet\.){3}octet`` with octets of 1-3
#: digits contains ``.d{1,3}.d{1,3}.``); tested in tests/scan/test_parity.py.
HAND_GATES: dict[tuple[str, str], str] = {
    ("IPPublicDetector", "c846407f510ad4dda6afdcab8a65acf78051d659"): r"\.\d{1,3}\.\d{1,3}\.",
    # \d{8,10}:[0-9A-Za-z_-]{35} contains ":" followed by its 35-character tail
    ("TelegramBotTokenDetector", "fff05c3d0ceff710565d5e00c6213ffdee11e9c7"): r":[0-9A-Za-z_-]{35}",
    # [MNO][…]{23,25}\.[…]{6}\.[…]{27} contains its dotted middle part
    ("DiscordBotTokenDetector", "da3381b8e2ab66a9c8adabf4fba21b107d8c8509"): r"\.[a-zA-Z\d_-]{6}\.",
}


#: Hand-derived necessary patterns for whole plugins, keyed by (plugin class, SHA-1 of its
#: denylist patterns joined with ``|``): every line a denylist pattern matches also matches this,
#: on raw lines and on detect-secrets' eager ini lines alike (it holds no quote, blank, ``=`` or
#: ``:``, which is all the eager transform adds). Artifactory: ``(?:\s|=|:|"|^)AKC[a-zA-Z0-9]{10,}
#: (?:\s|"|$)`` and ``…AP[\dABCDEF][a-zA-Z0-9]{8,}…`` without their boundary groups (its literal
#: ``AP`` alone is in every ``GRAPH``/``MAPPING``). Tested in tests/scan/test_parity.py.
HAND_CONFIRMS: dict[tuple[str, str], str] = {
    ("ArtifactoryDetector", "e4706d78d3bbe2e47f6cbd403295a3bc724f3292"):
        r"AKC[a-zA-Z0-9]{10}|AP[\dABCDEF][a-zA-Z0-9]{8}",
}


class AnyOf:
    """Patterns of which a line must match one (a plugin's ``prefilter_folded_parts``), searched like
    one pattern: ``search(line)`` gives the first match or ``None``."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)

    def search(self, line: str):
        for pattern in self.patterns:
            found = pattern.search(line)
            if found is not None:
                return found
        return None


def hand_confirm(plugin) -> re.Pattern | None:
    """The :data:`HAND_CONFIRMS` pattern of ``plugin`` (``None`` when it has none, or when its
    denylist is not the one the pattern was derived from)."""
    source = "|".join(regex.pattern for regex in getattr(plugin, "denylist", ()))
    key = (type(plugin).__name__, hashlib.sha1(source.encode("utf-8")).hexdigest())
    return re.compile(HAND_CONFIRMS[key]) if key in HAND_CONFIRMS else None


#: SHA-1 of detect-secrets 1.5.0's keyword ``DENYLIST`` joined with ``|``; with another denylist
#: (or regexes) the keyword plugin is gated by its literals alone.
KEYWORD_DENYLIST_SHA1 = "d3d04ce6f5cea00e2bfb2764c903b91f3a3b2f53"


def keyword_confirm(keyword_module) -> re.Pattern | None:
    """A pattern every line detect-secrets 1.5.0's keyword plugin reports matches (hand-derived
    from its regexes, ``detect_secrets/plugins/keyword.py``): the keyword (with its ``\\w*``
    suffix) followed by closing quotes/brackets, blanks and one of ``: = ! (`` (the
    ``:=``/``:``/``=``/``!=``/``=>``/``[0]=``/``(``/``.assign(`` forms), or by up to 50 non-blank
    characters and a quote (the ``…"secret";`` form); or ``==``/``!=`` before a keyword (the
    comparison form). On the raw lines of detect-secrets' eager ini transform the keyword
    still stands before the key's ``=``/``:`` there. ``None`` when the plugin's denylist is not
    the one this was derived from (see :data:`KEYWORD_DENYLIST_SHA1`)."""
    denylist = "|".join(keyword_module.DENYLIST)
    if hashlib.sha1(denylist.encode("utf-8")).hexdigest() != KEYWORD_DENYLIST_SHA1:
        return None
    words = "(?:%s)" % denylist
    return re.compile(r"%s\w*(?:[\]'\"]{0,2}\s*[:=!(]|(?:\[[0-9]*\])?\s*[!=]|.assign\(|\S{0,50}?\s*['\"`])"
                      r"|[!=]{2,3}\s*\w*%s" % (words, words), re.IGNORECASE)


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
    eager_pattern: re.Pattern | None = None
    #: an entropy plugin's gate: its charset and shortest run (``line_pattern`` is then
    #: searched for all such gates at once: :class:`QuotedRuns`)
    charset: frozenset[str] | None = None
    shortest: int = 0


class Prefilter:
    """Gates for the configured plugins. ``Prefilter(plugins)``; ``every_line`` is true when a
    plugin is of an unknown kind (then :meth:`candidates` selects all lines for all plugins)."""

    def __init__(self, plugins: list):
        from detect_secrets.plugins import keyword
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

        self.plugins = plugins
        self.gates: list[Gate] = []
        #: plugin index -> pattern a candidate line (found by literals) must also match, and
        #: plugin index -> pattern the line's fold() must match (instead)
        self._confirm: dict[int, re.Pattern] = {}
        self._folded_confirm: dict[int, AnyOf] = {}
        self.every_line = False
        #: per mode (False: raw/transformed lines, True: eager ini judgement) entry -> plugins
        self._line_cache: dict[bool, dict[str, frozenset[int]]] = {False: {}, True: {}}
        for index, plugin in enumerate(plugins):
            if isinstance(plugin, HighEntropyStringsPlugin):
                run = "[%s]{%d,}" % (re.escape(plugin.charset), int(2 ** plugin.entropy_limit) + 1)
                whole_scalar = r"(?:^|(?<=[\s\"'\[{,]))%s(?=$|[\s\"'\]},])" % run
                # An eager ini line is KEY = "VALUE"; VALUE runs from after the first = or : (or
                # from the indent of a continuation line) to the end of the line (configparser
                # keeps inline comments). A quoted run is then the whole VALUE, a run after a
                # quote inside VALUE, or a run quoted within the raw line. (Continuation lines
                # are indented; an unindented line without = or : fails the whole parse.)
                value_end = (r"(?:^[^=:\n]*[=:][ \t]*|^[ \t]+|[\"'])%s[\"']?[ \t]*$|([\'\"])%s\1"
                             % (run, run))
                self.gates.append(Gate(index, line_pattern=re.compile(r"([\'\"])%s\1" % run),
                                       file_pattern=re.compile(run),
                                       yaml_pattern=re.compile(whole_scalar, re.MULTILINE),
                                       eager_pattern=re.compile(value_end, re.MULTILINE),
                                       charset=frozenset(plugin.charset),
                                       shortest=int(2 ** plugin.entropy_limit) + 1))
            elif isinstance(plugin, keyword.KeywordDetector):
                self._add(index, re.compile("|".join(keyword.DENYLIST), re.IGNORECASE))
                confirm = keyword_confirm(keyword)
                if confirm is not None:
                    self._confirm[index] = confirm
            elif isinstance(plugin, RegexBasedDetector):
                # the plugin's own necessary patterns (tested with the plugin), else a hand one
                parts = getattr(plugin, "prefilter_folded_parts", None)
                if parts:
                    self._folded_confirm[index] = AnyOf(parts)
                else:
                    confirm = getattr(plugin, "prefilter_pattern", None) or hand_confirm(plugin)
                    if confirm is not None:
                        self._confirm[index] = confirm
                for regex in plugin.denylist:
                    self._add(index, regex)
            else:
                self.every_line = True
        self.gates = [dataclasses.replace(g, requirement=tuple(dict.fromkeys(g.requirement))) for g in self.gates]
        self.literal_gates = [gate for gate in self.gates if gate.requirement]
        self.pattern_gates = [gate for gate in self.gates if not gate.requirement]
        self._quoted_runs = QuotedRuns([gate for gate in self.pattern_gates if gate.charset])
        literals = {lit for gate in self.literal_gates for alt in gate.requirement for lit in alt}
        self.folded = sorted(text for text, kind in literals if kind is True)
        self.exact = sorted(text for text, kind in literals if kind is False)
        self.runs = {text: re.compile(text) for text, kind in literals if kind is None}
        # Each alternative is filed under one key literal (its longest; see _key_order):
        # only keys are searched in the whole text, the alternative's other literals and runs
        # only on the lines that hold its key.
        self._alternatives: dict[Literal, list[Alternative]] = {}
        for gate in self.literal_gates:
            for alt in gate.requirement:
                needed = sorted((item for item in alt if item[1] is not None), key=_key_order)
                key = needed[0]
                self._alternatives.setdefault(key, []).append(Alternative(
                    gate.plugin, tuple(item[0] for item in needed[1:] if item[1]),
                    tuple(item[0] for item in needed[1:] if not item[1]),
                    tuple(self.runs[text] for text, kind in sorted(alt) if kind is None)))
        self._automaton, self._exact_automaton = _automata(
            sorted(text for text, kind in self._alternatives if kind), sorted(text for text, kind in self._alternatives if not kind))

    def _key_hits(self, text: str, lowered: str, aligned: bool) -> Iterator[tuple[Literal, int]]:
        """``(key literal, start)`` of every key literal (see :class:`Alternative`) occurring in
        ``text``, from one Aho-Corasick pass over ``lowered`` (its case-folded form):
        case-insensitive keys with their start in ``lowered``, exact keys with their start in
        ``text``. Exact keys are found there by their case-folded form and confirmed in ``text``
        at the same position when ``aligned`` (folding kept every character's position: same
        length); otherwise by a second pass over ``text``."""
        for end, items in self._automaton.iter(lowered):
            for item, size in items:
                start = end - size + 1
                if item[1] or (aligned and text.startswith(item[0], start)):
                    yield item, start
        if not aligned:
            for end, (item, size) in self._exact_automaton.iter(text):
                yield item, end - size + 1

    def _occurrences(self, text: str, lowered: str, starts: list[int], lower_starts: list[int],
                     aligned: bool) -> dict[Literal, set[int]]:
        """``{key literal: {1-based entry numbers}}`` of every key literal in ``text`` (entries
        start at ``starts``; in ``lowered``, its case-folded form, at ``lower_starts``); see
        :meth:`_key_hits`."""
        found: dict[Literal, set[int]] = {}
        bisect_right = bisect.bisect_right
        for item, start in self._key_hits(text, lowered, aligned):
            number = bisect_right(lower_starts if item[1] else starts, start)
            where = found.get(item)
            if where is None:
                found[item] = {number}
            else:
                where.add(number)
        return found

    def _present(self, text: str, lowered: str) -> set[Literal]:
        """The key literals that occur in ``text`` (``lowered``: its :func:`fold`); see
        :meth:`_key_hits`."""
        return {item for item, _ in self._key_hits(text, lowered, len(text) == len(lowered))}

    def _add(self, index: int, regex: re.Pattern) -> None:
        requirement = necessary_literals(regex)
        if requirement:
            self.gates.append(Gate(index, requirement=tuple(requirement)))
        else:
            key = (type(self.plugins[index]).__name__, hashlib.sha1(regex.pattern.encode("utf-8")).hexdigest())
            pattern = re.compile(HAND_GATES[key]) if key in HAND_GATES else _search_form(regex)
            self.gates.append(Gate(index, line_pattern=pattern, file_pattern=pattern))

    def _literals_may_match(self, text: str, plugins: set[int] | None = None, *, runs: bool = True) -> bool:
        """Whether some alternative (of a gate of ``plugins``; default all) has all its literals
        somewhere in ``text`` and (``runs``) its runs too."""
        lowered = fold(text)
        searched: dict[re.Pattern, bool] = {}  # a run shared by alternatives is searched once

        def found(run: re.Pattern) -> bool:
            if run not in searched:
                searched[run] = run.search(text) is not None
            return searched[run]

        for key in self._present(text, lowered):
            for alt in self._alternatives.get(key, ()):
                if plugins is not None and alt.plugin not in plugins:
                    continue
                if (all(item in lowered for item in alt.folded) and all(item in text for item in alt.exact)
                        and (not runs or all(map(found, alt.runs)))):
                    return True
        return False

    def file_may_match(self, text: str, plugins: set[int] | None = None, *, eager: bool = False) -> bool:
        """False when no plugin (of ``plugins``, indices; default all) can report anything in
        ``text`` (raw file content, before any transformer). ``eager``: for detect-secrets' eager
        ini transform, where an entropy string must be a whole value, i.e. end its raw line."""
        if self.every_line or self._literals_may_match(text, plugins):
            return True
        for gate in self.pattern_gates:
            if plugins is not None and gate.plugin not in plugins:
                continue
            pattern = (gate.eager_pattern if eager else None) or gate.file_pattern
            if pattern is not None and pattern.search(text):
                return True
        return False

    def yaml_may_match(self, text: str) -> bool:
        """:meth:`file_may_match` for a YAML file, whose plugins see detect-secrets' YAML
        transform (``key: "value"`` per scalar): an entropy run must be a whole scalar there,
        so on the raw text it must stand between blanks, quotes, flow indicators or line ends.
        The literal gates' runs are not searched here (over a whole file they cost more than the
        line-by-line check after this screen saves: 0.20 s against 0.03 s on the benchmark's
        2,505 YAML files), so this errs towards True."""
        if self.every_line or self._literals_may_match(text, runs=False):
            return True
        for gate in self.pattern_gates:
            pattern = gate.yaml_pattern or gate.file_pattern
            if pattern is not None and pattern.search(text):
                return True
        return False

    def eager_needed(self, text: str, plugins: set[int]) -> bool:
        """Whether detect-secrets' eager ini transform of raw ``text`` could give one of
        ``plugins`` (indices) a candidate. Each eager line is ``KEY = "VALUE"`` built from one
        raw line, unless the file has indented (continuation) lines: then the whole file is
        judged at once."""
        if self.every_line:
            return True
        if _INDENTED.search(text):
            return self.file_may_match(text, plugins, eager=True)
        return any(plugins & found for found in self.candidates(text.splitlines(), eager=True).values())

    def candidates(self, lines: list[str], *, eager: bool = False) -> dict[int, set[int]]:
        """``{1-based index into lines: {plugin indices}}`` for the lines a plugin could report.
        An entry may itself contain newlines (detect-secrets' YAML transform writes multi-line
        values into one entry); positions are mapped back by entry lengths. ``eager``: judge
        raw lines for detect-secrets' eager ini transform (entropy runs as whole values).

        Every gate is line-local (a literal, run or confirm pattern on one entry; a pattern
        gate that cannot cross a newline, or whose match marks every entry it touches), so an
        entry's plugins are a function of the entry alone: they are remembered per entry text
        (:data:`LINE_CACHE_SIZE` entries per mode) and only entries not seen before are judged,
        all at once."""
        if self.every_line:
            return self.judge(lines, eager=eager)
        cache = self._line_cache[eager]
        entries = list(map(_WITHOUT_NEWLINE, lines))
        known = list(map(cache.get, entries))  # lookups at C speed; most lines are known
        numbers = range(1, len(entries) + 1)
        # itertools.compress selects at C speed: the lines with plugins, then the unknown ones
        out: dict[int, set[int]] = {number: set(known[number - 1]) for number in compress(numbers, known)}
        if None not in known:
            return out
        novel: dict[str, list[int]] = {}
        for number in compress(numbers, map(operator.is_, known, repeat(None))):
            novel.setdefault(entries[number - 1], []).append(number)
        if novel:
            if len(cache) + len(novel) > LINE_CACHE_SIZE:
                cache.clear()
            judged = list(novel)
            found = self.judge(judged, eager=eager)
            for index, entry in enumerate(judged, start=1):
                plugins = frozenset(found.get(index, _EMPTY))
                cache[entry] = plugins
                if plugins:
                    for number in novel[entry]:
                        out[number] = set(plugins)
        return out

    def judge(self, lines: list[str], *, eager: bool = False) -> dict[int, set[int]]:
        """:meth:`candidates` without the per-entry memory: every entry judged afresh."""
        if self.every_line:
            everything = set(range(len(self.plugins)))
            return {number: everything for number in range(1, len(lines) + 1)}
        entries = list(map(_WITHOUT_NEWLINE, lines))
        out: dict[int, set[int]] = {}
        text = "\n".join(entries)
        starts = _starts(entries)
        for gate in self.pattern_gates:
            if not eager and gate.plugin in self._quoted_runs.plugins:
                continue  # searched below, all entropy gates at once
            pattern = (gate.eager_pattern if eager else None) or gate.line_pattern
            for match in pattern.finditer(text):
                first = bisect.bisect_right(starts, match.start())
                last = bisect.bisect_right(starts, max(match.start(), match.end() - 1))
                for number in range(first, last + 1):
                    out.setdefault(number, set()).add(gate.plugin)
        if not eager:
            for start, plugins in self._quoted_runs.find(text):
                out.setdefault(bisect.bisect_right(starts, start), set()).update(plugins)
        lowered = fold(text)
        aligned = len(lowered) == len(text)
        if aligned:
            lower_starts = starts
            lowered_entries = lowered.split("\n")
        else:  # case folding changed some lengths (rare Unicode): map by the folded entries
            lowered_entries = list(map(fold, entries))
            lowered = "\n".join(lowered_entries)
            lower_starts = _starts(lowered_entries)
        # one pass per automaton gives every key literal's entries; then, per alternative filed
        # under a key found, the entries that also hold its other literals, then its runs.
        accepted: dict[int, set[int]] = {}  # plugin -> entries its alternatives let through
        for key, where in self._occurrences(text, lowered, starts, lower_starts, aligned).items():
            for alt in self._alternatives.get(key, ()):
                numbers = where
                done = accepted.get(alt.plugin)
                if done:
                    numbers = numbers - done
                for item in alt.folded:
                    numbers = [n for n in numbers if item in lowered_entries[n - 1]]
                for item in alt.exact:
                    numbers = [n for n in numbers if item in entries[n - 1]]
                for run in alt.runs:
                    numbers = [n for n in numbers if run.search(entries[n - 1])]
                if numbers:
                    accepted.setdefault(alt.plugin, set()).update(numbers)
        for plugin, numbers in accepted.items():
            confirm, seen = self._confirm.get(plugin), entries
            if confirm is None:
                confirm, seen = self._folded_confirm.get(plugin), lowered_entries
            for number in numbers:
                if confirm is None or confirm.search(seen[number - 1]):
                    out.setdefault(number, set()).add(plugin)
        return out


#: Letters from the most to the least frequent in English text; a literal made of later letters
#: is expected to occur less often (``pw`` before ``cl``).
_LETTER_FREQUENCY = "etaoinsrhldcumfpgwybvkxjqz"


def _key_order(item: Literal) -> tuple:
    """Sort key putting the literal to file an alternative under first: the longest, then the
    one of letters rarer in English text (a non-letter counts as rarest), then exact before
    case-insensitive, then by text (deterministic)."""
    text, kind = item
    rarity = sum(_LETTER_FREQUENCY.find(ch) if ch in _LETTER_FREQUENCY else len(_LETTER_FREQUENCY)
                 for ch in text.lower())
    return (-len(text), -rarity, bool(kind), text)


class QuotedRuns:
    """The line gates of the entropy plugins (``(['"])[CHARSET]{N,}\1`` each, N the plugin's
    shortest run) searched as one pattern: a quote, a run of the union of the charsets of at
    least the smallest N, and the same quote after it, not consumed (so a closing quote can open
    the next string). Quotes are in no charset, so at each opening quote this matches the
    longest run of the union, exactly when some plugin's pattern can match there; that plugin's
    pattern matches iff the run has only its characters and at least its N of them.
    ``tests/scan/test_prefilter_screens.py`` compares it with the plugins' own gates."""

    def __init__(self, gates: list[Gate]):
        union = frozenset().union(*(gate.charset for gate in gates))
        if union & set("'\"\n"):  # a charset with quotes or newlines: each gate searched on its own
            gates = []
        #: (plugin, charset, shortest run) of the gates searched here
        self.gates = [(gate.plugin, gate.charset, gate.shortest) for gate in gates]
        self.plugins = frozenset(gate.plugin for gate in gates)
        self.pattern = (re.compile(r"([\'\"])([%s]{%d,})(?=\1)" % (re.escape("".join(sorted(union))),
                                                                  min(gate.shortest for gate in gates)))
                        if gates else None)

    def find(self, text: str) -> Iterator[tuple[int, set[int]]]:
        """``(start, plugins)`` for each quoted run in ``text`` some entropy gate accepts."""
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            run = match.group(2)
            chars = frozenset(run)
            plugins = {plugin for plugin, charset, shortest in self.gates if len(run) >= shortest and chars <= charset}
            if plugins:
                yield match.start(), plugins


@dataclass(frozen=True)
class Alternative:
    """One alternative of a literal gate, filed under its key literal: plugin ``plugin`` may
    report an entry holding the key, the case-insensitive literals ``folded`` (in the entry's
    ``fold()``), the ``exact`` literals and a match of every pattern in ``runs``."""

    plugin: int
    folded: tuple[str, ...]
    exact: tuple[str, ...]
    runs: tuple[re.Pattern, ...]


_EMPTY: frozenset[int] = frozenset()
#: An entry of a line (its one trailing newline removed).
_WITHOUT_NEWLINE = operator.methodcaller("removesuffix", "\n")
#: Most entries :meth:`Prefilter.candidates` remembers per mode (then it starts afresh).
LINE_CACHE_SIZE = 200_000
_INDENTED = re.compile(r"^[ \t]+\S", re.MULTILINE)


def _automata(folded: list[str], exact: list[str]):
    """Two ``ahocorasick.Automaton``: every literal by its case-folded form (searched in
    case-folded text; exact ones are confirmed in the original), and the exact literals alone
    (searched in the original text when folding moved positions). Values are tuples of
    ``(Literal, length)``: an exact literal may fold to a case-insensitive one's text."""
    import ahocorasick

    keyed: dict[str, list] = {}
    for text in folded:
        keyed.setdefault(text, []).append(((text, True), len(text)))
    for text in exact:
        keyed.setdefault(fold(text), []).append(((text, False), len(text)))
    automaton = ahocorasick.Automaton()
    for key, items in keyed.items():
        automaton.add_word(key, tuple(items))
    exact_automaton = ahocorasick.Automaton()
    for text in exact:
        exact_automaton.add_word(text, ((text, False), len(text)))
    for built in (automaton, exact_automaton):
        if len(built):
            built.make_automaton()
    return _Search(automaton), _Search(exact_automaton)


class _Search:
    """An automaton's ``iter`` (nothing when it holds no word: pyahocorasick refuses that)."""

    __slots__ = ("iter",)

    def __init__(self, automaton):
        self.iter = automaton.iter if len(automaton) else _nothing


def _nothing(text: str) -> tuple:
    return ()


def _starts(entries: list[str]) -> list[int]:
    starts, pos = [], 0
    for entry in entries:
        starts.append(pos)
        pos += len(entry) + 1
    return starts
