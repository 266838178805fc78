"""``checks.drift.model`` without live services: the field-by-field comparison the service and
infra drift use (``compare_maps``), how values are compared as strings, the items' keys and
messages, the report's JSON, and the baseline of accepted drift (a previous report or an
``accepted`` list, read from a real file)."""

from __future__ import annotations

import json

import pytest

from somastack_deploy.checks.drift.model import (CHANGED, EXTRA, JSON_VERSION, MISSING, DriftItem, DriftReport,
                                                 compare_maps, load_baseline)
from somastack_deploy.config_contract.errors import InputError

TOPICS = "assets/kafka/topics.yaml"


def _fields(items):
    return [(i.field, i.change, i.expected, i.actual) for i in items]


# --------------------------------------------------------------------------- compare_maps
def test_kafka_topic_config_changed_missing_and_extra():
    declared = {"retention.ms": 604800000, "cleanup.policy": "delete", "min.insync.replicas": 2}
    live = {"retention.ms": "3600000", "cleanup.policy": "delete", "segment.bytes": "1073741824"}
    items = compare_maps("service", "kafka", "topic somastack.events", declared, live, source=TOPICS)
    assert _fields(items) == [("min.insync.replicas", MISSING, "2", None),
                              ("retention.ms", CHANGED, "604800000", "3600000"),
                              ("segment.bytes", EXTRA, None, "1073741824")]
    assert all((i.kind, i.service, i.object, i.source, i.secret) == ("service", "kafka", "topic somastack.events",
                                                                     TOPICS, False) for i in items)


def test_only_declared_leaves_out_server_defaults_but_not_missing_fields():
    declared = {"retention.ms": "604800000", "min.insync.replicas": "2"}
    live = {"retention.ms": "604800000", "segment.bytes": "1073741824", "flush.ms": "9223372036854775807"}
    items = compare_maps("service", "kafka", "topic t", declared, live, only_declared=True)
    assert _fields(items) == [("min.insync.replicas", MISSING, "2", None)]
    assert compare_maps("service", "kafka", "topic t", {}, live, only_declared=True) == []


def test_values_are_compared_as_strings():
    # the same value in the declaring file's type and in the server's string form is no drift
    declared = {"port": 6379, "appendonly": True, "maxmemory": "0", "save": ["900 1", "300 10"],
                "labels": {"b": 2, "a": 1}, "notes": None}
    live = {"port": "6379", "appendonly": "true", "maxmemory": 0, "save": ("300 10", "900 1"),
            "labels": {"a": 1, "b": 2}, "notes": None}
    assert compare_maps("service", "redis", "server", declared, live) == []


def test_changed_values_show_their_string_forms():
    declared = {"appendonly": True, "save": ["900 1"], "labels": {"tier": "data"}, "port": 6379}
    live = {"appendonly": False, "save": ["900 1", "60 10000"], "labels": {"tier": "cache"}, "port": 6380}
    assert _fields(compare_maps("service", "redis", "server", declared, live)) == [
        ("appendonly", CHANGED, "true", "false"),
        ("labels", CHANGED, '{"tier": "data"}', '{"tier": "cache"}'),
        ("port", CHANGED, "6379", "6380"),
        ("save", CHANGED, '["900 1"]', '["60 10000", "900 1"]')]


def test_a_declared_field_live_as_null_is_changed_not_missing():
    items = compare_maps("service", "keycloak", "client soma", {"rootUrl": "https://soma.example"},
                         {"rootUrl": None})
    assert _fields(items) == [("rootUrl", CHANGED, "https://soma.example", None)]
    # a declared null that the server also leaves empty is no drift
    assert compare_maps("service", "keycloak", "client soma", {"rootUrl": None}, {"rootUrl": None}) == []


def test_boolean_false_and_zero_are_values_not_absence():
    items = compare_maps("service", "keycloak", "realm soma", {"enabled": False, "otp": 0}, {})
    assert _fields(items) == [("enabled", MISSING, "false", None), ("otp", MISSING, "0", None)]
    items = compare_maps("service", "keycloak", "realm soma", {}, {"enabled": False})
    assert _fields(items) == [("enabled", EXTRA, None, "false")]


def test_secret_fields_are_marked_on_every_kind_of_change():
    items = compare_maps("config", "brain", "env", {"token": "fp:aa", "gone": "fp:bb", "name": "x"},
                         {"token": "fp:cc", "new": "fp:dd", "name": "y"}, secret_fields={"token", "gone", "new"})
    assert [(i.field, i.change, i.secret) for i in items] == [
        ("gone", MISSING, True), ("name", CHANGED, False), ("new", EXTRA, True), ("token", CHANGED, True)]


def test_no_drift_for_equal_maps():
    assert compare_maps("service", "postgres", "server", {"max_connections": "100"}, {"max_connections": "100"}) == []
    assert compare_maps("service", "postgres", "server", {}, {}) == []


# --------------------------------------------------------------------------- items
def test_item_key_and_json():
    it = DriftItem("service", "kafka", "topic somastack.events", "retention.ms", CHANGED, "604800000", "3600000",
                   source=TOPICS)
    assert it.key == "service:kafka:topic somastack.events:retention.ms"
    assert it.to_json() == {"kind": "service", "service": "kafka", "object": "topic somastack.events",
                            "field": "retention.ms", "change": "changed", "expected": "604800000",
                            "actual": "3600000", "secret": False, "source": TOPICS,
                            "key": "service:kafka:topic somastack.events:retention.ms"}
    assert DriftItem("k", "s", "o", "f", EXTRA).to_json()["secret"] is False


@pytest.mark.parametrize("item,message", [
    (DriftItem("service", "kafka", "topic t", "retention.ms", CHANGED, "604800000", "3600000"),
     "topic t retention.ms: declared 604800000, live 3600000"),
    (DriftItem("service", "kafka", "topic t", "min.insync.replicas", MISSING, "2", None),
     "topic t min.insync.replicas: declared 2 but missing live"),
    (DriftItem("service", "kafka", "topic t", "segment.bytes", EXTRA, None, "1073741824"),
     "topic t segment.bytes: live 1073741824 but not declared"),
    (DriftItem("service", "kafka", "topic somastack.audit", "", MISSING, "declared", None),
     "topic somastack.audit: declared but missing live"),
    (DriftItem("service", "kafka", "topic scratch", "", EXTRA, None, "present"),
     "topic scratch: live but not declared"),
    (DriftItem("infra", "pulumi", "aws:s3/bucket:Bucket logs", "", MISSING, "in state", None),
     "aws:s3/bucket:Bucket logs: declared but missing live"),
    (DriftItem("service", "keycloak", "client soma", "rootUrl", CHANGED, "https://a", None),
     "client soma rootUrl: declared https://a, live None"),
])
def test_item_messages(item, message):
    assert item.message() == message


# --------------------------------------------------------------------------- report and baseline
def _report():
    rep = DriftReport("harness", checked=["redis", "kafka"], errors=["milvus: refused: connection refused"],
                      notes=["infra drift not checked: no Pulumi CLI"])
    rep.items = [DriftItem("service", "kafka", "topic t", "retention.ms", CHANGED, "604800000", "3600000"),
                 DriftItem("service", "redis", "server", "appendonly", CHANGED, "true", "false")]
    return rep


def test_report_json():
    rep = _report()
    assert rep.drift is True
    doc = rep.to_json()
    assert list(doc) == ["version", "stack", "drift", "items", "accepted", "checked", "errors", "notes"]
    assert doc["version"] == JSON_VERSION == 1 and doc["stack"] == "harness" and doc["drift"] is True
    assert doc["items"] == [i.to_json() for i in rep.items] and doc["accepted"] == []
    assert doc["checked"] == ["kafka", "redis"]  # sorted
    assert doc["errors"] == ["milvus: refused: connection refused"]
    assert doc["notes"] == ["infra drift not checked: no Pulumi CLI"]
    assert DriftReport("s").drift is False and DriftReport("s").to_json()["drift"] is False


def test_baseline_accepts_only_the_same_key_with_the_same_live_value():
    rep = _report()
    earlier = DriftItem("service", "postgres", "server", "fsync", CHANGED, "on", "off")
    rep.accepted = [earlier]
    rep.apply_baseline({("service:kafka:topic t:retention.ms", "3600000"),
                        ("service:redis:server:appendonly", "no")})  # a further change: reported again
    assert [i.field for i in rep.items] == ["appendonly"]
    assert rep.accepted == [earlier, DriftItem("service", "kafka", "topic t", "retention.ms", CHANGED, "604800000",
                                               "3600000")]
    assert rep.drift is True
    rep.apply_baseline({("service:redis:server:appendonly", "false")})
    assert rep.items == [] and rep.drift is False and len(rep.accepted) == 3


def test_a_previous_report_is_a_baseline(tmp_path):
    rep = _report()
    rep.accepted = [DriftItem("service", "postgres", "server", "fsync", CHANGED, "on", "off")]
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(rep.to_json()), encoding="utf-8")
    assert load_baseline(str(path)) == {("service:kafka:topic t:retention.ms", "3600000"),
                                        ("service:redis:server:appendonly", "false"),
                                        ("service:postgres:server:fsync", "off")}
    again = _report()
    again.apply_baseline(load_baseline(str(path)))
    assert again.items == [] and len(again.accepted) == 2


def test_an_accepted_list_is_a_baseline_and_actual_may_be_absent(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"version": 1, "accepted": [
        {"key": "service:kafka:topic scratch:", "actual": "present"},
        {"key": "service:kafka:topic somastack.audit:"}]}), encoding="utf-8")
    assert load_baseline(str(path)) == {("service:kafka:topic scratch:", "present"),
                                        ("service:kafka:topic somastack.audit:", None)}
    rep = DriftReport("s", items=[DriftItem("service", "kafka", "topic somastack.audit", "", MISSING, "declared")])
    rep.apply_baseline(load_baseline(str(path)))
    assert rep.items == [] and rep.accepted[0].object == "topic somastack.audit"
    empty = tmp_path / "empty.json"
    empty.write_text('{"version": 1}', encoding="utf-8")
    assert load_baseline(str(empty)) == set()


@pytest.mark.parametrize("text,reason,line", [
    ('{"version": 2, "accepted": []}', "not a drift baseline (version 1)", None),
    ('{"accepted": []}', "not a drift baseline (version 1)", None),
    ('[{"key": "a"}]', "not a drift baseline (version 1)", None),
    ('{"version": 1, "accepted": [{"actual": "x"}]}', "entry 0 has no key", None),
    ('{"version": 1, "accepted": [{"key": "a"}], "items": ["x"]}', "entry 1 has no key", None),
    ('{"version": 1,\n "accepted": [\n}', "not JSON (Expecting value)", 3),
])
def test_bad_baselines_are_one_line_errors_naming_the_file(tmp_path, text, reason, line):
    path = tmp_path / "baseline.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_baseline(str(path))
    assert (err.value.path, err.value.reason, err.value.line) == (str(path), reason, line)
    assert "\n" not in str(err.value) and str(err.value).startswith(str(path))


def test_missing_and_unreadable_baselines(tmp_path):
    with pytest.raises(InputError) as err:
        load_baseline(str(tmp_path / "nope.json"))
    assert (err.value.reason, err.value.path) == ("no such file", str(tmp_path / "nope.json"))
    with pytest.raises(InputError) as err:
        load_baseline(str(tmp_path))  # a directory: IsADirectoryError, an OSError with a strerror
    assert (err.value.reason, err.value.path) == ("Is a directory", str(tmp_path))
