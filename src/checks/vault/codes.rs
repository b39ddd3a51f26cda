//! The vault check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {
    UNREACHABLE_DNS = "vault.unreachable.dns": "the host name in VAULT_ADDR does not resolve from here";
    UNREACHABLE_REFUSED = "vault.unreachable.refused": "nothing listens at VAULT_ADDR: the connection to Vault was refused";
    UNREACHABLE_TIMEOUT = "vault.unreachable.timeout": "the TCP connection to Vault got no answer in time: the network path is blocked";
    UNREACHABLE_NO_ROUTE = "vault.unreachable.no_route": "this host has no route to Vault's address";
    UNREACHABLE_FAILED = "vault.unreachable.failed": "the request to Vault got no HTTP answer, for a reason other than DNS, refusal, silence, routing or TLS";
    PEER_STALLED = "vault.peer_stalled": "what listens at VAULT_ADDR accepted the TCP connection but stalled (slow to accept, a TLS handshake or an answer that did not come in time)";
    TLS_SETUP_FAILED = "vault.tls.setup_failed": "the trust settings (VAULT_CACERT) could not be used, so nothing was sent to Vault";
    TLS_UNTRUSTED = "vault.tls.untrusted": "Vault's certificate is not signed by a CA this host trusts (or is self-signed)";
    TLS_EXPIRED = "vault.tls.expired": "Vault's certificate has expired";
    TLS_NOT_YET_VALID = "vault.tls.not_yet_valid": "Vault's certificate is not valid yet for this host's clock";
    TLS_NAME_MISMATCH = "vault.tls.name_mismatch": "Vault's certificate does not name the host in VAULT_ADDR";
    TLS_CERTIFICATE_REFUSED = "vault.tls.certificate_refused": "Vault's certificate was refused as unfit (a CA certificate, a bad encoding, a wrong key usage)";
    TLS_NOT_TLS = "vault.tls.not_tls": "VAULT_ADDR says https:// but Vault's listener answers in plain text";
    TLS_HANDSHAKE_FAILED = "vault.tls.handshake_failed": "the TLS handshake with Vault failed for a reason other than its certificate (versions, cipher suites, client certificates)";
    SKIP_VERIFY = "vault.skip_verify": "Vault's TLS certificate is not verified (VAULT_SKIP_VERIFY is true): whoever answers receives the token";
    EXPECTS_HTTPS = "vault.expects_https": "Vault's listener uses TLS but VAULT_ADDR starts with http://";
    NOT_VAULT = "vault.not_vault": "something other than Vault answers at VAULT_ADDR (another service, a proxy's error page)";
    STATE_UNCONFIRMED = "vault.state_unconfirmed": "a serving state was read from the HTTP status alone, without Vault's health body: a proxy or rate limiter may have answered";
    SEALED = "vault.sealed": "Vault is sealed: it refuses every token lookup and secret read until unsealed";
    NOT_INITIALIZED = "vault.not_initialized": "Vault runs but its storage was never initialized (or it now reads another, empty storage)";
    DR_SECONDARY = "vault.dr_secondary": "a disaster-recovery secondary answered: it serves no client request until promoted";
    HA_UNHEALTHY = "vault.ha_unhealthy": "the standby that answered cannot reach its active node (ha_connection_healthy false)";
    REMOVED_FROM_CLUSTER = "vault.removed_from_cluster": "the Vault node that answered was removed from its raft cluster and serves nothing";
    STANDBY_WITHOUT_ACTIVE = "vault.standby_without_active": "a standby answered but its cluster has no active node (none named, or the one named is gone): writes, leases and logins fail";
    LEADER_UNKNOWN = "vault.leader_unknown": "a standby did not name its active node, so the cluster's health is not confirmed";
    ACTIVE_NODE_UNREACHED = "vault.active_node_unreached": "the active node a standby names could not be reached from here, so the cluster's health is not confirmed";
    CLOCK_SKEW = "vault.clock_skew": "Vault's clock and this host's differ by more than a minute";
    REDIRECTED_TO_ACTIVE = "vault.redirected.to_active": "a Vault standby redirects a request to its active node instead of forwarding it";
    REDIRECTED_DOWNGRADE = "vault.redirected.downgrade": "a Vault request is redirected from https to plain http";
    REDIRECTED_PATH = "vault.redirected.path": "a Vault request is redirected to another path on the same server: a proxy serves Vault under another prefix";
    REDIRECTED_ELSEWHERE = "vault.redirected.elsewhere": "a Vault request is redirected to another host or port";
    REDIRECTED_NO_LOCATION = "vault.redirected.no_location": "a Vault request is answered with a redirect without a usable Location";
    TOKEN_REJECTED = "vault.token.rejected": "Vault rejected the app's token (403 on lookup-self): expired, revoked or from another Vault";
    TOKEN_EXPIRING = "vault.token.expiring": "the app's Vault token expires within min_ttl";
    TOKEN_LOOKUP_UNANSWERED = "vault.token.lookup_unanswered": "Vault answered its health request but not the token lookup, so the token is not verified";
    TOKEN_LOOKUP_UNEXPECTED = "vault.token.lookup_unexpected": "the token lookup answered an unexpected HTTP status instead of the token's details";
    SECRET_ABSENT = "vault.secret.absent": "Vault has no secret at a configured path";
    SECRET_NEEDS_DATA_PREFIX = "vault.secret.needs_data_prefix": "a configured secret path lacks data/ for a KV v2 mount";
    SECRET_DELETED = "vault.secret.deleted": "the latest version of a configured secret was deleted";
    SECRET_DESTROYED = "vault.secret.destroyed": "the latest version of a configured secret was destroyed";
    SECRET_NO_MOUNT = "vault.secret.no_mount": "no secrets engine is mounted where a configured secret path points";
    SECRET_DENIED = "vault.secret.denied": "the token is valid but none of its policies grants read on a configured secret";
    SECRET_EMPTY = "vault.secret.empty": "a configured secret exists but holds no key";
    SECRET_READ_UNANSWERED = "vault.secret.read_unanswered": "a secret read got no answer from Vault";
    SECRET_READ_FAILED = "vault.secret.read_failed": "a secret read answered an unexpected HTTP status instead of the secret";
}

/// The codes of a request that got no answer, for [`crate::unanswered`].
pub const UNANSWERED: crate::unanswered::Codes = crate::unanswered::Codes {
    not_sent: TLS_SETUP_FAILED,
    dns: UNREACHABLE_DNS,
    refused: UNREACHABLE_REFUSED,
    timeout: UNREACHABLE_TIMEOUT,
    no_route: UNREACHABLE_NO_ROUTE,
    stalled: PEER_STALLED,
    failed: UNREACHABLE_FAILED,
    tls: crate::unanswered::TlsCodes {
        untrusted: TLS_UNTRUSTED,
        expired: TLS_EXPIRED,
        not_yet_valid: TLS_NOT_YET_VALID,
        name_mismatch: TLS_NAME_MISMATCH,
        bad_certificate: TLS_CERTIFICATE_REFUSED,
        not_tls: TLS_NOT_TLS,
        handshake_failed: TLS_HANDSHAKE_FAILED,
    },
};
