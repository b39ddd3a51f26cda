//! The oauth check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {
    UNREACHABLE_DNS = "oauth.unreachable.dns": "the host name of the OAuth start URL does not resolve from where kbz-check runs";
    UNREACHABLE_REFUSED = "oauth.unreachable.refused": "the OAuth start URL's host and port refused the TCP connection: nothing serves it there";
    UNREACHABLE_TIMEOUT = "oauth.unreachable.timeout": "the TCP connection to the OAuth start URL got no answer within the connect budget: the network path is blocked";
    UNREACHABLE_NO_ROUTE = "oauth.unreachable.no_route": "there is no route to the OAuth start URL's host from where kbz-check runs";
    PEER_STALLED = "oauth.peer_stalled": "the backend behind the OAuth start URL accepted the TCP connection, then stalled the handshake or its answer past the deadline";
    REQUEST_FAILED = "oauth.request_failed": "the request to the OAuth start URL got no HTTP answer: the server closed the connection or spoke something else";
    TLS_SETUP_FAILED = "oauth.tls.setup_failed": "the oauth check's trust settings (its cacert) cannot be used, so no request was sent";
    TLS_UNTRUSTED = "oauth.tls.untrusted": "the certificate of the OAuth start URL's server is not signed by a CA trusted here";
    TLS_EXPIRED = "oauth.tls.expired": "the certificate of the OAuth start URL's server has expired";
    TLS_NOT_YET_VALID = "oauth.tls.not_yet_valid": "the certificate of the OAuth start URL's server is not valid yet by this host's clock";
    TLS_NAME_MISMATCH = "oauth.tls.name_mismatch": "the certificate of the OAuth start URL's server does not name the URL's host";
    TLS_BAD_CERTIFICATE = "oauth.tls.bad_certificate": "the certificate of the OAuth start URL's server was refused as unfit (purpose, extensions, encoding)";
    TLS_NOT_TLS = "oauth.tls.not_tls": "the OAuth start URL says https but the server there answers a TLS handshake in plain text";
    TLS_HANDSHAKE_FAILED = "oauth.tls.handshake_failed": "the TLS handshake with the OAuth start URL's server failed for a reason other than its certificate";
    CLIENT_ID_MISSING = "oauth.client_id_missing": "the backend answers that its SP-API client id (AMAZON_SPAPI_CLIENT_ID) is not configured";
    SETTING_MISSING = "oauth.setting_missing": "the backend answers that another SP-API setting it needs (client secret, app id, redirect URI) is not configured";
    UPSTREAM_FETCH_FAILED = "oauth.upstream_fetch_failed": "the backend answers fetch failed: its own request to an upstream (Vault or Amazon) got no HTTP answer";
    BACKEND_ERROR = "oauth.backend_error": "the backend refused to start the OAuth flow with an error kbz-check has no signature for";
    PROXY_ERROR_PAGE = "oauth.proxy_error_page": "a proxy in front of the backend answered 502, 503 or 504 with its own page instead of the backend's JSON";
    NOT_THE_BACKEND = "oauth.not_the_backend": "the OAuth start URL answers 2xx with something other than JSON: it reaches a web front end, not the backend's start route";
    NOT_JSON = "oauth.not_json": "the OAuth start URL answers an error status with a body that is not the backend's JSON";
    REDIRECTED = "oauth.redirected": "the OAuth start URL answers a redirect (a login proxy, http to https, or not the final route), which is not followed";
    UNEXPECTED_JSON = "oauth.unexpected_json": "the OAuth start URL answers JSON that is neither a start answer nor an error answer";
    ANSWER_FIELD_INVALID = "oauth.answer.field_invalid": "a 2xx start answer lacks success, authUrl, state or expiresAt, or has one of another type or value";
    ANSWER_AUTH_URL_INVALID = "oauth.answer.auth_url_invalid": "the start answer's authUrl is not an absolute URL";
    ANSWER_AUTH_URL_NOT_HTTPS = "oauth.answer.auth_url_not_https": "the start answer's authUrl is not https";
    ANSWER_REDIRECT_URI_NOT_HTTPS = "oauth.answer.redirect_uri_not_https": "the redirect_uri inside authUrl is not https";
    ANSWER_WRONG_HOST = "oauth.answer.wrong_host": "authUrl's host is not a Seller Central host";
    ANSWER_WRONG_PATH = "oauth.answer.wrong_path": "authUrl's path is not Amazon's consent page for SP-API apps";
    ANSWER_PARAM_MISSING = "oauth.answer.param_missing": "authUrl lacks a parameter Amazon's consent workflow needs (application_id, state)";
    ANSWER_PARAM_REPEATED = "oauth.answer.param_repeated": "authUrl carries a parameter more than once";
    ANSWER_APP_ID_MISMATCH = "oauth.answer.app_id_mismatch": "authUrl's application_id differs from the configured AMAZON_SPAPI_APP_ID";
    ANSWER_REDIRECT_URI_MISMATCH = "oauth.answer.redirect_uri_mismatch": "authUrl's redirect_uri differs from the configured AMAZON_SPAPI_REDIRECT_URI";
    ANSWER_STATE_MISMATCH = "oauth.answer.state_mismatch": "the state in authUrl differs from the state the start answer returns";
    ANSWER_REDIRECT_URI_MISSING = "oauth.answer.redirect_uri_missing": "authUrl has no redirect_uri though AMAZON_SPAPI_REDIRECT_URI is configured";
    ANSWER_REDIRECT_URI_DEFAULT = "oauth.answer.redirect_uri_default": "authUrl has no redirect_uri and none is configured to compare: Amazon uses the app's default one";
    ANSWER_DRAFT_APP = "oauth.answer.draft_app": "authUrl asks for the consent of a draft app (version=beta)";
    ANSWER_UNKNOWN_VERSION = "oauth.answer.unknown_version": "authUrl carries a version other than beta, which Amazon does not document";
    ANSWER_STATE_EXPIRED = "oauth.answer.state_expired": "the start answer's expiresAt is already past when it arrives";
    ANSWER_EXPIRES_UNREADABLE = "oauth.answer.expires_unreadable": "the start answer's expiresAt is not an RFC 3339 time";
}

/// The codes of a request that got no answer, for [`crate::unanswered`].
pub const UNANSWERED: crate::unanswered::Codes = crate::unanswered::Codes {
    not_sent: TLS_SETUP_FAILED,
    dns: UNREACHABLE_DNS,
    refused: UNREACHABLE_REFUSED,
    timeout: UNREACHABLE_TIMEOUT,
    no_route: UNREACHABLE_NO_ROUTE,
    stalled: PEER_STALLED,
    failed: REQUEST_FAILED,
    tls: crate::unanswered::TlsCodes {
        untrusted: TLS_UNTRUSTED,
        expired: TLS_EXPIRED,
        not_yet_valid: TLS_NOT_YET_VALID,
        name_mismatch: TLS_NAME_MISMATCH,
        bad_certificate: TLS_BAD_CERTIFICATE,
        not_tls: TLS_NOT_TLS,
        handshake_failed: TLS_HANDSHAKE_FAILED,
    },
};
