"""Apache Kafka 4.x in KRaft mode (one process: broker + controller) from Maven Central.

- Install: ``mvn dependency:copy-dependencies`` of ``harness/install/kafka/pom.xml``
  (``org.apache.kafka:kafka_2.13`` + runtime dependencies + the log4j2 binding) into
  ``<cache>/kafka/<version>/libs``. Runs on the system Java 17+ (Kafka 4 needs Java 17).
- Prepare: ``server.properties`` in the data dir; ``kafka.tools.StorageTool format`` once with a
  cluster id generated on the first run and kept in the data dir (``meta.properties``).
- Run: ``java -cp libs/* kafka.Kafka server.properties``. Listeners on ``ctx.host``: broker
  9092 + offset (seed 001 §1.1), controller 9093 + offset. ``auto.create.topics.enable=false``.
- Ready: confluent-kafka ``AdminClient.list_topics`` returns a broker.
- Post-start: create the topics of ``assets/kafka/topics.yaml`` (seed 004 §2.2/§3) with the
  retention of the declared SOMA_AGENT_MODE (seed 003); existing topics are kept.

Options (``ctx.options["kafka"]``): ``mode`` (LOCAL/DEVELOPMENT/TRAINING: whose prefix and
retention apply, default the file's ``mode``), ``heap_mb`` (JVM heap, default 512).
"""

from __future__ import annotations

import base64
import functools
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from somastack_deploy.config_contract.errors import InputError
from somastack_deploy.config_contract.topology import Endpoint, Service

from ..base import Context, InstallError, ServiceSpec
from ..install import INSTALL_DIR
from ..install.tools import assets_dir, maven, run, staged_dir

#: Must equal ``kafka.version`` in harness/install/kafka/pom.xml.
KAFKA_VERSION = "4.3.1"
POM = INSTALL_DIR / "kafka" / "pom.xml"
TOPICS_FILE = assets_dir() / "kafka" / "topics.yaml"


@dataclass(frozen=True)
class TopicSpec:
    """One declared topic: ``name`` (mode prefix applied), ``partitions``,
    ``replication_factor`` and ``config`` (Kafka topic configs, e.g. ``retention.ms``)."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def load_topics(path: Path = TOPICS_FILE, mode: str | None = None) -> tuple[str, list[TopicSpec]]:
    """Read ``assets/kafka/topics.yaml``; return ``(mode, topics)`` for ``mode`` (default the
    file's ``mode``), the mode's prefix and ``retention.ms`` applied.

    Raises :class:`InputError` naming the file and the field when the file is unreadable or
    a field is missing/invalid, or when the mode declares no retention (seed 003 gives no
    PRODUCTION figure)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", path=str(path)) from None
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        raise InputError("not valid YAML", path=str(path), line=(line + 1) if line is not None else None) from None
    if not isinstance(doc, dict):
        raise InputError("expected a mapping with mode, modes and topics", path=str(path))
    mode = mode or doc.get("mode")
    modes = doc.get("modes") or {}
    if mode not in modes:
        raise InputError(f"mode {mode!r} is not declared under modes (declared: {sorted(modes)})",
                         path=str(path), variable="mode")
    rule = modes[mode] or {}
    retention = rule.get("retention_ms")
    if not isinstance(retention, int) or (retention < 1 and retention != -1):
        raise InputError("retention_ms must be -1 or a positive integer (ms)", path=str(path),
                         variable=f"modes.{mode}.retention_ms")
    prefix = rule.get("prefix") or ""
    topics: list[TopicSpec] = []
    for i, entry in enumerate(doc.get("topics") or []):
        where = f"topics[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputError("each topic needs a name", path=str(path), variable=where)
        for key in ("partitions", "replication_factor"):
            if not isinstance(entry.get(key, 1), int) or entry.get(key, 1) < 1:
                raise InputError(f"{key} must be a positive integer", path=str(path), variable=f"{where}.{key}")
        topics.append(TopicSpec(prefix + entry["name"], entry.get("partitions", 1),
                                entry.get("replication_factor", 1), {"retention.ms": str(retention)}))
    if not topics:
        raise InputError("no topics declared", path=str(path), variable="topics")
    return mode, topics


def new_cluster_id() -> str:
    """A KRaft cluster id like ``kafka-storage random-uuid``: 16 random bytes, base64url
    without padding, not starting with ``-`` (as ``org.apache.kafka.common.Uuid.randomUuid``)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


class Kafka(ServiceSpec):
    """Kafka 4.3.1 KRaft broker+controller (Maven Central jars, system Java 17+)."""

    name = "kafka"
    base_ports = {"kafka": 9092, "controller": 9093}
    depends_on = ()
    start_timeout_s = 120.0
    stop_timeout_s = 30.0

    # -- install ---------------------------------------------------------------------------

    def home(self, ctx: Context) -> Path:
        return ctx.cache_dir / "kafka" / KAFKA_VERSION

    def libs(self, ctx: Context) -> Path:
        return self.home(ctx) / "libs"

    def installed(self, ctx: Context) -> bool:
        return (self.libs(ctx) / f"kafka_2.13-{KAFKA_VERSION}.jar").exists() and self.java() is not None

    @staticmethod
    def java() -> str | None:
        """The ``java`` command (system Java 17+), or None."""
        return shutil.which("java")

    def install(self, ctx: Context) -> None:
        if self.java() is None:
            raise InstallError("kafka: `java` not found on PATH (Kafka 4 needs Java 17+; Debian: openjdk-17-jre-headless)")
        with staged_dir(self.home(ctx)) as tmp:
            maven(ctx, ["-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={tmp / 'libs'}"],
                  what="kafka: resolve org.apache.kafka:kafka_2.13 from Maven Central")
            if not (tmp / "libs" / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
                raise InstallError(f"kafka: {POM} did not yield kafka_2.13-{KAFKA_VERSION}.jar (pom and KAFKA_VERSION disagree)")

    # -- run -------------------------------------------------------------------------------

    def _conf(self, ctx: Context) -> Path:
        return ctx.data_dir(self.name) / "server.properties"

    def _log_dir(self, ctx: Context) -> Path:
        return ctx.data_dir(self.name) / "kraft-logs"

    def _java_cmd(self, ctx: Context, main: str, *args: str) -> list[str]:
        heap = int(ctx.service_options(self.name).get("heap_mb", 512))
        log4j = ctx.data_dir(self.name) / "log4j2.properties"
        return [self.java() or "java", f"-Xms{min(heap, 256)}m", f"-Xmx{heap}m", "-XX:+UseG1GC",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}",
                "-cp", f"{self.libs(ctx)}/*", main, *args]

    def prepare(self, ctx: Context) -> None:
        ports = self.ports(ctx)
        host = ctx.host
        log_dir = self._log_dir(ctx)
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{host}:{ports['controller']}",
            "listeners": f"PLAINTEXT://{host}:{ports['kafka']},CONTROLLER://{host}:{ports['controller']}",
            "advertised.listeners": f"PLAINTEXT://{host}:{ports['kafka']}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(log_dir),
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        conf = self._conf(ctx)
        conf.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (ctx.data_dir(self.name) / "log4j2.properties").write_text(
            "status = warn\n"
            "appender.console.type = Console\nappender.console.name = STDOUT\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = INFO\nrootLogger.appenderRef.stdout.ref = STDOUT\n"
            "logger.kafka.name = kafka\nlogger.kafka.level = INFO\n"
            "logger.state.name = state.change.logger\nlogger.state.level = WARN\n"
        )
        if (log_dir / "meta.properties").exists():
            return  # formatted before: keep the cluster id and the data
        id_file = ctx.data_dir(self.name) / "cluster.id"
        if not id_file.exists():
            id_file.write_text(new_cluster_id() + "\n")
        cluster_id = id_file.read_text().strip()
        run(self._java_cmd(ctx, "kafka.tools.StorageTool", "format", "--ignore-formatted",
                           "-t", cluster_id, "-c", str(conf)),
            what="kafka: kafka.tools.StorageTool format", timeout_s=180)

    def command(self, ctx: Context) -> tuple[list[str], dict[str, str]]:
        return self._java_cmd(ctx, "kafka.Kafka", str(self._conf(ctx))), {}

    def bootstrap(self, ctx: Context) -> str:
        """``host:port`` of the broker listener."""
        return f"{ctx.host}:{self.ports(ctx)['kafka']}"

    def admin(self, ctx: Context):
        """A confluent-kafka AdminClient on the broker (quiet logging)."""
        from confluent_kafka.admin import AdminClient

        return AdminClient({"bootstrap.servers": self.bootstrap(ctx), "socket.timeout.ms": 2000,
                            "log_level": 0, "logger": _NullLogger()})

    def ready(self, ctx: Context) -> bool:
        try:
            md = self.admin(ctx).list_topics(timeout=2)
            return bool(md.brokers)
        except Exception:
            return False

    def declared_topics(self, ctx: Context) -> tuple[str, list[TopicSpec]]:
        """``(mode, topics)`` from assets/kafka/topics.yaml for the option ``mode``."""
        return load_topics(TOPICS_FILE, ctx.service_options(self.name).get("mode"))

    #: Attempts of the (idempotent) topic creation when the broker times out: a broker that
    #: has just started on a loaded 2-core machine may answer CreateTopics late.
    create_attempts = 3

    def post_start(self, ctx: Context) -> None:
        for attempt in range(1, self.create_attempts + 1):
            try:
                self._create_topics(ctx)
                return
            except RuntimeError as err:
                if "TIMED_OUT" not in str(err) or attempt == self.create_attempts:
                    raise

    def _create_topics(self, ctx: Context) -> None:
        """Create the declared topics that are missing (RuntimeError naming the topic)."""
        from confluent_kafka.admin import NewTopic

        _, topics = self.declared_topics(ctx)
        admin = self.admin(ctx)
        existing = set(admin.list_topics(timeout=10).topics)
        new = [NewTopic(t.name, num_partitions=t.partitions, replication_factor=t.replication_factor,
                        config=t.config) for t in topics if t.name not in existing]
        if not new:
            return
        for name, fut in admin.create_topics(new, operation_timeout=30, request_timeout=30).items():
            try:
                fut.result(timeout=60)
            except Exception as err:  # KafkaException: a topic raced into existence is fine
                if "TOPIC_ALREADY_EXISTS" not in str(err):
                    raise RuntimeError(f"create topic {name}: {err}") from None

    def topology(self, ctx: Context) -> Service:
        mode, _ = self.declared_topics(ctx)
        return Service(
            plane="infrastructure", engine="kafka", version=KAFKA_VERSION,
            endpoints=[Endpoint(protocol="kafka", host=ctx.host, port=self.ports(ctx)["kafka"])],
            storage={"durable": True, "kraft": True, "auto_create_topics": False, "topics_mode": mode},
        )

    def provenance(self, ctx: Context) -> str:
        return f"Apache Kafka {KAFKA_VERSION} KRaft (Maven Central org.apache.kafka:kafka_2.13), java {self._java_version()}"

    def _java_version(self) -> str:
        return _java_version(self.java() or "java")


@functools.lru_cache(maxsize=4)
def _java_version(java: str) -> str:
    """``"17.0.15"`` from ``java -version`` (``"unknown"`` when it cannot be run)."""
    try:
        out = run([java, "-version"], what="java -version", timeout_s=20)
        first = (out.stderr or out.stdout).splitlines()[0]
        return first.split('"')[1] if '"' in first else first
    except (InstallError, IndexError):
        return "unknown"


class _NullLogger:
    """Silences librdkafka's connection-refused chatter while the broker starts."""

    def log(self, *args, **kwargs) -> None:  # noqa: D401 - logging.Logger protocol subset
        pass
