"""MSK: TLS in transit between clients and brokers and within the cluster.

Source: issue 3 Database ("MSK Kafka with 3 brokers across AZs, TLS in transit, IAM auth"),
Amazon MSK "Encryption in transit" (``ClientBroker``: TLS | TLS_PLAINTEXT | PLAINTEXT;
default TLS; ``InCluster`` default true).
"""

from __future__ import annotations

from ..registry import ResourceInput, Rule

MSK_CLUSTER = "aws:msk/cluster:Cluster"


class MskTlsInTransit(Rule):
    """``msk-tls-in-transit``: MSK encrypts client-broker and in-cluster traffic with TLS only."""

    name = "msk-tls-in-transit"
    description = "MSK encrypts client-broker and in-cluster traffic with TLS only."
    level = "mandatory"
    category = "encryption"
    resource_types = (MSK_CLUSTER,)
    source = "issue 3 Database; Amazon MSK 'Encryption in transit'"

    def check(self, res: ResourceInput) -> list[str]:
        """``encryptionInfo.encryptionInTransit.clientBroker`` is ``TLS`` (AWS default when unset) and
        ``inCluster`` is not false."""
        out = []
        client_broker = res.get("encryptionInfo", "encryptionInTransit", "clientBroker", default="TLS")
        if str(client_broker).upper() != "TLS":
            out.append(f"clientBroker is {client_broker} (plaintext allowed); set TLS")
        if res.get("encryptionInfo", "encryptionInTransit", "inCluster") is False:
            out.append("inCluster encryption is disabled")
        return out


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (MskTlsInTransit,)
