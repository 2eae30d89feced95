// Fan-out of log lines to the live subscribers of /v1/log/error and /v1/log/audit (kes-api.md
// §3.9; keyfront really delivers them). Publishing with no subscriber costs one size check.
// A subscriber that cannot keep up is dropped rather than allowed to buffer without bound, and
// the number of subscribers is bounded (`maxSubscribers`): beyond it `subscribe` refuses.

import { LOG_STREAM_MAX_SUBSCRIBERS } from "../limits.js";

export interface Subscriber {
  /** Writes one line; returns false when the subscriber's buffer is over its bound. */
  write(line: string): boolean;
  /** Called once when the hub drops the subscriber. */
  close(): void;
}

export class LogHub {
  private readonly subscribers = new Set<Subscriber>();
  private delivered = 0;
  readonly maxSubscribers: number;

  constructor(maxSubscribers = LOG_STREAM_MAX_SUBSCRIBERS) {
    this.maxSubscribers = maxSubscribers;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Lines written to subscribers so far (kes_log_*_events). */
  get events(): number {
    return this.delivered;
  }

  /** Adds a subscriber and returns its unsubscribe; undefined when the hub is full. */
  subscribe(sub: Subscriber): (() => void) | undefined {
    if (this.subscribers.size >= this.maxSubscribers) return undefined;
    this.subscribers.add(sub);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  publish(line: string): void {
    if (this.subscribers.size === 0) return;
    for (const sub of this.subscribers) {
      this.delivered++;
      if (!sub.write(line)) {
        this.subscribers.delete(sub);
        sub.close();
      }
    }
  }
}
