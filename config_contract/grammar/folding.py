"""Text folded the way ``re.IGNORECASE`` compares it: the one owner of "search a lower-case
literal in this text, case-insensitively, without the regex engine's slow ignore-case path".

Python's ``re.IGNORECASE`` matches an ASCII letter with its other case and, for four letters,
with a non-ASCII character too: ``i`` with ``İ`` (U+0130) and ``ı`` (U+0131), ``s`` with ``ſ``
(U+017F), ``k`` with the Kelvin sign (U+212A). ``str.casefold`` turns ``ſ`` and the Kelvin sign
into ``s`` and ``k`` but keeps ``ı`` and turns ``İ`` into ``i`` + U+0307, so :func:`fold` maps
those two to ``i`` first. Then an ASCII literal that a pattern compiled with ``re.IGNORECASE``
matches in a text occurs in the text's fold, at the same position whenever the fold has the
text's length (``casefold`` never shortens a character, so equal lengths mean every character
folded to one). ``tests/scan/test_automaton.py`` checks the four characters against every code
point; the scan's prefilter and the loopback screen of :mod:`.hosts` use it.
"""

from __future__ import annotations

__all__ = ["fold"]

_TO_I = str.maketrans({"\u0130": "i", "\u0131": "i"})


def fold(text: str) -> str:
    """``text.casefold()`` after mapping ``İ`` and ``ı`` to ``i`` (see the module docstring);
    an ASCII text is only case-folded."""
    if not text.isascii() and ("\u0130" in text or "\u0131" in text):
        text = text.translate(_TO_I)
    return text.casefold()
