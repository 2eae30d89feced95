// Network failures of the client in one line each: what happened at which endpoint, in words an
// operator can act on (refused, no TCP connection or TLS answer in time, not a TLS port, an
// untrusted certificate), instead of OpenSSL's multi-line text or a silent wait. A failure that
// retrying cannot cure (not TLS, certificate, timeouts) is marked so, and the fail-over moves on
// instead of repeating it. It must never put request bodies, keys or credentials into a message.

import { connect } from "node:net";
import { ConnectionError } from "./errors.js";

/** Where a request was when it failed. */
export type Phase = "connect" | "handshake" | "request";

/** Our codes for the client's own timeouts (Node's ETIMEDOUT stays the answer timeout). */
export const CONNECT_TIMEOUT = "ERR_CONNECT_TIMEOUT";
export const HANDSHAKE_TIMEOUT = "ERR_TLS_HANDSHAKE_TIMEOUT";
export const ANSWER_TIMEOUT = "ETIMEDOUT";

/** OpenSSL reasons that mean the peer's bytes were not TLS records at all. */
const NOT_TLS =
  /wrong version number|packet length too long|unknown protocol|record layer failure/i;

/** Certificate verification failures (Node's codes): retrying never helps. */
const CERT_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** `https://host:port` → `host:port`, as the operator wrote it. */
export function hostPort(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** The first line of an error text, without OpenSSL's `hex:error:…:file.c:line:` framing. */
function firstLine(message: string): string {
  const line = (message.split("\n")[0] ?? "").trim();
  const ssl = /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(line);
  return ssl?.[1] ?? line;
}

export interface Failure {
  code?: string | undefined;
  message: string;
  reason?: string | undefined;
}

/**
 * The ConnectionError of a failed request. `timeoutMs` is the bound that ran out for the timeout
 * codes; `plainHttp` says the port answered an HTTP request in the clear (probePlainHttp).
 */
export function connectionErrorOf(
  endpoint: string,
  err: Failure,
  phase: Phase,
  timeoutMs: number,
  plainHttp = false,
): ConnectionError {
  const where = hostPort(endpoint);
  const code = err.code ?? "ERR_NETWORK";
  const fail = (text: string, retryable: boolean, c = code) =>
    new ConnectionError(endpoint, c, text, retryable);
  if (code === CONNECT_TIMEOUT) {
    return fail(`${where}: no TCP connection within ${seconds(timeoutMs)}`, false);
  }
  if (code === HANDSHAKE_TIMEOUT) {
    return fail(
      `${where}: no TLS answer within ${seconds(timeoutMs)} (the port accepts connections but says nothing)`,
      false,
    );
  }
  if (code === ANSWER_TIMEOUT)
    return fail(`${where}: no answer within ${seconds(timeoutMs)}`, false);
  if (NOT_TLS.test(`${err.reason ?? ""} ${err.message}`) && phase !== "request") {
    const what = plainHttp ? "it answered plain HTTP" : "its answer is not a TLS handshake";
    return fail(`${where} does not speak TLS (${what})`, false, "ERR_NOT_TLS");
  }
  const alert = /alert ([a-z ]+)/i.exec(`${err.reason ?? ""} ${err.message}`)?.[1]?.trim();
  if (alert !== undefined) {
    return fail(`${where}: the server ended the TLS connection (alert: ${alert})`, false);
  }
  if (CERT_CODES.has(code)) {
    return fail(
      `${where}: cannot verify the server's certificate: ${firstLine(err.message)}`,
      false,
    );
  }
  switch (code) {
    case "ECONNREFUSED":
      return fail(`${where}: connection refused`, true);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return fail(`${where}: cannot resolve the host name`, code === "EAI_AGAIN");
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return fail(`${where}: host unreachable`, true);
    case "ECONNRESET":
    case "EPIPE":
      return fail(
        phase === "request"
          ? `${where}: the connection was closed before the answer`
          : `${where}: the connection was closed during the TLS handshake (is it a TLS server, and does it accept this client certificate?)`,
        true,
      );
  }
  return fail(`${where}: ${firstLine(err.reason ?? err.message)} (${code})`, true);
}

/**
 * Whether `host:port` answers an HTTP request in the clear: asked once a TLS handshake failed
 * with a non-TLS answer, so the error can say "plain HTTP". Bounded by `timeoutMs`; any failure
 * is "no".
 */
export function probePlainHttp(endpoint: string, timeoutMs: number): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = connect({ host, port: Number(url.port || 443) });
    let seen = Buffer.alloc(0);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("connect", () => socket.write(`HEAD / HTTP/1.0\r\nHost: ${url.host}\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]).subarray(0, 5);
      if (seen.length === 5) done(seen.toString("latin1") === "HTTP/");
    });
    socket.on("error", () => done(false));
    socket.on("end", () => done(seen.toString("latin1") === "HTTP/"));
  });
}
