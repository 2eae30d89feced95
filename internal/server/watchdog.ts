// Route timeouts without a timer per request: requests in flight sit in one array, and one
// interval, running only while the array is not empty, expires those past their deadline. A Node
// timer per request (a Timeout object, its list insertion and removal) cost the hot path more than
// this. A request times out up to WATCHDOG_TICK_MS after its deadline.
//
// An array with the item's index kept in the item (delete moves the last item into the hole), not
// a Set: a Set that every request enters and leaves replaces its hash table every few dozen
// requests, and V8 leaves each replaced table pointing at its successor and at the requests it
// held. Once one of those tables has reached old space, every later table and every request in
// it is kept alive through scavenges until the next mark-compact: measured over 20,000 first uses
// of keys (issue 11), the Set and the cache's in-flight loads together promoted about 2 KB of dead
// requests per request into old space.

import { WATCHDOG_TICK_MS } from "../limits.js";

export interface Deadline {
  /** performance.now() value after which the item has expired. */
  deadline: number;
  /** Where the watchdog keeps the item; -1 when it is not watched. Owned by the watchdog. */
  watchSlot: number;
}

export class Watchdog<T extends Deadline> {
  readonly #items: T[] = [];
  readonly #expire: (item: T) => void;
  #timer: NodeJS.Timeout | undefined = undefined;

  constructor(expire: (item: T) => void) {
    this.#expire = expire;
  }

  /** Watches `item` until delete(); expire(item) is called once its deadline has passed. */
  add(item: T): void {
    if (this.#has(item)) return;
    item.watchSlot = this.#items.length;
    this.#items.push(item);
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, WATCHDOG_TICK_MS);
      this.#timer.unref();
    }
  }

  delete(item: T): void {
    if (this.#has(item)) this.#remove(item.watchSlot);
  }

  get size(): number {
    return this.#items.length;
  }

  #has(item: T): boolean {
    const slot = item.watchSlot;
    return slot >= 0 && slot < this.#items.length && this.#items[slot] === item;
  }

  /** Takes the item at `slot` out: the last item moves into its place. */
  #remove(slot: number): void {
    const items = this.#items;
    const gone = items[slot] as T;
    const last = items.pop() as T;
    if (last !== gone) {
      items[slot] = last;
      last.watchSlot = slot;
    }
    gone.watchSlot = -1;
  }

  readonly #tick = (): void => {
    const items = this.#items;
    if (items.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    // From the end: a removal moves the last item, already looked at, into the hole.
    for (let i = items.length - 1; i >= 0; i--) {
      // An expire() that deleted other items may have shortened the array under us.
      const item = items[i];
      if (item === undefined || item.deadline > now) continue;
      this.#remove(i);
      this.#expire(item);
    }
  };

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const item of this.#items) item.watchSlot = -1;
    this.#items.length = 0;
  }
}
