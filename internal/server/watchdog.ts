// Route timeouts without a timer per request: requests in flight sit in one Set, and one interval,
// running only while the Set is not empty, expires those past their deadline. A Node timer per
// request (a Timeout object, its list insertion and removal) cost the hot path more than this
// Set's add and delete. A request times out up to WATCHDOG_TICK_MS after its deadline.

import { WATCHDOG_TICK_MS } from "../limits.js";

export interface Deadline {
  /** performance.now() value after which the item has expired. */
  deadline: number;
}

export class Watchdog<T extends Deadline> {
  readonly #items = new Set<T>();
  readonly #expire: (item: T) => void;
  #timer: NodeJS.Timeout | undefined = undefined;

  constructor(expire: (item: T) => void) {
    this.#expire = expire;
  }

  /** Watches `item` until delete(); expire(item) is called once its deadline has passed. */
  add(item: T): void {
    this.#items.add(item);
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, WATCHDOG_TICK_MS);
      this.#timer.unref();
    }
  }

  delete(item: T): void {
    this.#items.delete(item);
  }

  get size(): number {
    return this.#items.size;
  }

  readonly #tick = (): void => {
    if (this.#items.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    for (const item of this.#items) {
      if (item.deadline > now) continue;
      this.#items.delete(item);
      this.#expire(item);
    }
  };

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#items.clear();
  }
}
