"""Release a node Lease left by the kwok of an earlier run (a one-shot step of the supervisor).

kwok manages a node's pods only while it holds the node's Lease
(``kube-node-lease/<node>``), and its holder identity is random per process: a Lease left by
the kwok of the previous run blocks the new one until it expires. Before kwok starts, no kwok
of this cluster runs, so any existing Lease of the node is stale and is deleted::

    python -m somastack_deploy.harness.kube.lease KUBECONFIG NODE

Exit 0 when the Lease is gone (deleted or absent), 1 with a one-line reason otherwise.
"""

from __future__ import annotations

import sys


def release(kubeconfig: str, node: str) -> None:
    """Delete ``kube-node-lease/<node>`` with the kubeconfig's credentials (404 is fine).
    Raises ``RuntimeError`` naming the HTTP status on any other answer."""
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.client.rest import ApiException

    api = kube_config.new_client_from_config(config_file=kubeconfig)
    try:
        client.CoordinationV1Api(api).delete_namespaced_lease(node, "kube-node-lease")
    except ApiException as err:
        if err.status != 404:
            raise RuntimeError(f"delete lease kube-node-lease/{node}: HTTP {err.status} {err.reason}") from None
    finally:
        api.close()


def main(argv: list[str] | None = None) -> int:
    """``lease KUBECONFIG NODE`` → exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m somastack_deploy.harness.kube.lease KUBECONFIG NODE", file=sys.stderr)
        return 2
    try:
        release(*args)
    except Exception as err:  # one line, never a traceback
        print(f"release node lease: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(f"node lease kube-node-lease/{args[1]} released")
    return 0


if __name__ == "__main__":
    sys.exit(main())
