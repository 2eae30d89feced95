import { describe, expect, it } from "vitest";
import { ConnectionError } from "./errors.js";
import { EndpointPool } from "./retry.js";

type Script = Record<string, Array<number | "net" | "fatal">>;

/** A pool whose attempts follow a script per endpoint; records calls and delays. */
function harness(endpoints: string[], script: Script, clock = { t: 0 }) {
  const calls: string[] = [];
  const delays: number[] = [];
  const pool = new EndpointPool(endpoints, {
    random: () => 0.5,
    now: () => clock.t,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  const attempt = async (e: string) => {
    calls.push(e);
    const next = script[e]?.shift() ?? 200;
    if (next === "net") throw new ConnectionError(e, "ECONNREFUSED", "refused");
    if (next === "fatal") throw new ConnectionError(e, "ERR_NOT_TLS", "not TLS", false);
    return { status: next };
  };
  return { pool, calls, delays, attempt, clock };
}

describe("EndpointPool (KES SDK retry semantics, kes-api.md §2.2)", () => {
  it.each([
    ["200 on the first try", { a: [200] }, ["a"], 200, 0],
    ["4xx is an answer, no fail-over", { a: [404] }, ["a"], 404, 0],
    ["501 is an answer, no fail-over", { a: [501] }, ["a"], 501, 0],
    ["500 moves on at once", { a: [500], b: [200] }, ["a", "b"], 200, 0],
    ["502 moves on at once", { a: [502], b: [200] }, ["a", "b"], 200, 0],
    ["503 retried twice on the same endpoint", { a: [503, 503, 200] }, ["a", "a", "a"], 200, 2],
    ["503 three times moves on", { a: [503, 503, 503], b: [200] }, ["a", "a", "a", "b"], 200, 2],
    ["network error retried twice", { a: ["net", "net", 200] }, ["a", "a", "a"], 200, 2],
    [
      "network error thrice moves on",
      { a: ["net", "net", "net"], b: [200] },
      ["a", "a", "a", "b"],
      200,
      2,
    ],
    ["all 5xx returns the last answer", { a: [500], b: [502] }, ["a", "b"], 502, 0],
    // keyfront: a failure a retry cannot cure (not TLS, certificate, timeout) moves on at once.
    [
      "non-retryable network error moves on at once",
      { a: ["fatal"], b: [200] },
      ["a", "b"],
      200,
      0,
    ],
  ] as const)("%s", async (_name, script, wantCalls, wantStatus, wantDelays) => {
    const h = harness(["a", "b"], structuredClone(script) as unknown as Script);
    // random 0.5 with two endpoints starts at index 1: make "a" first by ordering endpoints.
    const pool = new EndpointPool(["a", "b"], {
      random: () => 0,
      now: () => 0,
      sleep: async (ms) => {
        h.delays.push(ms);
      },
    });
    const answer = await pool.send(h.attempt);
    expect(answer.status).toBe(wantStatus);
    expect(h.calls).toEqual(wantCalls);
    expect(h.delays.length).toBe(wantDelays);
    for (const d of h.delays) expect(d).toBeGreaterThanOrEqual(200);
    for (const d of h.delays) expect(d).toBeLessThan(1000);
  });

  it("throws the network error when no endpoint answers", async () => {
    const h = harness(["a"], { a: ["net", "net", "net"] });
    await expect(h.pool.send(h.attempt)).rejects.toBeInstanceOf(ConnectionError);
    expect(h.calls).toEqual(["a", "a", "a"]);
  });

  it("benches a failed endpoint for 30 s and tries it last meanwhile", async () => {
    const h = harness(["a", "b"], { b: [500] });
    // random 0.5 → start at "b".
    expect((await h.pool.send(h.attempt)).status).toBe(200);
    expect(h.calls).toEqual(["b", "a"]);
    expect(h.pool.isBenched("b")).toBe(true);
    expect(h.pool.order()).toEqual(["a", "b"]);
    h.clock.t += 29_999;
    expect(h.pool.isBenched("b")).toBe(true);
    h.clock.t += 2;
    expect(h.pool.isBenched("b")).toBe(false);
    expect(h.pool.order()).toEqual(["b", "a"]);
  });

  it("never retries an abort", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    const pool = new EndpointPool(["a", "b"]);
    let calls = 0;
    const attempt = async (e: string): Promise<{ status: number }> => {
      calls++;
      throw new ConnectionError(e, "ECONNRESET", "reset by the abort");
    };
    await expect(pool.send(attempt, controller.signal)).rejects.toThrow("reset by the abort");
    expect(calls).toBe(1);
  });

  it("rejects an empty endpoint list", () => {
    expect(() => new EndpointPool([])).toThrow(/no server endpoint/);
  });
});
