# SomaStack authorization policy (Rego v1, OPA 1.x).
#
# Decides, per tenant, which tools and models an agent request may use and whether the tenant
# may delegate to sub-agents, then applies the policy-engine enforcement level of the runtime
# mode. Sources:
#   seed 004 §3 step 2   "OPA policy (per tenant) decides allowed tools/models"
#   seed 004 §4.1        provider tiers (premium, standard, SLM)
#   seed 004 §4.2        policy hooks: DEGRADED / LOCAL_ONLY restrict providers (SLM tier only);
#                        ENTERPRISE_MODE: OSS/self-hosted providers only
#   seed 004 §5          delegation permissions per tenant; §5.1 privileged host operations
#   seed 003 Mode Matrix policy engine per SOMA_AGENT_MODE: LOCAL "warn" (fail-open, logged),
#                        DEVELOPMENT "observe" (warnings, decisions logged), TRAINING strict
#                        guided (sensitive tools need explicit trainer approval), PRODUCTION
#                        enforced fail-closed.
#
# Query: POST /v1/data/somastack/authz/decision with
#   {"input": {"tenant": "default", "mode": "PRODUCTION", "action": "tool"|"model"|"delegate",
#              "tool": "code_run", "model": "slm/phi-3-mini", "agent_state": "CONNECTED",
#              "trainer_approval": false}}
# Result: {"allow": bool, "permitted": bool, "enforcement": "warn"|"observe"|"strict"|"enforce",
#          "reasons": [string]}  (permitted = the policy verdict; allow = after enforcement level)
package somastack.authz

cfg := data.somastack.config

actions := {"tool", "model", "delegate"}

# An unknown or missing mode is treated as PRODUCTION: fail closed.
default enforcement := "enforce"

enforcement := cfg.enforcement[input.mode]

agent_state := object.get(input, "agent_state", "CONNECTED")

tenant := cfg.tenants[input.tenant]

reasons contains "unknown action" if not input.action in actions

reasons contains sprintf("unknown tenant %q", [input.tenant]) if not cfg.tenants[input.tenant]

reasons contains sprintf("tool %q is not allowed for tenant %q", [input.tool, input.tenant]) if {
	input.action == "tool"
	not input.tool in tenant.tools
}

reasons contains sprintf("tool %q needs explicit trainer approval in %s mode", [input.tool, input.mode]) if {
	input.action == "tool"
	enforcement == "strict"
	input.tool in cfg.sensitive_tools
	not input.trainer_approval == true
}

reasons contains sprintf("unknown model %q", [input.model]) if {
	input.action == "model"
	not cfg.models[input.model]
}

reasons contains sprintf("model %q is not allowed for tenant %q", [input.model, input.tenant]) if {
	input.action == "model"
	not input.model in tenant.models
}

reasons contains sprintf("agent state %s allows only the SLM tier", [agent_state]) if {
	input.action == "model"
	agent_state != "CONNECTED"
	cfg.models[input.model].tier != "slm"
}

reasons contains "enterprise tenants use OSS/self-hosted models only" if {
	input.action == "model"
	tenant.enterprise
	not cfg.models[input.model].oss
}

reasons contains sprintf("tenant %q may not delegate to sub-agents", [input.tenant]) if {
	input.action == "delegate"
	not tenant.delegation
}

default permitted := false

permitted if count(reasons) == 0

# warn / observe: fail-open (the decision and its reasons are logged by the caller).
default allow := false

allow if permitted

allow if enforcement in {"warn", "observe"}

decision := {
	"allow": allow,
	"permitted": permitted,
	"enforcement": enforcement,
	"reasons": sort(reasons),
}
