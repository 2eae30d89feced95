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
}

export interface Dek {
  /** The 32-byte data encryption key: keep it in memory only. */
  plaintext: Buffer;
  /** The DEK encrypted under the master key: store it with the data. */
  ciphertext: Buffer;
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
