//! The postgres check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {
    UNREACHABLE_DNS = "postgres.unreachable.dns": "a host of the PostgreSQL connection string does not resolve from where kbz-check runs";
    UNREACHABLE_REFUSED = "postgres.unreachable.refused": "the PostgreSQL host refused the TCP connection: nothing listens on that port";
    UNREACHABLE_TIMEOUT = "postgres.unreachable.timeout": "the TCP handshake with the PostgreSQL host got no answer within the check's connect budget (or timed out in the network stack, ETIMEDOUT): packets are dropped on the way";
    UNREACHABLE_NO_ROUTE = "postgres.unreachable.no_route": "there is no route to the PostgreSQL host or its network (EHOSTUNREACH, ENETUNREACH)";
    UNREACHABLE_NETWORK = "postgres.unreachable.network": "the network path to the PostgreSQL host failed in another way (the connection was reset or aborted, a socket error)";
    TLS_NOT_OFFERED = "postgres.tls.not_offered": "sslmode requires TLS but the PostgreSQL server runs without it (ssl = off)";
    TLS_UNTRUSTED = "postgres.tls.untrusted": "the PostgreSQL server's certificate is not signed by a CA that sslrootcert or the system trusts";
    TLS_EXPIRED = "postgres.tls.expired": "the PostgreSQL server's certificate has expired";
    TLS_NOT_YET_VALID = "postgres.tls.not_yet_valid": "the PostgreSQL server's certificate is not valid yet (a clock is wrong, or it was installed early)";
    TLS_NAME_MISMATCH = "postgres.tls.name_mismatch": "the PostgreSQL server's certificate does not name the host of the connection string (sslmode=verify-full)";
    TLS_BAD_CERTIFICATE = "postgres.tls.bad_certificate": "the PostgreSQL server's certificate was refused for another reason (a CA certificate used as the server's, a bad encoding)";
    TLS_HANDSHAKE_FAILED = "postgres.tls.handshake_failed": "the TLS handshake with the PostgreSQL server failed other than over its certificate";
    TLS_SETUP_FAILED = "postgres.tls.setup_failed": "the TLS settings of the PostgreSQL connection string cannot be used (sslrootcert unreadable or holding no certificate)";
    AUTH_PASSWORD_REJECTED = "postgres.auth.password_rejected": "the PostgreSQL server rejected the role's password (SQLSTATE 28P01)";
    AUTH_PASSWORD_MISSING = "postgres.auth.password_missing": "the PostgreSQL server asks for a password and the connection string carries none";
    AUTH_LOGIN_REJECTED = "postgres.auth.login_rejected": "the PostgreSQL server rejected the login (SQLSTATE 28000): the role does not exist or pg_hba.conf has no rule for this client";
    DATABASE_MISSING = "postgres.database_missing": "the database the connection string names does not exist on the PostgreSQL server (SQLSTATE 3D000)";
    SESSION_REFUSED = "postgres.session_refused": "the PostgreSQL server refused the session with another SQLSTATE (too many connections, starting up, shutting down)";
    PROTOCOL_ERROR = "postgres.protocol_error": "the peer broke the PostgreSQL protocol during start-up (it hung up inside a message, or answered out of turn)";
    NOT_POSTGRES = "postgres.not_postgres": "what answers at the PostgreSQL address is another service: its bytes are not the PostgreSQL protocol";
    QUERY_FAILED = "postgres.query_failed": "the login worked but a read-only status query then failed";
    ON_REPLICA = "postgres.on_replica": "the connection string, meant for writes, lands on a read-only replica: every write fails with SQLSTATE 25006";
    ON_REPLICA_ALL_HOSTS = "postgres.on_replica.all_hosts": "every host of a target_session_attrs=read-write connection string is a read-only replica: no read-write session opens";
    READ_ONLY_SESSIONS = "postgres.read_only_sessions": "the leader starts this role's sessions read-only (default_transaction_read_only = on), so writes fail with SQLSTATE 25006";
    ON_LEADER = "postgres.on_leader": "a connection string meant for a replica (expect = replica) lands on the leader";
    REPLICA_NOT_STREAMING = "postgres.replica_not_streaming": "a replica is not streaming WAL from its leader (its WAL receiver or its replication connection is in another state)";
    LAG_OVER_MAX = "postgres.lag_over_max": "a replica replays further behind its leader than max_lag";
    MEMBER_UNREACHABLE = "postgres.member_unreachable": "a cluster member listed in nodes could not be connected to or queried";
    SPLIT_BRAIN = "postgres.split_brain": "more than one cluster member accepts writes (split brain)";
    NO_LEADER = "postgres.no_leader": "every cluster member that answered is a replica in recovery: no server accepts writes";
}
