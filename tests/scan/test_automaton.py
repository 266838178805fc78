"""The prefilter's Aho-Corasick pass selects exactly the lines a per-literal search selects.

The reference below is the plain definition of a literal gate, judged line by line: an
alternative lets its plugin see a line when every case-insensitive literal occurs in the line's
``fold()`` (``casefold()`` after ``İ``/``ı`` → ``i``, checked against ``re.IGNORECASE`` below),
every exact literal in the line itself, every run matches the line, and the plugin's confirm
pattern (if any) matches it (or its fold, for ``prefilter_folded_parts``). The pattern gates
(no literals) are the same code on both sides, so they are taken from :meth:`Prefilter.judge`
with the literal gates removed. Inputs mix the literals themselves (in random case, cut, glued
to each other), characters whose case folding changes the text's length (``ß``, ``İ``,
``ﬁ``), the dotless ``ı``, quotes and newlines.
"""

from __future__ import annotations

import copy
import re
import string
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somastack_deploy.config_contract.grammar.folding import fold
from somastack_deploy.config_contract.scan import literals


@pytest.fixture(scope="module")
def gates():
    with literals.scan_settings():
        yield literals.prefilter()


def _reference(gates, entries: list[str]) -> dict[int, set[int]]:
    patterns_only = copy.copy(gates)
    patterns_only._alternatives = {}
    out = {n: set(p) for n, p in patterns_only.judge(entries).items()}
    for number, entry in enumerate(entries, start=1):
        folded = fold(entry)
        for gate in gates.literal_gates:
            for alt in gate.requirement:
                if all((text in folded) if kind is True else (text in entry) if kind is False
                       else gates.runs[text].search(entry) is not None for text, kind in alt):
                    confirm, seen = gates._confirm.get(gate.plugin), entry
                    if confirm is None:
                        confirm, seen = gates._folded_confirm.get(gate.plugin), folded
                    if confirm is None or confirm.search(seen):
                        out.setdefault(number, set()).add(gate.plugin)
    return out


def _pieces(gates) -> list[str]:
    return sorted(set(gates.folded) | set(gates.exact))


@st.composite
def _lines(draw, pieces):
    def piece():
        text = draw(st.sampled_from(pieces))
        how = draw(st.sampled_from(["as is", "upper", "title", "cut", "swapcase"]))
        if how == "upper":
            return text.upper()
        if how == "title":
            return text.title()
        if how == "swapcase":
            return text.swapcase()
        if how == "cut":
            return text[: draw(st.integers(0, len(text)))]
        return text

    filler = st.text(alphabet="aAkK_=:\"' ./-0123456789ßİﬁ\u0131ſxyzSTOKENtoken", max_size=12)
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        parts = [draw(filler) if draw(st.booleans()) else piece() for _ in range(draw(st.integers(0, 6)))]
        lines.append("".join(parts))
    return lines


def test_automata_hold_every_key_literal_and_only_those(gates):
    keys = set(gates._alternatives)
    assert {kind for _, kind in keys} == {True, False}
    text = " ".join(sorted(text for text, _ in keys))
    assert gates._present(text, fold(text)) == keys
    others = (set(gates.folded) | set(gates.exact)) - {text for text, _ in keys}
    assert others  # literals checked only on the lines holding their alternative's key
    for other in others:
        assert gates._present(other, fold(other)) <= {k for k in keys if k[0] in fold(other)}


def test_key_is_the_longest_literal_of_its_alternative(gates):
    for key, alternatives in gates._alternatives.items():
        for alt in alternatives:
            assert all(len(text) <= len(key[0]) for text in alt.folded + alt.exact)


@pytest.mark.parametrize("entries", [
    ["password = 'x'", "AKIAIOSFODNN7EXAMPLEXX", "akiaiosfodnn7example"],
    ["ß token = \"abc\"", "İ API_KEY = 'AKIAIOSFODNN7EXAMPLE'", "ﬁ soma_dev_token"],  # folding moves positions
    ["", "rt rt RT", "dev-token-abc", "DEV-TOKEN-abc"],
    ["prıvate_key = 'Xq9vLm2Kp8Rt'", "PRİVATE_KEY: 'Xq9vLm2Kp8Rt'", "ſecret = 'x'"],  # IGNORECASE's i and s
])
def test_examples_select_the_reference_lines(gates, entries):
    assert gates.judge(entries) == _reference(gates, entries)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_automaton_selects_exactly_the_per_literal_lines(gates, data):
    entries = data.draw(_lines(_pieces(gates)))
    assert gates.judge(entries) == _reference(gates, entries)


def test_key_order_prefers_longer_then_rarer_letters_then_exact():
    from somastack_deploy.config_contract.scan.prefilter import _key_order

    ordered = sorted([("cl", True), ("pw", True), ("token", True), ("AC", False), ("ac", True), ("sss", True),
                      ("-us", False), ("ab", True), ("ab", False)], key=_key_order)
    # longest first; then non-letters and rare letters first; then exact before folded
    assert ordered == [("token", True), ("-us", False), ("sss", True), ("pw", True), ("ab", False), ("ab", True),
                       ("cl", True), ("AC", False), ("ac", True)]


def test_fold_turns_every_character_ignorecase_matches_with_an_ascii_letter_into_that_letter():
    """Python's ``re.IGNORECASE`` matches ``i`` with ``İ`` and ``ı`` and ``s``/``k`` with ``ſ``
    and the Kelvin sign; a case-insensitive literal is searched in :func:`fold`, so every such
    character must fold to its letter (one character: positions are kept)."""
    any_letter = re.compile("[a-z]", re.IGNORECASE)
    special = {chr(code) for code in range(128, sys.maxunicode + 1) if any_letter.fullmatch(chr(code))}
    assert {"\u0130", "\u0131", "\u017f", "\u212a"} <= special
    for char in special:
        letters = [a for a in string.ascii_lowercase if re.fullmatch(a, char, re.IGNORECASE)]
        assert [fold(char)] == letters, (hex(ord(char)), fold(char))
    for letter in string.ascii_letters:
        assert fold(letter) == letter.lower()
    assert fold("prİvate_Key ı") == "private_key i"
    assert fold("straße") == "strasse"  # casefold's own expansion stays


@pytest.mark.parametrize("line", [
    'prıvate_key = "Xq9vLm2Kp8RtW3"',
    'PRİVATE_KEY = "Xq9vLm2Kp8RtW3"',
    'db_passwd: "Xq9vLm2Kp8RtW3"'.replace("s", "\u017f"),
    'apı_key = "Xq9vLm2Kp8RtW3"',
])
def test_keyword_lines_with_ignorecase_only_letters_are_found_as_detect_secrets_finds_them(tmp_path, line):
    """detect-secrets' keyword regexes (``re.IGNORECASE``) report ``prıvate_key``; the
    prefilter must give it the line (``casefold()`` alone keeps ``ı`` and lost it)."""
    from detect_secrets.core.scan import scan_file

    path = tmp_path / "settings.py"
    path.write_text(line + "\n", encoding="utf-8")
    with literals.scan_settings():
        expected = {(s.line_number, s.type, s.secret_hash) for s in scan_file(str(path))}
        found = {(h.line, h.type, h.hashed_secret) for h in literals.scan_file(str(path), "settings.py")}
    assert expected
    assert expected <= found
