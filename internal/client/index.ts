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
  keyVersionOfEnvelope,
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
export {
  RewrapError,
  type RewrapItem,
  type RewrapOptions,
  type Rewrapper,
  rewrapStream,
} from "./rewrap-stream.js";
export type {
  ApiRoute,
  AuditEvent,
  CryptoOptions,
  Dek,
  ErrorEvent,
  IdentityInfo,
  KeyInfo,
  KeySettings,
  KeySettingsChange,
  KeyVersionInfo,
  Mac,
  PatternSet,
  Policy,
  PolicyInfo,
  RotateResult,
  Sealed,
  SelfInfo,
  StatusInfo,
  VersionInfo,
  VersionList,
} from "./types.js";
