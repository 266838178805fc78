"""The policy registry and offline evaluation machinery: the resource view (nested lookup,
effective tags as AWS computes ``tags_all``), the registry (kebab-case names, duplicates,
package wildcards), conversion of captured resources with their explicit provider, rule
selection, disabled rules, violations and the mandatory verdict."""

from __future__ import annotations

import importlib
import json

import pytest

from somastack_deploy.policies import rules as rules_pkg
from somastack_deploy.policies.registry import CATEGORIES, CheckResult, Registry, ResourceInput, Rule, Violation

ev = importlib.import_module("somastack_deploy.policies.evaluate")  # the package re-exports a function of that name
LOG = "aws:cloudwatch/logGroup:LogGroup"


def _rule(name="r-one", level="mandatory", types=(LOG,), check=lambda res: [], category="logging"):
    """A rule instance of a class made for the test; its check is ``check``."""
    attrs = {"name": name, "description": "d", "level": level, "category": category,
             "resource_types": types if isinstance(types, str) else tuple(types),
             "source": "s", "check": lambda self, res: check(res)}
    return type("RuleForTest", (Rule,), attrs)()


def test_nested_get():
    res = ResourceInput(LOG, "n", {"a": {"b": [{"c": 1}, None]}, "z": None, "f": False})
    assert res.get("a", "b", 0, "c") == 1
    assert res.get("a", "b", 1, "c", default="d") == "d"
    assert res.get("a", "b", 5, default="idx") == "idx"
    assert res.get("a", "x", default=0) == 0
    assert res.get("z", default="none") == "none"
    assert res.get("f") is False
    assert res.get("a", "b", "k", default="type") == "type"
    assert res.get() == res.props


def test_effective_tags_merge_provider_defaults_under_resource_tags():
    res = ResourceInput(LOG, "n", {"tags": {"Stack": "s", "Empty": None, "N": 1}},
                        provider_props={"defaultTags": {"tags": {"Project": "p", "Stack": "default"}}})
    assert res.tags == {"Project": "p", "Stack": "s", "N": "1"}
    as_json = ResourceInput(LOG, "n", {}, provider_props={"defaultTags": json.dumps({"tags": {"Project": "p"}})})
    assert as_json.tags == {"Project": "p"}
    broken = ResourceInput(LOG, "n", {"tags": {"A": "b"}}, provider_props={"defaultTags": "{not json"})
    assert broken.tags == {"A": "b"}
    assert ResourceInput(LOG, "n", {}).tags == {}
    assert ResourceInput(LOG, "n", {"tags": None}, provider_props={"defaultTags": None}).tags == {}


def test_tag_lookup_ignores_case_and_separators():
    res = ResourceInput(LOG, "n", {"tags": {"managed-by": "pulumi", "ENVIRONMENT": "PROD", "aws:cfn": "x"}})
    assert res.tag("ManagedBy") == "pulumi" and res.tag("managed_by") == "pulumi"
    assert res.tag("Environment") == "PROD"
    assert res.tag("awscfn") == "x"
    assert res.tag("Stack") is None


def test_registry_rules_names_and_wildcards():
    reg = Registry()
    a = reg.add(_rule("a-rule", types=(LOG, "aws:s3/bucket:Bucket")))
    b = reg.add(_rule("b-rule", types=("aws:*",)))
    c = reg.add(_rule("c-rule", types=("kubernetes:core/v1:Secret",)))
    assert reg.for_type(LOG) == [a, b]
    assert reg.for_type("aws:ec2/vpc:Vpc") == [b]
    assert reg.for_type("kubernetes:core/v1:Secret") == [c]
    assert reg.for_type("docker:index/container:Container") == []
    assert reg["b-rule"] is b and list(reg) == [a, b, c] and len(reg) == 3
    assert reg.types() == {LOG, "aws:s3/bucket:Bucket", "aws:*", "kubernetes:core/v1:Secret"}
    with pytest.raises(ValueError, match="duplicate rule 'a-rule'"):
        reg.add(_rule("a-rule"))
    for bad in ("Upper-case", "under_score", "-lead", "trail-", "double--dash", ""):
        with pytest.raises(ValueError, match="not kebab-case"):
            reg.add(_rule(bad))
    assert len(reg) == 3


def test_registry_rejects_bad_metadata_and_removes_rules():
    reg = Registry([_rule("a-rule"), _rule("b-rule", types=(LOG, "aws:*"))])
    assert [r.name for r in reg] == ["a-rule", "b-rule"]
    for bad, match in ((_rule("c-rule", level="blocking"), "unknown level 'blocking'"),
                       (_rule("c-rule", category="misc"), "unknown category 'misc'"),
                       (_rule("c-rule", types=()), "resource_types must be a non-empty tuple"),
                       (_rule("c-rule", types=LOG), "resource_types must be a non-empty tuple")):
        with pytest.raises(ValueError, match=match):
            reg.add(bad)
        assert "c-rule" not in [r.name for r in reg]
    removed = reg.remove("b-rule")
    assert removed.name == "b-rule" and [r.name for r in reg] == ["a-rule"] and len(reg) == 1
    assert reg.for_type("aws:s3/bucket:Bucket") == [] and reg.types() == {LOG}
    assert [r.name for r in reg.for_type(LOG)] == ["a-rule"]
    with pytest.raises(KeyError):
        reg.remove("b-rule")
    assert reg.add(removed) is removed and [r.name for r in reg.for_type(LOG)] == ["a-rule", "b-rule"]


def test_the_registry_is_built_from_the_rule_classes_of_each_module():
    """One instance per class listed in a module's ``RULES``, in module order; every rule has
    its metadata, a category, a ``check`` of its own and no module registers itself."""
    classes = [cls for module in rules_pkg.MODULES for cls in module.RULES]
    assert [type(r) for r in rules_pkg.REGISTRY] == classes
    assert [r.name for r in rules_pkg.all_rules()] == [r.name for r in rules_pkg.REGISTRY]
    assert all(a is not b for a, b in zip(rules_pkg.all_rules(), rules_pkg.REGISTRY))
    for r in rules_pkg.REGISTRY:
        assert isinstance(r, Rule) and r.category in CATEGORIES and r.level == "mandatory"
        assert r.description.endswith(".") and r.source and r.resource_types
        assert type(r).check is not Rule.check and type(r).check.__doc__
        assert repr(r) == f"<Rule {r.name}>"
    assert {m.__name__.rsplit(".", 1)[-1] for m in rules_pkg.MODULES} == {
        "secrets", "database", "exposure", "loadbalancer", "cache", "kafka", "logs", "state", "tags"}


def test_violation_json_shape():
    v = Violation("p", "r", LOG, "urn:x", "advisory", "m")
    assert v.to_dict() == {"policy": "p", "resource": "r", "type": LOG, "urn": "urn:x", "level": "advisory",
                           "message": "m"}


def test_to_input_from_mappings_objects_and_providers():
    res = ResourceInput(LOG, "n", {})
    assert ev.to_input(res) is res
    items = [
        {"type": "pulumi:providers:aws", "name": "p", "urn": "urn:prov", "id": "id1", "props": {"region": "r"}},
        {"type": LOG, "name": "a", "props": {"x": 1}, "urn": "urn:a", "provider": "urn:prov::id1"},
        {"type": LOG, "name": "b", "provider": "urn:prov::other-id"},
        {"type": LOG, "provider_props": {"explicit": True}, "provider": "urn:prov::id1"},
    ]
    providers = ev._provider_index(items)
    assert providers == {"urn:prov::id1": {"region": "r"}, "urn:prov": {"region": "r"}}
    a, b, c = (ev.to_input(i, providers) for i in items[1:])
    assert (a.type, a.name, a.props, a.urn, a.provider_props) == (LOG, "a", {"x": 1}, "urn:a", {"region": "r"})
    assert (b.name, b.props, b.urn, b.provider_props) == ("b", {}, "", {"region": "r"})  # by URN without the id
    assert c.name == "" and c.provider_props == {"explicit": True}
    assert ev.to_input({"type": LOG}).provider_props is None

    class Captured:
        type, name, urn, id, props, provider = "pulumi:providers:aws", "p", "urn:p2", "i2", {"k": "v"}, None

    class Res:
        type, name, urn, id, props, provider = LOG, "o", "urn:o", None, None, "urn:p2::i2"

    index = ev._provider_index([Captured(), Res()])
    got = ev.to_input(Res(), index)
    assert (got.name, got.props, got.urn, got.provider_props) == ("o", {}, "urn:o", {"k": "v"})
    assert ev.to_input(Res()).provider_props is None


PROVIDER_URN = "urn:pulumi:fargate-prod::somastack::pulumi:providers:aws::aws-eu-west-1"
PROVIDER_ID = "8a2c1f7e-5b0d-4c39-9e61-3f1f0d2b7a44"


def test_provider_lookup_with_real_urns():
    """Provider references are ``URN::ID`` and URNs contain ``::`` themselves: the exact
    reference first, else the URN without the last ``::ID`` (an ID that changed since)."""
    from somastack_deploy.plan.runner import CapturedResource

    def captured(typ, name, *, id=None, provider=None, props=None):
        return CapturedResource(urn=f"urn:pulumi:fargate-prod::somastack::{typ}::{name}", type=typ, name=name,
                                parent=None, parent_name=None, parent_type=None, custom=True, id=id,
                                provider=provider, dependencies=(), inputs={}, outputs={}, props=props or {})

    prov = captured("pulumi:providers:aws", "aws-eu-west-1", id=PROVIDER_ID,
                    props={"region": "eu-west-1", "defaultTags": {"tags": {"Project": "somastack"}}})
    assert prov.urn == PROVIDER_URN
    exact = captured(LOG, "logs-a", provider=f"{PROVIDER_URN}::{PROVIDER_ID}", props={"retentionInDays": 30})
    moved = captured(LOG, "logs-b", provider=f"{PROVIDER_URN}::04da6b54-80e4-46f7-96ec-b56ff0331ba9")
    other = captured(LOG, "logs-c", provider="urn:pulumi:fargate-prod::somastack::pulumi:providers:aws::other::x")
    unknown_id = captured("pulumi:providers:aws", "aws-no-id", props={"region": "us-east-1"})
    index = ev._provider_index([prov, exact, moved, other, unknown_id])
    assert set(index) == {f"{PROVIDER_URN}::{PROVIDER_ID}", PROVIDER_URN, unknown_id.urn + "::", unknown_id.urn}
    got = [ev.to_input(r, index) for r in (exact, moved, other)]
    assert [(g.name, g.urn, g.props, g.tags) for g in got] == [
        ("logs-a", exact.urn, {"retentionInDays": 30}, {"Project": "somastack"}),
        ("logs-b", moved.urn, {}, {"Project": "somastack"}), ("logs-c", other.urn, {}, {})]
    assert got[2].provider_props is None
    as_dicts = [{"type": r.type, "name": r.name, "urn": r.urn, "id": r.id, "props": r.props, "provider": r.provider}
                for r in (prov, exact, moved, other)]
    dict_index = ev._provider_index(as_dicts)
    assert dict_index == {k: v for k, v in index.items() if "no-id" not in k}
    assert [ev.to_input(d, dict_index).provider_props for d in as_dicts[1:]] == [prov.props, prov.props, None]
    assert ev.to_input(as_dicts[1]).provider_props is None  # no index: no provider
    assert ev._provider_index([{"name": "untyped"}, {"type": None}]) == {}


def test_check_selects_rules_skips_disabled_and_keeps_order(monkeypatch):
    reg = Registry()
    reg.add(_rule("first", check=lambda res: ["bad 1", "bad 2"]))
    reg.add(_rule("second", level="advisory", check=lambda res: ["meh"]))
    reg.add(_rule("off", level="disabled", check=lambda res: ["never"]))
    monkeypatch.setattr(ev, "REGISTRY", reg)
    items = [ResourceInput(LOG, "x", {}), ResourceInput("aws:s3/bucket:Bucket", "y", {})]
    results = ev.check(items)
    assert [(r.rule, r.resource, r.status) for r in results] == [("first", "x", "FAILED"), ("second", "x", "FAILED")]
    assert [r.rule for r in ev.check(items, rules=["second"])] == ["second"]
    assert ev.check(items, rules=[]) == []
    violations = ev.evaluate(items)
    assert [(v.policy, v.message, v.level) for v in violations] == [
        ("first", "bad 1", "mandatory"), ("first", "bad 2", "mandatory"), ("second", "meh", "advisory")]
    assert ev.mandatory(violations) and not ev.mandatory(violations[2:]) and not ev.mandatory([])
    assert ev.blocks(results) and not ev.blocks(results[1:]) and not ev.blocks([])


def test_violations_only_from_failed_results():
    results = [CheckResult("a", "mandatory", "PASSED", LOG, "x", "u", ()),
               CheckResult("b", "mandatory", "UNKNOWN", LOG, "x", "u", ("why",)),
               CheckResult("c", "mandatory", "ERROR", LOG, "x", "u", ("TypeError: t",)),
               CheckResult("d", "advisory", "FAILED", LOG, "x", "u", ("m",))]
    assert [v.policy for v in ev.violations_of(results)] == ["d"]
    assert [r.rule for r in ev.errors_of(results)] == ["c"]
    assert ev.blocks(results) and not ev.blocks(results[:2] + results[3:])


def test_provider_index_takes_providers_anywhere_and_defaults():
    items = [{"type": LOG, "name": "a"}, object(),
             {"type": "pulumi:providers:aws", "name": "p", "id": "i1", "props": {"k": 1}},
             {"type": "pulumi:providers:aws", "name": "q", "urn": "urn:q"}]
    assert ev._provider_index(items) == {"::i1": {"k": 1}, "": {"k": 1}, "urn:q::": {}, "urn:q": {}}


def test_check_applies_the_explicit_providers_default_tags():
    tags = {"Project": "somastack", "Environment": "PROD", "Stack": "s", "ManagedBy": "pulumi"}
    items = [{"type": "pulumi:providers:aws", "name": "p", "urn": "urn:p", "id": "id1",
              "props": {"defaultTags": {"tags": tags}}},
             {"type": LOG, "name": "logs", "urn": "urn:l", "provider": "urn:p::id1",
              "props": {"retentionInDays": 30, "tags": {}}}]
    (result,) = ev.check(items, rules=["required-tags"])
    assert result.status == "PASSED"
    v = ev.violations_of([CheckResult("r", "advisory", "FAILED", LOG, "logs", "urn:l", ("m1", "m2"))])
    assert [x.to_dict() for x in v] == [
        {"policy": "r", "resource": "logs", "type": LOG, "urn": "urn:l", "level": "advisory", "message": "m1"},
        {"policy": "r", "resource": "logs", "type": LOG, "urn": "urn:l", "level": "advisory", "message": "m2"}]
