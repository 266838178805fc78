"""Declared dependencies against what the code imports, and the provider resources the
components plan.

- every third-party module the runtime code imports is provided by a runtime dependency or an
  extra, and every runtime dependency is imported by runtime code;
- ``somastack_deploy.extras.EXTRA_MODULES`` (the one-line "needs the X extra" messages) agrees
  with ``pyproject.toml``'s extras, both ways;
- no planned pulumi-aws resource is one pulumi-aws 7 deprecates (``BucketVersioningV2`` …).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata as md
import io
import json
import re
import sys
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from somastack_deploy.config_contract.scan.fallbacks import parse_module
from somastack_deploy.extras import EXTRA_MODULES

REPO = Path(__file__).resolve().parents[2]
CODE = ("somastack_deploy", "config_contract", "components", "stacks", "policies", "checks", "harness")
PLUGIN = "harness/pytest_plugin.py"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _dists_to_modules() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, dists in md.packages_distributions().items():
        for d in dists:
            out.setdefault(d.lower().replace("_", "-"), set()).add(module)
    return out


DIST_MODULES = _dists_to_modules()


def _closure(dists: set[str]) -> set[str]:
    """``dists`` and everything they require (markers with ``extra ==`` left out)."""
    seen, todo = set(), list(dists)
    while todo:
        d = todo.pop()
        if d in seen:
            continue
        seen.add(d)
        try:
            reqs = md.requires(d) or []
        except md.PackageNotFoundError:
            continue
        todo += [_name(r) for r in reqs if "extra ==" not in r]
    return seen


def _extra_dists(extra: str) -> set[str]:
    dists = set()
    for req in PROJECT["optional-dependencies"][extra]:
        if _name(req) == "somastack-deploy":
            for inner in re.search(r"\[(.*)\]", req).group(1).split(","):
                dists |= _extra_dists(inner.strip())
        else:
            dists.add(_name(req))
    return dists


def _modules_of(dists: set[str]) -> set[str]:
    return set().union(*(DIST_MODULES.get(d, set()) for d in dists))


def _runtime_imports() -> dict[str, set[str]]:
    """{top-level module: files importing it} over the runtime code (absolute imports)."""
    found: dict[str, set[str]] = {}
    for folder in CODE:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(parse_module(path.read_text(encoding="utf-8"), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for n in names:
                    found.setdefault(n.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_module_is_declared_and_every_runtime_dependency_is_used():
    imports = _runtime_imports()
    third_party = {m: f for m, f in imports.items() if m not in sys.stdlib_module_names and m != "somastack_deploy"}
    # The pytest plug-in runs only under pytest (the test extra).
    test_only = _modules_of(_extra_dists("test") - {"somastack-deploy"})
    third_party = {m: f for m, f in third_party.items() if not (m in test_only and f == {PLUGIN})}
    base = {_name(r) for r in PROJECT["dependencies"]}
    allowed = _modules_of(_closure(base)) | set().union(*EXTRA_MODULES.values())
    undeclared = {m: sorted(f) for m, f in third_party.items() if m not in allowed}
    assert not undeclared, f"imported but in no dependency or extra: {undeclared}"
    for dist in base:
        assert _modules_of({dist}) & set(third_party), f"runtime dependency {dist} is imported by no runtime code"


@pytest.mark.parametrize("extra", sorted(EXTRA_MODULES))
def test_extra_modules_agree_with_pyproject(extra):
    assert extra in PROJECT["optional-dependencies"]
    dists = _extra_dists(extra)
    for dist in dists:
        provided = DIST_MODULES.get(dist)
        assert provided, f"{dist} (extra {extra}) is not installed in the test environment"
        assert provided & EXTRA_MODULES[extra], f"{dist} of extra {extra}: none of {sorted(provided)} in EXTRA_MODULES"
    reachable = _modules_of(_closure(dists))
    assert EXTRA_MODULES[extra] <= reachable, sorted(EXTRA_MODULES[extra] - reachable)


def test_extras_cover_every_optional_distribution():
    for extra in PROJECT["optional-dependencies"]:
        if extra != "test":
            assert extra in EXTRA_MODULES, extra


@pytest.mark.parametrize("stack", ["fargate-prod", "eks-prod"])
def test_planned_aws_resources_are_not_deprecated(stack, monkeypatch):
    from somastack_deploy.cli import main

    monkeypatch.chdir(REPO)
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        assert main(["plan", "--stack", stack, "--format", "json"]) in (0, 1)  # 1: a policy verdict, still planned
    types = {r["type"] for r in json.loads(out.getvalue())["resources"] if r["type"].startswith("aws:")}
    assert any(t.startswith("aws:s3/") for t in types) or stack == "eks-prod"
    deprecated = []
    for token in sorted(types):
        module, _, cls = token[len("aws:"):].partition("/")
        cls = cls.rpartition(":")[2]
        source = Path(sys.modules[getattr(importlib.import_module(f"pulumi_aws.{module}"), cls).__module__].__file__)
        if f"{cls} has been deprecated in favor of" in source.read_text(encoding="utf-8"):
            deprecated.append(token)
    assert not deprecated, deprecated


def test_the_deprecation_check_recognises_a_deprecated_resource():
    import pulumi_aws.s3 as s3

    source = Path(sys.modules[s3.BucketVersioningV2.__module__].__file__).read_text(encoding="utf-8")
    assert "BucketVersioningV2 has been deprecated in favor of" in source
