// The public entry point of the `keyfront/client` package export: the client, its error values
// and the envelope functions, and nothing else. It is the one re-exporting module of the code
// base (DESIGN.md's no-barrel rule stands elsewhere): what is not named here is not part of the
// package's API, and package.json's `exports` keeps deep imports out. It must never export
// internals (transport, wire helpers) nor anything that runs code on import.

export { type ClientOptions, KeyfrontClient, type PolicyExplanation } from "./client.js";
export {
  type DekSource,
  EnvelopeError,
  keyNameOfEnvelope,
  openEnvelope,
  openEnvelopeStream,
  sealEnvelope,
  sealEnvelopeStream,
} from "./envelope.js";
export {
  ConnectionError,
  ErrDecrypt,
  ErrIdentityExists,
  ErrIdentityNotFound,
  ErrKeyExists,
  ErrKeyNotFound,
  ErrNoHmac,
  ErrNotAllowed,
  ErrPartialWrite,
  ErrPolicyExists,
  ErrPolicyNotFound,
  ErrSealed,
  ErrStoreUnavailable,
  ErrStoreUnreachable,
  errorOfResponse,
  isError,
  KeyfrontError,
} from "./errors.js";
export type { RetryOptions } from "./retry.js";
export type {
  ApiRoute,
  AuditEvent,
  Dek,
  ErrorEvent,
  IdentityInfo,
  KeyInfo,
  PatternSet,
  Policy,
  PolicyInfo,
  SelfInfo,
  StatusInfo,
  VersionInfo,
} from "./types.js";
