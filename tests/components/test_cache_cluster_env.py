"""Rendered Redis settings of the app services when the cache is a cluster (issue 12), and
that redis-py's cluster client accepts the rendered URL."""

from __future__ import annotations

import dataclasses

import pytest

from somastack_deploy.components.app_env import render_app_env

from test_pure import EP

CONTRACT = {"SOMASTACK_SOFTWARE_MODE": "SomaStackClusterMode", "SA01_DEPLOYMENT_MODE": "PROD"}


@pytest.mark.parametrize("app,var", [("agent", "SA01_REDIS_URL"), ("brain", "SOMA_REDIS_URL")])
def test_cluster_url_has_no_database_index_and_the_mode_is_rendered(app, var):
    ep = dataclasses.replace(EP, redis_cluster=True, redis_host="clustercfg.soma.abc.use1.cache.amazonaws.com")
    env, secrets = render_app_env(app, ep, CONTRACT, target="FARGATE")
    assert env[var] == "rediss://clustercfg.soma.abc.use1.cache.amazonaws.com:6379"
    assert env["REDIS_CLUSTER_MODE"] == "true" and secrets["REDIS_PASSWORD"] == EP.redis_password_ref
    plain, _ = render_app_env(app, EP, CONTRACT, target="FARGATE")
    assert plain[var] == "rediss://cache.internal:6379/0" and "REDIS_CLUSTER_MODE" not in plain


def test_memory_gets_the_mode_too():
    env, _ = render_app_env("memory", dataclasses.replace(EP, redis_cluster=True), CONTRACT, target="EKS")
    assert env["REDIS_CLUSTER_MODE"] == "true" and env["SOMA_REDIS_HOST"] == "cache.internal"


def test_redis_py_cluster_client_accepts_the_cluster_url_and_rejects_another_database():
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisClusterException

    with pytest.raises(RedisClusterException, match="db"):
        RedisCluster.from_url("redis://127.0.0.1:1/1")
    # no server here: the URL is accepted and the client only fails connecting (not on parsing)
    with pytest.raises(RedisClusterException) as err:
        RedisCluster.from_url("rediss://127.0.0.1:1", socket_connect_timeout=0.2)
    assert "db" not in str(err.value)
