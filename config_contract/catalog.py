"""The catalog: every environment variable of the SomaStack configuration contract, as data.

Sources: seed 000 §1 (the four dimensions) and §5.1-§5.4 (SomaAgent01, SomaBrain,
SomaFractalMemory, shared infrastructure), seed 001 §2.1-§2.6 (deployment guide variables with
defaults and the Required column) and the chat plan §3 of the same file, seed 003 (runtime mode
``SOMA_AGENT_MODE``) and seed 004 §8 (``SOMAGENT_MODE``). Where the seeds disagree the entry
follows ``../shared/design/seed-contradictions.md``: canonical name + alias (deprecated or not),
a value map for aliases whose values differ.

Every entry is a :class:`Var` (a frozen pydantic model, validated when the module is imported,
so a typo in the catalog fails the first test). Nothing else in the package lists variables.

Field vocabulary:

- ``type``: ``enum`` (``allowed`` lists the values), ``bool`` (true/false, 1/0, yes/no, on/off
  in any case), ``int``, ``port`` (1-65535), ``url`` (scheme://host…), ``dsn`` (a connection URL
  that may carry a password), ``host`` (host name or IP, no scheme), ``hostports``
  (comma-separated ``host:port``), ``csv`` (comma-separated strings), ``str``.
- ``required``: ``never``; ``always`` (seed 001 "Required: Yes"); ``prod`` (only when the
  environment dimension is PROD); ``cluster_http`` (SomaStackClusterMode without the SaaS bridge,
  seed 000 §1.1); ``api_token_auth`` (``SFM_AUTH_MODE=api_token``, seed 000 §5.3); ``provider``
  (the key of the selected ``SA01_CHAT_PROVIDER``, seed 001 §2.4 and chat plan §3.1).
- ``services``: topology service keys that read the variable: ``agent``, ``brain``, ``memory``.
- ``endpoint``: the topology service key a URL/host variable points at (VIBE-91).
- ``secret``: a password, token, API key, secret key or a DSN that may carry a password.
- ``stack_provided``: rendered by the Pulumi stack from what it provisions (the text says from
  what); a Pulumi stack config need not set it (:mod:`somastack_deploy.config_contract.stack_provided`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VarType = Literal["enum", "bool", "int", "port", "url", "dsn", "host", "hostports", "csv", "str"]
Required = Literal["never", "always", "prod", "cluster_http", "api_token_auth", "provider"]
ServiceKey = Literal["agent", "brain", "memory"]

#: Prefixes whose unknown names are reported (extra="forbid"), seed 000 §5 naming; SOMASTACK_
#: is added so that a misspelt SOMASTACK_SOFTWARE_MODE is caught too.
CONTRACT_PREFIXES: tuple[str, ...] = ("SA01_", "SOMA_", "SFM_", "SOMASTACK_")


class Alias(BaseModel):
    """Another spelling of a variable.

    ``deprecated``: using it alone is a warning (use the canonical name). ``value_map`` maps the
    alias's own values (compared case-insensitively when ``case_insensitive``) to canonical
    values; a value mapped to ``None`` has no counterpart (an error that says so).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    deprecated: bool = True
    source: str
    value_map: dict[str, str | None] | None = None
    case_insensitive: bool = False
    note: str = ""


class Var(BaseModel):
    """One contract variable. See the module docstring for the field vocabulary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    type: VarType
    services: tuple[ServiceKey, ...]
    source: str
    description: str
    allowed: tuple[str, ...] = ()
    default: str | None = None
    required: Required = "never"
    secret: bool = False
    aliases: tuple[Alias, ...] = ()
    endpoint: str | None = None
    #: Values accepted case-insensitively and normalised (upper-cased) before validation.
    case_insensitive: bool = False
    #: Values of the canonical name that map to another canonical value (with a warning).
    value_map: dict[str, str] = Field(default_factory=dict)
    #: Legacy values: an error whose message is the value's explanation (seed-contradictions).
    legacy_values: dict[str, str] = Field(default_factory=dict)
    #: Port namespace as (low, high) inclusive, for ``port`` variables and URL ports (seed 001 §1).
    port_range: tuple[int, int] | None = None
    #: Rendered by the Pulumi stack from what it provisions (``components/app_env.py``): what it
    #: is rendered from. ``None``: the stack passes the configured value through (or does not
    #: use the variable). A stack config need not set such a variable: see
    #: :mod:`somastack_deploy.config_contract.stack_provided`.
    stack_provided: str | None = None


def _a(name: str, source: str, **kw) -> Alias:
    return Alias(name=name, source=source, **kw)


_LEGACY_MODE = (
    "is a legacy use of SA01_DEPLOYMENT_MODE for the software mode (seed 002 'Deployment Mode "
    "Architecture'); set SA01_DEPLOYMENT_MODE to DEV or PROD and use SOMASTACK_SOFTWARE_MODE "
    "(StandAlone / SomaStackClusterMode) and SOMA_SAAS_MODE (seed 000 §1)"
)

#: Port namespaces of seed 001 §1 (memory: 10101 per §1.1 and seed 000 §5.3; the namespace row
#: for memory is garbled in the seed, the 10000-10199 range is taken by analogy).
AGENT_PORTS = (20020, 20199)
BRAIN_PORTS = (30000, 30199)
MEMORY_PORTS = (10000, 10199)


#: What the Pulumi stack renders the stack-provided variables from (``Var.stack_provided``).
#: The variable names and sections are the seeds' (each entry's ``source``); the rendering is
#: ``components/app_env.py`` (issue 3: "the stack renders each service's environment from the
#: endpoints it provisioned").
_SP_POSTGRES = "the PostgreSQL endpoint the stack provisions (RDS on AWS, a container locally): host, port, user, the service's database"
_SP_POSTGRES_SECRET = "the database password secret of the PostgreSQL the stack provisions (RDS-managed Secrets Manager secret on AWS)"
_SP_REDIS = "the Redis endpoint the stack provisions (ElastiCache on AWS, a container locally)"
_SP_KAFKA = "the Kafka bootstrap brokers the stack provisions (MSK on AWS, a container locally)"
_SP_MILVUS = "the Milvus service the stack runs (port 19530)"
_SP_AUTH = "the Keycloak / SpiceDB / OPA service the stack runs (seed 001 §1.1 ports)"
_SP_APPS = "the SomaBrain / SomaFractalMemory service the stack runs (seed 001 §1.1 ports 30101, 10101)"
_SP_TARGET = "the stack's target program (fargate, eks, local)"
_SP_MEMORY_TOKEN = "SOMA_MEMORY_API_TOKEN (the stack gives SomaFractalMemory the token the agent sends, seed 000 §5.3)"

CATALOG: tuple[Var, ...] = (
    # ---- the four dimensions (seed 000 §1, §5.1; seed 001 §2.1) ----
    Var(name="SA01_DEPLOYMENT_MODE", type="enum", allowed=("DEV", "PROD"), default="DEV", required="always",
        services=("agent", "brain"), source="seed 000 §1, §5.1; seed 001 §2.1",
        description="Environment dimension: DEV (dev defaults with warnings) or PROD (fail-fast, VIBE 91/164).",
        case_insensitive=True, value_map={"STAGING": "PROD"},
        legacy_values={"STANDALONE": _LEGACY_MODE, "SAAS": _LEGACY_MODE, "AAAS": _LEGACY_MODE},
        aliases=(_a("SOMA_DEPLOYMENT_MODE", "seed 000 §5.2 (SomaBrain)", deprecated=False, case_insensitive=True,
                    value_map={"prod": "PROD", "staging": "PROD", "dev": "DEV"},
                    note="SomaBrain's own spelling (prod/staging/dev); staging has no agent-side counterpart and "
                         "is treated as PROD (fail-fast rules apply)"),)),
    Var(name="SOMASTACK_SOFTWARE_MODE", type="enum", allowed=("StandAlone", "SomaStackClusterMode"),
        default="StandAlone", services=("agent", "brain", "memory"), source="seed 000 §1, §5.1, §5.3, §5.4; seed 001 §2.1",
        description="Software mode dimension: service coupling."),
    Var(name="SOMA_SAAS_MODE", type="bool", default="false", services=("agent",),
        source="seed 000 §1, §5.1; seed 001 §2.1 (as SOMA_AAAS_MODE)",
        description="SaaS bridge dimension: in-process imports of SomaBrain/SomaFractalMemory (true) or HTTP (false).",
        aliases=(_a("SOMA_AAAS_MODE", "seed 001 §2.1"),)),
    Var(name="SA01_DEPLOYMENT_TARGET", stack_provided=_SP_TARGET, type="enum", allowed=("LOCAL", "FARGATE", "EKS", "ECS_EC2", "EC2", "APP_RUNNER"),
        default="LOCAL", services=("agent",), source="seed 000 §5.1; seed 001 §2.1",
        description="Infrastructure target dimension."),
    # ---- SomaAgent01 (seed 000 §5.1) ----
    Var(name="SA01_CHAT_PROVIDER", type="enum", allowed=("openrouter", "openai", "anthropic"), default="openrouter",
        services=("agent",), source="seed 000 §5.1; seed 001 §2.4", description="Default chat_model_provider."),
    Var(name="SA01_CHAT_MODEL", type="str", default="openai/gpt-4.1", services=("agent",), source="seed 000 §5.1",
        description="Default chat_model_name."),
    Var(name="DEBUG", type="bool", required="prod", services=("agent",), source="seed 000 §5.1; seed 001 §6",
        description="Django DEBUG flag; false in PROD."),
    Var(name="ALLOWED_HOSTS", type="csv", required="prod", services=("agent",), source="seed 000 §5.1; seed 001 §6",
        description="Django ALLOWED_HOSTS (comma-separated domains); no localhost or * in PROD."),
    Var(name="SECRET_KEY", type="str", secret=True, required="prod", services=("agent",), source="seed 000 §5.1; seed 001 §6",
        description="Django SECRET_KEY.",
        aliases=(_a("DJANGO_SECRET_KEY", "seed 000 §5.1", deprecated=False),
                 _a("SOMA_SECRET_KEY", "seed 000 §5.1", deprecated=False))),
    # ---- SomaAgent01 database (seed 001 §2.2) ----
    Var(name="SA01_DB_DSN", stack_provided=_SP_POSTGRES, type="dsn", secret=True, required="always", services=("agent",), endpoint="postgres",
        source="seed 001 §2.2", description="PostgreSQL connection string of the agent (the seed's default "
        "postgresql://user:pass@host:5432/db is a placeholder, not a usable default)."),
    Var(name="SA01_REDIS_URL", stack_provided=_SP_REDIS, type="dsn", secret=True, required="always", services=("agent",), endpoint="redis",
        source="seed 001 §2.2", description="Redis URL of the agent (seed default redis://host:6379/0 is a placeholder)."),
    Var(name="SA01_DB_HOST", stack_provided=_SP_POSTGRES, type="host", default="postgres", services=("agent",), endpoint="postgres",
        source="seed 001 §2.2", description="PostgreSQL host of the agent (may differ from SOMA_DB_HOST)."),
    Var(name="SA01_DB_PORT", stack_provided=_SP_POSTGRES, type="port", default="5432", services=("agent",), source="seed 001 §2.2",
        description="PostgreSQL port of the agent."),
    Var(name="SA01_DB_NAME", stack_provided=_SP_POSTGRES, type="str", default="somaagent01", services=("agent",), source="seed 001 §2.2",
        description="Database name of the agent."),
    Var(name="SA01_DB_USER", stack_provided=_SP_POSTGRES, type="str", default="soma", services=("agent",), source="seed 001 §2.2",
        description="Database user of the agent."),
    Var(name="SA01_DB_PASSWORD", stack_provided=_SP_POSTGRES_SECRET, type="str", secret=True, required="always", services=("agent",), source="seed 001 §2.2",
        description="Database password of the agent."),
    # ---- authentication and authorization (seed 001 §2.3) ----
    Var(name="KEYCLOAK_URL", stack_provided=_SP_AUTH, type="url", default="http://keycloak:20880", required="always", services=("agent",),
        endpoint="keycloak", port_range=AGENT_PORTS, source="seed 001 §2.3, §1.1", description="Keycloak server URL (OIDC)."),
    Var(name="KEYCLOAK_REALM", type="str", default="somastack", required="always", services=("agent",),
        source="seed 001 §2.3", description="Keycloak realm name."),
    Var(name="KEYCLOAK_CLIENT_ID", type="str", default="soma-agent", required="always", services=("agent",),
        source="seed 001 §2.3", description="OIDC client id."),
    Var(name="SPICEDB_URL", stack_provided=_SP_AUTH, type="url", default="http://spicedb:20051", required="always", services=("agent",),
        endpoint="spicedb", port_range=AGENT_PORTS, source="seed 001 §2.3, §1.1", description="SpiceDB server URL."),
    Var(name="SPICEDB_API_KEY", type="str", secret=True, required="always", services=("agent",), source="seed 001 §2.3",
        description="SpiceDB API key (preshared key)."),
    Var(name="OPA_URL", stack_provided=_SP_AUTH, type="url", default="http://opa:20181", required="always", services=("agent",), endpoint="opa",
        port_range=AGENT_PORTS, source="seed 001 §2.3, §1.1", description="OPA policy server URL."),
    # ---- SaaS / LLM integration (seed 001 §2.4, chat plan §3) ----
    Var(name="AAAS_DEFAULT_CHAT_MODEL", type="str", default="openai/gpt-4.1", required="always", services=("agent",),
        source="seed 001 §2.4", description="Default LLM model of the SaaS layer."),
    Var(name="OPENAI_API_KEY", type="str", secret=True, required="provider", services=("agent",),
        source="seed 001 §2.4, chat plan §3.1", description="OpenAI API key (required when SA01_CHAT_PROVIDER=openai)."),
    Var(name="OPENROUTER_API_KEY", type="str", secret=True, required="provider", services=("agent",),
        source="seed 001 chat plan §3.1", description="OpenRouter API key (required when SA01_CHAT_PROVIDER=openrouter, the code default)."),
    Var(name="ANTHROPIC_API_KEY", type="str", secret=True, required="provider", services=("agent",),
        source="seed 001 §2.4, chat plan §3.1", description="Anthropic API key (required when SA01_CHAT_PROVIDER=anthropic)."),
    Var(name="GROQ_API_KEY", type="str", secret=True, services=("agent",), source="seed 001 chat plan §3.1",
        description="Groq API key (optional)."),
    Var(name="LAGO_API_URL", type="url", default="http://lago:3000", services=("agent",), endpoint="lago",
        source="seed 001 §2.4", description="Billing (Lago) API URL."),
    Var(name="LAGO_API_KEY", type="str", secret=True, services=("agent",), source="seed 001 §2.4", description="Lago API key."),
    Var(name="SMTP_HOST", type="host", default="smtp.sendgrid.net", services=("agent",), endpoint="smtp",
        source="seed 001 §2.4", description="Email server host."),
    Var(name="SMTP_PORT", type="port", default="587", services=("agent",), source="seed 001 §2.4", description="Email server port."),
    Var(name="SMTP_USER", type="str", services=("agent",), source="seed 001 §2.4", description="Email username."),
    Var(name="SMTP_PASSWORD", type="str", secret=True, services=("agent",), source="seed 001 §2.4", description="Email password."),
    Var(name="SA01_ENABLE_AGENTIQ_GOVERNOR", type="bool", default="false", services=("agent",),
        source="seed 001 chat plan §3.3", description="Enable the AgentIQ governor."),
    # ---- cross-service (seed 001 §2.5, seed 000 §1.1) ----
    Var(name="SOMABRAIN_API_URL", stack_provided=_SP_APPS, type="url", default="http://somabrain:30101", required="cluster_http",
        services=("agent",), endpoint="brain", port_range=BRAIN_PORTS, source="seed 001 §2.5; seed 000 §1.1",
        description="SomaBrain API URL (HTTP coupling).",
        aliases=(_a("SOMABRAIN_URL", "seed 001 chat plan §3.2"),)),
    Var(name="SOMAMEMORY_API_URL", stack_provided=_SP_APPS, type="url", default="http://somafractalmemory:10101", required="cluster_http",
        services=("agent",), endpoint="memory", port_range=MEMORY_PORTS, source="seed 001 §2.5; seed 000 §1.1",
        description="SomaFractalMemory API URL (HTTP coupling).",
        aliases=(_a("SOMAFRACTALMEMORY_URL", "seed 001 chat plan §3.2"),)),
    Var(name="SOMA_MEMORY_API_TOKEN", type="str", secret=True, required="cluster_http", services=("agent", "brain"),
        source="seed 000 §1.1; seed 001 §2.5", description="Client token for the SomaFractalMemory API (HTTP coupling)."),
    # ---- SomaBrain (seed 000 §5.2) ----
    Var(name="SOMABRAIN_PORT", stack_provided=_SP_APPS, type="port", default="30101", services=("brain",), port_range=BRAIN_PORTS,
        source="seed 000 §5.2; seed 001 §1.1", description="SomaBrain HTTP API port."),
    Var(name="SOMA_API_PORT", stack_provided=_SP_APPS, type="port", services=("brain", "memory"), source="seed 000 §5.2, §5.3",
        description="HTTP API port: SomaBrain reads it as an alias of SOMABRAIN_PORT (default 30101), "
                    "SomaFractalMemory as its own API port (default 10101). Set it per service."),
    Var(name="SOMA_DB_URL", stack_provided=_SP_POSTGRES, type="dsn", secret=True, services=("brain",), endpoint="postgres", source="seed 000 §5.2",
        description="PostgreSQL URL of SomaBrain.", aliases=(_a("DATABASE_URL", "seed 000 §5.2", deprecated=False),)),
    Var(name="SOMA_REDIS_URL", stack_provided=_SP_REDIS, type="dsn", secret=True, services=("brain",), endpoint="redis", source="seed 000 §5.2",
        description="Redis URL of SomaBrain.", aliases=(_a("REDIS_URL", "seed 000 §5.2", deprecated=False),)),
    Var(name="SOMA_KAFKA_BROKERS", stack_provided=_SP_KAFKA, type="hostports", default="kafka:9092", services=("agent", "brain"), endpoint="kafka",
        source="seed 000 §5.2, §5.4; seed 001 §2.5", description="Kafka bootstrap servers (comma-separated host:port).",
        aliases=(_a("SOMA_INFRA__KAFKA", "seed 000 §5.4", deprecated=False),
                 _a("KAFKA_BOOTSTRAP_SERVERS", "seed 001 §2.5", deprecated=False))),
    Var(name="SOMA_MILVUS_HOST", stack_provided=_SP_MILVUS, type="host", default="milvus", services=("agent", "brain", "memory"), endpoint="milvus",
        source="seed 000 §5.2, §5.3, §5.4; seed 001 §2.5", description="Milvus vector DB host.",
        aliases=(_a("SOMA_INFRA__MILVUS", "seed 000 §5.3, §5.4", deprecated=False),
                 _a("MILVUS_HOST", "seed 001 §2.5", deprecated=False))),
    Var(name="SOMA_MILVUS_PORT", stack_provided=_SP_MILVUS, type="port", default="19530", services=("agent", "brain", "memory"),
        source="seed 000 §5.2, §5.3; seed 001 §2.5", description="Milvus vector DB port.",
        aliases=(_a("MILVUS_PORT", "seed 001 §2.5", deprecated=False),)),
    # ---- SomaFractalMemory (seed 000 §5.3) ----
    Var(name="SFM_AUTH_MODE", type="enum", allowed=("api_token", "oidc"), services=("memory",), source="seed 000 §5.3",
        description="SomaFractalMemory authentication method."),
    Var(name="SOMA_API_TOKEN", stack_provided=_SP_MEMORY_TOKEN, type="str", secret=True, required="api_token_auth", services=("memory",),
        source="seed 000 §5.3", description="SomaFractalMemory's own API token (api_token auth)."),
    Var(name="SOMA_DB_NAME", stack_provided=_SP_POSTGRES, type="str", default="somafractalmemory", services=("memory",), source="seed 000 §5.3",
        description="PostgreSQL database name of SomaFractalMemory."),
    Var(name="SOMA_DB_HOST", stack_provided=_SP_POSTGRES, type="host", default="postgres", services=("brain", "memory"), endpoint="postgres",
        source="seed 000 §5.3, §5.4", description="Shared PostgreSQL host.",
        aliases=(_a("SOMA_INFRA__POSTGRES", "seed 000 §5.3, §5.4", deprecated=False),)),
    Var(name="SOMA_DB_PORT", stack_provided=_SP_POSTGRES, type="port", default="5432", services=("brain", "memory"), source="seed 000 §5.3, §5.4",
        description="Shared PostgreSQL port."),
    Var(name="SOMA_MEMORY_MODE", type="enum", allowed=("evented_enterprise", "simple"), services=("memory",),
        source="seed 000 §5.3", description="Memory system mode."),
    # ---- shared infrastructure (seed 000 §5.4) ----
    Var(name="SOMA_REDIS_HOST", stack_provided=_SP_REDIS, type="host", services=("brain", "memory"), endpoint="redis", source="seed 000 §5.4",
        description="Shared Redis host.", aliases=(_a("SOMA_INFRA__REDIS", "seed 000 §5.4", deprecated=False),)),
    Var(name="SOMA_REDIS_PORT", stack_provided=_SP_REDIS, type="port", default="6379", services=("brain", "memory"), source="seed 000 §5.4",
        description="Shared Redis port."),
    Var(name="VAULT_ADDR", type="url", services=("agent", "brain", "memory"), endpoint="vault", source="seed 000 §5.4",
        description="Vault address (secrets backend)."),
    Var(name="VAULT_TOKEN", type="str", secret=True, services=("agent", "brain", "memory"), source="seed 000 §5.4",
        description="Vault token."),
    # ---- feature flags (seed 001 §2.6) ----
    Var(name="MEMORY_ENABLED", type="bool", default="true", services=("agent",), source="seed 001 §2.6",
        description="Enable the Memory service."),
    Var(name="VOICE_ENABLED", type="bool", default="false", services=("agent",), source="seed 001 §2.6",
        description="Enable voice services."),
    Var(name="MCP_ENABLED", type="bool", default="true", services=("agent",), source="seed 001 §2.6",
        description="Enable MCP servers."),
    Var(name="CODE_EXECUTION_ENABLED", type="bool", default="false", services=("agent",), source="seed 001 §2.6",
        description="Enable code execution."),
    # ---- runtime modes (seed 003; seed 004 §8) ----
    Var(name="SOMA_AGENT_MODE", type="enum", allowed=("LOCAL", "DEVELOPMENT", "TRAINING", "PRODUCTION"),
        required="prod", services=("agent",), source="seed 003 'Mode Implementation Hooks'",
        description="Agent runtime mode; fixes Kafka topic prefix/retention, policy enforcement level, Vault on/off.",
        aliases=(_a("SOMAGENT_MODE", "seed 004 §8", case_insensitive=True,
                    value_map={"DEVELOPER": "DEVELOPMENT", "TRAINING": "TRAINING", "TEST": None,
                               "PRODUCTION": "PRODUCTION", "PRODUCTION-ENTERPRISE": "PRODUCTION"},
                    note="PRODUCTION-ENTERPRISE maps to PRODUCTION plus enterprise (OSS-only) mode; TEST has no "
                         "runtime-mode counterpart in seed 003"),)),
    Var(name="SOMA_KAFKA_TOPIC_PREFIX", type="str", services=("agent",),
        source="seed 003 mode matrix (variable name assigned by this contract)",
        description="Kafka topic prefix fixed by the runtime mode (TRAINING: 'training.')."),
    Var(name="SOMA_KAFKA_RETENTION_MS", type="int", services=("agent",),
        source="seed 003 mode matrix (variable name assigned by this contract)",
        description="Kafka topic retention in ms (-1 = keep all; DEVELOPMENT >= 7 days = 604800000 ms)."),
    Var(name="SOMA_POLICY_ENFORCEMENT", type="enum", allowed=("warn", "observe", "strict", "fail-closed"),
        services=("agent",), source="seed 003 mode matrix (variable name assigned by this contract)",
        description="Policy engine enforcement level fixed by the runtime mode."),
    Var(name="SOMA_VAULT_ENABLED", type="bool", services=("agent",),
        source="seed 003 mode matrix (variable name assigned by this contract)",
        description="Vault on/off as fixed by the runtime mode (LOCAL: off)."),
)


@lru_cache(maxsize=1)
def by_name() -> dict[str, Var]:
    """Canonical name → :class:`Var`."""
    return {v.name: v for v in CATALOG}


@lru_cache(maxsize=1)
def alias_index() -> dict[str, tuple[Var, Alias]]:
    """Alias name → (canonical :class:`Var`, :class:`Alias`)."""
    return {a.name: (v, a) for v in CATALOG for a in v.aliases}


@lru_cache(maxsize=1)
def all_names() -> tuple[str, ...]:
    """Every name the contract knows (canonical and aliases), sorted."""
    return tuple(sorted(set(by_name()) | set(alias_index())))


def lookup(name: str) -> Var | None:
    """The :class:`Var` for a canonical or alias name, ``None`` when unknown."""
    var = by_name().get(name)
    if var is not None:
        return var
    hit = alias_index().get(name)
    return hit[0] if hit else None


def service_of(var: Var | None) -> str:
    """The report group of a variable: its one service key, ``shared`` for several, else ``general``."""
    if var is None:
        return "general"
    return var.services[0] if len(var.services) == 1 else "shared"


def is_secret_name(name: str) -> bool:
    """True when ``name`` is a catalogued secret or, for names outside the catalog, when it looks
    like one; the owner is :func:`somastack_deploy.config_contract.grammar.secrets.is_secret_name`."""
    from .grammar.secrets import is_secret_name as owner

    return owner(name)


def is_contract_name(name: str) -> bool:
    """True when ``name`` is catalogued or carries a contract prefix (SA01_, SOMA_, SFM_)."""
    return lookup(name) is not None or name.startswith(CONTRACT_PREFIXES)
