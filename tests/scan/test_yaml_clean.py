"""``yaml_is_clean``: the fast proof that detect-secrets' YAML path reports nothing.

Each case states the verdict and is checked against detect-secrets' own scan of the file
(``detect_secrets.core.scan.scan_file`` with the same settings): a clean verdict must never hide
a finding (soundness); the clean cases show the proof also succeeds where it should (otherwise
every YAML file would take the slow exact path)."""

from __future__ import annotations

import pytest

from somastack_deploy.config_contract.scan import literals
from somastack_deploy.config_contract.scan.yamlcheck import yaml_is_clean

SECRET = "Xq9vLm2pR7sT4wZ8bN3c"

CASES = [
    # (name, text, clean)
    ("simple, nothing", "app:\n  name: brain\n  replicas: 2\n  tags: [a, b]\n", True),
    ("simple, unquoted password value", f"db:\n  password: {SECRET}\n", False),
    ("simple, quoted password value", f'db:\n  password: "{SECRET}"\n', False),
    ("comment holding a secret", f'app: 1  # password = "{SECRET}"\n', False),
    ("comment without a candidate", "app: 1  # the app\nname: brain\n", True),
    ("comment holding a candidate, nothing found", "app: 1  # password: x\nname: brain\n", False),
    ("comment only", "# nothing but a comment\n", True),
    ("anchors and a block scalar, nothing", "a: &x foo\nb: *x\nc: |\n  some text\n", True),
    ("block scalar holding a secret", f"db:\n  password: >-\n    {SECRET}\n", False),
    ("flow mapping holding a secret", f"db: {{password: {SECRET}}}\n", False),
    ("not YAML (raw lines decide)", "a: [1, 2\nb: c\n", False),
    ("complex key", "? [a, b]\n: value\n", False),
    ("binary value that does not decode", 'k: !!binary "abc"\n', False),
    ("empty", "", True),
]


def _exact_findings(tmp_path, name: str, text: str) -> list:
    from detect_secrets.core.scan import scan_file

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(scan_file(str(path)))


@pytest.mark.parametrize("name, text, clean", CASES, ids=[c[0] for c in CASES])
def test_verdict_and_soundness(tmp_path, name, text, clean):
    with literals.scan_settings():
        gates = literals.prefilter()
        verdict = yaml_is_clean(text, gates, lambda lines: literals.any_secret(lines, gates, "values.yaml"))
        exact = _exact_findings(tmp_path, "values.yaml", text)
    assert verdict is clean
    if verdict:
        assert exact == [], "a clean verdict hid a finding"


def test_every_unclean_case_with_a_secret_is_found_by_the_scan(tmp_path):
    for name, text, clean in CASES:
        if SECRET in text and "#" not in text:
            with literals.scan_settings():
                assert literals.scan_text(text, "values.yaml"), name


def test_a_prefilter_that_selects_every_line_proves_nothing():
    """With a plugin of an unknown kind the prefilter gives every line to every plugin; the
    proof then always sends the file down the exact path."""
    from somastack_deploy.config_contract.scan.prefilter import Prefilter

    gates = Prefilter([object()])
    assert gates.every_line
    assert yaml_is_clean("app:\n  name: brain\n", gates, lambda lines: False) is False
