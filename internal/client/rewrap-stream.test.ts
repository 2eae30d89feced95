// rewrapStream with a scripted stand-in for the server: answers arrive in any order, the results
// come out in input order, no more than `concurrency` requests are ever in flight, and the first
// failure (server or source) ends the stream with its position after every earlier result.

import { describe, expect, it } from "vitest";
import { ErrDecrypt, KeyfrontError } from "./errors.js";
import { RewrapError, type RewrapItem, rewrapStream } from "./rewrap-stream.js";
import type { Sealed } from "./types.js";

/** Each request waits until the test releases it (by index); it records what was in flight. */
function scripted(fail: Set<number> = new Set()) {
  const pending = new Map<number, () => void>();
  const aborted: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = {
    calls: 0,
    async rewrap(_name: string, ct: Uint8Array, _ctx?: unknown, signal?: AbortSignal) {
      const i = ct[0] as number;
      server.calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const onAbort = () => {
        aborted.push(i);
        pending.get(i)?.();
      };
      signal?.addEventListener("abort", onAbort);
      try {
        await new Promise<void>((resolve) => pending.set(i, resolve));
      } finally {
        inFlight--;
        pending.delete(i);
        signal?.removeEventListener("abort", onAbort);
      }
      signal?.throwIfAborted();
      if (fail.has(i)) throw new KeyfrontError(ErrDecrypt.status, ErrDecrypt.message);
      return { ciphertext: Buffer.from([i, 0xff]), version: 2 } satisfies Sealed;
    },
  };
  /** Releases every waiting request, newest first (the reverse of the input order). */
  const releaseAll = () => {
    const waiting = [...pending.entries()].sort(([a], [b]) => b - a);
    pending.clear();
    for (const [, go] of waiting) go();
  };
  const release = (i: number) => pending.get(i)?.();
  return { server, pending, release, releaseAll, aborted, maxInFlight: () => maxInFlight };
}

const items = (n: number): RewrapItem[] =>
  Array.from({ length: n }, (_, i) => ({ ciphertext: Buffer.from([i]) }));

/** Drives the stream, releasing the waiting requests whenever it stalls: results, then any error. */
async function drain(gen: AsyncGenerator<{ ciphertext: Buffer }>, release: () => void) {
  const out: number[] = [];
  const timer = setInterval(release, 1);
  try {
    for await (const r of gen) out.push(r.ciphertext[0] as number);
    return { out, err: undefined };
  } catch (err) {
    return { out, err };
  } finally {
    clearInterval(timer);
  }
}

describe("rewrapStream", () => {
  it("yields every result in input order with answers arriving in reverse", async () => {
    const s = scripted();
    const { out, err } = await drain(
      rewrapStream(s.server, "k", items(50), { concurrency: 4 }),
      s.releaseAll,
    );
    expect(err).toBeUndefined();
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(s.maxInFlight()).toBeLessThanOrEqual(4);
    expect(s.maxInFlight()).toBeGreaterThan(1);
  });

  it("ends at the first failing item, naming its position, after every earlier result", async () => {
    const s = scripted(new Set([7, 9]));
    const { out, err } = await drain(
      rewrapStream(s.server, "k", items(30), { concurrency: 3 }),
      s.releaseAll,
    );
    expect(err).toBeInstanceOf(RewrapError);
    expect((err as RewrapError).index).toBe(7);
    expect((err as RewrapError).message).toBe(ErrDecrypt.message);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.server.calls).toBeLessThanOrEqual(7 + 3);
  });

  it("a source that throws fails at its position, after the items before it", async () => {
    const s = scripted();
    async function* source() {
      yield* items(5);
      throw new Error("line 6 is not base64");
    }
    const { out, err } = await drain(
      rewrapStream(s.server, "k", source(), { concurrency: 8 }),
      s.releaseAll,
    );
    expect(err).toBeInstanceOf(RewrapError);
    expect((err as RewrapError).index).toBe(5);
    expect((err as RewrapError).message).toBe("line 6 is not base64");
    expect(out).toEqual([0, 1, 2, 3, 4]);
  });

  it("a consumer that stops early aborts the requests still in flight", async () => {
    const s = scripted();
    const gen = rewrapStream(s.server, "k", items(10), { concurrency: 5 });
    const first = gen.next();
    while (s.pending.size < 5) await new Promise((r) => setTimeout(r, 1));
    s.release(0);
    expect((await first).value?.ciphertext[0]).toBe(0);
    await gen.return(undefined);
    expect(s.aborted.sort()).toEqual([1, 2, 3, 4]);
  });

  it("refuses a concurrency that is not a whole number from 1", async () => {
    const s = scripted();
    await expect(rewrapStream(s.server, "k", items(1), { concurrency: 0 }).next()).rejects.toThrow(
      /invalid concurrency 0/,
    );
  });
});
