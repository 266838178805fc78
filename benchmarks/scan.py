"""Scan throughput: ``--scan`` against the detect-secrets CLI on the same generated tree.

Usage: ``.venv/bin/python benchmarks/scan.py [--files N] [--seed S] [--keep DIR]``
(default 10,000 files, issue 2's figure; the detect-secrets CLI needs about 3 minutes for that).

Generates a deterministic tree (Python modules, YAML, docker-compose files, Dockerfiles, env
files, Markdown) with planted secrets (detect-secrets' kinds and SomaStack's dev defaults) and
planted localhost fallbacks among realistic decoys, then runs in the same run:

1. ``python -m somastack_deploy.config_contract.scan TREE --hits`` (a fresh process, start-up included);
2. ``detect-secrets scan --all-files .`` in TREE (the CLI, default plugins and filters).

Prints files/s and MB/s for both, the speed-up, and the finding comparison: every
(file, line, type, hashed secret) the CLI reports must be among ours ("no finding lost"), plus
what only SomaStack's plugins found and the planted fallbacks found by the AST rule.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import string
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable

_WORDS = ("memory", "brain", "agent", "session", "tenant", "policy", "recall", "store", "vector", "graph",
          "token", "request", "response", "config", "client", "handler", "worker", "queue", "event", "metric",
          "user", "prompt", "cache", "stream", "topic", "health", "router", "service", "schema", "record")


def _ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _secret_line(rng: random.Random, kind: str) -> str:
    """One planted secret in the syntax of ``kind`` (py, yaml, env, docker)."""
    alnum = string.ascii_letters + string.digits
    choices = [
        lambda: f'aws_access_key_id = "AKIA{_rand(rng, string.ascii_uppercase + string.digits, 16)}"',
        lambda: f'password = "{_rand(rng, alnum, 14)}"',
        lambda: f'blob = "{_rand(rng, alnum + "+/", 40)}"',
        lambda: f'digest_key = "{_rand(rng, "0123456789abcdef", 40)}"',
        lambda: f'GITHUB = "ghp_{_rand(rng, alnum, 36)}"',
        lambda: f'SLACK = "xoxb-{_rand(rng, string.digits, 11)}-{_rand(rng, string.digits, 12)}-{_rand(rng, alnum, 24)}"',
        lambda: f'DSN = "postgresql://soma:{_rand(rng, alnum, 12)}@db.internal:5432/soma"',
        lambda: f'API_TOKEN = "dev-token-{_rand(rng, string.ascii_lowercase + string.digits, 8)}"',
        lambda: f"SECRET_KEY = 'django-insecure-{_rand(rng, alnum, 30)}'",
        lambda: 'SOMA_MEMORY_API_TOKEN = "soma_dev_token"',
        lambda: f'SERVICE_TOKEN = "{_rand(rng, alnum, 20)}"',
    ]
    if kind == "yaml":
        choices = [
            lambda: f"      POSTGRES_PASSWORD: soma",
            lambda: f"      password: {_rand(rng, alnum, 16)}",
            lambda: f"      SOMA_API_TOKEN: soma_dev_token",
            lambda: f"      KEYCLOAK_ADMIN_PASSWORD: somastack2024",
            lambda: f"      AWS_ACCESS_KEY_ID: AKIA{_rand(rng, string.ascii_uppercase + string.digits, 16)}",
            lambda: f"      SA01_AUTH_TOKEN: dev-token-{_rand(rng, string.ascii_lowercase, 6)}",
        ]
    elif kind == "env":
        choices = [
            lambda: f"SOMA_DB_PASSWORD={_rand(rng, alnum, 14)}",
            lambda: f"SOMA_API_TOKEN=dev-token-{_rand(rng, string.ascii_lowercase, 8)}",
            lambda: "SOMA_SECRET_KEY=django-insecure-" + _rand(rng, alnum, 24),
            lambda: f"SA01_REDIS_PASSWORD=somastack2024",
        ]
    elif kind == "docker":
        choices = [
            lambda: f"ENV SOMA_API_TOKEN=dev-token-{_rand(rng, string.ascii_lowercase, 8)}",
            lambda: f"ARG DB_PASSWORD={_rand(rng, alnum, 12)}",
            lambda: f"ENV AWS_ACCESS_KEY_ID=AKIA{_rand(rng, string.ascii_uppercase + string.digits, 16)}",
        ]
    return rng.choice(choices)()


def _python(rng: random.Random, planted: bool, fallback: bool) -> str:
    name = _ident(rng)
    lines = [f'"""{name.replace("_", " ").title()}: connects to localhost only in the docs example."""',
             "from __future__ import annotations", "", "import logging", "import os", "",
             f"LOG = logging.getLogger({name!r})",
             f'{name.upper()}_URL = os.getenv("SOMA_{name.upper()}_URL", "http://{name.replace("_", "-")}.internal:9696")',
             f'ALLOWED = os.environ.get("SA01_ALLOWED_HOSTS", "api.example.com").split(",")', ""]
    for _ in range(rng.randint(2, 9)):
        fn = _ident(rng, 3)
        lines += [f"def {fn}(request, tenant_id: str, limit: int = {rng.randint(1, 500)}) -> dict:",
                  f'    """Return the {fn.replace("_", " ")} for ``tenant_id`` (see ``/api/v1/{_ident(rng)}``)."""',
                  "    # localhost is rejected below; never fall back to it",
                  f'    if "localhost" in ALLOWED:',
                  f'        raise RuntimeError("localhost is not an allowed host in {fn}")',
                  f"    result = {{'tenant': tenant_id, 'limit': limit, 'kind': '{_ident(rng)}'}}",
                  f"    LOG.info('{fn} for %s (%d items)', tenant_id, limit)",
                  f"    return result", ""]
    # plant at top level (after a blank line), so the module stays valid Python
    blanks = [i + 1 for i, line in enumerate(lines) if line == "" and i >= 9]
    if planted:
        lines.insert(rng.choice(blanks), _secret_line(rng, "py"))
    if fallback:
        lines.insert(rng.choice(blanks),
                     rng.choice(['REDIS_HOST = os.getenv("SOMA_REDIS_HOST", "localhost")',
                                 'BRAIN_URL = os.environ.get("SOMABRAIN_URL") or "http://127.0.0.1:9696"',
                                 'KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", default="localhost:9092")']))
    return "\n".join(lines) + "\n"


def _yaml(rng: random.Random, planted: bool, compose: bool) -> str:
    if compose:
        lines = ["services:"]
        for _ in range(rng.randint(2, 8)):
            svc = _ident(rng).replace("_", "-")
            lines += [f"  {svc}:", f"    image: somastack/{svc}:{rng.randint(1, 9)}.{rng.randint(0, 20)}",
                      "    environment:", f"      SOMA_{svc.upper().replace('-', '_')}_URL: http://{svc}:{rng.randint(10000, 30000)}",
                      "      SOMA_DB_PASSWORD: ${SOMA_DB_PASSWORD}", "      LOG_LEVEL: info",
                      "    healthcheck:", f"      test: [\"CMD\", \"curl\", \"-sf\", \"http://localhost:{rng.randint(10000, 30000)}/healthz\"]",
                      "      interval: 10s"]
    else:
        lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {_ident(rng).replace('_', '-')}",
                 "spec:", f"  replicas: {rng.randint(1, 5)}", "  template:", "    spec:", "      containers:"]
        for _ in range(rng.randint(2, 10)):
            lines += [f"        - name: {_ident(rng).replace('_', '-')}", f"          image: somastack/{_ident(rng)}:latest",
                      "          env:", f"            - name: SOMA_{_ident(rng).upper()}", f"              value: \"{rng.randint(1, 100)}\""]
    if planted:
        lines.insert(rng.randint(2, len(lines)), _secret_line(rng, "yaml"))
    return "\n".join(lines) + "\n"


def _env(rng: random.Random, planted: bool) -> str:
    lines = ["# SomaStack environment (values come from Vault in PROD)"]
    for _ in range(rng.randint(8, 40)):
        lines.append(f"SOMA_{_ident(rng).upper()}={rng.choice(['true', 'false', str(rng.randint(1, 65535)), 'ref+vault://soma/app#/token', 'http://svc.internal:8080'])}")
    if planted:
        lines.insert(rng.randint(1, len(lines)), _secret_line(rng, "env"))
    return "\n".join(lines) + "\n"


def _dockerfile(rng: random.Random, planted: bool) -> str:
    lines = ["FROM python:3.11-slim", "WORKDIR /app", "COPY requirements.txt .",
             "RUN pip install --no-cache-dir -r requirements.txt", "COPY . .", f"ENV SOMA_PORT={rng.randint(10000, 30000)}",
             "ARG SOMA_BUILD_ID", "HEALTHCHECK CMD curl -sf http://localhost:8000/healthz || exit 1",
             'CMD ["python", "-m", "somastack"]']
    if planted:
        lines.insert(rng.randint(1, len(lines)), _secret_line(rng, "docker"))
    return "\n".join(lines) + "\n"


def _markdown(rng: random.Random) -> str:
    lines = [f"# {_ident(rng).replace('_', ' ').title()}", ""]
    for _ in range(rng.randint(5, 40)):
        lines.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 18))) + ".")
    lines.append("Run `curl http://localhost:20020/api/v1/health` to check; set the password in Vault.")
    return "\n".join(lines) + "\n"


def generate_tree(root: str, files: int = 10_000, seed: int = 2026) -> dict:
    """Write ``files`` files under ``root`` (deterministic for ``seed``); returns counts of
    planted secrets and fallbacks: ``{"files", "bytes", "planted_secrets", "planted_fallbacks"}``."""
    rng = random.Random(seed)
    stats = {"files": 0, "bytes": 0, "planted_secrets": 0, "planted_fallbacks": 0}
    for i in range(files):
        d = os.path.join(root, f"svc{i % 40:02d}", f"pkg{(i // 40) % 25:02d}")
        os.makedirs(d, exist_ok=True)
        planted = rng.random() < 0.06
        roll = rng.random()
        if roll < 0.45:
            fallback = rng.random() < 0.05
            path, text = os.path.join(d, f"{_ident(rng)}_{i}.py"), _python(rng, planted, fallback)
            stats["planted_fallbacks"] += fallback
        elif roll < 0.60:
            path, text = os.path.join(d, f"{_ident(rng)}_{i}.yaml"), _yaml(rng, planted, compose=False)
        elif roll < 0.70:
            path, text = os.path.join(d, f"docker-compose.{i}.yml"), _yaml(rng, planted, compose=True)
        elif roll < 0.80:
            path, text = os.path.join(d, f"Dockerfile.{i}"), _dockerfile(rng, planted)
        elif roll < 0.90:
            path, text = os.path.join(d, f"{i}.env"), _env(rng, planted)
        else:
            planted = False
            path, text = os.path.join(d, f"{_ident(rng)}_{i}.md"), _markdown(rng)
        stats["planted_secrets"] += planted
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        stats["files"] += 1
        stats["bytes"] += len(text.encode("utf-8"))
    return stats


def _timed(cmd: list[str], cwd: str) -> tuple[float, float, str]:
    """Run ``cmd``; returns (wall seconds, CPU seconds user+sys of it and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def run_ours(root: str) -> tuple[float, float, dict]:
    """Run the scan in a fresh process; returns (wall s, CPU s, its ``--hits`` JSON)."""
    wall, cpu, out = _timed([PYTHON, "-m", "somastack_deploy.config_contract.scan", root, "--hits"], REPO)
    return wall, cpu, json.loads(out)


def run_detect_secrets(root: str) -> tuple[float, float, dict]:
    """Run ``detect-secrets scan --all-files .`` in ``root``; returns (wall s, CPU s, baseline JSON)."""
    exe = os.path.join(os.path.dirname(PYTHON), "detect-secrets")
    wall, cpu, out = _timed([exe, "scan", "--all-files", "."], root)
    return wall, cpu, json.loads(out)


_REFERENCE = ("ref+vault://", "ref+awssecrets://", "file:///")


def compare(root: str, ours: dict, cli: dict) -> dict:
    """The finding comparison between our ``--hits`` output and a detect-secrets baseline.

    ``lost``: CLI findings (file, line, type, hashed secret) missing from ours, except those on
    a line holding a secret *reference* (``ref+vault://…``), which the scan drops on purpose
    (``references``). ``invented``: (file, type, hash) of built-in detect-secrets types we report
    but the CLI does not (the CLI keeps one line per file, type and secret, we keep all lines).
    """
    def rel(path: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/") if os.path.isabs(path) else path

    mine = {(rel(h["path"]), h["line"], h["type"], h["hashed_secret"]) for h in ours["secrets"]}
    theirs = {(r["filename"], r["line_number"], r["type"], r["hashed_secret"])
              for results in cli["results"].values() for r in results}
    lines: dict[str, list[str]] = {}

    def line_of(path: str, number: int) -> str:
        if path not in lines:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as fh:
                lines[path] = fh.read().splitlines()
        return lines[path][number - 1] if 0 < number <= len(lines[path]) else ""

    missing = theirs - mine
    references = {m for m in missing if any(p in line_of(m[0], m[1]) for p in _REFERENCE)}
    builtin_mine = {(p, t, h) for p, _, t, h in mine if not t.startswith("SomaStack")}
    builtin_theirs = {(p, t, h) for p, _, t, h in theirs}
    return {"cli": len(theirs), "ours": len(mine), "lost": sorted(missing - references),
            "references": len(references), "invented": sorted(builtin_mine - builtin_theirs),
            "somastack_only": len({m for m in mine if m[2].startswith("SomaStack")}),
            "fallbacks": len(ours["fallbacks"])}


def bench_scan(files: int = 10_000, seed: int = 2026, keep: str | None = None) -> dict:
    """Generate the tree, run both scanners, print and return the figures."""
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        root = keep or tmp
        os.makedirs(root, exist_ok=True)
        stats = generate_tree(root, files, seed)
        mb = stats["bytes"] / 1e6
        print(f"tree: {stats['files']} files, {mb:.1f} MB, {stats['planted_secrets']} files with planted secrets, "
              f"{stats['planted_fallbacks']} planted localhost fallbacks (seed {seed})")
        t_ours, c_ours, ours = run_ours(root)
        print(f"--scan          : {t_ours:7.2f} s wall {c_ours:7.2f} s CPU  {files / t_ours:8.1f} files/s  "
              f"{mb / t_ours:6.2f} MB/s")
        t_cli, c_cli, cli = run_detect_secrets(root)
        print(f"detect-secrets  : {t_cli:7.2f} s wall {c_cli:7.2f} s CPU  {files / t_cli:8.1f} files/s  "
              f"{mb / t_cli:6.2f} MB/s")
        cmp = compare(root, ours, cli)
        print(f"speed-up        : {t_cli / t_ours:.1f}x wall, {c_cli / c_ours:.1f}x CPU (target >= 10x); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"findings        : detect-secrets {cmp['cli']}, ours {cmp['ours']} "
              f"({cmp['somastack_only']} from SomaStack plugins), VIBE-91 fallbacks {cmp['fallbacks']} "
              f"(planted {stats['planted_fallbacks']})")
        print(f"lost            : {len(cmp['lost'])} of detect-secrets' findings missing from ours "
              f"({cmp['references']} more are ref+vault:// references, dropped on purpose)")
        for item in cmp["lost"][:10]:
            print("   ", item)
        print(f"invented        : {len(cmp['invented'])} built-in-type findings the CLI does not have")
        return {"seconds_ours": t_ours, "seconds_cli": t_cli, "cpu_ours": c_ours, "cpu_cli": c_cli, **stats,
                **{k: (len(v) if isinstance(v, list) else v) for k, v in cmp.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", help="generate the tree in this directory and keep it")
    args = parser.parse_args(argv)
    result = bench_scan(args.files, args.seed, args.keep)
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
