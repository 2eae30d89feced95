// The route-timeout watchdog: expires what is past its deadline exactly once, never what was
// deleted first, and stops its interval once nothing is watched.

import fc from "fast-check";
import { expect, it } from "vitest";
import { WATCHDOG_TICK_MS } from "../limits.js";
import { Watchdog } from "./watchdog.js";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("expires items past their deadline once, leaves the others, and skips deleted ones", async () => {
  const expired: string[] = [];
  const dog = new Watchdog<{ deadline: number; watchSlot: number; name: string }>((i) =>
    expired.push(i.name),
  );
  const now = performance.now();
  const late = { deadline: now + 10, watchSlot: -1, name: "late" };
  const far = { deadline: now + 60_000, watchSlot: -1, name: "far" };
  const done = { deadline: now + 10, watchSlot: -1, name: "done" };
  dog.add(late);
  dog.add(far);
  dog.add(done);
  dog.delete(done);
  await wait(10 + WATCHDOG_TICK_MS * 4);
  expect(expired).toEqual(["late"]);
  expect(dog.size).toBe(1);
  dog.delete(far);
  await wait(WATCHDOG_TICK_MS * 3);
  expect(expired).toEqual(["late"]);
  dog.close();
});

it("stops ticking when nothing is watched and starts again on the next add", async () => {
  const expired: number[] = [];
  const dog = new Watchdog<{ deadline: number; watchSlot: number }>(() => expired.push(1));
  dog.add({ deadline: performance.now(), watchSlot: -1 });
  await wait(WATCHDOG_TICK_MS * 4);
  expect(expired.length).toBe(1);
  dog.add({ deadline: performance.now(), watchSlot: -1 });
  await wait(WATCHDOG_TICK_MS * 4);
  expect(expired.length).toBe(2);
  dog.close();
});

type Item = { deadline: number; watchSlot: number; id: number };

it("keeps its array and every item's slot consistent under any mix of adds and deletes", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.nat(15)), { maxLength: 200 }),
      (ops: [boolean, number][]) => {
        const dog = new Watchdog<Item>(() => undefined);
        const items = Array.from({ length: 16 }, (_, id) => ({
          deadline: 1e15,
          watchSlot: -1,
          id,
        }));
        const model = new Set<number>();
        for (const [add, id] of ops) {
          const item = items[id] as Item;
          if (add) {
            dog.add(item); // twice is once
            model.add(id);
          } else {
            dog.delete(item); // an item not watched is ignored
            model.delete(id);
          }
          expect(dog.size).toBe(model.size);
          for (const it of items) expect(it.watchSlot >= 0).toBe(model.has(it.id));
        }
        dog.close();
        for (const it of items) expect(it.watchSlot).toBe(-1);
      },
    ),
  );
});

it("expires each late item once even when an expiry deletes other items", async () => {
  const now = performance.now();
  const items: Item[] = Array.from({ length: 40 }, (_, id) => ({
    deadline: id % 3 === 0 ? now + 60_000 : now,
    watchSlot: -1,
    id,
  }));
  const expired: number[] = [];
  const dog = new Watchdog<Item>((item) => {
    expired.push(item.id);
    // As a timed-out request can end others: drop two items, late or not, from the watchdog.
    dog.delete(items[(item.id * 7) % 40] as Item);
    dog.delete(items[(item.id * 11 + 1) % 40] as Item);
  });
  for (const item of items) dog.add(item);
  await wait(WATCHDOG_TICK_MS * 4);
  expect(new Set(expired).size).toBe(expired.length);
  for (const id of expired) expect(id % 3).not.toBe(0);
  // Nothing late is left watched: each was expired or deleted.
  const lateLeft = items.filter((i) => i.id % 3 !== 0 && i.watchSlot >= 0);
  expect(lateLeft).toEqual([]);
  dog.close();
});
