"""LocalStack community runtime (``localstack-core`` from PyPI) on loopback: real AWS API
endpoints for the services it serves in the community edition.

- Install: ``localstack-core[runtime]`` 2026.3.0 (the last release on PyPI; the ``runtime``
  extra brings the gateway's own packages) needs Python >= 3.12, newer
  than the project's own interpreter may be, so it gets a virtual environment of its own in
  ``<cache>/localstack/<version>-<recipe>/venv`` created with the first Python >= 3.12 found
  (:func:`find_python`: ``$SOMASTACK_LOCALSTACK_PYTHON``, ``python3.13``/``python3.12`` on
  ``PATH``, pyenv's ``~/.pyenv/versions/3.1x*``); none found is an ``InstallError`` saying so.
  Pins measured here: ``cbor2<6``, ``pyopenssl<26``, ``cryptography<47`` and
  ``service-identity`` (without them the 2026.3.0 gateway does not start).
- Run: ``<venv>/bin/python -m localstack.runtime.main`` in the foreground with
  ``GATEWAY_SERVER=hypercorn`` and ``GATEWAY_LISTEN=127.0.0.1:<4566 + offset>`` (the default
  server binds 0.0.0.0 whatever the host; hypercorn binds loopback only), ``DNS_ADDRESS=0``
  (no DNS server), ``DISABLE_EVENTS=1`` (no analytics), no persistence; its files go to the
  stack's data dir. Ready in about 1 s, 110-350 MiB RSS.
- Ready: ``GET /_localstack/health`` answers and lists ``secretsmanager`` and ``ssm`` as
  ``available`` or ``running``.

What answers (community edition, measured): Secrets Manager, SSM Parameter Store, S3, STS, IAM,
EC2, CloudWatch Logs. ECS, ELBv2, RDS, ElastiCache, MSK and EKS answer 501 (Pro only): requests
to those stay checked against botocore's service models (Stubber), not against a server.

LocalStack stands in for AWS; it is not a SomaStack service, so it is not part of the topology
document (:attr:`in_topology` False). Tests reach it through :meth:`LocalStack.endpoint_url`
and :meth:`LocalStack.client` (``localstack-client``'s session pointed at this endpoint).
Credentials are LocalStack's fixed test credentials (``test``/``test``), not secrets.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..install.tools import run, staged_dir

LOCALSTACK_VERSION = "2026.3.0"
#: Requirements of the venv: the runtime plus the pins its gateway needs to start (measured).
REQUIREMENTS = (f"localstack-core[runtime]=={LOCALSTACK_VERSION}", "cbor2<6", "pyopenssl<26", "cryptography<47",
                "service-identity")
#: Names the install directory, so a changed recipe installs afresh instead of reusing an old venv.
RECIPE = "runtime-1"
MIN_PYTHON = (3, 12)
#: The fixed region and test credentials LocalStack accepts (not secrets).
REGION = "us-east-1"
ACCESS_KEY = "test"
#: Services the readiness check requires.
REQUIRED_SERVICES = ("secretsmanager", "ssm")
#: Services measured to answer in the community edition / to answer 501 (Pro only).
SERVED = ("secretsmanager", "ssm", "s3", "sts", "iam", "ec2", "logs")
NOT_SERVED = ("ecs", "elbv2", "rds", "elasticache", "kafka", "eks")


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def python_candidates() -> list[str]:
    """Interpreters to try, in order: ``$SOMASTACK_LOCALSTACK_PYTHON``, the running one,
    ``python3.13``/``python3.12`` on ``PATH``, pyenv's ``~/.pyenv/versions/3.1[2-9]*/bin/python3``
    (newest first)."""
    out: list[str] = []
    if os.environ.get("SOMASTACK_LOCALSTACK_PYTHON"):
        out.append(os.environ["SOMASTACK_LOCALSTACK_PYTHON"])
    out.append(sys.executable)
    out += [p for p in (shutil.which("python3.13"), shutil.which("python3.12")) if p]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    out += sorted(glob.glob(os.path.join(root, "versions", "3.1[2-9]*", "bin", "python3")), reverse=True)
    return list(dict.fromkeys(out))


def find_python() -> str:
    """The first interpreter of :func:`python_candidates` that is Python >= 3.12. Raises
    :class:`InstallError` naming what was tried when there is none."""
    for cand in python_candidates():
        version = _version_of(cand)
        if version is not None and version >= MIN_PYTHON:
            return cand
    raise InstallError(f"localstack: localstack-core {LOCALSTACK_VERSION} needs Python >= 3.12 and none was found "
                       f"(tried {', '.join(python_candidates())}); install one (e.g. `pyenv install 3.13`) or "
                       "set SOMASTACK_LOCALSTACK_PYTHON to its path")


class LocalStack(ServiceSpec):
    """LocalStack community runtime 2026.3.0 (``localstack-core``, own venv, Python >= 3.12)."""

    name = "localstack"
    base_ports = {"gateway": 4566}
    start_timeout_s = 90.0
    stop_timeout_s = 15.0
    #: Not a SomaStack service: kept out of the topology document.
    in_topology = False

    def home(self, ctx: Context) -> Path:
        return ctx.cache_dir / "localstack" / f"{LOCALSTACK_VERSION}-{RECIPE}"

    def python(self, ctx: Context) -> Path:
        """The venv's interpreter (the venv is used through it, so moving it into place is safe)."""
        return self.home(ctx) / "venv" / "bin" / "python"

    def installed(self, ctx: Context) -> bool:
        return (self.home(ctx) / ".installed").is_file() and self.python(ctx).exists()

    def install(self, ctx: Context) -> None:
        python = find_python()
        with staged_dir(self.home(ctx)) as tmp:
            run([python, "-m", "venv", str(tmp / "venv")], what="localstack: create venv", timeout_s=300)
            pip = [str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet",
                   "--disable-pip-version-check", "--only-binary=cryptography"]
            run([*pip, *REQUIREMENTS], what="localstack: pip install", timeout_s=1800)
            (tmp / ".installed").write_text(" ".join(REQUIREMENTS) + "\n")

    def endpoint_url(self, ctx: Context) -> str:
        """``http://127.0.0.1:<port>``: the AWS endpoint URL for boto3 (``endpoint_url``)."""
        return f"http://{ctx.host}:{self.ports(ctx)['gateway']}"

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        data = ctx.data_dir(self.name)
        env = {
            "GATEWAY_SERVER": "hypercorn",
            "GATEWAY_LISTEN": f"{ctx.host}:{self.ports(ctx)['gateway']}",
            "DNS_ADDRESS": "0",
            "DISABLE_EVENTS": "1",
            "PERSISTENCE": "0",
            "SKIP_SSL_CERT_DOWNLOAD": "1",  # the gateway's TLS certificate is self-signed, never fetched
            "LOCALSTACK_HOST": f"{ctx.host}:{self.ports(ctx)['gateway']}",
            "FILESYSTEM_ROOT": str(data / "fs"),
            "HOME": str(data / "home"),
            "AWS_DEFAULT_REGION": REGION,
        }
        for d in ("fs", "home"):
            (data / d).mkdir(parents=True, exist_ok=True)
        return [str(self.python(ctx)), "-m", "localstack.runtime.main"], env

    def health(self, ctx: Context, timeout: float = 2.0) -> dict:
        """The ``/_localstack/health`` document (``{"services": {name: state}, ...}``). Raises
        httpx errors when it does not answer."""
        import httpx

        resp = httpx.get(self.endpoint_url(ctx) + "/_localstack/health", timeout=timeout)
        resp.raise_for_status()
        return resp.json()

    def ready(self, ctx: Context) -> bool:
        try:
            services = self.health(ctx).get("services", {})
        except Exception:
            return False
        return all(services.get(s) in ("available", "running") for s in REQUIRED_SERVICES)

    def client(self, ctx: Context, service: str, **kwargs):
        """A boto3 client for ``service`` on this LocalStack, made by ``localstack-client``'s
        session (its test credentials and region), pointed at :meth:`endpoint_url`."""
        from localstack_client.session import Session

        session = Session(localstack_host=f"{ctx.host}:{self.ports(ctx)['gateway']}", region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=ACCESS_KEY)
        return session.client(service, **kwargs)

    def topology(self, ctx: Context) -> Service:
        return Service(plane="infrastructure", engine="localstack", version=LOCALSTACK_VERSION,
                       endpoints=[Endpoint(protocol="http", host=ctx.host, port=self.ports(ctx)["gateway"],
                                           health_path="/_localstack/health")],
                       storage={"durable": False, "persistence": False})

    def provenance(self, ctx: Context) -> str:
        return f"LocalStack community runtime (localstack-core {LOCALSTACK_VERSION}, PyPI, own Python >= 3.12 venv)"
