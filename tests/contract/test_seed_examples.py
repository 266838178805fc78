"""The seeds' own §5 example configurations (examples/seeds/, verbatim from seed 000) and their
verdicts, as explained in docs/contract.md ("The seeds' examples")."""

from __future__ import annotations

from .helpers import CASES, SEEDS, report_of


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


def test_seed_000_5_1_dev_example_passes_with_warnings_that_prod_would_fail():
    """The DEV example is fine in what it sets (localhost allowed in DEV) but lacks the variables
    seed 001 §2 marks Required without a default. Fail-fast is a PROD behaviour (seed 000 §4
    Rule 91, §7; Rule 164: dev defaults only in DEV, with warnings): in DEV each is a warning
    saying PROD would fail, so the example passes; examples/dev-standalone-local.env completes it."""
    report = report_of(SEEDS / "seed000-5.1-dev.env")
    assert report.passed and report.errors == []
    required = ("SA01_DB_DSN", "SA01_REDIS_URL", "SA01_DB_PASSWORD", "SPICEDB_API_KEY", "OPENROUTER_API_KEY")
    assert _warnings(report) == {("CONTRACT-REQUIRED", v) for v in required}
    assert all("PROD would fail" in f.message for f in report.warnings)


def test_seed_000_5_1_dev_example_fails_as_prod():
    """The same file with SA01_DEPLOYMENT_MODE=PROD: the missing Required variables are errors
    again (VIBE-91 for the endpoints, CONTRACT-REQUIRED for the secrets and keys)."""
    report = report_of(SEEDS / "seed000-5.1-dev.env", CASES / "required-prod.env")
    assert not report.passed
    assert {("CONTRACT-REQUIRED", "SA01_DB_PASSWORD"), ("CONTRACT-REQUIRED", "SPICEDB_API_KEY"),
            ("CONTRACT-REQUIRED", "OPENROUTER_API_KEY"), ("VIBE-91", "SA01_DB_DSN"),
            ("VIBE-91", "SA01_REDIS_URL")} <= _errors(report)
    assert not any(f.rule == "CONTRACT-REQUIRED" for f in report.warnings)


def test_dev_standalone_without_llm_key_and_spicedb_key_passes_with_warnings():
    """A DEV StandAlone file lacking only an LLM key and SPICEDB_API_KEY: exit 0, two warnings."""
    report = report_of(CASES / "required-dev-missing-keys.env")
    assert report.passed
    assert _warnings(report) == {("CONTRACT-REQUIRED", "SPICEDB_API_KEY"),
                                 ("CONTRACT-REQUIRED", "OPENROUTER_API_KEY")}


def test_seed_000_5_3_standalone_example():
    """Memory alone: passes with two warnings (environment not set → DEV assumed; the token is the
    literal text "$(openssl rand -hex 32)": env files do not run commands). As a whole-stack
    file it also passes in DEV (the environment is unset, so DEV): the agent's Required
    variables are missing, each a warning that PROD would fail; with PROD it fails."""
    memory = report_of(SEEDS / "seed000-5.3-standalone.env", services=["memory"])
    assert memory.passed
    assert _warnings(memory) == {("VIBE-164", "SOMA_API_TOKEN"), ("CONTRACT-REQUIRED", "SA01_DEPLOYMENT_MODE")}
    assert "$(...)" in next(f.message for f in memory.warnings if f.rule == "VIBE-164")
    whole = report_of(SEEDS / "seed000-5.3-standalone.env")
    assert whole.passed
    assert {("CONTRACT-REQUIRED", v) for v in ("SA01_DB_DSN", "SA01_REDIS_URL", "SA01_DB_PASSWORD",
                                                "SPICEDB_API_KEY", "OPENROUTER_API_KEY")} <= _warnings(whole)
    prod = report_of(SEEDS / "seed000-5.3-standalone.env", CASES / "required-prod.env")
    assert ("CONTRACT-REQUIRED", "SPICEDB_API_KEY") in _errors(prod)


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
