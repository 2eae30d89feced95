// The normalised, validated server configuration that the rest of keyfront consumes. Types only.
// Built by load.ts from the raw file (schema.ts) and deeply frozen: nothing may mutate it; a reload
// builds a new one (kes-api.md §10.6).

import type { LogLevel } from "./log-level.js";

export type { LogLevel } from "./log-level.js";

export interface PolicyConfig {
  name: string;
  /** Allow patterns, duplicates collapsed, in file order (kes-api.md §6.1). Never env-expanded. */
  allow: string[];
  deny: string[];
  identities: string[];
}

export type VaultAuth =
  | {
      kind: "approle";
      /** Auth-only namespace; "/" means the root namespace, "" the store's namespace. */
      namespace: string;
      engine: string;
      id: string;
      secret: string;
      retryMs: number;
      /** keyfront: `secret` is a response-wrapping token to unwrap before login. */
      wrapped: boolean;
    }
  | {
      kind: "kubernetes";
      namespace: string;
      engine: string;
      role: string;
      /** Exactly one of jwt / jwtFile is set: a `jwt` containing "/" is a file path (§10.2). */
      jwt: string | undefined;
      jwtFile: string | undefined;
      retryMs: number;
    }
  | {
      /** keyfront: Vault's TLS certificate auth method; the credential is `tls.cert`/`tls.key`. */
      kind: "cert";
      namespace: string;
      engine: string;
      /** The certificate role; undefined: Vault tries every role trusting the certificate. */
      name: string | undefined;
      retryMs: number;
    }
  | { kind: "token"; token: string };

export interface VaultConfig {
  /** `endpoint` first, then keyfront's `endpoints` (HA), or VAULT_ADDR; never empty. */
  endpoints: string[];
  engine: string;
  version: "v1" | "v2";
  namespace: string;
  prefix: string;
  transit: { engine: string; key: string } | undefined;
  auth: VaultAuth;
  tls: { key: string | undefined; cert: string | undefined; ca: string | undefined };
  statusPingMs: number;
  timeoutMs: number;
  /** KEYFRONT_VAULT_HOSTS_FILE: names looked up there before the system resolver (test/ops). */
  hostsFile?: string;
}

export type KeystoreConfig =
  | { kind: "fs"; fs: { path: string } }
  | { kind: "vault"; vault: VaultConfig };

export interface Config {
  file: string;
  /** "host:port" with an IP literal host (IPv6 in brackets); default "0.0.0.0:7373". */
  address: string;
  /** May be a placeholder such as "disabled" that no certificate can match (kes-api.md §5.2). */
  admin: { identity: string };
  tls: {
    key: string;
    cert: string;
    password: string | undefined;
    auth: "on" | "off";
    ca: string | undefined;
    /** keyfront: with auth on and `ca` set, also trust the system roots (default false). */
    trustSystemRoots: boolean;
    /**
     * Trusted TLS proxies (kes-api.md §5.5), present only when identities are listed: a request
     * from one of them names its client by the certificate in the `header` request header.
     */
    proxy?: { identities: string[]; header: string };
  };
  /** In file order. */
  policies: PolicyConfig[];
  /** Defaults 5 min / 30 s / 0 — without KES's `unused` bug (kes-api.md §9). */
  /** keyfront: maxKeys bounds the entries (LRU eviction); default CACHE_MAX_KEYS. */
  /** keyfront: refreshMs bounds how stale a used cached key's versions and state may be. */
  cache: {
    anyMs: number;
    unusedMs: number;
    offlineMs: number;
    maxKeys: number;
    refreshMs: number;
  };
  /** Keyed by route path exactly as written (kes-api.md §10.4). timeoutMs undefined = default. */
  api: Record<string, { skipAuth: boolean; timeoutMs: number | undefined }>;
  log: { error: LogLevel; audit: LogLevel };
  /** keyfront: rotateMs (present when set) is the key's rotation period. */
  keys: { name: string; rotateMs?: number }[];
  keystore: KeystoreConfig;
  /**
   * keyfront (`keystore.deletion`): a deleted key stays pending deletion for windowMs (0 = KES's
   * immediate delete); `decrypt` says whether a pending key still decrypts.
   */
  deletion: { windowMs: number; decrypt: "allow" | "deny" };
  /** keyfront: worker processes; 0 = one per CPU core (resolved by the server). */
  /** keyfront: the algorithm of new keys (create and predefined keys); default AES256. */
  server: {
    workers: number;
    keyAlgorithm: "AES256" | "ChaCha20";
    /** keyfront: open connections per worker process (MAX_CONNECTIONS by default). */
    maxConnections: number;
    /** keyfront: open connections per client IP address per worker (MAX_CONNECTIONS_PER_CLIENT). */
    maxConnectionsPerClient: number;
    /** keyfront: idle keep-alive connections are closed after this (IDLE_TIMEOUT_MS). */
    idleTimeoutMs: number;
  };
}
