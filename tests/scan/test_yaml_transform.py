"""``yamlcheck.transform_simple`` gives detect-secrets' own YAML transform, or gives up.

The oracle is detect-secrets' ``YAMLTransformer`` itself (PyYAML's pure-Python loader with its
line-number shims). Inputs: the cases of ``test_yaml_simple.py``, the benchmark-style
manifests and recombinations of their lines, and hypothesis-built block documents whose
scalars are the ones where YAML 1.1 resolution and construction bite (``on``, ``~``, ``0b_``,
``2001-13-45``, ``=``, repeated and colliding keys such as ``1``/``true``/``1.0``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from somastack_deploy.config_contract.scan.literals import _NamedText
from somastack_deploy.config_contract.scan.yamlcheck import transform_simple

from test_yaml_simple import NOT_SIMPLE, SIMPLE, _generated


def _detect_secrets(text: str) -> list[str] | None:
    """detect-secrets' YAML transform, ``None`` where it fails (ParsingError or anything else)."""
    from detect_secrets.transformers.exceptions import ParsingError
    from detect_secrets.transformers.yaml import YAMLTransformer

    try:
        return YAMLTransformer().parse_file(_NamedText(text, "x.yaml"))
    except ParsingError:
        return None
    except Exception:  # noqa: BLE001 - e.g. ValueError from a timestamp that is no date
        return None


def _check(text: str) -> bool:
    """Assert agreement where transform_simple answers; True when it answered."""
    ours = transform_simple(text)
    if ours is None:
        return False
    assert ours == _detect_secrets(text), text
    return True


@pytest.mark.parametrize("text", list(SIMPLE) + NOT_SIMPLE)
def test_cases_agree_with_detect_secrets(text):
    _check(text)


@pytest.mark.parametrize("text, expected", [
    ("a: x\nb: 4\nc: true\nd: ~\ne: '4'\n", ['a: "x"', "", "", "", 'e: "4"']),
    ("\n\nk: v\n", ["", "", 'k: "v"']),
    ("a: first\nb: 1\na: second\n", ["", "", 'a: "second"']),   # a repeated key keeps its last entry
    ("1: one\ntrue: two\n", ["", 'true: "two"']),                 # 1 == True: one dict key
    ("on: x\n", ['on: "x"']),
])
def test_what_detect_secrets_writes(text, expected):
    assert transform_simple(text) == expected == _detect_secrets(text)


@pytest.mark.parametrize("text", [
    "a: 2001-13-45\nb: x\n",    # the constructor raises ValueError (detect-secrets' transform fails)
    "a: 0b_\n", "- 0x_\n",      # int('', 2), int('', 16) (in a sequence too)
    "a: =\n",                   # the YAML 1.1 value tag: no constructor
    "a: 2001-12-14\n",          # a timestamp: left to detect-secrets
    "2001-12-14: x\n",          # a timestamp key too
    "__line__: x\n", "- a__line__b\n",  # detect-secrets' marker breaks its walk
    "a: x\n# c\n", "a: x\n  y\n",     # not simple
])
def test_gives_up(text):
    assert transform_simple(text) is None


def test_generated_documents_agree_with_detect_secrets():
    answered = sum(_check(text) for text in _generated())
    assert answered >= 150


_SCALARS = st.sampled_from(["x", "v1", "on", "off", "yes", "No", "null", "~", "true", "1", "1.0", "0x1F", "0b_", "._",
                            "0o7", "1_000", "1:20", ".inf", ".NaN", "2001-12-14", "2001-13-45", "=", "-1", "+1", "0",
                            "http://h:80/p", "a b", "${X}", "dev-token-x", "'q'", '"d"', "''", '""', "'a\"b'",
                            "[a, b]", "[]", "x_token", "Xq9vLm2pRt7wZ8bN", "v", "w", "some value", "'quoted'",
                            '"dq"', "ref+vault://s/p#/k", "Xq9vLm2pRt7wZ8bN", "value2"])
_KEYS = st.sampled_from(["a", "b", "name", "value", "1", "true", "on", "null", "1.0", "k.b/c-d", "_x", "env"])


def _render(node, indent: int, out: list[str], first: str | None = None) -> None:
    """Block YAML of ``node`` (a scalar, ``("map", [(key, node), ...])`` or ``("seq", [...])``);
    ``first``: the prefix of the first line (a sequence entry's ``- ``)."""
    def line(text: str) -> None:
        nonlocal first
        out.append((first if first is not None else " " * indent) + text)
        first = None

    kind, items = node
    if kind == "map":
        for key, value in items:
            if value is None or isinstance(value, str):
                line(f"{key}:" + ("" if value is None else f" {value}"))
            else:
                line(f"{key}:")
                step = 0 if value[0] == "seq" and len(out) % 2 else 2  # compact sequences too
                _render(value, indent + step, out)
    else:
        for value in items:
            if isinstance(value, str):
                line(f"- {value}")
            else:
                prefix = (first if first is not None else " " * indent) + "- "
                first = None
                _render(value, indent + 2, out, first=prefix)


def _nodes():
    leaves = st.one_of(_SCALARS, st.none())
    return st.recursive(
        st.tuples(st.just("map"), st.lists(st.tuples(_KEYS, leaves), min_size=1, max_size=4)),
        lambda inner: st.one_of(
            st.tuples(st.just("map"), st.lists(st.tuples(_KEYS, st.one_of(leaves, inner)), min_size=1, max_size=4)),
            st.tuples(st.just("seq"), st.lists(st.one_of(_SCALARS, inner.filter(lambda n: n[0] == "map")),
                                               min_size=1, max_size=3))),
        max_leaves=12)


@st.composite
def _documents(draw):
    """Block documents built from a random tree (nested mappings, sequences, compact sequences,
    sequences of mappings), with one line's indentation sometimes moved and blank lines."""
    out: list[str] = []
    _render(draw(_nodes()), draw(st.sampled_from([0, 0, 0, 2])), out)
    if out and draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(out) - 1))
        out[at] = " " * draw(st.integers(1, 3)) + out[at] if draw(st.booleans()) else out[at][1:]
    if draw(st.integers(0, 4)) == 0:
        out.insert(draw(st.integers(0, len(out))), "")
    return "\n".join(out) + "\n"


def test_random_block_documents_agree_with_detect_secrets():
    """Property, and not a vacuous one: most generated documents get an answer to compare."""
    answered: list[bool] = []

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
    @given(_documents())
    def check(text):
        answered.append(_check(text))

    check()
    assert sum(answered) >= len(answered) // 2
