// Replays the committed differential sequence against the Vault test server and compares the
// answers with the ones recorded from a real OpenBao (fixtures/*.json, each naming the OpenBao
// version and commit that produced it). A difference fails the test unless the fixture's
// allow-list names it with a reason. This is what keeps the test server honest in CI, where no
// real Vault runs.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultTestServer } from "../vault-server/server.js";
import { against, type Collected, collect, readFixture } from "./check.js";
import { compareAnswers, type Fixture, formatDifferences } from "./compare.js";

const isRecord = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
const FIXTURES = join(import.meta.dirname, "fixtures");
const UNSEAL_KEY = Buffer.alloc(32, 7).toString("base64");

let server: Awaited<ReturnType<typeof startVaultTestServer>>;
let got: Collected;
beforeAll(async () => {
  server = await startVaultTestServer({ enterprise: true, unsealKey: UNSEAL_KEY });
  got = await collect({
    addr: server.addr,
    token: server.rootToken,
    unsealKey: UNSEAL_KEY,
    namespaces: true,
  });
});
afterAll(async () => {
  await server?.close();
});

const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));

describe("the Vault test server answers like the recorded OpenBao", () => {
  it("has fixtures, each naming the OpenBao that produced it", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const { producer, answers } = readFixture(join(FIXTURES, f));
      expect(producer.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(producer.tag).not.toBe("unknown");
      expect(answers.length).toBeGreaterThan(100);
    }
  });

  for (const f of files) {
    it(`matches ${f} but for the documented allow-list`, () => {
      const diffs = against(readFixture(join(FIXTURES, f)), got);
      const unexplained = diffs.filter((d) => !d.allowed);
      expect(unexplained, formatDifferences(unexplained)).toEqual([]);
    });
  }

  it("runs every step of the sequence (none skipped with an unseal key and namespaces)", () => {
    expect(got.skipped).toEqual([]);
  });
});

describe("the comparison", () => {
  const fixture = (): Fixture => ({ ...readFixture(join(FIXTURES, files[0] ?? "")), allow: [] });

  it("reports a changed status, a changed body field and a missing step", () => {
    const f = fixture();
    const withBody = f.answers.findIndex((a, i) => i > 0 && isRecord(a.body));
    const last = f.answers.length - 1;
    const changed = f.answers.flatMap((a, i) => {
      if (i === 0) return [{ ...a, status: a.status + 1 }];
      if (i === withBody) return [{ ...a, body: { ...(a.body as object), extra: 1 } }];
      return i === last ? [] : [a];
    });
    const diffs = compareAnswers(f, changed);
    expect(diffs.map((d) => `${d.step} ${d.where}`)).toEqual([
      `${f.answers[0]?.step} status`,
      `${f.answers[withBody]?.step} body.extra`,
      `${f.answers[last]?.step} step`,
    ]);
  });

  it("marks a difference the allow-list names with its reason, and only that one", () => {
    const f = fixture();
    const [first, second, ...rest] = f.answers;
    if (!first || !second) throw new Error("fixture too short");
    f.allow = [{ step: first.step, where: "status", reason: "because" }];
    const diffs = compareAnswers(f, [
      { ...first, status: 599 },
      { ...second, status: 599 },
      ...rest,
    ]);
    expect(diffs.map((d) => d.allowed)).toEqual(["because", undefined]);
  });
});
