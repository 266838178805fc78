"""Kafka probe: cluster metadata, broker count, produce and consume a canary message.

The canary goes to the probe topic (``storage.probe_topic``, default ``somastack.probe``;
created with 1 partition when missing) and is read back from the exact offset the producer
got, so the check proves the whole write/read path. ``storage.min_brokers`` (default 1) is
the broker count the stack must have. Source: confluent-kafka (librdkafka) docs; seed 001 §1.1
(Kafka 9092). Credentials: ``username`` + ``password`` (reference) switch on SASL
(``storage.sasl_mechanism``, default SCRAM-SHA-512).
"""

from __future__ import annotations

import logging
import time
import uuid

from .base import PROTOCOL, TIMED_OUT, UNHEALTHY, ProbeContext, ProbeFailure, register
from .classify import tcp_precheck

PROBE_TOPIC = "somastack.probe"
_QUIET = logging.getLogger("checks.kafka.librdkafka")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def config(ctx: ProbeContext) -> dict:
    """librdkafka configuration for the service (timeouts in ms from the probe timeout)."""
    eps = [e for e in ctx.service.endpoints if e.protocol in ("kafka", "tcp") and e.host]
    if not eps:
        ctx.endpoint("kafka")  # raises bad input
    tls = any(e.tls for e in eps)
    conf = {"bootstrap.servers": ",".join(f"{e.host}:{e.port}" for e in eps),
            "socket.timeout.ms": max(1000, int(ctx.timeout_s * 1000)),
            "socket.connection.setup.timeout.ms": max(1000, int(ctx.timeout_s * 1000)),
            "logger": _QUIET, "log_level": 0}
    user, password = ctx.ident("username"), ctx.secret("password")
    if user and password:
        conf.update({"security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
                     "sasl.mechanism": ctx.ident("sasl_mechanism", "SCRAM-SHA-512"),
                     "sasl.username": user, "sasl.password": password})
    elif tls:
        conf["security.protocol"] = "SSL"
    return conf


def ensure_topic(admin, topic: str, brokers: int, timeout_s: float, *, partitions: int = 1) -> None:
    """Create ``topic`` when missing (replication factor min(3, brokers)); existing is fine."""
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import NewTopic

    md = admin.list_topics(topic=None, timeout=timeout_s)
    if topic in md.topics and not md.topics[topic].error:
        return
    fut = admin.create_topics([NewTopic(topic, partitions, min(3, brokers))], operation_timeout=timeout_s,
                              request_timeout=timeout_s)[topic]
    try:
        fut.result(timeout=timeout_s)
    except Exception as err:  # noqa: BLE001
        kerr = err.args[0] if err.args else None
        if getattr(kerr, "code", lambda: None)() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def produce(conf: dict, topic: str, values: list[bytes], timeout_s: float, *, key: bytes | None = None) -> list[tuple[int, int]]:
    """Produce ``values`` (acks=all, idempotent) and return ``[(partition, offset)]``.
    Raises :class:`ProbeFailure` on a delivery error or timeout."""
    from confluent_kafka import Producer

    out: list = []
    errors: list = []
    p = Producer({**conf, "acks": "all", "enable.idempotence": True,
                  "message.timeout.ms": max(1000, int(timeout_s * 1000))})

    def on_delivery(err, msg):
        (errors.append(err) if err else out.append((msg.partition(), msg.offset())))

    for v in values:
        p.produce(topic, value=v, key=key, partition=0, on_delivery=on_delivery)
    left = p.flush(timeout_s)
    if errors:
        raise ProbeFailure(UNHEALTHY, f"delivery to {topic} failed: {errors[0].str()}")
    if left:
        raise ProbeFailure(TIMED_OUT, f"{left} message(s) to {topic} not delivered within {timeout_s:.1f}s")
    return out


def read_at(conf: dict, topic: str, positions: list[tuple[int, int]], timeout_s: float) -> dict[tuple[int, int], bytes]:
    """Read the messages at ``positions`` ``[(partition, offset)]``; returns the ones found
    before the deadline as ``{(partition, offset): value}``."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({**conf, "group.id": f"somastack-check-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False,
                  "auto.offset.reset": "error", "enable.partition.eof": False})
    want = set(positions)
    found: dict = {}
    try:
        first: dict[int, int] = {}
        for p, o in positions:
            first[p] = min(o, first.get(p, o))
        c.assign([TopicPartition(topic, p, o) for p, o in sorted(first.items())])
        deadline = time.monotonic() + timeout_s
        while want - set(found) and time.monotonic() < deadline:
            msg = c.poll(min(0.2, max(0.01, deadline - time.monotonic())))
            if msg is None:
                continue
            if msg.error():
                raise ProbeFailure(PROTOCOL, f"consume from {topic}: {msg.error().str()}")
            pos = (msg.partition(), msg.offset())
            if pos in want:
                found[pos] = msg.value()
    finally:
        c.close()
    return found


@register("probe.kafka.canary", "kafka", "Kafka metadata, brokers, produce+consume canary",
          source="confluent-kafka docs; seed 001 §1.1", imports=("confluent_kafka", "confluent_kafka.admin"))
def probe_kafka(ctx: ProbeContext) -> str:
    from confluent_kafka.admin import AdminClient

    first = next(e for e in ctx.service.endpoints if e.host)
    tcp_precheck(first.host, first.port, ctx.timeout_s)
    conf = config(ctx)
    admin = AdminClient(conf)
    md = admin.list_topics(timeout=ctx.timeout_s)
    brokers = len(md.brokers)
    need = int(ctx.ident("min_brokers", "1"))
    if brokers < need:
        raise ProbeFailure(UNHEALTHY, f"{brokers} broker(s), the stack needs {need}")
    topic = ctx.ident("probe_topic", PROBE_TOPIC)
    ensure_topic(admin, topic, brokers, ctx.timeout_s)
    nonce = uuid.uuid4().hex.encode()
    pos = produce(conf, topic, [nonce], ctx.timeout_s)
    got = read_at(conf, topic, pos, ctx.timeout_s)
    if got.get(pos[0]) != nonce:
        raise ProbeFailure(TIMED_OUT, f"canary not consumed back from {topic} within {ctx.timeout_s:.1f}s")
    return f"{brokers} broker(s), canary round trip on {topic}"
