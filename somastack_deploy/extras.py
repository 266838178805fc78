"""Optional dependency groups (``pyproject.toml`` extras) and the one-line message for a
missing one.

The base install (``pip install somastack-deploy``) runs ``preflight`` and ``schema``; the
other commands need an extra. When an import fails, :func:`missing_extra` maps the missing
module to the extra that provides it, and the entry points print one line on stderr, exit 2::

    somastack-deploy: error: probe needs the 'checks' extra (module psycopg is not installed): pip install 'somastack-deploy[checks]'

:data:`EXTRA_MODULES` must list every import name of every distribution in the extras;
``tests/packaging/test_dependencies.py`` checks it against ``pyproject.toml``.
"""

from __future__ import annotations

DIST = "somastack-deploy"

#: extra → top-level import names its distributions provide (and their own dependencies that
#: our code imports directly, e.g. ``grpc`` from ``authzed``, ``botocore`` from ``boto3``,
#: ``google.protobuf`` from ``pulumi``).
EXTRA_MODULES: dict[str, frozenset[str]] = {
    "pulumi": frozenset({"pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_docker", "pulumi_policy", "google"}),
    "secrets": frozenset({"hvac", "boto3", "botocore"}),
    "checks": frozenset({"psycopg", "redis", "confluent_kafka", "pymilvus", "authzed", "grpcutil", "grpc", "kubernetes",
                         "docker",
                         "pgserver", "httpx", "tenacity", "rich", "psutil", "hvac", "boto3", "botocore", "cryptography",
                         "localstack_client"}),
}


def missing_extra(module: str | None, prefer: str | None = None) -> str | None:
    """The extra providing top-level module ``module`` (a dotted name is cut to its top level),
    ``prefer`` first when it provides it (the extra the running command documents), else the
    first of :data:`EXTRA_MODULES` in order; ``None`` when no extra provides it (a real bug)."""
    if not module:
        return None
    top = module.split(".", 1)[0]
    if prefer in EXTRA_MODULES and top in EXTRA_MODULES[prefer]:
        return prefer
    return next((extra for extra, mods in EXTRA_MODULES.items() if top in mods), None)


def require(extra: str) -> None:
    """Check that every module of ``extra`` is installed (``importlib.util.find_spec``: nothing
    is imported). Raises :class:`ModuleNotFoundError` (``name`` = the first missing module, in
    sorted order) so the entry points print the one-line message; a command calls this before
    it starts work, so a half-installed extra never shows up later as a per-service error."""
    import importlib.util

    for module in sorted(EXTRA_MODULES[extra]):
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)


def install_hint(extra: str) -> str:
    """``pip install 'somastack-deploy[EXTRA]'``."""
    return f"pip install '{DIST}[{extra}]'"


def message(err: ImportError, *, what: str, prefer: str | None = None) -> str | None:
    """The one-line message for ``err`` raised while running ``what`` (a command name), or
    ``None`` when the missing module belongs to no extra."""
    extra = missing_extra(getattr(err, "name", None), prefer)
    if extra is None:
        return None
    return (f"{what} needs the '{extra}' extra (module {err.name.split('.', 1)[0]} is not installed): "
            f"{install_hint(extra)}")
