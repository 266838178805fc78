"""The comparison half of ``checks.drift.engine`` without running the Pulumi CLI.

``engine_drift`` turns the engine events of ``pulumi refresh --preview-only`` into drift items.
The events here are the ones a real run sent (``data/refresh_events.jsonl``, recorded by
``data/record_refresh_events.py`` with the CLI built by the harness: four JSON files deployed
with the ``JsonFile`` dynamic provider, then one changed in nested fields, one deleted, one
secret changed, one secret and one plain file left alone). They are parsed with the
Automation API's own ``EngineEvent.from_json``; the only stand-in is the stack object that
replays them (the seam ``open_stack`` returns). The end-to-end runs against the CLI are in
``tests/engine/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.automation import _cmd, errors
from pulumi.automation.events import EngineEvent

from somastack_deploy.checks.drift import engine
from somastack_deploy.checks.drift.engine import (MAX_VALUE_CHARS, EngineDriftError, _get_path, _last_line, _project,
                                                  _short, diff_paths, engine_drift, infra_drift, secret_paths)
from somastack_deploy.checks.drift.engine_cli import PulumiCliNotFound
from somastack_deploy.checks.drift.model import CHANGED, MISSING

EVENTS = Path(__file__).parent / "data" / "refresh_events.jsonl"
RES = "pulumi-python:dynamic:Resource"
MASK = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "[secret]"}


def _recorded() -> list[dict]:
    return [json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines() if line.strip()]


class Replay:
    """The stack seam: ``preview_refresh`` hands the recorded events to ``on_event``."""

    def __init__(self, events: list[dict], error: Exception | None = None):
        self.events, self.error, self.kwargs = events, error, None

    def preview_refresh(self, *, on_event, **kwargs):
        self.kwargs = kwargs
        for data in self.events:
            on_event(EngineEvent.from_json(data))
        if self.error:
            raise self.error


@pytest.fixture
def replay(monkeypatch):
    """``replay(events)``: ``engine_drift`` runs over these events; returns (items, stack)."""
    opened = []

    def run(events, error=None, **kw):
        stack = Replay(events, error)

        def open_stack(program, stack_name, backend_url, **kwargs):
            opened.append((program, stack_name, backend_url, kwargs))
            return stack

        monkeypatch.setattr(engine, "open_stack", open_stack)
        return engine_drift(kw.pop("program", "proj"), "rec", kw.pop("backend", None), **kw), stack, opened

    return run


def _view(items):
    return [(i.object.split()[-1], i.field, i.change, i.expected, i.actual, i.secret) for i in items]


# --------------------------------------------------------------------------- recorded run
def test_a_recorded_refresh_reports_exactly_what_changed_out_of_band(replay):
    items, stack, opened = replay(_recorded(), project_name="refresh-events", env={"A": "b"}, backend="file:///state",
                                  cli_root="/opt/pulumi")
    assert _view(items) == [
        ("cfg-app", "content.debug", CHANGED, None, "True", False),
        ("cfg-app", "content.hosts", CHANGED, "['a', 'b']", "['a', 'b', 'c']", False),
        ("cfg-app", "content.limits.memory", CHANGED, "1Gi", "2Gi", False),
        ("cfg-app", "content.ports[1]", CHANGED, "443", "8443", False),
        ("cfg-app", "content.replicas", CHANGED, "1", "3", False),
        ("cfg-gone", "", MISSING, "in state", None, False),
        ("cfg-secret", "content", CHANGED, None, None, True),
    ]
    assert all(i.object.startswith(RES + " ") and (i.kind, i.service, i.source) == ("infra", "pulumi", "stack rec")
               for i in items)
    # secrets are never asked for, and the run prints nothing of its own
    assert stack.kwargs == {"show_secrets": False, "suppress_progress": True, "color": "never"}
    assert opened == [("proj", "rec", "file:///state", {"project_name": "refresh-events", "cli_root": "/opt/pulumi",
                                                        "env": {"A": "b"}})]


def _resource(event: dict) -> str | None:
    for kind in ("resOutputsEvent", "resourcePreEvent"):
        if kind in event:
            return event[kind]["metadata"]["urn"].rsplit("::", 1)[-1]
    return None


def test_nothing_changed_is_no_drift(replay):
    keep = [e for e in _recorded() if _resource(e) not in ("cfg-app", "cfg-gone", "cfg-secret")]
    assert {"cfg-same", "cfg-secret-same"} <= {_resource(e) for e in keep}  # a plain and a masked secret file
    assert replay(keep)[0] == []


def _outputs_event(op: str, old: dict | None, new: dict | None, name: str = "cfg-x", **meta) -> dict:
    """One ResOutputsEvent in the CLI's JSON shape, taken from the recorded cfg-app event."""
    base = next(e for e in _recorded() if "resOutputsEvent" in e and e["resOutputsEvent"]["metadata"]["op"] == "update"
                and e["resOutputsEvent"]["metadata"]["urn"].endswith("::cfg-app"))
    ev = json.loads(json.dumps(base))
    md = ev["resOutputsEvent"]["metadata"]
    md["op"], md["urn"] = op, md["urn"].rsplit("::", 1)[0] + "::" + name
    for side, outputs in (("old", old), ("new", new)):
        if outputs is None:
            md.pop(side, None)
        else:
            md[side]["outputs"] = outputs
    md.update(meta)
    return ev


def test_the_engine_diff_keys_win_over_the_outputs(replay):
    old, new = {"a": 1, "b": {"c": 2}, "d": 3}, {"a": 9, "b": {"c": 7}, "d": 4}
    detailed = {"b.c": {"diffKind": "update", "inputDiff": False}}
    items = replay([_outputs_event("update", old, new, detailedDiff=detailed, diffs=["a"])])[0]
    assert _view(items) == [("cfg-x", "b.c", CHANGED, "2", "7", False)]
    items = replay([_outputs_event("update", old, new, diffs=["d", "a"])])[0]
    assert _view(items) == [("cfg-x", "a", CHANGED, "1", "9", False), ("cfg-x", "d", CHANGED, "3", "4", False)]


@pytest.mark.parametrize("op", ["create", "create-replacement", "read"])
def test_steps_that_are_not_drift_are_left_out(replay, op):
    assert replay([_outputs_event(op, {"a": 1}, {"a": 2})])[0] == []


def test_same_op_with_different_outputs_is_drift(replay):
    # some providers report a changed read as "same": the outputs decide
    assert _view(replay([_outputs_event("same", {"a": 1}, {"a": 2})])[0]) == [("cfg-x", "a", CHANGED, "1", "2",
                                                                               False)]


def test_a_delete_step_is_missing_even_with_outputs(replay):
    assert _view(replay([_outputs_event("delete", {"a": 1}, {"a": 1}, name="bucket")])[0]) == [
        ("bucket", "", MISSING, "in state", None, False)]


def test_a_step_without_stored_outputs_compares_with_nothing(replay):
    """Partial events never crash the comparison: no stored outputs compare as empty."""
    assert _view(replay([_outputs_event("same", None, {"port": 1})])[0]) == [("cfg-x", "port", CHANGED, None, "1",
                                                                              False)]
    assert replay([_outputs_event("same", None, None)])[0] == []


def test_live_outputs_absent_is_missing_whatever_the_op(replay):
    assert _view(replay([_outputs_event("same", {"a": 1}, None, name="bucket")])[0]) == [
        ("bucket", "", MISSING, "in state", None, False)]


def test_internal_keys_are_not_drift(replay):
    old = {"__provider": "serialized-a", "port": 1}
    new = {"__provider": "serialized-b", "port": 1}
    assert replay([_outputs_event("update", old, new)])[0] == []
    assert replay([_outputs_event("update", old, new, diffs=["__provider.ciphertext.x", "__provider"])])[0] == []
    # a masked provider next to a masked secret: only the secret is named
    items = replay([_outputs_event("update", {"__provider": MASK, "token": MASK}, {"__provider": MASK, "token": MASK})])[0]
    assert [i.field for i in items] == ["token"]


def test_an_update_hidden_in_a_nested_secret_names_its_path(replay):
    old = {"__provider": MASK, "spec": {"image": "x", "env": [MASK, "B=1"]}}
    items = replay([_outputs_event("update", old, json.loads(json.dumps(old)))])[0]
    assert _view(items) == [("cfg-x", "spec.env[0]", CHANGED, None, None, True)]
    # the same states reported "same" are no drift
    assert replay([_outputs_event("same", old, json.loads(json.dumps(old)))])[0] == []


def test_a_changed_value_next_to_a_secret_shows_only_the_plain_value(replay):
    old, new = {"token": MASK, "port": 1}, {"token": MASK, "port": 2}
    assert _view(replay([_outputs_event("update", old, new)])[0]) == [("cfg-x", "port", CHANGED, "1", "2", False)]


def test_a_masked_string_is_secret_without_values(replay):
    items = replay([_outputs_event("update", {"password": "[secret]"}, {"password": "plain"})])[0]
    assert _view(items) == [("cfg-x", "password", CHANGED, None, None, True)]


def test_long_values_are_shortened(replay):
    items = replay([_outputs_event("update", {"doc": "x" * 500}, {"doc": "y" * 500})])[0]
    assert items[0].expected == "x" * (MAX_VALUE_CHARS - 1) + "…" and len(items[0].actual) == MAX_VALUE_CHARS


def test_items_are_sorted_by_object_then_field(replay):
    events = [_outputs_event("update", {"b": 1, "a": 1}, {"b": 2, "a": 2}, name="zz"),
              _outputs_event("update", {"z": 1}, {"z": 2}, name="aa")]
    assert [(i.object.split()[-1], i.field) for i in replay(events)[0]] == [("aa", "z"), ("zz", "a"), ("zz", "b")]


def test_events_without_step_metadata_are_ignored(replay):
    prelude = [e for e in _recorded() if "resOutputsEvent" not in e]
    assert prelude and replay(prelude)[0] == []


def test_a_failed_refresh_is_one_line_naming_the_stack(replay):
    err = errors.create_command_error(_cmd.CommandResult(
        stdout="Previewing refresh (rec):\n", stderr="warning: slow\nerror: preview failed: read cfg-app: EACCES\n",
        code=255))
    with pytest.raises(EngineDriftError) as exc:
        replay(_recorded(), error=err)
    assert str(exc.value) == "stack rec: refresh preview failed: error: preview failed: read cfg-app: EACCES"


def test_infra_drift_reads_the_project_directory_and_notes_a_missing_cli(monkeypatch, tmp_path):
    calls = []

    def record(program, stack_name, backend_url, *, env=None, **kw):
        calls.append((program, stack_name, backend_url, env))
        return ["item"]

    monkeypatch.setattr(engine, "engine_drift", record)
    assert infra_drift("prod", str(tmp_path), env={"K": "v"}) == (["item"], [])
    assert calls == [(tmp_path, "prod", None, {"K": "v"})]

    def no_cli(*a, **kw):
        raise PulumiCliNotFound("no Pulumi CLI: not at /x/bin/pulumi and not on PATH")

    monkeypatch.setattr(engine, "engine_drift", no_cli)
    assert infra_drift("prod", str(tmp_path)) == (
        [], ["infra drift not checked: no Pulumi CLI: not at /x/bin/pulumi and not on PATH"])


# --------------------------------------------------------------------------- the helpers
def test_diff_paths():
    old = {"content": {"ports": [80, 443], "limits": {"cpu": "500m"}, "hosts": ["a"], "mode": "prod"}}
    new = {"content": {"ports": [80, 8443], "limits": {"cpu": "1"}, "hosts": ["a", "b"], "debug": True,
                       "mode": "prod"}}
    assert diff_paths(old, new) == ["content.debug", "content.hosts", "content.limits.cpu", "content.ports[1]"]
    assert diff_paths(old, old) == [] and diff_paths({}, {}) == []
    assert diff_paths({"a": {"b": 1}}, {"a": 2}) == ["a"]  # a changed type is one path
    assert diff_paths({"a": [[1, 2]]}, {"a": [[1, 3]]}) == ["a[0][1]"]
    assert diff_paths({"a": [1, 2, 3]}, {"a": [9, 2, 8]}) == ["a[0]", "a[2]"]
    assert diff_paths([1, 2], [1, 3]) == [""]  # a top-level list is compared as a whole
    assert diff_paths({"a": 1}, {"a": 1.0}) == []


def test_get_path():
    values = {"content": {"ports": [80, 443], "limits": {"cpu": "500m"}, "tags": {"a.b": 1}}}
    assert _get_path(values, "content.ports[1]") == 443
    assert _get_path(values, "content.limits.cpu") == "500m"
    assert _get_path(values, "content.ports") == [80, 443]
    assert _get_path(values, "content.ports[2]") is None
    assert _get_path(values, "content.ports.x") is None
    assert _get_path(values, "content.limits.cpu.x") is None
    assert _get_path(values, "nope.deeper") is None
    assert _get_path(None, "a") is None and _get_path({}, "a") is None
    assert _get_path(values, "") == values
    assert _get_path(values, "[0]") is None  # an object has no index
    assert _get_path({"a": [[1, 2]]}, "a[0][1]") == 2


def test_secret_paths():
    assert secret_paths({"content": MASK, "path": "/x"}) == ["content"]
    assert secret_paths({"b": {"c": MASK}, "a": [1, MASK, "[secret]"]}) == ["a[1]", "a[2]", "b.c"]
    assert secret_paths(MASK) == [] and secret_paths("[secret]") == []  # no path for the whole value
    assert secret_paths({"a": "[secret] in a sentence", "b": {"ciphertext": "x"}}) == []
    assert secret_paths({"a": {"4dabf18193072939515e22adb298388d": "other-signature"}}) == []
    assert secret_paths(None) == [] and secret_paths({}) == []


def test_short():
    assert _short(None) is None
    assert _short("abc") == "abc" and _short(3) == "3" and _short(True) == "True" and _short([1]) == "[1]"
    assert _short("x" * MAX_VALUE_CHARS) == "x" * MAX_VALUE_CHARS
    assert _short("x" * (MAX_VALUE_CHARS + 1)) == "x" * (MAX_VALUE_CHARS - 1) + "…"
    assert MAX_VALUE_CHARS == 120


def test_last_line_of_engine_errors():
    def err(stderr, stdout=""):
        return errors.create_command_error(_cmd.CommandResult(stdout=stdout, stderr=stderr, code=255))

    assert _last_line(err("warning: a\nerror: b failed\n\n")) == "error: b failed"
    assert _last_line(err("error: no stack named 'dev' found\n")) == "no such stack in this backend"
    assert _last_line(err("", stdout="")) == "CommandError"
    assert _last_line(RuntimeError("line one\n  line two  \n")) == "line two"
    assert _last_line(RuntimeError("x" * 400)) == "x" * 300

    class WithStderr(Exception):
        stderr = "first\nerror: from stderr\n"

    assert _last_line(WithStderr("ignored")) == "error: from stderr"


# --------------------------------------------------------------------------- project directories
def test_a_callable_is_an_inline_program():
    def program():
        return None

    assert _project(program) == (program, None, None)


def test_a_project_directory(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: soma-infra\nruntime: python\n", encoding="utf-8")
    assert _project(tmp_path) == (None, "soma-infra", tmp_path)  # no program: an existing stack
    ran = tmp_path / "ran.txt"
    (tmp_path / "__main__.py").write_text(f"open({str(ran)!r}, 'a').write(__name__ + '\\n')\n", encoding="utf-8")
    fn, name, d = _project(str(tmp_path))
    assert (name, d) == ("soma-infra", tmp_path) and callable(fn)
    import sys

    try:
        fn()
        # first on the path, so the project's own modules win over same-named ones elsewhere
        assert sys.path[0] == str(tmp_path) and ran.read_text() == "__main__\n"  # run as the program
        fn()  # a second run does not add the directory twice
        assert sys.path.count(str(tmp_path)) == 1 and ran.read_text() == "__main__\n__main__\n"
    finally:
        while str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))


@pytest.mark.parametrize("text,message", [
    (None, "{d}: not a Pulumi project (no Pulumi.yaml)"),
    ("runtime: python\n", "{d}/Pulumi.yaml: name: missing"),
    ("", "{d}/Pulumi.yaml: name: missing"),
    ("name: [unclosed\n", "{d}/Pulumi.yaml: unreadable: ParserError"),
])
def test_bad_project_directories(tmp_path, text, message):
    if text is not None:
        (tmp_path / "Pulumi.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(EngineDriftError) as err:
        _project(tmp_path)
    assert str(err.value) == message.format(d=tmp_path)
