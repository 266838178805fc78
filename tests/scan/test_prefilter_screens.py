"""The prefilter's screens one by one: what each selects and, as much, what it lets go.

A screen that selects too much is sound but slow (the issue's "do only the work a file needs");
one that selects too little loses findings. Each test pins both sides on small inputs.
"""

from __future__ import annotations

import pytest

from somastack_deploy.config_contract.scan import literals
from somastack_deploy.config_contract.scan.prefilter import Prefilter

B64_22 = "Xq9vLm2pR7sT4wZ8bN3cQ1"   # 22 base64 characters: one short of the 4.5-bit gate (23)
B64_23 = B64_22 + "k"
HEX_8, HEX_9 = "0a1b2c3d", "0a1b2c3d4"  # the hex gate (3.0 bits) needs 9


@pytest.fixture(scope="module")
def gates():
    with literals.scan_settings():
        yield literals.prefilter()


def _index(gates, name: str) -> int:
    return next(i for i, p in enumerate(gates.plugins) if type(p).__name__ == name)


def test_entropy_gates_need_a_quoted_run_of_the_plugin_s_minimum_length(gates):
    b64, hexa = _index(gates, "Base64HighEntropyString"), _index(gates, "HexHighEntropyString")
    found = gates.judge([f'x = "{B64_22}"', f'x = "{B64_23}"', f'x = "{HEX_8}"', f'x = "{HEX_9}"', f"x = {B64_23}"])
    assert b64 not in found.get(1, set()) and b64 in found[2]
    assert hexa not in found.get(3, set()) and hexa in found[4]
    assert b64 not in found.get(5, set())  # unquoted: the plugin only reads quoted strings


def test_eager_lines_take_an_unquoted_value_that_ends_the_line(gates):
    b64 = _index(gates, "Base64HighEntropyString")
    assert b64 in gates.candidates([f"KEY = {B64_23}"], eager=True).get(1, set())
    assert b64 not in gates.candidates([f"KEY = {B64_23}"]).get(1, set())
    assert gates.candidates([f"KEY = {B64_23}"]) == gates.judge([f"KEY = {B64_23}"])


def test_file_screens_see_entropy_runs_by_their_raw_form(gates):
    assert not gates.file_may_match("name = brain\nreplicas = 2\n")
    assert gates.file_may_match(f"k = {B64_23}\n")                       # the raw run (file_pattern)
    assert not gates.yaml_may_match("app:\n  name: brain\n")
    assert gates.yaml_may_match(f"app:\n  k: {B64_23}\n")                # a whole scalar (yaml_pattern)
    assert not gates.yaml_may_match(f"app:\n  k: x{B64_23}(y)\n")         # not a whole scalar


def test_file_screen_literals_with_and_without_runs(gates):
    aws = _index(gates, "AWSKeyDetector")
    assert not gates._literals_may_match("key AKIA here", {aws})                   # AKIA + 16 more needed
    assert gates._literals_may_match("key AKIA here", {aws}, runs=False)          # runs left to the lines
    assert gates._literals_may_match("key AKIAIOSFODNN7EXAMPLE here", {aws})
    assert not gates._literals_may_match("key AKIAIOSFODNN7EXAMPLE here", {_index(gates, "SlackDetector")})
    assert not gates._literals_may_match("nothing to see")
    # a run shared by two alternatives is searched once and answers both
    assert gates._literals_may_match("password aws " + "A" * 40, {aws})
    # the YAML screen keeps a file with a key literal even without the run
    assert gates.yaml_may_match("k: AKIA\n")


def test_present_finds_exact_keys_when_folding_moves_positions(gates):
    text = "ß straße AKIAIOSFODNN7EXAMPLE"
    assert len(text.casefold()) != len(text)
    present = gates._present(text, text.casefold())
    assert any(kind is False and key in text for key, kind in present)
    assert not any(kind is False for key, kind in gates._present("akia", "akia"))


def test_an_unknown_plugin_kind_gets_every_line():
    class Unknown:
        pass

    gates = Prefilter([Unknown()])
    assert gates.every_line
    assert gates.candidates(["a", "b"]) == {1: {0}, 2: {0}}
    assert gates.judge(["a"]) == {1: {0}}
    assert gates.file_may_match("x") and gates.yaml_may_match("x")


_EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


@pytest.mark.parametrize("source", ["[0-9a-f]{64}", r"[a-zA-Z0-9_\-]{44}", r"[0-9a-zA-Z/\+]{40}", "[a-z]{24}",
                                    "[KS]{8}", "[Ii]{9}", "[.j-l]{8}"])
def test_runs_under_ignorecase_are_written_out_with_exactly_the_characters_the_flag_matches(source):
    """A run derived from an IGNORECASE pattern is searched case-sensitively: its class must
    hold every character the flag matches (both cases, İ/ı for i, ſ for s, the Kelvin sign
    for k) and no other, over all of Unicode."""
    import re

    from somastack_deploy.config_contract.scan.necessary import P, _run

    (_, av), = list(P.parse(source, re.IGNORECASE))
    text, kind = _run(av, True)
    assert kind is None and "(?i" not in text
    assert text.endswith(source[source.index("{"):])
    explicit, flagged = text[:text.index("{")], source[:source.index("{")]
    assert set(re.findall(explicit, _EVERY_CHARACTER)) == set(re.findall(flagged, _EVERY_CHARACTER, re.IGNORECASE))


def test_runs_of_non_ascii_classes_keep_the_flag():
    import re

    from somastack_deploy.config_contract.scan.necessary import P, _run

    (_, av), = list(P.parse("[a-zé]{8}", re.IGNORECASE))
    assert _run(av, True)[0].startswith("(?i:")
    (_, av), = list(P.parse(r"[\da-f]{8}", re.IGNORECASE))
    assert _run(av, True)[0].startswith("(?i:")


@pytest.mark.parametrize("text", [
    f"a = '{B64_23}'", f"a = '{B64_22}'", f'a = "{HEX_9}"', f'a = "{HEX_8}"', f"'{HEX_9}'{B64_23}'",
    f"'{HEX_9}'{B64_22}' '{B64_23}\"", f"x'{B64_23 + HEX_9}'", f"\"{HEX_9.upper()}\" + '{B64_23}'",
    f"'{B64_23}' '{HEX_9}'", f"'{HEX_8}-{HEX_9}'", f"'{B64_23}", f"\"{B64_23}'",
])
def test_quoted_runs_select_the_lines_each_entropy_gate_selects(gates, text):
    """The entropy gates searched at once (:class:`QuotedRuns`) select, line by line, exactly
    what each plugin's own pattern ``(['"])[CHARSET]{N,}\\1`` selects."""
    entries = [text, "x = 1", text[::-1]]
    joined = "\n".join(entries)
    found: dict[int, set[int]] = {}
    starts = [0, len(entries[0]) + 1, len(entries[0]) + len(entries[1]) + 2]
    for start, plugins in gates._quoted_runs.find(joined):
        found.setdefault(sum(start >= s for s in starts), set()).update(plugins)
    expected: dict[int, set[int]] = {}
    for number, entry in enumerate(entries, start=1):
        for gate in gates.pattern_gates:
            if gate.charset and gate.line_pattern.search(entry):
                expected.setdefault(number, set()).add(gate.plugin)
    assert found == expected
    assert gates._quoted_runs.plugins == {_index(gates, "Base64HighEntropyString"), _index(gates, "HexHighEntropyString")}


def test_quoted_runs_property_against_each_gate(gates):
    """Hypothesis: random lines of quotes and base64/hex characters."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet="'\"ab0F9+/=-_\\zZ ", max_size=60))
    def check(line):
        found = {p for _, plugins in gates._quoted_runs.find(line) for p in plugins}
        expected = {gate.plugin for gate in gates.pattern_gates if gate.charset and gate.line_pattern.search(line)}
        assert found == expected, line

    check()


def test_an_alternative_s_other_literals_are_checked_on_its_key_s_line(gates):
    dev, aws = _index(gates, "SomaStackDevDefaultDetector"), _index(gates, "AWSKeyDetector")
    assert dev not in gates.judge(["soma", "POSTGRES_PASSWORD: x"]).get(2, set())  # exact 'soma' elsewhere
    assert dev in gates.judge(["x", "POSTGRES_PASSWORD: soma"])[2]
    key_line = 'token = "' + "A" * 40 + '"'
    assert aws not in gates.judge(["aws", key_line]).get(2, set())  # folded 'aws' elsewhere
    assert aws in gates.judge(["x", "aws_" + key_line])[2]


@pytest.mark.parametrize("text, expected", [
    ("x: aws pw", True), ("x: aws", False),            # the AWS alternative needs 'aws' and 'pw'
    ("x: T3BlbkFJ", False), ("x: sk-T3BlbkFJ", True),  # OpenAI's needs exact 'sk-' too
])
def test_yaml_screen_needs_every_literal_of_an_alternative(gates, text, expected):
    assert gates.yaml_may_match(text) is expected


def test_file_screen_for_some_plugins_looks_past_other_plugins_alternatives(gates):
    """'token' files AWS' alternative before the SomaStack plugin's: asked for the SomaStack
    plugin only, the screen must not stop at AWS'."""
    soma, aws = _index(gates, "SomaStackSecretAssignmentDetector"), _index(gates, "AWSKeyDetector")
    assert gates.file_may_match('API_TOKEN = "x"', {soma})
    assert not gates.file_may_match('API_TOKEN = "x"', {aws})


def test_quoted_runs_of_a_whole_charset_and_a_charset_with_quotes(gates):
    from somastack_deploy.config_contract.scan.prefilter import Gate, QuotedRuns

    every_hex = "0123456789abcdefABCDEF"
    found = {p for _, plugins in gates._quoted_runs.find(f"x = '{every_hex}'") for p in plugins}
    assert found == {_index(gates, "HexHighEntropyString")}
    quoted = QuotedRuns([Gate(0, charset=frozenset("ab'"), shortest=3)])
    assert (quoted.pattern, quoted.plugins, list(quoted.find("'abab'"))) == (None, frozenset(), [])
