// Vault's health as keyfront sees it (kes-api.md §8.3 "Health / sealed tracking", vault-api.md
// §7.1): a poll of sys/health every `status.ping`, sent WITHOUT the namespace header and without
// a token (the endpoint is root-only and unauthenticated), with every non-active code forced to
// 299 so the body is always read. Standby nodes count as healthy, but a standby or sealed answer
// retires the connection pool, so that the next request resolves the endpoint's name again (an
// HA Vault behind a DNS name, README); sealed, uninitialised and unreachable are told apart. It
// must never block a request on a poll, and its timer never keeps the process alive.

import { KeystoreUnreachableError } from "../../errors.js";
import { VAULT_HEALTH_RECHECK_MS } from "../../limits.js";
import type { Logger } from "../../log/logger.js";
import { describeError, describeResponse, type VaultHttpClient } from "./http.js";

export type VaultState = "ok" | "standby" | "sealed" | "uninitialized" | "unreachable" | "unknown";

// KES compat, kes-api.md §8.3: the Go SDK's Sys().Health() query (also keyfront doctor's).
export const HEALTH_QUERY = {
  uninitcode: "299",
  sealedcode: "299",
  standbycode: "299",
  drsecondarycode: "299",
  performancestandbycode: "299",
};

/**
 * Unreachable with the Vault state that caused it (shown as `keystore_state` in /v1/status, and
 * as X-Keyfront-Detail on every failing request: the `state` field is what marks it).
 */
export class VaultUnreachableError extends KeystoreUnreachableError {
  readonly state: VaultState;
  constructor(state: VaultState, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.state = state;
  }
}

export interface HealthReading {
  state: VaultState;
  /** Why the state is what it is, for logs and /v1/status ("Vault is sealed", …). */
  detail: string;
  latencyNs: bigint;
}

/** The state a sys/health body describes (vault-api.md §7.1 decision order). */
export function stateOfHealth(body: unknown): VaultState | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.initialized !== "boolean" || typeof b.sealed !== "boolean") return undefined;
  if (!b.initialized) return "uninitialized";
  if (b.sealed) return "sealed";
  if (b.standby === true || b.performance_standby === true) return "standby";
  return "ok";
}

const DETAIL: Record<VaultState, string> = {
  ok: "Vault is active",
  standby: "Vault is a standby node",
  sealed: "Vault is sealed",
  uninitialized: "Vault is not initialized",
  unreachable: "Vault is unreachable",
  unknown: "Vault has not been contacted yet",
};

export class VaultHealth {
  readonly #client: VaultHttpClient;
  readonly #log: Logger;
  readonly #timer: ReturnType<typeof setInterval>;
  #reading: HealthReading = { state: "unknown", detail: DETAIL.unknown, latencyNs: 0n };
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<HealthReading> | undefined;
  #closed = false;

  constructor(client: VaultHttpClient, intervalMs: number, log: Logger) {
    this.#client = client;
    this.#log = log;
    this.#timer = setInterval(() => void this.check().catch(() => {}), intervalMs);
    this.#timer.unref();
  }

  get reading(): HealthReading {
    return this.#reading;
  }

  /**
   * Throws KeystoreUnreachableError at once while Vault is known to be sealed or uninitialised
   * (kes-api.md §8.3: fail fast), and then re-checks in the background at most every
   * VAULT_HEALTH_RECHECK_MS so that recovery does not wait for the next ping.
   */
  guard(): void {
    const { state, detail } = this.#reading;
    if (state !== "sealed" && state !== "uninitialized") return;
    if (performance.now() - this.#checkedAt >= VAULT_HEALTH_RECHECK_MS) {
      void this.check().catch(() => {});
    }
    // With its state, like the answer that revealed the seal: every request refused while
    // sealed says why (X-Keyfront-Detail), not only the first one (issue 9).
    throw new VaultUnreachableError(state, detail);
  }

  /** Records what a request learned (e.g. a 503 "Vault is sealed" answer). */
  observe(state: VaultState, detail = DETAIL[state]): void {
    this.#set({ state, detail, latencyNs: this.#reading.latencyNs });
  }

  /** One health call now (concurrent callers share it). */
  check(signal?: AbortSignal): Promise<HealthReading> {
    if (!this.#inflight) {
      this.#inflight = this.#poll(signal).finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#inflight;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  async #poll(signal?: AbortSignal): Promise<HealthReading> {
    const started = process.hrtime.bigint();
    let reading: HealthReading;
    try {
      const res = await this.#client.request({
        method: "GET",
        path: "sys/health",
        query: HEALTH_QUERY,
        retries: 0,
        signal,
      });
      const latencyNs = process.hrtime.bigint() - started;
      const state = stateOfHealth(res.body);
      // The active node answered here: no pooled connection to another address stays (pool.ts).
      if (state === "ok" && res.address !== undefined) this.#client.keepOnly(res.address);
      reading =
        state === undefined
          ? {
              state: "unreachable",
              detail: `Vault is unreachable: unexpected health answer (${describeResponse(res)})`,
              latencyNs,
            }
          : { state, detail: DETAIL[state], latencyNs };
    } catch (err) {
      if (signal?.aborted) throw err;
      const detail = `Vault is unreachable: ${describeError(err)}`;
      reading = { state: "unreachable", detail, latencyNs: process.hrtime.bigint() - started };
    }
    this.#checkedAt = performance.now();
    if (reading.state === "standby" || reading.state === "sealed") {
      // The endpoint's name may have moved to the new active node: reconnect (pool.ts).
      this.#client.reconnect();
    }
    if (!this.#closed) this.#set(reading);
    return reading;
  }

  #set(reading: HealthReading): void {
    const before = this.#reading.state;
    this.#reading = reading;
    if (before === reading.state) return;
    const healthy = reading.state === "ok" || reading.state === "standby";
    if (healthy) this.#log.info({ endpoint: this.#client.endpoint }, `vault: ${reading.detail}`);
    else this.#log.error({ endpoint: this.#client.endpoint }, `vault: ${reading.detail}`);
  }
}
