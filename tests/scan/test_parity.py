"""No finding lost: the fast scan against the detect-secrets CLI on the same tree.

The tree is the benchmark's generator (``benchmarks/scan.py``, small) plus files that exercise
detect-secrets' transformers and the scan's shortcuts: YAML (unquoted, block, flow, binary,
multi-document, custom tags), ini, env files (eager ini transform), JSON, CRLF, non-UTF-8.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from somastack_deploy.config_contract.scan import scan_tree
from somastack_deploy.config_contract.scan import literals
from somastack_deploy.config_contract.scan.necessary import necessary_literals

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _bench():
    spec = importlib.util.spec_from_file_location("scan_bench", os.path.join(REPO, "benchmarks", "scan.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


B64 = "c29tYXN0YWNrLXNlY3JldC1rZXktZm9yLXRlc3RzLW9ubHkx"
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
TRICKY = {
    "cfg/unquoted.yaml": f"app:\n  signing: {B64}\n  name: plain\n",
    "cfg/block.yaml": f"app:\n  note: |\n    first line\n  blob: >-\n    {B64}\n",
    "cfg/flow.yml": "db: {password: Xq9vLm2pRt7w, user: soma}\nlist: [a, b]\n",
    "cfg/binary.yaml": "cert: !!binary |\n  " + base64.b64encode(bytes(range(40))).decode() + "\n",
    "cfg/multi.yaml": f"a: 1\n---\nb:\n  secret: '{B64}'\n",
    "cfg/cfn.yaml": "Resources:\n  Db:\n    Properties:\n      MasterUserPassword: !Ref DbPass\n"
                    f"      Other: '{HEX}'\n",
    "cfg/comment.yaml": "app:\n  name: x  # api_key = 'AKIAIOSFODNN7EXAMPLE'\n",
    "cfg/settings.ini": "[db]\npassword = Xq9vLm2pRt7w\nhost = db.internal\n",
    "cfg/app.env": "DB_PASSWORD=Xq9vLm2pRt7w\nLOG=info\n",
    "cfg/data.json": '{"client_secret": "Xq9vLm2pRt7wZ", "id": "' + HEX + '"}\n',
    "src/keys.py": 'K = """-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"""\n'
                   f'H = "{HEX}"\nT = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"\n',
    "src/crlf.py": 'password = "Xq9vLm2pRt7w"\r\nA = "AKIAIOSFODNN7EXAMPLE"\r\n',
    "src/allow.py": 'password = "Xq9vLm2pRt7w"  # pragma: allowlist secret\n',
    "src/slack.txt": "hook https://hooks.slack.com/services/T01234567/B01234567/abcdefghijklmnopqrstuvwx\n",
    "src/ip.md": "public server 8.8.8.8:53 and private 10.0.0.1\n",
}


def _cli(root: str) -> dict:
    exe = os.path.join(os.path.dirname(sys.executable), "detect-secrets")
    out = subprocess.run([exe, "scan", "--all-files", "."], cwd=root, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_no_finding_lost_against_detect_secrets_cli(tmp_path):
    bench = _bench()
    root = str(tmp_path)
    bench.generate_tree(root, files=150, seed=7)
    for rel, text in TRICKY.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (tmp_path / "src" / "latin1.py").write_bytes('password = "caf\xe9-Xq9vLm2p"\n'.encode("latin-1"))
    result = scan_tree(root, processes=2, chunk_size=16, parallel_min_files=0)
    ours = {"secrets": [h.__dict__ for h in result.secrets], "fallbacks": result.fallbacks}
    cli = _cli(root)
    cmp = bench.compare(root, ours, cli)
    assert cmp["cli"] >= 20  # the tree has real work in it
    assert cmp["lost"] == []
    assert cmp["invented"] == []
    # the one-process path gives the same hits
    single = scan_tree(root, processes=1)
    assert sorted(map(repr, single.secrets)) == sorted(map(repr, result.secrets))


@pytest.mark.parametrize("pattern, must_contain", [
    (r"api_?key|password", [{"apikey"}, {"api_key"}, {"password"}]),
    # groups and branches of literal strings extend the literal run
    (r"(glpat|gldt|glrt)-[A-Z]{20,50}", [{"glpat-", "[A-Z]{20}"}, {"gldt-", "[A-Z]{20}"}, {"glrt-", "[A-Z]{20}"}]),
    (r"xox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+", [{f"xox{c}-"} for c in "abposr"]),
    # optional parts and empty branches give every string
    (r"(?:cloudant|cl|clou)(?:_|-|)(?:api|)(?:key|pass)",
     [{a + b + c + d} for a in ("cloudant", "cl", "clou") for b in "_-" + "" for c in ("api", "") for d in ("key", "pass")]
     + [{a + c + d} for a in ("cloudant", "cl", "clou") for c in ("api", "") for d in ("key", "pass")]),
    # past MAX_ALTERNATIVES (64) strings the run is cut where it was
    (r"ab(?:c|d|e|f|g|h|i|j)(?:c|d|e|f|g|h|i|j)(?:c|d|e|f|g|h|i|j)z", [{"ab" + x + y} for x in "cdefghij" for y in "cdefghij"]),
    # an optional part at the end: the strings without it contain the others, so they are kept
    (r"(?:secret|token)(?:_value)?", [{"secret"}, {"token"}]),
    (r"(?:A3T[A-Z0-9]|ABIA|AKIA)[0-9A-Z]{16}", None),
    # a group that turns case sensitivity off is not spliced into a case-sensitive run
    (r"Ab(?i:cd)Ef", [{"Ab", "cd", "Ef"}]),
])
def test_necessary_literals(pattern, must_contain):
    requirement = necessary_literals(re.compile(pattern, re.IGNORECASE if "api" in pattern or "token" in pattern else 0))
    assert requirement
    if must_contain is not None:
        assert sorted(sorted(text for text, _ in alt) for alt in requirement) == sorted(map(sorted, must_contain))


@pytest.mark.parametrize("pattern", [r"\d+\.\d+", r"(?:x|)y", r"a?b?", r"[A-Z]{5}"])
def test_no_literals_when_none_are_required(pattern):
    assert necessary_literals(re.compile(pattern)) is None


def test_every_builtin_regex_plugin_gets_a_gate():
    """Every configured plugin is either gated (literals or its own pattern) or scanned on every
    line; nothing is silently dropped."""
    from detect_secrets.settings import get_plugins

    with literals.scan_settings():
        gates = literals.prefilter()
        assert not gates.every_line
        gated = {gate.plugin for gate in gates.gates}
        assert gated == set(range(len(get_plugins())))


def _plugin_patterns():
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.settings import get_plugins

    with literals.scan_settings():
        from detect_secrets.plugins import keyword

        out = []
        for index, plugin in enumerate(get_plugins()):
            if isinstance(plugin, keyword.KeywordDetector):  # its per-file-type regexes
                regexes = {rx.pattern: rx for table in keyword.REGEX_BY_FILETYPE.values() for rx in table}
                regexes.update({rx.pattern: rx for rx in keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP})
                out += [pytest.param(index, "KeywordDetector", rx, id=f"KeywordDetector-{k}")
                        for k, rx in enumerate(regexes.values())]
            if isinstance(plugin, RegexBasedDetector):
                out += [pytest.param(index, type(plugin).__name__, regex, id=f"{type(plugin).__name__}-{k}")
                        for k, regex in enumerate(plugin.denylist)]
        return out


@pytest.mark.parametrize("index, name, regex", _plugin_patterns())
def test_prefilter_selects_every_line_a_pattern_matches(index, name, regex):
    """Property: for strings generated from each plugin pattern (hypothesis ``from_regex``), the
    prefilter gives that line to that plugin: derived literals, runs and hand gates are sound."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    try:
        strategy = st.from_regex(regex, fullmatch=False)
    except Exception as err:  # noqa: BLE001 - hypothesis cannot generate some look-arounds
        pytest.skip(f"hypothesis cannot generate from this pattern: {type(err).__name__}")

    with literals.scan_settings():
        gates = literals.prefilter()  # plain data: usable after the settings block

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(sample):
        line = sample.replace("\n", " ").replace("\r", " ")
        if not regex.search(line):
            return  # newline removal changed the sample
        assert index in gates.candidates([line]).get(1, set()), (name, line)
        # detect-secrets' eager ini transform turns the raw line KEY=VALUE into KEY = "VALUE";
        # the eager judgement of the raw line must give the plugin whatever that line gives it
        value = line.strip()
        if value and not set(value) & set("\"'=:%;#[") and regex.search(f'KEY = "{value}"'):
            assert index in gates.candidates([f"KEY={value}"], eager=True).get(1, set()), (name, value)

    check()


def test_hand_confirms_match_the_installed_plugins():
    """Each hand-derived plugin pattern is in use (its plugin's denylist is the one it was
    derived from), and an Artifactory literal without its key shape is no candidate."""
    from detect_secrets.settings import get_plugins

    from somastack_deploy.config_contract.scan.prefilter import HAND_CONFIRMS, hand_confirm

    with literals.scan_settings():
        plugins = {type(p).__name__: (i, p) for i, p in enumerate(get_plugins())}
        gates = literals.prefilter()
    for name, _ in HAND_CONFIRMS:
        index, plugin = plugins[name]
        assert hand_confirm(plugin) is not None and index in gates._confirm, name
    index = plugins["ArtifactoryDetector"][0]
    assert index not in gates.candidates(["SOMA_GRAPH_QUEUE=http://svc.internal:8080"]).get(1, set())
    assert index in gates.candidates(["token AKCp8jQ3xH2vN9zK4 end"]).get(1, set())


def _kinds(pattern: str, flags: int = 0):
    requirement = necessary_literals(re.compile(pattern, flags))
    return None if requirement is None else sorted(sorted(alt) for alt in requirement)


@pytest.mark.parametrize("pattern, expected", [
    # nested groups and classes inside a group are spliced into the run
    (r"x(?:y(?:ab|cd))z", [[("xyabz", False)], [("xycdz", False)]]),
    (r"x(?:a[bc]|d)y", [[("xaby", False)], [("xacy", False)], [("xdy", False)]]),
    (r"x(?:ab){1}y", [[("xaby", False)]]),
    # exactly 64 strings still extend the run; past 64 the group is not spliced
    (r"x(?:(?:aa|bb|cc|dd|ee|ff|gg|hh)(?:ii|jj|kk|ll|mm|nn|oo|pp))y",
     sorted([[("x" + a + b + "y", False)] for a in ("aa", "bb", "cc", "dd", "ee", "ff", "gg", "hh")
             for b in ("ii", "jj", "kk", "ll", "mm", "nn", "oo", "pp")])),
    (r"x(?:aa|bb|cc|dd|ee|ff|gg|hh)(?:ii|jj|kk|ll|mm|nn|oo|pp|qq)y\d",
     sorted([[("x" + a, False)] for a in ("aa", "bb", "cc", "dd", "ee", "ff", "gg", "hh")])),
    # case sensitivity of groups that cannot be spliced (a digit class)
    (r"Ab(cd\d)Ef", [[("Ab", False), ("Ef", False), ("cd", False)]]),
    (r"Ab(?i:cd\d)Ef", [[("Ab", False), ("Ef", False), ("cd", True)]]),
    # a repeat with at least one pass requires its content; one that may be skipped does not
    (r"(?:abc\d)+", [[("abc", False)]]),
    (r"(?:abc\d)*xyz", [[("xyz", False)]]),
])
def test_necessary_literals_with_kinds(pattern, expected):
    assert _kinds(pattern) == expected


@pytest.mark.parametrize("pattern, flags, expected", [
    # a repeat's content keeps the pattern's case sensitivity
    (r"(?:abc\d)+", re.IGNORECASE, [[("abc", True)]]),
    (r"(?:aBc\d){2,}", 0, [[("aBc", False)]]),
    # case-insensitive literals are ASCII: the longest ASCII run of a non-ASCII one stays
    ("contraseña", re.IGNORECASE, [[("contrase", True)]]),
    ("zéabcd", re.IGNORECASE, [[("abcd", True)]]),
    ("éñéñ", re.IGNORECASE, None),
    ("ñaX", 0, [[("ñaX", False)]]),  # an exact literal is compared as it is
])
def test_necessary_literals_case_and_ascii(pattern, flags, expected):
    assert _kinds(pattern, flags) == expected


def test_keyword_denylist_keeps_contrase():
    from detect_secrets.plugins import keyword

    requirement = necessary_literals(re.compile("|".join(keyword.DENYLIST), re.IGNORECASE))
    assert frozenset({("contrase", True)}) in requirement


@pytest.mark.parametrize("source, icase, matches, misses", [
    ("[a\n]{8}", False, None, None),                 # a class holding a newline: no run
    ("[\t-\r]{8}", False, None, None), ("[\n-\r]{8}", False, None, None), ("[\x00-\n]{8}", False, None, None),
    ("[\x00-\t]{8}", False, ["\x00" * 8, "\t" * 8], ["\n" * 8]),
    ("[\x0b]{8}", False, ["\x0b" * 8], ["\n" * 8]),
    ("[\\S]{8}", False, None, None),                  # a negated category: no run
    ("[\\d\\w]{8}", False, ["1a" * 4], ["-" * 8]),
    ("[à-ÿ]{8}", True, ["à" * 8, "À" * 8, "é" * 8], ["a" * 8, "X" * 8]),  # a non-ASCII range keeps the flag
    ("[\\dà-ÿ]{8}", False, ["1é" * 4], ["X" * 8]),
    ("[à-ÿa-c]{8}", False, ["àb" * 4], ["À" * 8]),
    ("x{8}", False, ["x" * 8], ["X" * 8]), ("x{8}", True, ["X" * 8], ["y" * 8]),
    ("\n{8}", False, None, None),
    ("x{7}", False, None, None),                      # shorter than MIN_RUN
])
def test_runs_match_what_the_class_matches(source, icase, matches, misses):
    from somastack_deploy.config_contract.scan.necessary import P, _run

    (_, av), = list(P.parse(source, re.IGNORECASE if icase else 0))
    run = _run(av, icase)
    if matches is None:
        assert run is None
        return
    text, kind = run
    assert kind is None
    for sample in matches:
        assert re.fullmatch(text, sample), (text, sample)
    for sample in misses:
        assert not re.fullmatch(text, sample), (text, sample)
