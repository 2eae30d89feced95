// Client-side error values (kes-api.md §2.2): a server answer ≥ 400 becomes a KeyfrontError that
// is compared by status and message, as KES SDK users compare `err == kes.ErrKeyExists`. Legacy
// spellings of older servers map to today's values. It must never put request bodies, keys or
// plaintexts into a message: only what the server said.

export class KeyfrontError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "KeyfrontError";
    this.status = status;
  }

  /** Same status and exact message (the SDK's value comparison). */
  is(other: KeyfrontError): boolean {
    return this.status === other.status && this.message === other.message;
  }
}

/**
 * A network-level failure: no HTTP answer from any endpoint (refused, TLS, timeout, reset). The
 * message is one line naming the endpoint; `retryable` is false where a retry on the same
 * endpoint cannot help (not a TLS port, an untrusted certificate, a timeout).
 */
export class ConnectionError extends Error {
  readonly endpoint: string;
  readonly code: string;
  readonly retryable: boolean;
  constructor(endpoint: string, code: string, message: string, retryable = true) {
    super(message);
    this.name = "ConnectionError";
    this.endpoint = endpoint;
    this.code = code;
    this.retryable = retryable;
  }
}

export const ErrNotAllowed = new KeyfrontError(403, "not authorized: insufficient permissions");
export const ErrKeyNotFound = new KeyfrontError(404, "key does not exist");
export const ErrKeyExists = new KeyfrontError(400, "key already exists");
export const ErrDecrypt = new KeyfrontError(400, "decryption failed: ciphertext is not authentic");
export const ErrPolicyNotFound = new KeyfrontError(404, "policy does not exist");
export const ErrPolicyExists = new KeyfrontError(400, "policy already exists");
export const ErrIdentityNotFound = new KeyfrontError(404, "identity does not exist");
export const ErrIdentityExists = new KeyfrontError(400, "identity already exists");
export const ErrNoHmac = new KeyfrontError(409, "key does not support HMAC");
export const ErrSealed = new KeyfrontError(403, "system is sealed");
export const ErrPartialWrite = new KeyfrontError(503, "change committed but not replicated");
export const ErrStoreUnreachable = new KeyfrontError(504, "key store is not reachable");
export const ErrStoreUnavailable = new KeyfrontError(502, "key store is unavailable");

/** KES compat, kes-api.md §2.2: the SDK maps pre-v0.18 texts to today's errors. */
const LEGACY: ReadonlyArray<readonly [number, string, KeyfrontError]> = [
  [400, "key does already exist", ErrKeyExists],
  [403, "prohibited by policy", ErrNotAllowed],
];

/** Whether `err` is a KeyfrontError equal (status + message) to `target`. */
export function isError(err: unknown, target: KeyfrontError): boolean {
  return err instanceof KeyfrontError && err.is(target);
}

/** Largest error body we read (the SDK reads at most 1 MiB). */
export const MAX_ERROR_BODY_BYTES = 1 << 20;

/**
 * The error of a non-200 answer (kes-api.md §2.2): JSON bodies give `error` (preferred) or
 * `message`; other bodies are the message verbatim.
 */
export function errorOfResponse(status: number, contentType: string, body: Buffer): KeyfrontError {
  let text = body.subarray(0, MAX_ERROR_BODY_BYTES).toString("utf8");
  if (contentType.toLowerCase().startsWith("application/json")) {
    try {
      const doc = JSON.parse(text) as { message?: unknown; error?: unknown };
      if (typeof doc.error === "string" && doc.error !== "") text = doc.error;
      else if (typeof doc.message === "string") text = doc.message;
    } catch {
      // not JSON after all: keep the raw text
    }
  } else {
    text = text.trimEnd();
  }
  if (text === "") text = `HTTP ${status}`;
  for (const [s, m, err] of LEGACY) {
    if (status === s && text === m) return new KeyfrontError(err.status, err.message);
  }
  return new KeyfrontError(status, text);
}
