"""The rules' shared helpers: the environment of a resource from its tags, boolean inputs."""

from __future__ import annotations

import pytest

from somastack_deploy.policies import ResourceInput
from somastack_deploy.policies.registry import Unknown
from somastack_deploy.policies.rules._env import environment_of, truthy


def _res(tags, default=None):
    return ResourceInput("aws:rds/instance:Instance", "db", {"tags": tags},
                         provider_props={"defaultTags": {"tags": default}} if default else None)


@pytest.mark.parametrize("tags,default,env", [({"Environment": "PROD"}, None, "PROD"),
                                              ({"environment": " production "}, None, "PROD"),
                                              ({"Environment": "dev"}, None, "DEV"),
                                              ({"Environment": "Development"}, None, "DEV"),
                                              ({}, {"Environment": "PROD"}, "PROD")])
def test_environment_of(tags, default, env):
    assert environment_of(_res(tags, default)) == env


@pytest.mark.parametrize("tags", [{}, {"Environment": "staging"}, {"Environment": ""}])
def test_environment_unknown(tags):
    with pytest.raises(Unknown) as err:
        environment_of(_res(tags))
    assert str(err.value) == "no Environment=DEV|PROD tag: cannot tell PROD from DEV"


@pytest.mark.parametrize("value,expect", [(True, True), (False, False), (None, False), (1, True), (0, False),
                                          ("true", True), (" True ", True), ("TRUE", True), ("false", False),
                                          ("yes", False), ("", False)])
def test_truthy(value, expect):
    assert truthy(value) is expect
