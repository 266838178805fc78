"""The scan against gitleaks and the detect-secrets CLI on one generated tree, interleaved.

Usage: ``.venv/bin/python benchmarks/scan.py [--files N] [--seed S] [--rounds R]
[--tools "this scan,gitleaks,detect-secrets"] [--keep DIR]`` (default 10,000 files, 3 rounds;
the detect-secrets CLI needs about 80 s of CPU per round on that tree).

Generates a deterministic tree (Python modules, YAML, docker-compose files, Dockerfiles, env
files, Markdown) with planted secrets (detect-secrets' kinds and SomaStack's dev defaults) and
planted localhost fallbacks among decoys (references, URLs without credentials, image
references, loopback words in docs and comparisons), and records the planted lines as ground
truth. Then runs, in rotating order for ``--rounds`` rounds:

1. ``python -m somastack_deploy.config_contract.scan . --hits`` (a fresh process, start-up
   included);
2. ``gitleaks dir .`` (``gitleaks`` on PATH or built into the cache by
   ``benchmarks/build_gitleaks.sh`` from the Go module proxy);
3. ``detect-secrets scan --all-files .`` (the CLI, default plugins and filters).

Prints per tool: recall (planted secret lines found), false-positive lines (reported lines not
planted), CPU s (user+sys of the whole process tree, ``wait4``), wall s, peak RSS (largest
process), files/s and MB/s (medians over rounds); the fallbacks found; every line gitleaks or
detect-secrets reports that this scan does not; the CPU ratios; what a file costs (CPU per file
above the start-up cost measured on an empty tree) and the floor (reading every file, one regex
pass over all text). Exit 0 when this scan has no false-positive line, full recall of planted
secrets and fallbacks, and loses no line the other tools report.
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


def _insert(lines: list[str], index: int, text: str, marks: list[int]) -> int:
    """Insert ``text`` at ``index`` keeping the tracked indices ``marks`` pointing at their lines;
    returns ``index``."""
    lines.insert(index, text)
    marks[:] = [m + 1 if m >= index else m for m in marks]
    return index


def _python(rng: random.Random, planted: bool, fallback: bool) -> tuple[str, list[int], list[int]]:
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
    secrets: list[int] = []
    fallbacks: list[int] = []
    if planted:
        secrets.append(_insert(lines, rng.choice(blanks), _secret_line(rng, "py"), secrets + fallbacks))
    if fallback:
        index = rng.choice(blanks)
        text = rng.choice(['REDIS_HOST = os.getenv("SOMA_REDIS_HOST", "localhost")',
                           'BRAIN_URL = os.environ.get("SOMABRAIN_URL") or "http://127.0.0.1:9696"',
                           'KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", default="localhost:9092")'])
        _insert(lines, index, text, secrets)
        fallbacks.append(index)
    return "\n".join(lines) + "\n", [i + 1 for i in secrets], [i + 1 for i in fallbacks]


def _yaml(rng: random.Random, planted: bool, compose: bool) -> tuple[str, list[int]]:
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
    marks: list[int] = []
    if planted:
        marks.append(_insert(lines, rng.randint(2, len(lines)), _secret_line(rng, "yaml"), marks))
    return "\n".join(lines) + "\n", [i + 1 for i in marks]


def _env(rng: random.Random, planted: bool) -> tuple[str, list[int]]:
    lines = ["# SomaStack environment (values come from Vault in PROD)"]
    for _ in range(rng.randint(8, 40)):
        lines.append(f"SOMA_{_ident(rng).upper()}={rng.choice(['true', 'false', str(rng.randint(1, 65535)), 'ref+vault://soma/app#/token', 'http://svc.internal:8080'])}")
    marks: list[int] = []
    if planted:
        marks.append(_insert(lines, rng.randint(1, len(lines)), _secret_line(rng, "env"), marks))
    return "\n".join(lines) + "\n", [i + 1 for i in marks]


def _dockerfile(rng: random.Random, planted: bool) -> tuple[str, list[int]]:
    lines = ["FROM python:3.11-slim", "WORKDIR /app", "COPY requirements.txt .",
             "RUN pip install --no-cache-dir -r requirements.txt", "COPY . .", f"ENV SOMA_PORT={rng.randint(10000, 30000)}",
             "ARG SOMA_BUILD_ID", "HEALTHCHECK CMD curl -sf http://localhost:8000/healthz || exit 1",
             'CMD ["python", "-m", "somastack"]']
    marks: list[int] = []
    if planted:
        marks.append(_insert(lines, rng.randint(1, len(lines)), _secret_line(rng, "docker"), marks))
    return "\n".join(lines) + "\n", [i + 1 for i in marks]


def _markdown(rng: random.Random) -> str:
    lines = [f"# {_ident(rng).replace('_', ' ').title()}", ""]
    for _ in range(rng.randint(5, 40)):
        lines.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 18))) + ".")
    lines.append("Run `curl http://localhost:20020/api/v1/health` to check; set the password in Vault.")
    return "\n".join(lines) + "\n"


def generate_tree(root: str, files: int = 10_000, seed: int = 2026) -> dict:
    """Write ``files`` files under ``root`` (deterministic for ``seed``). Returns
    ``{"files", "bytes", "planted_secrets", "planted_fallbacks", "secret_lines", "fallback_lines"}``:
    the ground truth is ``secret_lines`` / ``fallback_lines``, sets of (relative path, 1-based line)
    the generator planted; every other line is a decoy (references, URLs without credentials,
    image references, loopback words in docs and comparisons)."""
    rng = random.Random(seed)
    stats = {"files": 0, "bytes": 0, "planted_secrets": 0, "planted_fallbacks": 0,
             "secret_lines": set(), "fallback_lines": set()}
    for i in range(files):
        rel_dir = f"svc{i % 40:02d}/pkg{(i // 40) % 25:02d}"
        d = os.path.join(root, rel_dir)
        os.makedirs(d, exist_ok=True)
        planted = rng.random() < 0.06
        roll = rng.random()
        fallback_lines: list[int] = []
        if roll < 0.45:
            fallback = rng.random() < 0.05
            name = f"{_ident(rng)}_{i}.py"
            text, secret_lines, fallback_lines = _python(rng, planted, fallback)
        elif roll < 0.60:
            name = f"{_ident(rng)}_{i}.yaml"
            text, secret_lines = _yaml(rng, planted, compose=False)
        elif roll < 0.70:
            name = f"docker-compose.{i}.yml"
            text, secret_lines = _yaml(rng, planted, compose=True)
        elif roll < 0.80:
            name = f"Dockerfile.{i}"
            text, secret_lines = _dockerfile(rng, planted)
        elif roll < 0.90:
            name = f"{i}.env"
            text, secret_lines = _env(rng, planted)
        else:
            planted, secret_lines = False, []
            name = f"{_ident(rng)}_{i}.md"
            text = _markdown(rng)
        rel = f"{rel_dir}/{name}"
        stats["secret_lines"].update((rel, n) for n in secret_lines)
        stats["fallback_lines"].update((rel, n) for n in fallback_lines)
        stats["planted_secrets"] += planted
        stats["planted_fallbacks"] += bool(fallback_lines)
        with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
            fh.write(text)
        stats["files"] += 1
        stats["bytes"] += len(text.encode("utf-8"))
    return stats


# ------------------------------------------------------------------------------ running tools

def _run(cmd: list[str], cwd: str) -> dict:
    """Run ``cmd`` in ``cwd``; returns wall s, CPU s (user+sys of the process and every
    descendant it waited for, from ``wait4``), peak RSS in MiB (the largest process of the tree)
    and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {stderr.strip()[-500:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
            "stdout": stdout}


def gitleaks_binary() -> str | None:
    """``gitleaks`` on PATH, else the one ``benchmarks/build_gitleaks.sh`` built into the cache."""
    import shutil

    cache = os.environ.get("SOMASTACK_CACHE", os.path.expanduser("~/.cache/somastack-deploy"))
    built = os.path.join(cache, "gitleaks", "bin", "gitleaks")
    return shutil.which("gitleaks") or (built if os.access(built, os.X_OK) else None)


def _norm(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def lines_ours(stdout: str) -> tuple[set, set]:
    """(secret lines, fallback lines) of ``python -m …scan . --hits``."""
    doc = json.loads(stdout)
    return ({(_norm(h["path"]), h["line"]) for h in doc["secrets"]},
            {(_norm(h["path"]), h["line"]) for h in doc["fallbacks"]})


def lines_detect_secrets(stdout: str) -> set:
    """Secret lines of a detect-secrets baseline."""
    doc = json.loads(stdout)
    return {(_norm(r["filename"]), r["line_number"]) for results in doc["results"].values() for r in results}


def lines_gitleaks(stdout: str) -> set:
    """Secret lines of a gitleaks JSON report (every line a finding spans)."""
    doc = json.loads(stdout or "[]")
    return {(_norm(f["File"]), n) for f in doc for n in range(f["StartLine"], f["EndLine"] + 1)}


TOOLS = {
    "this scan": (lambda: [PYTHON, "-m", "somastack_deploy.config_contract.scan", ".", "--hits"], lines_ours),
    "gitleaks": (lambda: [gitleaks_binary(), "dir", ".", "-f", "json", "-r", "-", "--no-banner", "--exit-code", "0",
                          "-l", "error", "--redact"], lines_gitleaks),
    "detect-secrets": (lambda: [os.path.join(os.path.dirname(PYTHON), "detect-secrets"), "scan", "--all-files", "."],
                       lines_detect_secrets),
}


_REFERENCE = ("ref+vault://", "ref+awssecrets://", "ref+awsssm://", "file:///")


def compare(root: str, ours: dict, cli: dict) -> dict:
    """The finding-level comparison between our ``--hits`` output and a detect-secrets baseline
    (used by tests/scan/test_parity.py).

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
            "somastack_only": len({m for m in mine if m[2].startswith("SomaStack")})}


def floor(root: str) -> dict:
    """The physical floor on ``root`` in this process: CPU s to read every file and to run one
    Python regex over all the text."""
    import re

    paths = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    start = time.process_time()
    texts = []
    for path in paths:
        with open(path, "rb") as fh:
            texts.append(fh.read())
    read = time.process_time() - start
    pattern = re.compile(r"(?i)(?:password|token|secret|api_?key|localhost|127\.0\.0\.1|AKIA)")
    start = time.process_time()
    count = sum(1 for data in texts for _ in pattern.finditer(data.decode("utf-8", "replace")))
    regex = time.process_time() - start
    return {"read_cpu": read, "regex_cpu": regex, "matches": count}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def bench_scan(files: int = 10_000, seed: int = 2026, keep: str | None = None, rounds: int = 3,
               tools: tuple[str, ...] = tuple(TOOLS)) -> dict:
    """Generate the tree, run the tools ``rounds`` times interleaved (the order rotates each
    round), print and return the figures."""
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        root = keep or tmp
        os.makedirs(root, exist_ok=True)
        stats = generate_tree(root, files, seed)
        mb = stats["bytes"] / 1e6
        truth_s, truth_f = stats["secret_lines"], stats["fallback_lines"]
        print(f"tree: {stats['files']} files, {mb:.1f} MB, {len(truth_s)} planted secret lines, "
              f"{len(truth_f)} planted localhost fallbacks (seed {seed}); {os.cpu_count()} CPUs")
        tools = tuple(t for t in tools if t != "gitleaks" or gitleaks_binary())
        if "gitleaks" not in tools:
            print("gitleaks: not found (bash benchmarks/build_gitleaks.sh builds it)")
        empty = tempfile.mkdtemp(prefix="scan-empty-")
        start_cost = _median([_run(TOOLS["this scan"][0](), empty)["cpu"] for _ in range(3)])
        os.rmdir(empty)
        runs: dict[str, list[dict]] = {t: [] for t in tools}
        found: dict[str, object] = {}
        loads = []
        for r in range(rounds):
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            for tool in order:
                result = _run(TOOLS[tool][0](), root)
                runs[tool].append(result)
                found[tool] = TOOLS[tool][1](result.pop("stdout"))
                loads.append(os.getloadavg()[0])
        fl = floor(root)
        print(f"{'tool':15} {'recall':>14} {'FP lines':>8} {'CPU s':>7} {'wall s':>7} {'RSS MiB':>8} "
              f"{'files/s':>8} {'MB/s':>6}  (medians of {rounds} interleaved rounds)")
        summary: dict[str, dict] = {}
        for tool in tools:
            lines = found[tool][0] if tool == "this scan" else found[tool]
            cpu = _median([r["cpu"] for r in runs[tool]])
            wall = _median([r["wall"] for r in runs[tool]])
            rss = max(r["rss_mib"] for r in runs[tool])
            hit = len(lines & truth_s)
            fp = sorted(lines - truth_s)
            summary[tool] = {"cpu": cpu, "wall": wall, "rss_mib": rss, "recall": hit, "fp_lines": len(fp),
                             "lines": lines, "fp": fp}
            print(f"{tool:15} {hit:6d}/{len(truth_s):<7d} {len(fp):8d} {cpu:7.2f} {wall:7.2f} {rss:8.0f} "
                  f"{files / wall:8.0f} {mb / wall:6.2f}")
        ours = summary["this scan"]
        ours_f = found["this scan"][1]
        print(f"fallbacks       : {len(ours_f & truth_f)}/{len(truth_f)} planted found, "
              f"{len(ours_f - truth_f)} other lines")
        for item in ours["fp"][:10]:
            print("  FP (this scan):", item)
        for other in ("gitleaks", "detect-secrets"):
            if other in summary:
                lost = sorted(summary[other]["lines"] - ours["lines"])
                summary[other]["lost_by_ours"] = lost
                print(f"lines {other} reports that this scan does not: {len(lost)}"
                      + "".join(f"\n   {item}" for item in lost[:10]))
                print(f"CPU ratio       : this scan / {other} = {ours['cpu'] / summary[other]['cpu']:.3f} "
                      f"({summary[other]['cpu'] / ours['cpu']:.1f}x less)")
        per_file_ms = (ours["cpu"] - start_cost) / files * 1000
        print(f"cost            : start-up {start_cost:.2f} s CPU (empty tree), then {per_file_ms:.3f} ms CPU per file "
              f"({(ours['cpu'] - start_cost) / mb:.3f} s per MB)")
        print(f"floor           : reading every file {fl['read_cpu']:.2f} s CPU, one regex pass over all text "
              f"{fl['regex_cpu']:.2f} s CPU; this scan is {ours['cpu'] / (fl['read_cpu'] + fl['regex_cpu']):.1f}x "
              "above it")
        print(f"load average    : {min(loads):.1f}-{max(loads):.1f} during the runs")
        return {"stats": {k: v for k, v in stats.items() if not isinstance(v, set)}, "start_cost": start_cost,
                "floor": fl, "summary": {t: {k: v for k, v in s.items() if k not in ("lines",)}
                                         for t, s in summary.items()},
                "fallbacks_found": len(ours_f & truth_f), "fallbacks_planted": len(truth_f)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per tool (default 3)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help="comma-separated subset of: " + ", ".join(TOOLS) + " (this scan always runs)")
    parser.add_argument("--keep", help="generate the tree in this directory and keep it")
    args = parser.parse_args(argv)
    tools = tuple(dict.fromkeys(["this scan"] + [t.strip() for t in args.tools.split(",") if t.strip() in TOOLS]))
    result = bench_scan(args.files, args.seed, args.keep, args.rounds, tools)
    ours = result["summary"]["this scan"]
    lost = sum(len(s.get("lost_by_ours", [])) for s in result["summary"].values())
    ok = (ours["fp_lines"] == 0 and ours["recall"] >= result["stats"]["planted_secrets"]
          and result["fallbacks_found"] == result["fallbacks_planted"] and lost == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
