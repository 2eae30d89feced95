// The closed error catalogue: every error a client can see, with its HTTP status and the exact
// KES message (kes-api.md §2.3, §2.4). Handlers and the domain throw ApiError values; the server's
// one mapper turns them into {"message": …} bodies. Anything that is not an ApiError is an
// internal fault: it is logged with its cause and answered with a generic 5xx, never echoed.

export class ApiError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.headers = headers;
  }
}

/** Domain errors thrown by keystores; mapped to ApiErrors by the keys service. */
export class KeyExistsError extends Error {
  constructor(name: string) {
    super(`key '${name}' already exists`);
    this.name = "KeyExistsError";
  }
}

export class KeyNotFoundError extends Error {
  constructor(name: string) {
    super(`key '${name}' does not exist`);
    this.name = "KeyNotFoundError";
  }
}

/** The keystore cannot be reached (network, sealed, offline). `/v1/ready` answers 504. */
export class KeystoreUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeystoreUnreachableError";
  }
}

/** A decrypt failure of any kind: one error, one message (kes-api.md §7.3). */
export class DecryptError extends Error {
  constructor() {
    super("decryption failed: ciphertext is not authentic");
    this.name = "DecryptError";
  }
}

export const errNotAllowed = () => new ApiError(403, "not authorized: insufficient permissions");
export const errKeyNotFound = () => new ApiError(404, "key does not exist");
export const errKeyExists = () => new ApiError(400, "key already exists");
export const errDecrypt = () => new ApiError(400, "decryption failed: ciphertext is not authentic");
export const errPolicyNotFound = () => new ApiError(404, "policy does not exist");
export const errIdentityNotFound = () => new ApiError(404, "identity does not exist");
export const errTlsRequired = () => new ApiError(400, "insecure connection: TLS is required");
export const errCertRequired = () => new ApiError(400, "tls: client certificate is required");
export const errMethod = (got: string, want: string) =>
  new ApiError(405, `received method '${got}' expected '${want}'`, { Accept: want });
export const errKeyName = (n: string) =>
  new ApiError(400, `key name '${n}' is empty, too long or contains invalid characters`);
export const errPolicyName = (n: string) =>
  new ApiError(400, `policy name '${n}' is empty, too long or contains invalid characters`);
export const errIdentityName = (n: string) =>
  new ApiError(400, `identity '${n}' is empty, too long or contains invalid characters`);
export const errPattern = (p: string) =>
  new ApiError(400, `listing pattern '${p}' is empty, too long or is invalid`);
export const errBody = () => new ApiError(400, "invalid request body");
export const errImportBody = () => new ApiError(400, "invalid import key request body");
export const errAlgorithm = (c: string) => new ApiError(406, `algorithm '${c}' is not supported`);
export const errKeySize = (c: string) => new ApiError(406, `invalid key size for '${c}'`);
export const errNoHmac = () => new ApiError(409, "key does not support HMAC");
export const errCreateKey = () => new ApiError(502, "failed to create key");
export const errReadKey = () => new ApiError(502, "failed to read key");
export const errDeleteKey = () => new ApiError(502, "failed to delete key");
export const errListKeys = () => new ApiError(502, "failed to list keys");
export const errGenerate = () => new ApiError(500, "failed to generate encryption key");
export const errEncrypt = () => new ApiError(500, "failed to encrypt plaintext");
export const errDecryptInternal = () => new ApiError(500, "failed to decrypt ciphertext");
export const errStoreUnavailable = () => new ApiError(502, "key store is unavailable");
export const errStoreUnreachable = () => new ApiError(504, "key store is not reachable");
/** keyfront extension: a route whose handler did not finish in time (KES v0.22 wording). */
export const errTimeout = () => new ApiError(503, "request timeout exceeded");
/** keyfront extension: the server is shutting down and takes no new work. */
export const errShuttingDown = () => new ApiError(503, "server is shutting down");
export const errInternal = () => new ApiError(500, "internal server error");
/** keyfront extension: `?limit` of a paged key listing outside 1..1024 or not a number. */
export const errListLimit = () =>
  new ApiError(400, "invalid listing limit: must be an integer from 1 to 1024");
/** keyfront extension: every log-stream slot of this process is taken. */
export const errLogStreams = (max: number) =>
  new ApiError(503, `too many log streams: at most ${max} per log and server process`);
/** Trusted TLS proxy errors (KES compat, kes-api.md §5.5; v0.22 wording). */
export const errNoClientCert = (detail: string) =>
  new ApiError(400, "no client certificate is present", { "X-Keyfront-Detail": detail });
export const errTooManyClientCerts = (detail: string) =>
  new ApiError(400, "too many client certificates are present", { "X-Keyfront-Detail": detail });
export const errInvalidClientCert = (detail: string) =>
  new ApiError(400, "invalid client certificate", { "X-Keyfront-Detail": detail });
/** keyfront extension: the forwarded-certificate header from a peer that is not a trusted proxy. */
export const errUntrustedProxy = (header: string) =>
  new ApiError(
    403,
    `not authorized: the ${header} header is accepted only from a trusted TLS proxy`,
  );
/** keyfront: with `tls.auth: on`, a forwarded certificate the client CA pool does not trust. */
export const errForwardedUntrusted = (reason: string) =>
  new ApiError(400, `tls: forwarded client certificate is not trusted: ${reason}`);
/**
 * keyfront extension: a /v1/policy/explain body that is not `{identity, method, path}`. As on the
 * key routes, a body that cannot be decoded gets the fixed message and the reason in
 * X-Keyfront-Detail; a field with a wrong value gets a message naming the field.
 */
export const errExplainBody = (detail?: string) =>
  new ApiError(
    400,
    "invalid policy explain request",
    detail ? { "X-Keyfront-Detail": detail } : {},
  );
export const errExplainField = (what: string) =>
  new ApiError(400, `invalid policy explain request: ${what}`);
/** RFC 3339 (UTC, seconds) of a purge time, as the pending-deletion details show it. */
const purgeTime = (purgeAtMs: number) =>
  new Date(purgeAtMs).toISOString().replace(/\.\d{3}Z$/, "Z");
/**
 * keyfront extension (key lifecycle): a key pending deletion is absent for KES clients; the
 * reason and the purge time go into X-Keyfront-Detail.
 */
export const errKeyPendingDeletion = (purgeAtMs: number) =>
  new ApiError(404, "key does not exist", {
    "X-Keyfront-Detail": `key is pending deletion until ${purgeTime(purgeAtMs)}`,
  });
/** keyfront extension: create/import of a name whose key is pending deletion. */
export const errKeyExistsPending = (purgeAtMs: number) =>
  new ApiError(400, "key already exists", {
    "X-Keyfront-Detail": `key is pending deletion until ${purgeTime(purgeAtMs)}`,
  });
/** keyfront extension: generate/encrypt/decrypt/hmac/rewrap with a disabled key. */
export const errKeyDisabled = () => new ApiError(409, "key is disabled");
/** keyfront extension: a requested key version that does not exist or is retired. */
export const errInvalidKeyVersion = () => new ApiError(400, "invalid key version");
/** keyfront extension: an authentic ciphertext of a version below the minimum decryption version. */
export const errVersionRetired = (version: number, min: number) =>
  new ApiError(
    400,
    `decryption failed: key version ${version} is retired (minimum decryption version is ${min})`,
  );
/** keyfront extension: restore/purge of a key that is not pending deletion. */
export const errNotPendingDeletion = () => new ApiError(400, "key is not pending deletion");
/** keyfront extension: a rotation period that is negative or not a whole number of ms. */
export const errRotatePeriod = () => new ApiError(400, "invalid rotation period");
/** keyfront extension: a key's new version or state could not be written to the keystore. */
export const errUpdateKey = () => new ApiError(502, "failed to update key");
/** keyfront (issue 10): a /v1/key/configure body that cannot be used; `what` names the field. */
export const errConfigureBody = (what?: string) =>
  new ApiError(400, `invalid key configure request${what === undefined ? "" : `: ${what}`}`);
