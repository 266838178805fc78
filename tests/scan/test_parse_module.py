"""``parse_module``: a Python parse that a finalizer parsing during it cannot break.

On CPython 3.11 a garbage collection inside ``ast.parse`` whose finalizer parses again (as the
unraisable-exception hook does when it formats a traceback) fails the outer parse with
``SystemError: AST constructor recursion depth mismatch`` (python/cpython gh-106905); CI met it
in ``tests/packaging`` after a leaked Pulumi coroutine was collected.
"""

from __future__ import annotations

import ast
import gc

import pytest

from somastack_deploy.config_contract.scan.fallbacks import parse_module

SOURCE = "\n".join(f"def f{i}(a):\n    return [a, (a, {{a: [a]}})]" for i in range(3000))


class _ParsesWhenCollected:
    """A reference cycle whose finalizer parses, as a traceback formatter does."""

    def __init__(self):
        self.me = self

    def __del__(self):
        ast.parse("x = (1, [2, {3: 4}])")


@pytest.fixture
def eager_collector():
    old = gc.get_threshold()
    gc.set_threshold(50)
    yield
    gc.set_threshold(*old)


def test_parse_survives_collections_whose_finalizers_parse(eager_collector):
    for _ in range(20):
        for _ in range(50):
            _ParsesWhenCollected()
        tree = parse_module(SOURCE, "many.py")
        assert len(tree.body) == 3000
    gc.collect()


def test_parse_module_restores_the_collector_state():
    assert gc.isenabled()
    parse_module("x = 1", "a.py")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_module("x = 1", "a.py")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_parse_module_raises_like_ast_parse_and_still_restores_the_collector():
    with pytest.raises(SyntaxError) as raised:
        parse_module("def (:\n", "broken.py")
    assert raised.value.filename == "broken.py"
    assert gc.isenabled()
