"""The seeds' own §5 example configurations (examples/seeds/, verbatim from seed 000) and their
verdicts, as explained in docs/contract.md ("The seeds' examples")."""

from __future__ import annotations

from .helpers import SEEDS, report_of


def _errors(report):
    return {(f.rule, f.variable) for f in report.errors}


def _warnings(report):
    return {(f.rule, f.variable) for f in report.warnings}


def test_seed_000_5_1_prod_example_fails_zero_fallback():
    """The PROD example sets the four dimensions and Django settings but no database or service
    URL: VIBE-91 fails it (missing endpoints), as does the missing runtime mode and keys."""
    report = report_of(SEEDS / "seed000-5.1-prod.env")
    assert not report.passed
    assert report.dimensions.model_dump() == {"software_mode": "SomaStackClusterMode", "environment": "PROD",
                                              "saas_bridge": True, "target": "FARGATE"}
    vibe91 = {v for r, v in _errors(report) if r == "VIBE-91"}
    assert vibe91 == {"SA01_DB_DSN", "SA01_REDIS_URL", "KEYCLOAK_URL", "SPICEDB_URL", "OPA_URL", "SOMA_DB_HOST",
                      "SOMA_REDIS_URL", "SOMA_KAFKA_BROKERS", "SOMA_MILVUS_HOST"}
    # With the SaaS bridge, SomaBrain/SomaFractalMemory are in-process: their URLs are not required.
    assert "SOMABRAIN_API_URL" not in vibe91
    assert {("CONTRACT-REQUIRED", "SOMA_AGENT_MODE"), ("CONTRACT-REQUIRED", "OPENAI_API_KEY"),
            ("MODE-CLUSTER-AUTH", "SFM_AUTH_MODE")} <= _errors(report)
    # SECRET_KEY=$VAULT_SECRET_KEY is a reference, written without braces: a warning, not a literal.
    assert _warnings(report) == {("VIBE-164", "SECRET_KEY")}
    assert ("VIBE-164", "SECRET_KEY") not in _errors(report)


def test_seed_000_5_1_dev_example_misses_required_variables():
    """The DEV example is fine in what it sets (localhost allowed in DEV) but lacks the variables
    seed 001 §2 marks Required without a default; examples/dev-standalone-local.env completes it."""
    report = report_of(SEEDS / "seed000-5.1-dev.env")
    assert _errors(report) == {("CONTRACT-REQUIRED", v) for v in
                               ("SA01_DB_DSN", "SA01_REDIS_URL", "SA01_DB_PASSWORD", "SPICEDB_API_KEY",
                                "OPENROUTER_API_KEY")}
    assert report.warnings == []


def test_seed_000_5_3_standalone_example():
    """Memory alone: passes with two warnings (environment not set → DEV assumed; the token is the
    literal text "$(openssl rand -hex 32)": env files do not run commands). As a whole-stack
    file it fails: the agent's required variables are missing."""
    memory = report_of(SEEDS / "seed000-5.3-standalone.env", services=["memory"])
    assert memory.passed
    assert _warnings(memory) == {("VIBE-164", "SOMA_API_TOKEN"), ("CONTRACT-REQUIRED", "SA01_DEPLOYMENT_MODE")}
    assert "$(...)" in next(f.message for f in memory.warnings if f.rule == "VIBE-164")
    assert not report_of(SEEDS / "seed000-5.3-standalone.env").passed


def test_seed_000_5_3_cluster_example():
    """Memory in cluster mode with OIDC: passes for the memory service in DEV; as a whole-stack
    file it fails on the pairing (no SomaBrain/SomaFractalMemory URLs, no SOMA_MEMORY_API_TOKEN)."""
    memory = report_of(SEEDS / "seed000-5.3-cluster.env", services=["memory"])
    assert memory.passed and _warnings(memory) == {("CONTRACT-REQUIRED", "SA01_DEPLOYMENT_MODE")}
    whole = report_of(SEEDS / "seed000-5.3-cluster.env")
    assert {("MODE-CLUSTER-PAIRING", "SOMA_MEMORY_API_TOKEN"), ("MODE-CLUSTER-PAIRING", "SOMABRAIN_API_URL"),
            ("MODE-CLUSTER-AUTH", "KEYCLOAK_URL")} <= _errors(whole)


def test_seed_examples_are_verbatim():
    """The files hold exactly the seed's code-block lines (no comment added)."""
    for path in SEEDS.glob("*.env"):
        for line in path.read_text().splitlines():
            assert line and not line.startswith("#") and "=" in line
