// The Vault token's lifecycle (kes-api.md §8.3 "Token lifecycle", vault-api.md §6): log in in
// the background (never blocking startup), renew before expiry, log in again when renewal fails,
// when a renewal would be cut short by the max TTL, or when Vault says the token is dead; login
// attempts back off exponentially with jitter from `retry` — never a tight loop. Its timers are
// unref()ed. It must never log a token, a secret ID, a wrapping token or a JWT.

import {
  VAULT_LOGIN_MAX_DELAY_MS,
  VAULT_LOGIN_MIN_GAP_MS,
  VAULT_RENEW_MIN_DELAY_MS,
  VAULT_TOKEN_SWITCH_MAX_MS,
} from "../../limits.js";
import type { Logger } from "../../log/logger.js";
import { raceAbort } from "../../sleep.js";
import { backoffMs, describeError, type VaultHttpClient } from "./http.js";
import { type Authenticator, LoginError, leaseOfAuth, type TokenLease } from "./login.js";

/** Renew when this share of the TTL has passed. */
const RENEW_AT = 0.6;

interface Held extends TokenLease {
  /** performance.now() when the TTL was last reported. */
  at: number;
  /** The TTL the last login granted: renewals that leave less than half of it log in again. */
  loginTtlMs: number;
}

export interface TokenManagerOptions {
  client: VaultHttpClient;
  authenticator: Authenticator;
  /** Namespace of login, renew and lookup calls. */
  namespace: string;
  retryMs: number;
  log: Logger;
}

export class TokenManager {
  readonly #o: TokenManagerOptions;
  #held: Held | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #switch: ReturnType<typeof setTimeout> | undefined;
  #flight: Promise<string> | undefined;
  #failures = 0;
  #lastFailure = Number.NEGATIVE_INFINITY;
  #lastError: Error = new LoginError("vault: not logged in yet");
  #closed = false;

  constructor(opts: TokenManagerOptions) {
    this.#o = opts;
  }

  /** Starts the first login in the background. */
  start(): void {
    this.#schedule(0, () => void this.#login("startup").catch(() => {}));
  }

  /** The last login failure while there is no token (for status messages). */
  get lastError(): Error | undefined {
    return this.#held ? undefined : this.#lastError;
  }

  /**
   * The current token. Without one, joins the login in flight or starts one — but not within
   * VAULT_LOGIN_MIN_GAP_MS of a failed login; then it fails at once with that login's error.
   */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.#held) return this.#held.token;
    if (this.#flight) return raceAbort(this.#flight, signal);
    if (performance.now() - this.#lastFailure < VAULT_LOGIN_MIN_GAP_MS) throw this.#lastError;
    return raceAbort(this.#login("request"), signal);
  }

  /**
   * Vault rejected `stale` as dead: log in again (once for all callers that saw it) and answer
   * the new token; throws when that fails or the auth method cannot log in again.
   */
  async refresh(stale: string, signal?: AbortSignal): Promise<string> {
    if (this.#held && this.#held.token !== stale) return this.#held.token;
    if (this.#held?.token === stale) this.#held = undefined;
    return this.token(signal);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#switch);
    this.#held = undefined;
  }

  #schedule(ms: number, fn: () => void): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(fn, ms);
    this.#timer.unref();
  }

  /** One login attempt, shared by everyone who asks meanwhile; schedules what comes next. */
  #login(why: string, keepOld = false): Promise<string> {
    if (this.#flight) return this.#flight;
    const { client, authenticator, namespace } = this.#o;
    this.#flight = authenticator
      .login({ client, namespace })
      .then((lease) => {
        this.#failures = 0;
        this.#install(lease, keepOld);
        this.#o.log.info(
          { method: authenticator.method, ttl_s: lease.ttlMs / 1000, why },
          "vault: logged in",
        );
        return lease.token;
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#lastError = new LoginError(`vault: login failed: ${describeError(error)}`, {
          cause: error,
        });
        this.#failures++;
        this.#lastFailure = performance.now();
        const delay = backoffMs(this.#failures - 1, this.#o.retryMs, VAULT_LOGIN_MAX_DELAY_MS);
        this.#o.log.error(
          { method: authenticator.method, retry_in_ms: delay, why },
          this.#lastError.message,
        );
        this.#schedule(delay, () => void this.#login("retry").catch(() => {}));
        throw this.#lastError;
      })
      .finally(() => {
        this.#flight = undefined;
      });
    return this.#flight;
  }

  /**
   * Makes `lease` the token in use and schedules its renewal. After a renewal-driven re-login
   * the still-valid old token stays in use a little longer so Vault replicas can catch up with
   * the new one (kes-api.md §8.3, `d3b6494`).
   */
  #install(lease: TokenLease, keepOld: boolean): void {
    const held: Held = { ...lease, at: performance.now(), loginTtlMs: lease.ttlMs };
    const old = this.#held;
    const oldLeft = old && old.ttlMs > 0 ? old.at + old.ttlMs - performance.now() : 0;
    clearTimeout(this.#switch);
    if (keepOld && oldLeft > 0) {
      const wait = Math.min(oldLeft / 2, VAULT_TOKEN_SWITCH_MAX_MS);
      this.#switch = setTimeout(() => {
        if (!this.#closed) this.#held = held;
      }, wait);
      this.#switch.unref();
    } else {
      this.#held = held;
    }
    this.#scheduleRenewal(held);
  }

  #scheduleRenewal(held: Held): void {
    if (held.ttlMs <= 0) return; // a token that never expires is never renewed (§8.3)
    // A static token that cannot be renewed cannot be replaced either: nothing to do.
    if (!held.renewable && this.#o.authenticator.method === "token") return;
    const delay = Math.max(held.ttlMs * RENEW_AT, VAULT_RENEW_MIN_DELAY_MS);
    this.#schedule(delay, () => void this.#renew(held));
  }

  /** Renews `held`; if that fails or would leave too little time, logs in again. */
  async #renew(held: Held): Promise<void> {
    if (this.#closed) return;
    if (held.renewable) {
      try {
        const res = await this.#o.client.request({
          method: "POST",
          path: "auth/token/renew-self",
          token: held.token,
          namespace: this.#o.namespace,
          body: {},
        });
        const lease = res.status === 200 ? leaseOfAuth(res) : undefined;
        if (lease && lease.ttlMs * 2 >= held.loginTtlMs) {
          const renewed: Held = { ...held, ttlMs: lease.ttlMs, at: performance.now() };
          if (this.#held === held) this.#held = renewed;
          this.#o.log.debug({ ttl_s: lease.ttlMs / 1000 }, "vault: token renewed");
          this.#scheduleRenewal(renewed);
          return;
        }
      } catch (err) {
        this.#o.log.warn({ err_msg: describeError(err) }, "vault: token renewal failed");
      }
    }
    await this.#login("renewal", true).catch(() => {});
  }
}
