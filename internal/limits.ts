// Every bound keyfront enforces, named once with its unit. Nothing else in the code base may
// carry a bare number for a size, a timeout, a count or an interval.

/** Request body cap for import/generate/encrypt/decrypt/hmac (KES compat, kes-api.md §1.4). */
export const MAX_BODY_BYTES = 1_000_000;
/** Default route timeout for /version and /v1/api (kes-api.md §13.2). */
export const SHORT_ROUTE_TIMEOUT_MS = 10_000;
/** Default route timeout for every other route except the log streams. */
export const ROUTE_TIMEOUT_MS = 15_000;
/** Time allowed to read a request's headers (kes-api.md §1.2). */
export const HEADER_READ_TIMEOUT_MS = 5_000;
/** Idle keep-alive connections are closed after this (kes-api.md §1.2). */
export const IDLE_TIMEOUT_MS = 90_000;
/** How long SIGTERM waits for in-flight requests before closing connections. */
export const SHUTDOWN_GRACE_MS = 5_000;
/** Key and policy/identity name length limit (kes-api.md §13.1). */
export const MAX_NAME_BYTES = 80;
/** Names returned by one page of a key listing (kes-api.md §8.1). */
export const LIST_PAGE_SIZE = 1024;
/** Size of secret keys, HMAC keys and DEKs. */
export const KEY_BYTES = 32;
/** Read cap for one stored key value (fs keystore; kes-api.md §13.2). */
export const MAX_KEY_VALUE_BYTES = 1 << 20;
/** Keystore status probe interval of the key cache (kes-api.md §9). */
export const CACHE_OFFLINE_PROBE_MS = 10_000;
/** Default cache expiry of all entries (kes-api.md §9). */
export const CACHE_EXPIRY_ANY_MS = 5 * 60_000;
/** Default cache expiry of unused entries (kes-api.md §9, without KES's bug). */
export const CACHE_EXPIRY_UNUSED_MS = 30_000;
/** Maximum length of a request URL (path and query) we accept. */
export const MAX_URL_BYTES = 8_192;
/** Events buffered per log-stream subscriber before it is dropped as too slow. */
export const LOG_STREAM_MAX_BUFFERED_BYTES = 1 << 20;
/** Config file size cap. */
export const MAX_CONFIG_BYTES = 4 << 20;
/** Names one complete (unpaged) key listing may hold. */
export const MAX_LIST_NAMES = 1_000_000;
/** Time allowed to receive a whole request (headers and body) once it started. */
export const REQUEST_READ_TIMEOUT_MS = 30_000;
/** Time allowed for a TLS handshake. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Certificates followed in a client's chain when looking for its identity. */
export const MAX_PEER_CHAIN = 10;
/** Nesting depth of the config file's YAML values (config loader). */
export const MAX_CONFIG_DEPTH = 64;
/** YAML nodes visited in one config file, aliases counted at each use (alias bombs). */
export const MAX_CONFIG_NODES = 100_000;
/** Default Vault health-poll interval: the documented 10 s, not KES's effective 15 s (§8.3). */
export const VAULT_STATUS_PING_MS = 10_000;
/** Default timeout of one Vault HTTP request (keyfront `vault.timeout`). */
export const VAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default delay between Vault login attempts (`approle.retry`, KES ≤ v0.22, §10.7). */
export const VAULT_LOGIN_RETRY_MS = 5_000;
