"""RDS: storage encrypted; in PROD Multi-AZ, deletion protection and backups retained;
master password managed by Secrets Manager.

Source: seed 001 §3.2 ("RDS PostgreSQL (Multi-AZ, pg16)"), issue 3 (Database: "in PROD
Multi-AZ, storage encrypted, deletion protection, backups retained; master password managed
by Secrets Manager"), seed 004 §12 (KMS encryption keys), AWS RDS user guide "Encrypting
Amazon RDS resources", "Multi-AZ DB instance deployments", "Deletion protection",
"Password management with Amazon RDS and AWS Secrets Manager".
"""

from __future__ import annotations

from ..registry import ResourceInput, Rule
from ._env import environment_of, truthy

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


class RdsStorageEncrypted(Rule):
    """``rds-storage-encrypted``: RDS storage is encrypted at rest."""

    name = "rds-storage-encrypted"
    description = "RDS storage is encrypted at rest."
    level = "mandatory"
    category = "encryption"
    resource_types = (RDS_INSTANCE, RDS_CLUSTER)
    source = "issue 3 Database; seed 004 §12; AWS RDS 'Encrypting Amazon RDS resources'"

    def check(self, res: ResourceInput) -> list[str]:
        """FAILED unless ``storageEncrypted`` is true (a replica inherits its source's encryption:
        ``replicateSourceDb`` passes)."""
        if res.props.get("replicateSourceDb"):
            return []
        return [] if truthy(res.props.get("storageEncrypted")) else ["storageEncrypted is not true"]


class RdsProdHighAvailability(Rule):
    """``rds-prod-high-availability``: In PROD, RDS is Multi-AZ with deletion protection and retained
    backups."""

    name = "rds-prod-high-availability"
    description = "In PROD, RDS is Multi-AZ with deletion protection and retained backups."
    level = "mandatory"
    category = "backup-and-recovery"
    resource_types = (RDS_INSTANCE, RDS_CLUSTER)
    source = "seed 001 §3.2; issue 3 Database; AWS RDS 'Multi-AZ DB instance deployments', 'Deletion protection'"

    def check(self, res: ResourceInput) -> list[str]:
        """Only for resources tagged ``Environment=PROD`` (UNKNOWN without the tag; DEV passes):
        ``multiAz`` true (instances), ``deletionProtection`` true, ``backupRetentionPeriod`` ≥ 7 days
        (AWS default when unset: 1 day, too short for PROD)."""
        if environment_of(res) != "PROD":
            return []
        out = []
        if res.type == RDS_INSTANCE and not truthy(res.props.get("multiAz")):
            out.append("PROD database is not Multi-AZ (multiAz)")
        if not truthy(res.props.get("deletionProtection")):
            out.append("PROD database has no deletion protection (deletionProtection)")
        retention = res.props.get("backupRetentionPeriod")
        if retention is None or int(retention) < 7:
            out.append("PROD database retains backups for fewer than 7 days (backupRetentionPeriod)")
        return out


class RdsMasterPasswordManaged(Rule):
    """``rds-master-password-managed``: The RDS master password is managed by Secrets Manager, not passed
    as a literal."""

    name = "rds-master-password-managed"
    description = "The RDS master password is managed by Secrets Manager, not passed as a literal."
    level = "mandatory"
    category = "secrets"
    resource_types = (RDS_INSTANCE, RDS_CLUSTER)
    source = "issue 3 Database; seed 000 §4 Rule 164; AWS RDS 'Password management with Secrets Manager'"

    def check(self, res: ResourceInput) -> list[str]:
        """FAILED when ``password``/``masterPassword`` is set, or ``manageMasterUserPassword`` is not
        true on a primary (replicas and snapshot restores have no master password of their own)."""
        if res.props.get("replicateSourceDb") or res.props.get("snapshotIdentifier"):
            return []
        out = []
        for key in ("password", "masterPassword", "passwordWo", "masterPasswordWo"):
            if res.props.get(key):
                out.append(f"{key} is set; use manageMasterUserPassword")
        if not truthy(res.props.get("manageMasterUserPassword")) and not out:
            out.append("manageMasterUserPassword is not true")
        return out


#: This module's rules, in report order.
RULES: tuple[type[Rule], ...] = (RdsStorageEncrypted, RdsProdHighAvailability, RdsMasterPasswordManaged)
