"""The line-by-line reading of simple YAML (``yamlcheck.simple_pairs``) never misses a
``KEY: "VALUE"`` line of the libyaml path, and gives up on anything that is not simple."""

from __future__ import annotations

import random

import pytest
import yaml

from somastack_deploy.config_contract.scan.yamlcheck import _pairs, simple_pairs


def _libyaml_pairs(text: str) -> list[str] | None:
    loader = yaml.CSafeLoader(text) if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return [] if node is None else _pairs(node)


NOT_SIMPLE = [
    "a: first\n  second\n",              # multi-line plain scalar
    "a:\n  value\n",                     # the value on the next line
    "a: 'it''s'\n", 'a: "x\\"y"\n',      # escapes
    "a: b: c\n", "a: [x, {b: c}]\n", "a: [x: y]\n", "? a\n: b\n",
    "a: &x v\nb: *x\n", "a: !!binary |\n  AAEC\n", "a: |\n  text\n", "a: >-\n  text\n",
    "key: value # note\n", "a: x\n---\nb: y\n", "%YAML 1.1\n---\na: b\n", "\u043a\u043b\u044e\u0447: v\n",
    "a : v\n", '"a": b\n', "a: [x,\n  y]\n", 'a: "x\n  y"\n', "a: x\n\n  y\n", "a:\n\tb: c\n", "a: {b: c}\n",
    "- [a, b]\n", "a: x\n b: y\n", "hello\n", "---\na: b\n", "a: b\n...\n", "a: 'x' #c\n", "\ta: b\n", "a:\tb\n",
]

SIMPLE = {
    "a:\n  b: c\n": ['b: "c"'],
    "a: 'x'\nb: \"\"\n": ['a: "x"', 'b: ""'],
    "- a\n- b: c\n": ['b: "c"'],
    "a:    spaced value   \n": ['a: "spaced value"'],
    "a: ['x: y', z]\n": [],
    "a:\n- x\n": [],
    "- a: 1\n  b: 2\n": ['a: "1"', 'b: "2"'],
    "k.b/c-d: http://h:80/p\n": ['k.b/c-d: "http://h:80/p"'],
    "a: x\"y\nb: 'q\"r'\n": ['a: "x\\"y"', 'b: "q\\"r"'],
    "a: \"t\tab\"\n": ['a: "t\tab"'],
    "env:\n  PASSWORD: ${DB_PASSWORD}\n  test: [\"CMD\", \"curl\", \"http://localhost:1/h\"]\n":
        ['PASSWORD: "${DB_PASSWORD}"'],
}


@pytest.mark.parametrize("text", NOT_SIMPLE)
def test_gives_up_on_what_is_not_simple(text):
    assert simple_pairs(text) is None


@pytest.mark.parametrize("text, expected", SIMPLE.items())
def test_simple_yaml_pairs(text, expected):
    assert simple_pairs(text) == expected
    assert set(_libyaml_pairs(text)) <= set(expected)


def _manifest(rng: random.Random) -> str:
    """A compose file or Kubernetes manifest in the benchmark's style (block mappings,
    sequences of mappings, quoted numbers, flow sequences, ``${VAR}``, image references)."""
    if rng.random() < 0.5:
        lines = ["services:"]
        for i in range(rng.randint(1, 4)):
            lines += [f"  svc{i}:", f"    image: somastack/svc{i}:{rng.randint(1, 9)}.0", "    environment:",
                      f"      SOMA_SVC{i}_URL: http://svc{i}:{rng.randint(1000, 9999)}",
                      "      SOMA_DB_PASSWORD: ${SOMA_DB_PASSWORD}", "    healthcheck:",
                      '      test: ["CMD", "curl", "-sf", "http://localhost:8080/healthz"]', "      interval: 10s"]
    else:
        lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web", "spec:",
                 f"  replicas: {rng.randint(1, 5)}", "  template:", "    spec:", "      containers:"]
        for i in range(rng.randint(1, 4)):
            lines += [f"        - name: c{i}", f"          image: somastack/c_token{i}:latest", "          env:",
                      f"            - name: SOMA_C{i}", f'              value: "{rng.randint(1, 99)}"']
    if rng.random() < 0.5:
        lines.insert(rng.randint(1, len(lines)), rng.choice(["      password: Xq9vLm2pRt7wZ", "      API_TOKEN: dev-token-x",
                                                            "      secret: 'c29tYXN0YWNrLXNlY3JldC1rZXk'"]))
    return "\n".join(lines) + "\n"


def _generated() -> list[str]:
    rng = random.Random(11)
    docs = [_manifest(rng) for _ in range(150)]
    # and random recombinations of lines of every case above (indentation kept)
    pieces = [line for text in NOT_SIMPLE + list(SIMPLE) for line in text.split("\n") if line]
    docs += ["\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) + "\n" for _ in range(400)]
    return docs


def test_never_misses_a_libyaml_pair():
    """Property: whenever the simple reading answers and libyaml composes the text, every line
    of the libyaml path is among the simple reading's lines."""
    answered = 0
    for text in _generated():
        simple = simple_pairs(text)
        full = _libyaml_pairs(text)
        if simple is None or full is None:
            continue
        answered += 1
        assert set(full) <= set(simple), text
    assert answered >= 100
