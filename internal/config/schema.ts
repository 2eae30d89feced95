// The one TypeBox schema of the raw YAML config file (kes-api.md §10.2 plus keyfront additions).
// Pure. Every field is optional here: required-ness and cross-field rules are checked by
// normalize.ts, so all problems are reported together. It must never encode defaults: those
// belong to the normalised Config (config.ts).

import { type Static, Type } from "@sinclair/typebox";

const Str = Type.String();
/** A Go duration string (`300ms`, `1h30m`); parsed by duration.ts. */
const Duration = Type.String({ description: "Go duration" });
const Bool = Type.Boolean();
const Opt = Type.Optional;

export const VaultSchema = Type.Object({
  endpoint: Opt(Str),
  /** keyfront: further endpoints for HA, tried in order after `endpoint`. */
  endpoints: Opt(Type.Array(Str)),
  engine: Opt(Str),
  version: Opt(Str),
  namespace: Opt(Str),
  prefix: Opt(Str),
  /** keyfront: a static token (else VAULT_TOKEN when no other auth is configured). */
  token: Opt(Str),
  /** keyfront: per-request timeout. */
  timeout: Opt(Duration),
  transit: Opt(Type.Object({ engine: Opt(Str), key: Opt(Str) })),
  approle: Opt(
    Type.Object({
      namespace: Opt(Str),
      engine: Opt(Str),
      id: Opt(Str),
      secret: Opt(Str),
      /** keyfront (and KES ≤ v0.22, §10.7): delay between login attempts. */
      retry: Opt(Duration),
      /** keyfront: `secret` is a response-wrapping token. */
      wrapped: Opt(Bool),
    }),
  ),
  kubernetes: Opt(
    Type.Object({
      namespace: Opt(Str),
      engine: Opt(Str),
      role: Opt(Str),
      jwt: Opt(Str),
      retry: Opt(Duration),
    }),
  ),
  /** keyfront: Vault's `cert` auth method; the credential is `tls.cert`/`tls.key`. */
  cert: Opt(
    Type.Object({
      namespace: Opt(Str),
      engine: Opt(Str),
      /** The certificate role; unset: Vault tries every role that trusts the certificate. */
      name: Opt(Str),
      retry: Opt(Duration),
    }),
  ),
  tls: Opt(Type.Object({ key: Opt(Str), cert: Opt(Str), ca: Opt(Str) })),
  status: Opt(Type.Object({ ping: Opt(Duration) })),
});

/** KES keystores keyfront recognises but does not implement (kes-api.md §8.4). */
export const UNSUPPORTED_KEYSTORES = [
  "fortanix",
  "aws",
  "gemalto",
  "gcp",
  "azure",
  "entrust",
  "kes",
] as const;

const Unsupported = Opt(Type.Unknown());

export const RawConfigSchema = Type.Object({
  version: Opt(Str),
  address: Opt(Str),
  admin: Opt(Type.Object({ identity: Opt(Str) })),
  tls: Opt(
    Type.Object({
      key: Opt(Str),
      cert: Opt(Str),
      password: Opt(Str),
      auth: Opt(Str),
      ca: Opt(Str),
      /** keyfront: with `auth: on` and `ca`, also trust the system roots (default: `ca` only). */
      trust_system_roots: Opt(Bool),
      proxy: Opt(
        Type.Object({
          identities: Opt(Type.Array(Str)),
          header: Opt(Type.Object({ cert: Opt(Str) })),
        }),
      ),
    }),
  ),
  policy: Opt(
    Type.Record(
      Type.String(),
      Type.Object({
        allow: Opt(Type.Array(Str)),
        deny: Opt(Type.Array(Str)),
        identities: Opt(Type.Array(Str)),
      }),
    ),
  ),
  cache: Opt(
    Type.Object({
      expiry: Opt(
        Type.Object({
          any: Opt(Duration),
          unused: Opt(Duration),
          offline: Opt(Duration),
          /** keyfront: a used cached key older than this is re-read in the background. */
          refresh: Opt(Duration),
        }),
      ),
      /** keyfront: most keys cached; the least recently used are evicted beyond it. */
      max_keys: Opt(Type.Integer({ minimum: 1 })),
    }),
  ),
  api: Opt(
    Type.Record(Type.String(), Type.Object({ skip_auth: Opt(Bool), timeout: Opt(Duration) })),
  ),
  log: Opt(Type.Object({ error: Opt(Str), audit: Opt(Str) })),
  /** keyfront: `rotate` is the key's rotation period (`90d`). */
  keys: Opt(Type.Array(Type.Object({ name: Opt(Str), rotate: Opt(Duration) }))),
  keystore: Opt(
    Type.Object({
      fs: Opt(Type.Object({ path: Opt(Str) })),
      vault: Opt(VaultSchema),
      /** keyfront: deletion with a recovery window (`window: 7d`, `decrypt: deny | allow`). */
      deletion: Opt(Type.Object({ window: Opt(Duration), decrypt: Opt(Str) })),
      fortanix: Unsupported,
      aws: Unsupported,
      gemalto: Unsupported,
      gcp: Unsupported,
      azure: Unsupported,
      entrust: Unsupported,
      kes: Unsupported,
    }),
  ),
  /** keyfront: process model. */
  server: Opt(
    Type.Object({
      workers: Opt(Type.Integer({ minimum: 0 })),
      key_algorithm: Opt(Str),
      /** keyfront: connection bounds, per worker process. */
      max_connections: Opt(Type.Integer({ minimum: 1 })),
      max_connections_per_client: Opt(Type.Integer({ minimum: 1 })),
      idle_timeout: Opt(Duration),
    }),
  ),
});

export type RawConfig = Static<typeof RawConfigSchema>;
export type RawVaultConfig = Static<typeof VaultSchema>;
