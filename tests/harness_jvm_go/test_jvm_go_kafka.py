"""Kafka 4.x KRaft from Maven Central: readiness, the declared topics of assets/kafka/topics.yaml
with the DEVELOPMENT retention (seed 003), no auto-created topics, and messages surviving a
stop/start of the broker."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigResource

from somastack_deploy.harness.services.kafka import KAFKA_VERSION, load_topics

SEED_004_TOPICS = {"agent.messages", "agent.memory", "agent.audit", "agent.routing", "agent.tool", "somastack.delegation"}
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


def _bootstrap(topology) -> str:
    ep = topology.services["kafka"].endpoints[0]
    return f"{ep.host}:{ep.port}"


@pytest.mark.services("kafka")
def test_kafka_is_ready_and_reports_what_runs(topology):
    svc = topology.services["kafka"]
    assert svc.endpoints[0].protocol == "kafka" and svc.endpoints[0].host == "127.0.0.1"
    assert svc.version == KAFKA_VERSION and svc.storage["kraft"] is True
    assert "org.apache.kafka:kafka_2.13" in topology.provenance["kafka"]
    md = AdminClient({"bootstrap.servers": _bootstrap(topology)}).list_topics(timeout=10)
    assert [b.port for b in md.brokers.values()] == [svc.endpoints[0].port]


@pytest.mark.services("kafka")
def test_kafka_declared_topics_exist_with_declared_partitions_and_retention(topology):
    mode, declared = load_topics()
    assert mode == "DEVELOPMENT"
    assert {t.name for t in declared} == SEED_004_TOPICS
    admin = AdminClient({"bootstrap.servers": _bootstrap(topology)})
    md = admin.list_topics(timeout=10)
    for spec in declared:
        assert spec.name in md.topics, spec.name
        assert len(md.topics[spec.name].partitions) == spec.partitions
    resources = [ConfigResource("topic", t.name) for t in declared]
    for res, fut in admin.describe_configs(resources).items():
        retention = int(fut.result(timeout=10)["retention.ms"].value)
        assert retention >= SEVEN_DAYS_MS  # seed 003 DEVELOPMENT: retention >= 7 days


@pytest.mark.services("kafka")
def test_kafka_does_not_auto_create_topics(topology):
    admin = AdminClient({"bootstrap.servers": _bootstrap(topology)})
    res = ConfigResource("broker", "1")
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["auto.create.topics.enable"].value == "false"
    producer = Producer({"bootstrap.servers": _bootstrap(topology), "message.timeout.ms": 3000})
    errors = []
    producer.produce("undeclared.topic", b"x", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(10)
    assert errors and errors[0] is not None
    assert "undeclared.topic" not in admin.list_topics(timeout=10).topics


@pytest.mark.services("kafka")
def test_kafka_messages_and_cluster_id_survive_stop_start(topology, harness):
    bootstrap = _bootstrap(topology)
    marker = uuid.uuid4().hex.encode()
    cluster_before = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).cluster_id
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    delivered = []
    producer.produce("agent.audit", marker, key=b"tenant-default", on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(15) == 0 and delivered == [None]

    harness.stop("kafka")
    harness.start("kafka")

    assert AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).cluster_id == cluster_before
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe(["agent.audit"])
        seen = []
        for _ in range(60):
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            seen.append(msg.value())
            if marker in seen:
                break
        assert marker in seen
    finally:
        consumer.close()
