"""Fixtures for the Kubernetes control-plane tests (harness service ``kubernetes``).

``kube`` (function scope) gives a ``kubernetes.client.ApiClient`` for the session cluster's
admin kubeconfig (``topology.services["kubernetes"].storage["kubeconfig"]``); ``namespace``
creates a fresh namespace per test and deletes it afterwards, so tests never see each other's
objects. ``k8s_helpers.wait_for`` polls a condition (the way ``kubectl wait`` does).
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture()
def kube(topology):
    """An ApiClient for the session cluster (closed after the test)."""
    from kubernetes import config as kube_config

    kubeconfig = topology.services["kubernetes"].storage["kubeconfig"]
    api = kube_config.new_client_from_config(config_file=kubeconfig)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture()
def namespace(kube):
    """A new namespace ``t-<random>`` (deleted after the test)."""
    from kubernetes import client

    name = f"t-{uuid.uuid4().hex[:10]}"
    core = client.CoreV1Api(kube)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        yield name
    finally:
        core.delete_namespace(name)
