// The expiry of the client certificate keyfront presents to Vault (`keystore.vault.tls.cert`),
// reported before it breaks anything: with the `cert` login it is the credential, and a Vault
// listener that requires client certificates refuses the handshake once it has expired. The
// verdict is logged when it changes (and again at most every VAULT_CLIENT_CERT_LOG_EVERY_MS) and
// shown in /v1/status. A renewed file is picked up by a reload (SIGHUP), which builds a new
// session. It must never read or log the private key.

import { X509Certificate } from "node:crypto";
import { formatDuration } from "../../config/duration.js";
import {
  VAULT_CLIENT_CERT_LOG_EVERY_MS,
  VAULT_CLIENT_CERT_WARN_MS,
  VAULT_CLIENT_CERT_WARN_SHARE,
} from "../../limits.js";
import type { Logger } from "../../log/logger.js";
import { certificatePemBlocks } from "../../pki/pem.js";

export interface ClientCertInfo {
  /** The configured file, for messages. */
  path: string;
  subject: string;
  /** It is the login credential (`keystore.vault.cert`), not only mTLS to Vault. */
  login: boolean;
  notBefore: number;
  notAfter: number;
}

export type ClientCertState = "ok" | "expiring" | "expired" | "not-yet-valid";

export interface ClientCertVerdict {
  state: ClientCertState;
  /** What an operator reads in the log and in /v1/status ("" when ok). */
  message: string;
}

/** The leaf of a PEM certificate file; undefined when it holds none (checked at config load). */
export function clientCertOf(
  pem: string,
  path: string,
  login: boolean,
): ClientCertInfo | undefined {
  let leaf: X509Certificate;
  try {
    const der = certificatePemBlocks(pem)[0];
    if (der === undefined) return undefined;
    leaf = new X509Certificate(der);
  } catch {
    return undefined;
  }
  return {
    path,
    subject: leaf.subject.replace(/\n/g, ", "),
    login,
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
  };
}

/**
 * Expiring: less than VAULT_CLIENT_CERT_WARN_MS left, or less than VAULT_CLIENT_CERT_WARN_SHARE
 * of its lifetime when that is shorter (a 24 h certificate is not "expiring" for most of its life).
 */
export function judgeClientCert(info: ClientCertInfo, now: number): ClientCertVerdict {
  const what = `the Vault client certificate keystore.vault.tls.cert '${info.path}' (${info.subject})`;
  const renew = "renew the file and reload keyfront (SIGHUP)";
  const refuses = info.login
    ? "Vault refuses it"
    : "a Vault that verifies client certificates refuses it";
  if (now < info.notBefore) {
    return {
      state: "not-yet-valid",
      message: `${what} is not valid before ${iso(info.notBefore)}: ${refuses} until then`,
    };
  }
  if (now >= info.notAfter) {
    return {
      state: "expired",
      message: `${what} expired at ${iso(info.notAfter)}: ${refuses}; ${renew}`,
    };
  }
  const left = info.notAfter - now;
  const lifetime = info.notAfter - info.notBefore;
  const threshold = Math.min(VAULT_CLIENT_CERT_WARN_MS, lifetime * VAULT_CLIENT_CERT_WARN_SHARE);
  if (left <= threshold) {
    return {
      state: "expiring",
      message: `${what} expires at ${iso(info.notAfter)} (in ${formatDuration(left / 1000)}): ${renew} before then`,
    };
  }
  return { state: "ok", message: "" };
}

/** Re-judges the certificate every `intervalMs` and logs what changed; timer unref()ed. */
export class ClientCertWatch {
  readonly #info: ClientCertInfo;
  readonly #log: Logger;
  readonly #timer: ReturnType<typeof setInterval>;
  #verdict: ClientCertVerdict = { state: "ok", message: "" };
  #loggedAt = Number.NEGATIVE_INFINITY;

  constructor(info: ClientCertInfo, intervalMs: number, log: Logger) {
    this.#info = info;
    this.#log = log;
    this.check();
    this.#timer = setInterval(() => this.check(), intervalMs);
    this.#timer.unref();
  }

  /** The verdict now; logs it when it changed or was last logged long ago. */
  check(): ClientCertVerdict {
    const verdict = judgeClientCert(this.#info, Date.now());
    const changed = verdict.state !== this.#verdict.state;
    this.#verdict = verdict;
    const now = performance.now();
    if (verdict.state === "ok") {
      if (changed) this.#log.info({ path: this.#info.path }, "vault: client certificate is valid");
    } else if (changed || now - this.#loggedAt >= VAULT_CLIENT_CERT_LOG_EVERY_MS) {
      this.#loggedAt = now;
      const fields = { path: this.#info.path, not_after: iso(this.#info.notAfter) };
      if (verdict.state === "expiring") this.#log.warn(fields, `vault: ${verdict.message}`);
      else this.#log.error(fields, `vault: ${verdict.message}`);
    }
    return verdict;
  }

  /** The problem to report, or undefined while the certificate is fine. */
  get problem(): string | undefined {
    const verdict = this.check();
    return verdict.state === "ok" ? undefined : verdict.message;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
