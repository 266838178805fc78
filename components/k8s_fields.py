"""Strict field names for Kubernetes objects declared through ``pulumi_kubernetes``.

Why this exists: the pulumi-kubernetes provider's ``Check`` normalizes every object of a built-in
kind by converting it to the Kubernetes Go type and back (``normalizeInputs`` →
``clients.Normalize``, provider/pkg/provider/provider.go), which silently drops every field the
type does not declare. A mistyped field (``imagePullPolicyy``) therefore never reaches the API
server, whose server-side apply would reject it (``field not declared in schema``, with any
``fieldValidation``; ``kubectl apply --validate=strict`` rejects it too): ``up`` succeeds and the
setting is lost. Everything the server checks on declared fields (quantities, enums, required
fields, immutability) still fails ``up`` there.

:func:`unknown_fields` walks an object's properties along the input types of the
``pulumi_kubernetes`` SDK (generated from the Kubernetes OpenAPI schema) and returns the paths of
keys that no type declares; :func:`strict_fields` is a Pulumi stack transformation that fails the
resource's registration with :class:`UnknownFieldError` (one line naming resource and paths)
before the provider can drop anything. :func:`register` installs it for the current stack
(``somastack_deploy.stacks.program.main`` does, for every target).

Values that are Outputs (unknown until the engine resolves them) are not inspected; CRDs'
free-form ``spec`` (``CustomResource``) and Helm values are not checked (no schema).
"""

from __future__ import annotations

import collections.abc as abc
import typing

import pulumi
from pulumi import _types

#: Names the SDK's string annotations use without importing them (``Output[T]``).
_HINT_NAMES = {"Output": pulumi.Output, "T": typing.TypeVar("T")}

#: Resource type prefix of the objects checked.
K8S_TYPE_PREFIX = "kubernetes:"


class UnknownFieldError(pulumi.RunError):
    """An object declares keys its Kubernetes type does not have. ``str(err)`` is one line:
    ``"<type> <name>: unknown field(s) <path>, …"``; ``paths`` lists them."""

    def __init__(self, type_: str, name: str, paths: list[str]):
        self.type, self.name, self.paths = type_, name, list(paths)
        shown = ", ".join(paths[:5]) + (f" (+{len(paths) - 5} more)" if len(paths) > 5 else "")
        super().__init__(f"{type_} {name}: unknown field{'s' if len(paths) > 1 else ''} {shown} "
                         f"(not in the Kubernetes schema; the provider would drop it silently)")


def _shape(typ) -> tuple[str, object] | None:
    """``("object", input type class)``, ``("list", element type)``, ``("map", value type)`` or
    ``None`` (a scalar, ``Any``, an Output or an unknown shape: not inspected)."""
    if isinstance(typ, type) and _types.is_input_type(typ):
        return "object", typ
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin is typing.Union:  # the SDK puts the input type (or the list/map) first
        found = [s for s in (_shape(a) for a in args) if s is not None]
        return found[0] if found else None
    if origin in (list, abc.Sequence) and args:
        return "list", args[0]
    if origin in (dict, abc.Mapping) and len(args) == 2:
        return "map", args[1]
    return None


def _walk(value, typ, path: str, out: list[str]) -> None:
    shape = _shape(typ)
    if shape is None or isinstance(value, pulumi.Output):
        return
    kind, inner = shape
    if kind == "object" and isinstance(value, abc.Mapping):
        types = _types.input_type_types(inner)
        py_names = _types.input_type_py_to_pulumi_names(inner)
        for key in value:
            name = py_names.get(key, key)  # the SDK accepts snake_case keys and translates them
            if name not in types:
                out.append(f"{path}.{key}")
                continue
            _walk(value[key], types[name], f"{path}.{name}", out)
    elif kind == "list" and isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _walk(item, inner, f"{path}[{i}]", out)
    elif kind == "map" and isinstance(value, abc.Mapping):
        for key, item in value.items():
            _walk(item, inner, f"{path}.{key}", out)


def unknown_fields(resource_cls: type, props: typing.Mapping[str, object]) -> list[str]:
    """Property paths (``spec.template.spec.containers[0].imagePullPolicyy``) of ``props`` (a
    ``pulumi_kubernetes`` resource's input properties, top-level keys in Python spelling as the
    SDK stores them) that the Kubernetes type of ``resource_cls`` does not declare. Empty when
    every key is known or the class carries no type information (``CustomResource``)."""
    init = getattr(resource_cls, "_internal_init", None) or resource_cls.__init__
    try:
        hints = typing.get_type_hints(init, localns=_HINT_NAMES)
    except Exception:  # an SDK class whose annotations do not resolve: nothing to check against
        return []
    out: list[str] = []
    for key, value in props.items():
        typ = hints.get(key)
        if typ is not None:
            _walk(value, typ, _camel(key), out)
    return out


def _camel(py_name: str) -> str:
    head, *rest = py_name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def strict_fields(args: pulumi.ResourceTransformationArgs) -> None:
    """Stack transformation: raise :class:`UnknownFieldError` for a ``kubernetes:*`` custom
    resource with unknown fields; leave every resource unchanged (returns ``None``)."""
    if not args.type_.startswith(K8S_TYPE_PREFIX) or not isinstance(args.resource, pulumi.CustomResource):
        return None
    paths = unknown_fields(type(args.resource), args.props or {})
    if paths:
        raise UnknownFieldError(args.type_, args.name, paths)
    return None


def register() -> None:
    """Install :func:`strict_fields` for every resource constructed after this call in the
    current stack (``pulumi.runtime.register_stack_transformation``)."""
    pulumi.runtime.register_stack_transformation(strict_fields)
