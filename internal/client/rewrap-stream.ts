// Rewrapping a stream of ciphertexts (a file of lines, a table scan): each item goes to
// /v1/key/rewrap with at most `concurrency` requests in flight, and the results come out in the
// order of the input, whatever order the answers arrive in. The first failure (a server error or
// an error of the source itself) ends the stream; the error names the item's position, and every
// earlier item has been yielded. The plaintext never leaves the server: nothing here sees one.

import { setMaxListeners } from "node:events";
import { REWRAP_CONCURRENCY } from "../limits.js";
import type { Sealed } from "./types.js";

/** What rewrapping needs from a client: KeyfrontClient satisfies it. */
export interface Rewrapper {
  rewrap(
    name: string,
    ciphertext: Uint8Array,
    context?: Uint8Array | string,
    signal?: AbortSignal,
  ): Promise<Sealed>;
}

export interface RewrapItem {
  ciphertext: Uint8Array;
  context?: Uint8Array | string | undefined;
}

export interface RewrapOptions {
  /** Requests in flight at once; default REWRAP_CONCURRENCY. */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** An item that could not be rewrapped: `index` is its 0-based position in the input. */
export class RewrapError extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = "RewrapError";
    this.index = index;
  }
}

type Settled<I> = { ok: true; item: I; sealed: Sealed } | { ok: false; error: unknown };

/**
 * Yields `{ item, ciphertext, version }` for every item, in input order. Throws RewrapError for
 * the first item that fails (a source that throws counts as failing at its position).
 */
export async function* rewrapStream<I extends RewrapItem>(
  client: Rewrapper,
  name: string,
  items: AsyncIterable<I> | Iterable<I>,
  opts: RewrapOptions = {},
): AsyncGenerator<{ item: I; ciphertext: Buffer; version: number | undefined }> {
  const limit = opts.concurrency ?? REWRAP_CONCURRENCY;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`invalid concurrency ${limit}: a whole number from 1`);
  }
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  // Every request in flight listens on it (fail-over, transport): not a leak.
  setMaxListeners(limit * 4 + 10, signal);
  const queue: Promise<Settled<I>>[] = [];
  const source = (Symbol.asyncIterator in items ? items : toAsync(items))[Symbol.asyncIterator]();
  let index = 0;
  let ended = false;
  try {
    for (;;) {
      while (!ended && queue.length < limit) {
        signal.throwIfAborted();
        const at = index++;
        let next: IteratorResult<I>;
        try {
          next = await source.next();
        } catch (err) {
          ended = true;
          queue.push(Promise.resolve({ ok: false, error: new RewrapError(at, err) }));
          break;
        }
        if (next.done) {
          ended = true;
          break;
        }
        const item = next.value;
        queue.push(
          client.rewrap(name, item.ciphertext, item.context, signal).then(
            (sealed): Settled<I> => ({ ok: true, item, sealed }),
            (err: unknown): Settled<I> => ({ ok: false, error: new RewrapError(at, err) }),
          ),
        );
      }
      const head = queue.shift();
      if (head === undefined) return;
      const done = await head;
      if (!done.ok) throw done.error;
      yield { item: done.item, ...done.sealed };
    }
  } finally {
    stop.abort();
    await source.return?.();
  }
}

async function* toAsync<I>(items: Iterable<I>): AsyncGenerator<I> {
  yield* items;
}
