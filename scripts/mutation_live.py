"""Pytest plug-in: run mutmut mutants against tests that need live harness services.

``scripts/mutation.sh`` deselects ``services``-marked tests: a forked mutant run cannot start
OpenBao or LocalStack for every mutant. This plug-in runs a list of mutants in ONE pytest
session inside mutmut's work dir, so the harness's session-scoped services start once: for each
mutant it sets ``MUTANT_UNDER_TEST`` (mutmut 3's switch, read at every call of a mutated
function) and runs the collected tests, stopping at the first failure (killed). The list's first
name should match no mutant (``baseline.none``): it must come out ``survived``, else the tests
fail without a mutant and the run says nothing.

Usage (after ``scripts/mutation.sh MODULE`` left ``$MUTATION_WORKDIR/mutants``)::

    cd $MUTATION_WORKDIR/mutants
    SOMASTACK_TEST_PORT_OFFSET=<yours> MUTANT_UNDER_TEST= PYTHONPATH=<repo>/scripts \\
      <repo>/.venv/bin/python -m pytest -q -p no:cacheprovider -p mutation_live \\
      --mutants-file NAMES.txt tests/scan/test_secret_backends.py tests/scan/test_aws_backends_live.py

Writes ``killed|survived NAME [first failing test]`` lines to stdout and ``NAMES.txt.results``.
"""

from __future__ import annotations

import os

import pytest
from _pytest.runner import runtestprotocol


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mutants-file", default=None, help="file of mutant names, one a line")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session):
    path = session.config.getoption("--mutants-file")
    if not path:
        return None
    with open(path, encoding="utf-8") as fh:
        names = fh.read().split()
    items = session.items
    with open(path + ".results", "w", encoding="utf-8") as out:
        for name in names:
            os.environ["MUTANT_UNDER_TEST"] = name
            failed = None
            for i, item in enumerate(items):
                nextitem = items[i + 1] if i + 1 < len(items) else items[0]
                if any(r.failed for r in runtestprotocol(item, nextitem=nextitem, log=False)):
                    failed = item.name
                    session._setupstate.teardown_exact(items[0])  # back to the first test's chain
                    break
            line = f"{'killed' if failed else 'survived'} {name} {failed or ''}".rstrip()
            print(line, flush=True)
            out.write(line + "\n")
            out.flush()
    os.environ["MUTANT_UNDER_TEST"] = ""
    session._setupstate.teardown_exact(None)
    return True
