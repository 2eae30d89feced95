// Tests of the shared list pager: every page is exactly the sorted slice a full sort would give
// (seeded random name sets, prefixes, start points and page sizes), and the heap selection
// agrees with sorting.

import { describe, expect, it } from "vitest";
import { compareNames, pageNames, smallestSorted } from "./keystore.js";

function seeded(seed: number) {
  let x = seed;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const ALPHABET = "ab-_Z09";
function randomName(rand: (n: number) => number): string {
  let s = "";
  const len = 1 + rand(5);
  for (let i = 0; i < len; i++) s += ALPHABET[rand(ALPHABET.length)];
  return s;
}

describe("pageNames", () => {
  it("matches a full filter-and-sort on 300 seeded random cases", () => {
    const rand = seeded(0x9e3779b9);
    for (let c = 0; c < 300; c++) {
      const names = [...new Set(Array.from({ length: rand(400) }, () => randomName(rand)))];
      const prefix = rand(3) === 0 ? "" : randomName(rand).slice(0, 1 + rand(2));
      const startAt = rand(2) === 0 ? "" : randomName(rand);
      const limit = rand(4) === 0 ? 0 : 1 + rand(50);
      const want = names.filter((n) => n.startsWith(prefix) && n >= startAt).sort(compareNames);
      const size = limit > 0 ? limit : 1024;
      expect(pageNames(names, prefix, startAt, limit)).toEqual({
        names: want.slice(0, size),
        continueAt: want[size] ?? "",
      });
    }
  });

  it("walks every name exactly once by continueAt", () => {
    const names = Array.from({ length: 5000 }, (_, i) => `k${(i * 7919) % 5000}`);
    const seen: string[] = [];
    let next = "";
    do {
      const page = pageNames(names, "", next, 333);
      seen.push(...page.names);
      next = page.continueAt;
    } while (next !== "");
    expect(seen).toEqual([...names].sort(compareNames));
  });
});

describe("smallestSorted", () => {
  it("equals sort-then-slice for every k", () => {
    const rand = seeded(12345);
    const names = Array.from({ length: 200 }, () => randomName(rand));
    for (let k = 1; k <= 201; k++) {
      expect(smallestSorted([...names], k)).toEqual([...names].sort(compareNames).slice(0, k));
    }
  });
});
