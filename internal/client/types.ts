// The JSON documents of the keyfront / KES API as the client returns them (kes-api.md §3): wire
// field names kept as they are, so `--json` output and KES tooling agree. Types only.

export interface VersionInfo {
  version: string;
  commit?: string;
}

export interface StatusInfo {
  version: string;
  os: string;
  arch: string;
  /** Seconds since the server started. */
  uptime: number;
  num_cpu: number;
  num_cpu_used: number;
  mem_heap_used: number;
  mem_stack_used: number;
  /** Keystore probe latency in nanoseconds (keyfront; KES HEAD sent milliseconds). */
  keystore_latency?: number;
  keystore_unavailable?: boolean;
  keystore_unreachable?: boolean;
  /** keyfront: why the keystore is unavailable (e.g. a Vault mount of the wrong K/V version). */
  keystore_error?: string;
  /** keyfront: problems to fix before they break the keystore (an expiring Vault certificate). */
  keystore_warnings?: string[];
  /** keyfront, Vault: the endpoint in use and the IP address:port of the node that answered last. */
  keystore_endpoint?: string;
  keystore_address?: string;
}

export interface ApiRoute {
  method: string;
  path: string;
  max_body: number;
  /** Whole seconds; 0 = none. */
  timeout: number;
}

export interface KeyInfo {
  name: string;
  algorithm: string;
  created_at: string;
  created_by?: string;
  /** keyfront: the newest version (absent from KES). */
  version?: number;
  versions?: KeyVersionInfo[];
  enabled?: boolean;
  min_decryption_version?: number;
  /** keyfront: the rotation period ("" when the key is not rotated on a schedule). */
  rotate?: string;
}

/** One version of a key: `current` makes new ciphertexts, `active` still decrypts, `retired` not. */
export interface KeyVersionInfo {
  version: number;
  created_at: string;
  created_by?: string;
  state: "current" | "active" | "retired";
}

/** GET /v1/key/versions/{name} (keyfront). */
export interface VersionList {
  name: string;
  latest: number;
  min_decryption_version: number;
  versions: KeyVersionInfo[];
}

/** POST /v1/key/rotate/{name} (keyfront). */
export interface RotateResult {
  name: string;
  version: number;
  created_at: string;
}

/** What `configure` changes: at least one of them. `rotate` "" stops scheduled rotation. */
export interface KeySettingsChange {
  min_decryption_version?: number;
  rotate?: string;
}

/** POST /v1/key/configure/{name} (keyfront): the key's settings after the change. */
export interface KeySettings {
  name: string;
  min_decryption_version?: number;
  rotate?: string;
  [field: string]: unknown;
}

export interface Dek {
  /** The 32-byte data encryption key: keep it in memory only. */
  plaintext: Buffer;
  /** The DEK encrypted under the master key: store it with the data. */
  ciphertext: Buffer;
  /** The key version that sealed it (keyfront); undefined when the server does not say (KES). */
  version?: number | undefined;
}

/** A ciphertext and the key version that made it (undefined when the server does not say). */
export interface Sealed {
  ciphertext: Buffer;
  version: number | undefined;
}

/** An HMAC and the key version that computed it (undefined when the server does not say). */
export interface Mac {
  hmac: Buffer;
  version: number | undefined;
}

/** Per-call options of the crypto calls; `version` picks a key version (keyfront). */
export interface CryptoOptions {
  version?: number | undefined;
  signal?: AbortSignal | undefined;
}

export type PatternSet = Record<string, Record<string, never>>;

export interface PolicyInfo {
  name: string;
  created_at: string;
  created_by: string;
}

export interface Policy extends PolicyInfo {
  allow?: PatternSet;
  deny?: PatternSet;
}

export interface IdentityInfo {
  admin?: boolean;
  policy?: string;
  created_at: string;
  created_by?: string;
}

export interface SelfInfo {
  identity: string;
  admin?: boolean;
  policy?: string;
  allow?: PatternSet;
  deny?: PatternSet;
  created_at: string;
  created_by?: string;
}

export interface AuditEvent {
  time: string;
  request: { ip?: string; method?: string; path: string; identity?: string };
  response: { code: number; time: number };
}

export interface ErrorEvent {
  message: string;
}

/** The answer of `explainPolicy` (POST /v1/policy/explain, a keyfront extension). */
export interface PolicyExplanation {
  identity: string;
  role: "admin" | "policy" | "unknown";
  policy?: string;
  method: string;
  path: string;
  /** The 301s the server answers, in order; the first is its answer to `path` itself. */
  redirects: string[];
  /** The decoded, cleaned path that routing and the policy see. */
  evaluated_path?: string;
  route?: { method: string; path: string; auth: string };
  /** The deciding pattern (withheld from a caller that may not read the policy). */
  rule?: { effect: "allow" | "deny"; pattern: string };
  outcome: "allowed" | "denied" | "bad_request" | "not_found" | "method_not_allowed";
  /** routing, route (no policy check), admin, unknown_identity, rule, default, rule_withheld. */
  decided_by: string;
  allowed: boolean;
  /** What the server answers instead of running the handler; absent when allowed. */
  status?: number;
  reason: string;
}
