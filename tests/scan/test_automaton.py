"""The prefilter's Aho-Corasick pass selects exactly the lines a per-literal search selects.

The reference below is the plain definition of a literal gate, judged line by line: an
alternative lets its plugin see a line when every case-insensitive literal occurs in the line's
``casefold()``, every exact literal in the line itself, every run matches the line, and the
plugin's confirm pattern (if any) matches it. The pattern gates (no literals) are the same code
on both sides, so they are taken from :meth:`Prefilter.judge` with the literal gates removed.
Inputs mix the literals themselves (in random case, cut, glued to each other), characters whose
case folding changes the text's length (``ß``, ``İ``, ``ﬁ``), quotes and newlines.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
        folded = entry.casefold()
        for gate in gates.literal_gates:
            for alt in gate.requirement:
                if all((text in folded) if kind is True else (text in entry) if kind is False
                       else gates.runs[text].search(entry) is not None for text, kind in alt):
                    confirm = gates._confirm.get(gate.plugin)
                    if confirm is None or confirm.search(entry):
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

    filler = st.text(alphabet="aAkK_=:\"' ./-0123456789ßİﬁ\u0130xyzSTOKENtoken", max_size=12)
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        parts = [draw(filler) if draw(st.booleans()) else piece() for _ in range(draw(st.integers(0, 6)))]
        lines.append("".join(parts))
    return lines


def test_automata_hold_every_key_literal_and_only_those(gates):
    keys = set(gates._alternatives)
    assert {kind for _, kind in keys} == {True, False}
    text = " ".join(sorted(text for text, _ in keys))
    assert gates._present(text, text.casefold()) == keys
    others = (set(gates.folded) | set(gates.exact)) - {text for text, _ in keys}
    assert others  # literals checked only on the lines holding their alternative's key
    for other in others:
        assert gates._present(other, other.casefold()) <= {k for k in keys if k[0] in other.casefold()}


def test_key_is_the_longest_literal_of_its_alternative(gates):
    for key, alternatives in gates._alternatives.items():
        for alt in alternatives:
            assert all(len(text) <= len(key[0]) for text in alt.folded + alt.exact)


@pytest.mark.parametrize("entries", [
    ["password = 'x'", "AKIAIOSFODNN7EXAMPLEXX", "akiaiosfodnn7example"],
    ["ß token = \"abc\"", "İ API_KEY = 'AKIAIOSFODNN7EXAMPLE'", "ﬁ soma_dev_token"],  # folding moves positions
    ["", "rt rt RT", "dev-token-abc", "DEV-TOKEN-abc"],
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
