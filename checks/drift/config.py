"""Config drift: the environment running services really have against the environment the
contract renders for the stack.

Live environments (``{name: value}`` per workload):

- :func:`proc_environ`: a process's ``/proc/PID/environ`` (harness processes; Linux);
- :func:`docker_environ`: a container's ``Config.Env`` (Docker SDK);
- :func:`ecs_environ`: a task definition's ``environment`` and ``secrets`` (``valueFrom``
  kept as the reference) per container (boto3 ``ecs.describe_task_definition``);
- :func:`k8s_environ`: a Deployment's container ``env`` (``valueFrom`` kept as a
  ``k8s-secret://NAME#KEY`` reference) via the kubernetes client.

Comparison (:func:`compare_env`): every expected name must be live with the same value
(missing/changed); live names the contract knows (:func:`somastack_deploy.config_contract.catalog.is_contract_name`)
but the rendering lacks are ``extra``. A secret (:func:`somastack_deploy.config_contract.catalog.is_secret_name`)
is compared by reference when both sides are references, else by fingerprint of the resolved
values (:func:`somastack_deploy.config_contract.masking.fingerprint`); its value is never returned.
"""

from __future__ import annotations

from typing import Callable

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.masking import fingerprint
from somastack_deploy.config_contract.topology import is_reference

from .model import CHANGED, EXTRA, MISSING, DriftItem


def proc_environ(pid: int) -> dict[str, str]:
    """The environment a process was started with (``/proc/PID/environ``). Raises
    :class:`InputError` when the process does not exist or cannot be read."""
    try:
        with open(f"/proc/{int(pid)}/environ", "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputError("no such process", variable=f"pid {pid}") from None
    except OSError as err:
        raise InputError(f"cannot read environ ({err.strerror})", variable=f"pid {pid}") from None
    out = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            k, _, v = item.partition(b"=")
            out[k.decode(errors="replace")] = v.decode(errors="replace")
    return out


def docker_environ(container) -> dict[str, str]:
    """``Config.Env`` of a Docker SDK container object as a dict."""
    env = (container.attrs.get("Config") or {}).get("Env") or []
    return dict(e.split("=", 1) if "=" in e else (e, "") for e in env)


def ecs_environ(ecs_client, task_definition: str) -> dict[str, dict[str, str]]:
    """``{container name: env}`` of an ECS task definition; ``secrets`` entries map to their
    ``valueFrom`` ARN as an ``ref+awssecrets://`` / ``ssm://`` reference (never a value)."""
    td = ecs_client.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    out = {}
    for c in td.get("containerDefinitions", []):
        env = {e["name"]: e.get("value", "") for e in c.get("environment", [])}
        for s in c.get("secrets", []):
            arn = s["valueFrom"]
            env[s["name"]] = ("ref+awssecrets://" + arn.split(":secret:", 1)[1]) if ":secret:" in arn else f"ssm://{arn}"
        out[c["name"]] = env
    return out


def k8s_environ(apps_api, namespace: str, deployment: str, core_api=None) -> dict[str, dict[str, str]]:
    """``{container name: env}`` of a Deployment's pod template, as the container sees it:
    ``envFrom`` sources first (with ``core_api``: a ConfigMap's data as values, a Secret's keys
    as ``k8s-secret://NAME#KEY`` references — its values are never kept), then ``env``, which
    wins (Kubernetes docs "Define container environment variables"); ``valueFrom.secretKeyRef``
    becomes ``k8s-secret://NAME#KEY``, ``configMapKeyRef`` ``k8s-configmap://NAME#KEY``.
    A missing optional source is skipped."""
    dep = apps_api.read_namespaced_deployment(deployment, namespace)
    out = {}
    for c in dep.spec.template.spec.containers:
        env: dict[str, str] = {}
        for src in (c.env_from or []) if core_api is not None else []:
            prefix = src.prefix or ""
            if src.config_map_ref is not None:
                cm = _read_optional(core_api.read_namespaced_config_map, src.config_map_ref.name, namespace)
                env.update({prefix + k: v for k, v in ((cm.data or {}) if cm else {}).items()})
            elif src.secret_ref is not None:
                sec = _read_optional(core_api.read_namespaced_secret, src.secret_ref.name, namespace)
                env.update({prefix + k: f"k8s-secret://{src.secret_ref.name}#{k}"
                            for k in sorted((sec.data or {}) if sec else {})})
        for e in c.env or []:
            if e.value_from is not None and e.value_from.secret_key_ref is not None:
                ref = e.value_from.secret_key_ref
                env[e.name] = f"k8s-secret://{ref.name}#{ref.key}"
            elif e.value_from is not None and e.value_from.config_map_key_ref is not None:
                ref = e.value_from.config_map_key_ref
                env[e.name] = f"k8s-configmap://{ref.name}#{ref.key}"
            else:
                env[e.name] = e.value or ""
        out[c.name] = env
    return out


def _read_optional(read, name: str, namespace: str):
    """``read(name, namespace)`` or None when the object does not exist (HTTP 404)."""
    try:
        return read(name, namespace)
    except Exception as err:  # noqa: BLE001 - kubernetes.client.ApiException without importing the client
        if getattr(err, "status", None) == 404:
            return None
        raise


def _looks_like_ref(v: str) -> bool:
    return is_reference(v) or v.startswith(("ssm://", "k8s-secret://", "k8s-configmap://", "arn:aws:secretsmanager:"))


def _secret_view(value: str, resolver: Callable[[str], str] | None) -> tuple[str, str | None]:
    """(printable form, comparable form): a reference stays itself; a literal becomes its
    fingerprint; a reference whose value can be resolved is also comparable by fingerprint."""
    if _looks_like_ref(value):
        resolved = None
        if resolver is not None and is_reference(value):
            try:
                resolved = fingerprint(resolver(value))
            except Exception:  # noqa: BLE001 - unresolvable: compare by reference only
                resolved = None
        return value, resolved
    fp = fingerprint(value)
    return fp, fp


def compare_env(expected: dict[str, str], live: dict[str, str], *, service: str, workload: str,
                source: str | None = None, resolver: Callable[[str], str] | None = None,
                is_secret: Callable[[str], bool] | None = None,
                is_known: Callable[[str], bool] | None = None) -> list[DriftItem]:
    """Compare an expected environment with a live one (see the module docstring).

    ``workload`` names the process/container/deployment (the item's ``object``);
    ``resolver`` resolves expected references in memory (default
    :func:`somastack_deploy.config_contract.references.resolve`); ``is_secret``/``is_known`` default to the
    contract catalog's :func:`is_secret_name` / :func:`is_contract_name`.
    """
    from somastack_deploy.config_contract import catalog
    from somastack_deploy.config_contract.references import resolve

    resolver = resolve if resolver is None else resolver
    is_secret = is_secret or catalog.is_secret_name
    is_known = is_known or catalog.is_contract_name
    obj = f"env of {workload}"
    items: list[DriftItem] = []
    for name in sorted(set(expected) | set(live)):
        secret = is_secret(name) or _looks_like_ref(expected.get(name, "")) or _looks_like_ref(live.get(name, ""))
        if name in expected and name not in live:
            shown = _secret_view(expected[name], None)[0] if secret else expected[name]
            items.append(DriftItem("config", service, obj, name, MISSING, shown, None, secret, source))
            continue
        if name not in expected:
            if is_known(name):
                shown = _secret_view(live[name], None)[0] if secret else live[name]
                items.append(DriftItem("config", service, obj, name, EXTRA, None, shown, secret, source))
            continue
        e, a = expected[name], live[name]
        if not secret:
            if e != a:
                items.append(DriftItem("config", service, obj, name, CHANGED, e, a, False, source))
            continue
        e_show, e_cmp = _secret_view(e, resolver)
        a_show, a_cmp = _secret_view(a, None)
        same = (e == a) if (_looks_like_ref(e) and _looks_like_ref(a)) else (e_cmp is not None and e_cmp == a_cmp)
        if not same:
            items.append(DriftItem("config", service, obj, name, CHANGED, e_show, a_show, True, source))
    return items


def harness_expected_env(harness, name: str) -> dict[str, str]:
    """The extra environment the harness plug-in declares for ``name``'s server process
    (``ServiceSpec.command(ctx)[1]``): what the repo renders for that process."""
    return dict(harness.spec(name).command(harness.ctx)[1])


def harness_config_drift(harness, services: list[str] | None = None) -> tuple[list[DriftItem], list[str]]:
    """Compare every harness process's ``/proc/PID/environ`` with its plug-in's declared
    environment. Only the declared names are compared (the rest is the inherited shell
    environment). Returns ``(items, errors)``."""
    items, errors = [], []
    status = harness.status()
    for name in services or sorted(status):
        st = status.get(name)
        if st is None or not st.alive or st.pid is None:
            errors.append(f"{name}: process not running, its environment cannot be read")
            continue
        try:
            expected = harness_expected_env(harness, name)
            live = proc_environ(st.pid)
        except Exception as err:  # noqa: BLE001
            errors.append(f"{name}: {type(err).__name__}: {err}")
            continue
        items += compare_env(expected, live, service=name, workload=f"process {st.pid}",
                             source=f"harness/services/{name}.py", is_known=lambda n: False,
                             resolver=lambda ref: "")
    return items, errors
