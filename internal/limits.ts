// Every bound keyfront enforces, named once with its unit. Nothing else in the code base may
// carry a bare number for a size, a timeout, a count or an interval.

/** Request body cap for import/generate/encrypt/decrypt/hmac (KES compat, kes-api.md §1.4). */
export const MAX_BODY_BYTES = 1_000_000;
/** Default route timeout for /version and /v1/api (kes-api.md §13.2). */
export const SHORT_ROUTE_TIMEOUT_MS = 10_000;
/** Request targets whose resolution the router remembers (cleared when full), each ≤ 256 chars. */
export const ROUTER_CACHE_ENTRIES = 1024;
export const ROUTER_CACHE_MAX_PATH = 256;
/** How often the route-timeout watchdog looks at the requests in flight (the timeout's slack). */
export const WATCHDOG_TICK_MS = 25;
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
/** Response body cap of a Vault list call (kes-api.md §8.3 "List"). */
export const VAULT_LIST_BODY_BYTES = 32 << 20;
/** Response body cap of every other Vault call. */
export const VAULT_BODY_BYTES = 1 << 20;
/** Open connections to one Vault node (keep-alive pool size). */
export const VAULT_MAX_SOCKETS = 64;
/** Retries of one Vault request on connection errors, 412, 429 and 5xx other than 501. */
export const VAULT_MAX_RETRIES = 3;
/** First retry delay of a Vault request; doubles per retry, with jitter. */
export const VAULT_RETRY_BASE_MS = 100;
/** Longest single retry delay of a Vault request. */
export const VAULT_RETRY_MAX_DELAY_MS = 2_000;
/** No retry of a Vault request starts after this much time has passed since its first attempt. */
export const VAULT_RETRY_BUDGET_MS = 5_000;
/** Longest delay between two Vault login attempts (the backoff from `approle.retry` is capped). */
export const VAULT_LOGIN_MAX_DELAY_MS = 60_000;
/** A request finding no Vault token starts a login itself at most this often. */
export const VAULT_LOGIN_MIN_GAP_MS = 1_000;
/** Longest wait before a fresh token replaces a still-valid one (lets Vault replicas catch up). */
export const VAULT_TOKEN_SWITCH_MAX_MS = 5_000;
/** While Vault is sealed or down, a refused request re-checks its health at most this often. */
export const VAULT_HEALTH_RECHECK_MS = 1_000;
/** Client: a failed endpoint is skipped for this long (KES SDK, kes-api.md §2.2). */
export const CLIENT_BENCH_MS = 30_000;
/** Client: extra attempts on the same endpoint after a network error or 503 (kes-api.md §2.2). */
export const CLIENT_RETRIES = 2;
/** Client: bounds of the random delay before a same-endpoint retry (kes-api.md §2.2). */
export const CLIENT_RETRY_MIN_DELAY_MS = 200;
export const CLIENT_RETRY_MAX_DELAY_MS = 1_000;
/** Client: default time allowed for one request (until the whole answer, or a stream's headers). */
export const CLIENT_REQUEST_TIMEOUT_MS = 15_000;
/** Client: longest wait for the TCP connection to a server endpoint. */
export const CLIENT_CONNECT_TIMEOUT_MS = 10_000;
/** Client: longest wait for the TLS handshake once connected (a port that accepts but is silent). */
export const CLIENT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Client: largest answer body read for a non-streaming call. */
export const CLIENT_MAX_RESPONSE_BYTES = 64 << 20;
/** Envelope: plaintext bytes per authenticated chunk of a sealed envelope. */
export const ENVELOPE_CHUNK_BYTES = 64 << 10;
/** Envelope: the largest chunk size an envelope header may declare. */
export const ENVELOPE_MAX_CHUNK_BYTES = 16 << 20;
/** Upper bound on server.workers. */
export const MAX_WORKERS = 64;
/** Shortest wait before renewing a Vault token (guards against tiny TTLs). */
export const VAULT_RENEW_MIN_DELAY_MS = 250;
/** While the keystore is offline, a status request probes it again at most this often. */
export const CACHE_OFFLINE_REPROBE_MS = 1_000;
/** Timeout of such an on-demand status probe. */
export const CACHE_STATUS_PROBE_TIMEOUT_MS = 5_000;
/** Redirects (307/308, to a configured Vault endpoint only) followed per attempt to Vault. */
export const VAULT_MAX_REDIRECTS = 2;
/** Vault warnings kept per response when describing or logging it (count). */
export const VAULT_MAX_WARNINGS = 8;
/** While the Vault K/V mount does not match the config, key operations re-check it at most this often (ms). */
export const VAULT_MOUNT_RECHECK_MS = 1_000;
/** Reads of a just-created Vault key before it counts as lost (a standby may lag the write). */
export const VAULT_READBACK_ATTEMPTS = 3;
/** Wait before the second read-back of a new Vault key (ms); doubles for each further one. */
export const VAULT_READBACK_DELAY_MS = 100;
/**
 * A key's version or state record created on a store with check-then-write creates (Vault K/V v1)
 * is read back this long after the write (ms): a replica that checked before our write landed
 * writes within its own request time, and its value there means its record won the race.
 */
export const RACY_CREATE_SETTLE_MS = 1_000;
/** Request body cap of /v1/key/generate: a context and a version only (KES: MAX_BODY_BYTES). */
export const MAX_GENERATE_BODY_BYTES = 65_536;
/** Request body cap of /v1/key/import: a 32-byte key in base64 and a cipher name (KES: 1 MB). */
export const MAX_IMPORT_BODY_BYTES = 4_096;
/** Smallest `?limit` of a paged key listing (keyfront extension; the largest is LIST_PAGE_SIZE). */
export const MIN_LIST_LIMIT = 1;
/** After an uncaught exception, a server process that has not drained and exited by then is ended. */
export const FATAL_EXIT_TIMEOUT_MS = 10_000;
/** First delay between two restarts of a worker that keeps dying (the first restart is at once). */
export const WORKER_RESTART_BASE_MS = 250;
/** Longest delay between two restarts of a worker that keeps dying. */
export const WORKER_RESTART_MAX_MS = 30_000;
/** A worker that stayed up this long is healthy again: its restart backoff starts over. */
export const WORKER_STABLE_MS = 30_000;
/** Default most keys the key cache holds (`cache.max_keys`); the least recently used go first. */
export const CACHE_MAX_KEYS = 100_000;
/** Longest an audit event's line waits in memory before it is written to stdout (batched). */
export const AUDIT_BATCH_MS = 10;
/** Bytes in an audit batch's buffer: a line that would not fit writes the batch at once. */
export const AUDIT_BATCH_MAX = 64 * 1024;
/**
 * Bytes of audit events that may wait for stdout to take them (a slow reader); beyond it the
 * server exits through its fatal path rather than serve requests it cannot audit.
 */
export const AUDIT_QUEUE_MAX = 64 * 1024 * 1024;
/** Wait before writing to stdout again after EAGAIN (a full non-blocking pipe); doubles each time. */
export const AUDIT_RETRY_MS = 10;
/** Longest wait between two writes to a stdout that keeps answering EAGAIN. */
export const AUDIT_RETRY_MAX_MS = 1_000;
/** Longest shutdown waits for the audit log to be written to stdout. */
export const AUDIT_FLUSH_MS = 5_000;
/** Live subscribers per log stream (/v1/log/error, /v1/log/audit each); beyond it 503. */
export const LOG_STREAM_MAX_SUBSCRIBERS = 32;
/** After a reload, the old state's keystore closes when its requests end, or after this long. */
export const RELOAD_DRAIN_MAX_MS = 60_000;
/**
 * How often the HTTP server checks every connection against HEADER_READ_TIMEOUT_MS and
 * REQUEST_READ_TIMEOUT_MS (Node's `connectionsCheckingInterval`; its 30 s default made the 5 s
 * header timeout ~35 s in practice).
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;
/**
 * Default cap on open client connections per worker process (`server.max_connections`); beyond it
 * a new connection is closed at once. Each costs a file descriptor: keep LimitNOFILE above it.
 */
export const MAX_CONNECTIONS = 10_000;
/**
 * Default cap on open connections from one client IP address per worker process
 * (`server.max_connections_per_client`): room for a storage cluster node's connection pools, and
 * for many clients behind one NAT address, while one host cannot take every slot.
 */
export const MAX_CONNECTIONS_PER_CLIENT = 1_000;
/**
 * Requests one connection may have in progress at once: received (Node parses pipelined requests
 * ahead of their answers) but not yet answered. One more closes the connection. KES clients send
 * one request at a time; without this bound a client that pipelines and never reads its answers
 * held thousands of handlers and queued answers on one connection (measured: ~16,000, +270 MB).
 */
export const MAX_PIPELINED_REQUESTS = 64;
/** A refused over-cap connection is logged at warn at most this often (per process), else debug. */
export const CONNECTION_REFUSED_LOG_INTERVAL_MS = 10_000;
/** CLI: largest secret (API key, imported key, plaintext) read from stdin or an `@FILE`. */
export const CLI_SECRET_MAX_BYTES = 1_000_000;
/**
 * `keyfront migrate`: how long it waits for each keystore to become usable (Vault reachable,
 * unsealed, logged in, its mount as configured) before it gives up with the reason, and how often
 * it asks meanwhile.
 */
export const MIGRATE_STORE_READY_MS = 10_000;
export const MIGRATE_STORE_POLL_MS = 250;
/**
 * Largest value of the trusted proxy's forwarded client certificate header (`tls.proxy.header.cert`,
 * a URL-encoded PEM certificate), in bytes. An RSA-4096 leaf with long names is ~3.5 KB encoded;
 * more is refused with 400. Node refuses a request whose headers exceed 16 KiB in all with 431.
 */
export const PROXY_CERT_HEADER_MAX_BYTES = 8_192;
/**
 * Forwarded client certificates (header values) whose identity a trusted-proxy server keeps, so
 * a certificate is parsed once rather than per request (~0.7 ms each measured here); the oldest
 * goes first. Each costs its header value (at most PROXY_CERT_HEADER_MAX_BYTES): ≤ 8 MiB in all.
 */
export const PROXY_CERT_CACHE_MAX_ENTRIES = 1_024;
/** Config file checks and `keyfront doctor`: largest PEM, CA or JWT file read (bytes). */
export const CONFIG_REFERENCED_FILE_MAX_BYTES = 1_000_000;
/** Config file checks: most files read from one CA directory (counts). */
export const CONFIG_CA_DIR_MAX_FILES = 1_000;
/** `keyfront doctor`: each network check (one Vault call, one login) gives up after this (ms). */
export const DOCTOR_CHECK_TIMEOUT_MS = 5_000;
/** `keyfront doctor --probe`: the whole create/read/delete of the throwaway key (ms). */
export const DOCTOR_PROBE_TIMEOUT_MS = 15_000;
/** `keyfront doctor`: a certificate expiring within this is a warning (ms; 14 days). */
export const DOCTOR_CERT_EXPIRY_WARN_MS = 14 * 24 * 60 * 60 * 1000;
/**
 * Request body cap of /v1/policy/explain, in bytes: an identity, a method and a request target
 * of up to MAX_URL_BYTES, each target byte JSON-escaped to at most two (`\"`, `\\`).
 */
export const MAX_EXPLAIN_BODY_BYTES = 2 * MAX_URL_BYTES + 1_024;
/** `policy explain` follows at most this many 301s: one path cleaning, one trailing slash. */
export const EXPLAIN_MAX_REDIRECTS = 2;
/** Differential Vault check (test/vault-diff): timeout of one request to the server under test. */
export const VAULT_DIFF_REQUEST_TIMEOUT_MS = 10_000;
/** Differential Vault check: the largest answer body it reads, in bytes. */
export const VAULT_DIFF_MAX_BODY_BYTES = 1_000_000;
/** Differential Vault check: the longest wait a step may ask for (token expiry), in ms. */
export const VAULT_DIFF_MAX_WAIT_MS = 10_000;
/** Differential Vault check: how long an unsealed server may take to answer health 200, in ms. */
export const VAULT_DIFF_ACTIVE_WAIT_MS = 30_000;
/** Differential Vault check: attempts of a step that meets a K/V v2 mount still upgrading. */
export const VAULT_DIFF_UPGRADE_TRIES = 50;
/** Differential Vault check: pause between those attempts, in ms. */
export const VAULT_DIFF_UPGRADE_PAUSE_MS = 200;
/** The Vault client certificate (`keystore.vault.tls.cert`) is "expiring" with less than this left (ms)… */
export const VAULT_CLIENT_CERT_WARN_MS = 7 * 24 * 3_600_000;
/** …or, for short-lived certificates, less than this share of its whole lifetime (a fraction). */
export const VAULT_CLIENT_CERT_WARN_SHARE = 0.2;
/** An expiring or expired Vault client certificate is logged again at most this often (ms). */
export const VAULT_CLIENT_CERT_LOG_EVERY_MS = 3_600_000;
/** Idle kept-alive connections per Vault node in the pool (count). */
export const VAULT_MAX_FREE_SOCKETS = 16;
/** Bytes of the KEYFRONT_VAULT_HOSTS_FILE read per Vault name lookup (test/ops hook). */
export const VAULT_HOSTS_FILE_BYTES = 64 << 10;
/** Retries of a Vault request once a failover shows (connection error, node not active), within VAULT_RETRY_BUDGET_MS. */
export const VAULT_FAILOVER_RETRIES = 8;
/** Versions one key may have: bounds the search of a key's version records (count). */
export const MAX_KEY_VERSIONS = 1_000_000;
/** State records one key may have: bounds the search of its state chain (count). */
export const MAX_KEY_STATES = 1_000_000;
/** Version records of one key read at once while loading it (count). */
export const RING_LOAD_CONCURRENCY = 16;
/** Attempts of one state change that keeps losing the race for the next state record (count). */
export const KEY_STATE_WRITE_ATTEMPTS = 5;
/**
 * A ciphertext claiming a version newer than the cached key makes the service load the key again
 * at most this often per key (ms), so forged headers cannot flood the keystore.
 */
export const VERSION_MISS_RELOAD_MS = 1_000;
/** Default `cache.expiry.refresh`: a used cached key older than this is re-probed (ms). */
export const CACHE_REFRESH_MS = 30_000;
/** Time allowed for one background refresh probe of a cached key (ms). */
export const KEY_REFRESH_TIMEOUT_MS = 10_000;
/** Shortest rotation period a key may have (`keys[].rotate`, `configure`), in ms; 0 = none. */
export const MIN_ROTATE_PERIOD_MS = 1_000;
/** Longest rotation period a key may have (ms; 100 years): bigger values are typos. */
export const MAX_ROTATE_PERIOD_MS = 100 * 365 * 86_400_000;
/** Longest `keystore.deletion.window` (ms; 1 year). */
export const MAX_DELETION_WINDOW_MS = 365 * 86_400_000;
/** Scheduler: longest wait between two ticks (ms). */
export const SCHEDULER_MAX_TICK_MS = 60_000;
/** Scheduler: shortest wait between two ticks (ms), however short a period or window is. */
export const SCHEDULER_MIN_TICK_MS = 500;
/** Scheduler: keys examined per page of a pass (counts); the next page follows SCHEDULER_MIN_TICK_MS later. */
export const SCHEDULER_KEYS_PER_TICK = 1_000;
/** Scheduler: rotations and purges done per tick (counts); the rest waits SCHEDULER_MIN_TICK_MS. */
export const SCHEDULER_ACTIONS_PER_TICK = 100;
/** Scheduler: time allowed for one key's examination, rotation or purge (ms). */
export const SCHEDULER_STEP_TIMEOUT_MS = 15_000;
/** Request body cap of /v1/key/configure (bytes): a version number and a duration. */
export const MAX_CONFIGURE_BODY_BYTES = 4_096;
/** Scheduler: a full pass over every key (to see what other replicas changed) starts this often (ms). */
export const SCHEDULER_PASS_INTERVAL_MS = 5 * 60_000;
/**
 * Scheduler: each replica rotates a due key up to this much later (ms; at most a tenth of the
 * period), at random, so replicas rarely race for one version (K/V v1 has no compare-and-set).
 */
export const SCHEDULER_ROTATE_JITTER_MS = 30_000;
/**
 * Rewrap of a stream of ciphertexts (client `rewrapStream`, `keyfront key rewrap`): requests in
 * flight at once (counts). Enough to hide the round trip; small enough not to crowd a server.
 */
export const REWRAP_CONCURRENCY = 16;
/** `keyfront key rewrap`: longest input line, ciphertext and context in base64 (bytes). */
export const REWRAP_MAX_LINE_BYTES = 1_000_000;
/** `keyfront key rewrap`: the progress bar on a terminal is redrawn at most this often (ms). */
export const REWRAP_PROGRESS_INTERVAL_MS = 100;
