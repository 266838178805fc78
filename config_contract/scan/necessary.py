"""What every match of a regular expression must contain: the literals and runs the scan's
prefilter (:mod:`.prefilter`) searches instead of the pattern.

:func:`necessary_literals` reads the pattern's own parse tree (``re._parser``) and gives
alternatives, each a set of literals that all occur in every match of that branch
(``api_?key|password`` → ``{apikey}``, ``{api_key}`` or ``{password}``; AWS keys →
``AKIA``/``ASIA``/…), refined by long character-class runs (``[a-z0-9]{32}``). Groups, branches
and optional parts that match a few literal strings extend the literal around them; dropping
any part of a regex only widens what it matches, so what is kept stays necessary.
Case-insensitive literals are lower-case ASCII, to be searched in the text's
:func:`~somastack_deploy.config_contract.grammar.folding.fold`; runs of an ``IGNORECASE``
pattern are written out with every character the flag matches.
"""

from __future__ import annotations

import re

from ..grammar.folding import fold

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

#: Necessary literals shorter than this, or without a letter, are not selective enough (they are
#: dropped from a requirement; a requirement left without literals means searching the pattern).
MIN_LITERAL = 2


#: A required piece of a match: ``(text, True)`` a case-insensitive literal (lower-case),
#: ``(text, False)`` an exact literal, ``(regex, None)`` a run such as ``[a-z0-9]{32}`` (a
#: repeated character class that cannot match a newline, at least :data:`MIN_RUN` long).
Literal = tuple[str, bool | None]
Requirement = list[frozenset[Literal]]  # any of these alternatives, each needing all its items

#: Shortest repeated character class kept as a run requirement.
MIN_RUN = 8

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
    kept = [frozenset(lit for lit in map(_ascii_part, alt) if _selective(lit)) for alt in requirement]
    # an alternative needs at least one literal (runs alone are found everywhere in code)
    if not kept or any(all(kind is None for _, kind in alt) for alt in kept):
        return None
    return kept


def _selective(literal: Literal) -> bool:
    text, kind = literal
    if kind is None:
        return True
    return len(text) >= MIN_LITERAL and any(ch.isalpha() for ch in text)


_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def _ascii_part(literal: Literal) -> Literal:
    """A case-insensitive literal reduced to its longest ASCII run (``contraseña`` →
    ``contrase``): :func:`fold` makes ``re.IGNORECASE`` and ``in`` agree on ASCII letters only
    (a match of the whole holds a match of the part, so the part is still necessary)."""
    text, kind = literal
    if kind is True and not text.isascii():
        return max(_ASCII_RUN.findall(text) or [""], key=len), True
    return literal


_CATEGORIES = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: None, C.CATEGORY_WORD: r"\w",
               C.CATEGORY_NOT_WORD: None, C.CATEGORY_SPACE: None, C.CATEGORY_NOT_SPACE: None}


def _run(av, icase: bool) -> Literal | None:
    """``(regex, None)`` for a repeat ``X{min,…}`` of one character class without newlines.
    Under ``re.IGNORECASE`` a class of ASCII characters is written out with every character
    that flag matches (:func:`_ignorecase_chars`), so the run is searched case-sensitively
    (about twice as fast); other classes keep the flag."""
    minimum, _, body = av
    body = list(body)
    if minimum < MIN_RUN or len(body) != 1:
        return None
    op, items = body[0]
    if op is C.IN:
        parts, chars = [], set()
        for item_op, value in items:
            if item_op is C.LITERAL and value != 10:
                chars.add(chr(value))
            elif item_op is C.RANGE and not value[0] <= 10 <= value[1]:
                if value[1] < 128:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:
                    parts.append(re.escape(chr(value[0])) + "-" + re.escape(chr(value[1])))
            elif item_op is C.CATEGORY and _CATEGORIES.get(value):
                parts.append(_CATEGORIES[value])
            else:  # NEGATE, classes that may hold a newline: no run requirement
                return None
        if icase and not parts and all(ch.isascii() for ch in chars):
            chars, icase = _ignorecase_chars(chars), False
        source = "[%s]{%d}" % ("".join(parts) + _class_source(chars), minimum)
    elif op is C.LITERAL and items != 10:
        source = "%s{%d}" % (re.escape(chr(items)), minimum)
    else:
        return None
    return ("(?i:%s)" % source if icase else source, None)


def _class_source(chars: set[str]) -> str:
    """The inside of a character class matching exactly ``chars``, consecutive code points
    written as ranges (``{a, b, c, x}`` → ``a-cx``)."""
    out, codes = [], sorted(map(ord, chars))
    while codes:
        first = last = codes.pop(0)
        while codes and codes[0] == last + 1:
            last = codes.pop(0)
        out.append(re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last))))
    return "".join(out)


def _ignorecase_chars(chars: set[str]) -> set[str]:
    """Every character ``re.IGNORECASE`` matches with one of the ASCII ``chars``: both cases,
    plus ``İ`` and ``ı`` for ``i``, ``ſ`` for ``s`` and the Kelvin sign for ``k`` (see
    :mod:`somastack_deploy.config_contract.grammar.folding`)."""
    out = set(chars) | {ch.swapcase() for ch in chars}
    for letter, extra in (("i", "\u0130\u0131"), ("s", "\u017f"), ("k", "\u212a")):
        if letter in out:
            out.update(extra)
    return out


#: A character class with at most this many characters extends a literal run as alternatives
#: (``AP[0-9A-F]`` → ``AP0`` … ``APF``).
MAX_CLASS_EXPANSION = 16


def _small_class(items) -> list[str] | None:
    chars: list[str] = []
    for op, value in items:
        if op is C.LITERAL:
            chars.append(chr(value))
        elif op is C.RANGE and value[1] - value[0] < MAX_CLASS_EXPANSION:
            chars.extend(chr(code) for code in range(value[0], value[1] + 1))
        else:
            return None
    return chars if len(chars) <= MAX_CLASS_EXPANSION and "\n" not in chars else None


def _literal_strings(items, icase: bool) -> list[str] | None:
    """Every string ``items`` (a parsed sequence) can match, when it only matches a finite set of
    literal strings: literals, small classes (:func:`_small_class`), groups and branches of
    those, and ``X?`` / ``X{0,1}``; ``None`` otherwise, or past :data:`MAX_ALTERNATIVES`
    strings. ``(glpat|glrt)-`` gives ``glpat-``/``glrt-``, ``api_?key`` ``apikey``/``api_key``."""
    strings = [""]
    for op, av in items:
        if op is C.LITERAL:
            parts = [chr(av)]
        elif op is C.IN:
            parts = _small_class(av)
        elif op is C.SUBPATTERN:
            _, add_flags, del_flags, sub = av
            if ((icase or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE) != icase:
                return None  # the group changes case sensitivity
            parts = _literal_strings(list(sub), icase)
        elif op is C.BRANCH:
            parts = []
            for branch in av[1]:
                found = _literal_strings(list(branch), icase)
                if found is None:
                    return None
                parts.extend(found)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] in (0, 1) and av[1] == 1:
            parts = _literal_strings(list(av[2]), icase)
            if parts is not None and av[0] == 0:
                parts = [""] + parts
        else:
            return None
        if parts is None or len(strings) * len(parts) > MAX_ALTERNATIVES:
            return None
        strings = [text + part for text in strings for part in dict.fromkeys(parts)]
    return strings


def _requirement(items, icase: bool) -> Requirement | None:
    alternatives: Requirement = [frozenset()]
    run: list[str] = [""]  # the current literal run, as alternative strings

    def combine(requirement: Requirement | None) -> None:
        nonlocal alternatives
        if requirement is None or len(alternatives) * len(requirement) > MAX_ALTERNATIVES:
            return
        alternatives = [a | b for a in alternatives for b in requirement]

    def flush() -> None:
        nonlocal run
        texts = list(dict.fromkeys(map(fold, run)) if icase else dict.fromkeys(run))
        # a match holds one of the run's strings, so one of the shortest: keep the strings that
        # contain no other one (an optional part gives ``cl``, ``cl_``, ``cl-``: ``cl`` is left)
        texts = [text for text in texts if not any(other != text and other in text for other in texts)]
        if all(texts):
            combine([frozenset({(text, icase) if icase else (text, False)}) for text in texts])
        run = [""]

    for op, av in items:
        if op is C.LITERAL:
            run = [text + chr(av) for text in run]
            continue
        if op is C.IN and any(run):
            chars = _small_class(av)
            if chars is not None and len(run) * len(chars) <= MAX_ALTERNATIVES:
                run = [text + ch for text in run for ch in chars]
                continue
        if op in (C.SUBPATTERN, C.BRANCH, C.MAX_REPEAT, C.MIN_REPEAT):
            # a group, branch or optional part matching a few literal strings extends the run
            strings = _literal_strings([(op, av)], icase)
            if strings is not None and len(run) * len(strings) <= MAX_ALTERNATIVES:
                run = [text + part for text in run for part in strings]
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
            run_item = _run(av, icase)
            if run_item is not None:
                combine([frozenset({run_item})])
    flush()
    if any(not alt for alt in alternatives):
        return None
    return alternatives
