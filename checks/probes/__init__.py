"""Protocol-level probes, one module per service, registered in :mod:`somastack_deploy.checks.probes.base`.

Stable ids (never renamed; add new ids instead):

=========================  ==========  =====================================================
id                         service     what it checks
=========================  ==========  =====================================================
probe.postgres.sql         postgres    connect, ``SELECT 1``, server version ≥ 16 in PROD
probe.redis.ping           redis       PING, version ≥ 7, role, persistence (AOF/RDB)
probe.kafka.canary         kafka       cluster metadata, broker count, produce+consume canary
probe.milvus.canary        milvus      server version, create/insert/search/drop a collection
probe.keycloak.oidc        keycloak    realm OIDC discovery, client-credentials token
probe.spicedb.schema       spicedb     ReadSchema and a CheckPermission with the preshared key
probe.opa.decision         opa         ``/health`` and a decision on a loaded policy package
probe.vault.health         vault       ``sys/health`` initialized + unsealed, token lookup
probe.gateway.health       agent       ``/api/v1/health`` status healthy, expected mode
probe.brain.health         brain       HTTP health endpoint answers 2xx
probe.memory.health        memory      HTTP health endpoint answers 2xx
probe.aws.alb_targets      any         ALB target group: every target ``healthy``
=========================  ==========  =====================================================
"""
