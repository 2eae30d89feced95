// Fail-over and retries across a client's endpoints with the KES SDK's semantics (kes-api.md
// §2.2): an answer ≥ 500 other than 501 moves on to the next endpoint; network errors and 503 are
// retried up to 2 more times on the same endpoint after a 200–1000 ms random delay (keyfront: not
// a failure that a retry cannot cure, see ConnectionError.retryable); an endpoint that failed is
// benched for 30 s. Delays, randomness and the clock are injectable for tests.
// It must never retry a caller's abort, and never decide what a 4xx means.

import {
  CLIENT_BENCH_MS,
  CLIENT_RETRIES,
  CLIENT_RETRY_MAX_DELAY_MS,
  CLIENT_RETRY_MIN_DELAY_MS,
} from "../limits.js";
import { sleep } from "../sleep.js";

import { ConnectionError } from "./errors.js";

export interface RetryOptions {
  /** Waits `ms`; default a timer that the signal cancels. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  benchMs?: number;
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** What an attempt must expose for the retry decision. */
export interface Answer {
  status: number;
}

export class EndpointPool {
  readonly endpoints: readonly string[];
  private readonly benchedUntil = new Map<string, number>();
  private readonly sleep: NonNullable<RetryOptions["sleep"]>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly benchMs: number;
  private readonly retries: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(endpoints: readonly string[], opts: RetryOptions = {}) {
    if (endpoints.length === 0) throw new Error("no server endpoint given");
    this.endpoints = [...endpoints];
    this.sleep = opts.sleep ?? sleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.benchMs = opts.benchMs ?? CLIENT_BENCH_MS;
    this.retries = opts.retries ?? CLIENT_RETRIES;
    this.minDelayMs = opts.minDelayMs ?? CLIENT_RETRY_MIN_DELAY_MS;
    this.maxDelayMs = opts.maxDelayMs ?? CLIENT_RETRY_MAX_DELAY_MS;
  }

  isBenched(endpoint: string): boolean {
    return (this.benchedUntil.get(endpoint) ?? 0) > this.now();
  }

  bench(endpoint: string): void {
    this.benchedUntil.set(endpoint, this.now() + this.benchMs);
  }

  /**
   * Endpoints to try, starting at a random one (load balancing); benched endpoints come last
   * instead of being skipped, so a client whose every endpoint failed recently still tries.
   */
  order(): string[] {
    const n = this.endpoints.length;
    const start = Math.floor(this.random() * n) % n;
    const rotated = this.endpoints.map((_, i) => this.endpoints[(start + i) % n] as string);
    return [
      ...rotated.filter((e) => !this.isBenched(e)),
      ...rotated.filter((e) => this.isBenched(e)),
    ];
  }

  private delay(signal?: AbortSignal): Promise<void> {
    const span = this.maxDelayMs - this.minDelayMs;
    return this.sleep(this.minDelayMs + Math.floor(this.random() * span), signal);
  }

  /** One endpoint with its same-endpoint retries; undefined answer = move on. */
  private async tryEndpoint<A extends Answer>(
    endpoint: string,
    attempt: (endpoint: string) => Promise<A>,
    signal?: AbortSignal,
  ): Promise<{ answer?: A; error?: unknown }> {
    for (let tries = 0; ; tries++) {
      let answer: A;
      try {
        answer = await attempt(endpoint);
      } catch (err) {
        if (!(err instanceof ConnectionError) || signal?.aborted) throw err;
        if (tries < this.retries && err.retryable) {
          await this.delay(signal);
          continue;
        }
        return { error: err };
      }
      if (answer.status === 503 && tries < this.retries) {
        await this.delay(signal);
        continue;
      }
      return { answer };
    }
  }

  /**
   * Runs `attempt` against the endpoints until one answers below 500 (or 501). If none does,
   * returns the last ≥ 500 answer, or throws the last network error.
   */
  async send<A extends Answer>(
    attempt: (endpoint: string) => Promise<A>,
    signal?: AbortSignal,
  ): Promise<A> {
    let lastAnswer: A | undefined;
    let lastError: unknown;
    for (const endpoint of this.order()) {
      const { answer, error } = await this.tryEndpoint(endpoint, attempt, signal);
      if (answer !== undefined && (answer.status < 500 || answer.status === 501)) return answer;
      this.bench(endpoint);
      if (answer !== undefined) lastAnswer = answer;
      else lastError = error;
    }
    if (lastAnswer !== undefined) return lastAnswer;
    throw lastError;
  }
}
