// Audit events as JSON lines: what a reader parses back is exactly the event (any path, address
// or identity, non-ASCII included, written as escapes so a line is pure ASCII), `time` is what
// Date#toISOString would write, and batches reach the sink whole, in order, and on flush.

import fc from "fast-check";
import { expect, it } from "vitest";
import { AUDIT_BATCH_MAX } from "../limits.js";
import {
  type AuditEvent,
  AuditLog,
  isoTime,
  jsonString,
  lineBound,
  renderAuditEvent,
  writeAuditEvent,
} from "./audit.js";
import type { AuditSink } from "./audit-writer.js";
import { LogHub } from "./hub.js";

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  method: "POST",
  path: "/v1/key/decrypt/my-key",
  ip: "127.0.0.1",
  identity: "3ecfcdf38fc9b1d1ae1ffa7d7a1f7c9a5f1b2fcd53d8d1f6a0e5a1b2c3d4e5f6",
  proxy: undefined,
  code: 200,
  version: undefined,
  time: Date.UTC(2026, 10, 26, 12, 0, 0, 7),
  durationUs: 1234,
  ...over,
});

/** An audit log's onError in tests where no event may fail: the failure fails the test. */
const raise = (err: unknown): never => {
  throw err;
};

/**
 * A sink that keeps a copy of every chunk it is given, and hands out its buffers again once
 * "written", as the writers in audit-writer.ts do: a line read from a buffer after it was handed over would show.
 */
function collector(): AuditSink & { chunks: Buffer[]; text(): string } {
  const chunks: Buffer[] = [];
  const free: Buffer[] = [];
  return {
    chunks,
    text: () => Buffer.concat(chunks).toString("utf8"),
    take: () => free.pop() ?? Buffer.alloc(AUDIT_BATCH_MAX),
    write: (buf: Buffer, length: number) => {
      chunks.push(Buffer.from(buf.subarray(0, length)));
      buf.fill(0x23); // "#": reused from here on
      if (buf.length === AUDIT_BATCH_MAX) free.push(buf);
    },
    flushed: async () => {},
    waiting: 0,
  };
}

it("writes time exactly as Date#toISOString, for any millisecond from 1970 to 9999", () => {
  const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  for (const ms of [
    0,
    1,
    999,
    86_399_999,
    86_400_000,
    Date.UTC(2000, 1, 29),
    Date.UTC(2100, 2, 1),
    last,
  ]) {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: last }), (ms) => {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }),
    { numRuns: 20_000 },
  );
  // Outside that range it still says what Date says, never a wrong date.
  expect(isoTime(-1)).toBe(new Date(-1).toISOString());
  expect(isoTime(last + 1)).toBe(new Date(last + 1).toISOString());
});

it("renders any event as one ASCII line that parses back to the event", () => {
  const text = fc.string({ unit: "binary", maxLength: 40 }); // any UTF-16, lone surrogates too
  fc.assert(
    fc.property(
      text,
      text,
      text,
      fc.option(fc.record({ identity: text, ip: text }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 0xffff_ffff }), { nil: undefined }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.constantFrom(200, 400, 403, 404, 500, 503),
      fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
      (path, ip, identity, proxy, version, durationUs, code, time) => {
        const line = renderAuditEvent(
          event({ path, ip, identity, proxy, version, durationUs, code, time }),
        );
        expect(line.endsWith("\n")).toBe(true);
        expect(line.slice(0, -1)).not.toContain("\n");
        expect(/^[\x20-\x7f]*\n$/.test(line)).toBe(true); // ASCII: one byte per character
        const got = JSON.parse(line);
        expect(got.request).toEqual({
          ip: JSON.parse(JSON.stringify(ip)),
          method: "POST",
          path: JSON.parse(JSON.stringify(path)),
          ...(identity === "" ? {} : { identity: JSON.parse(JSON.stringify(identity)) }),
          ...(proxy === undefined ? {} : { proxy: JSON.parse(JSON.stringify(proxy)) }),
        });
        expect(got.response).toEqual({
          code,
          time: durationUs * 1000,
          ...(version === undefined ? {} : { version }),
        });
        expect(got.time).toBe(new Date(time).toISOString());
      },
    ),
    { numRuns: 2_000 },
  );
});

it("renders each of a run of events as itself, whatever it shares with the one before", () => {
  // Few values of each field, so that one event shares its line start (time, address, method,
  // path, identity) with the one before, or all of it but one field, or nothing.
  const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
  const ev = fc.record({
    time: pick(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2027, 5, 30, 23, 59, 59)),
    ip: pick("127.0.0.1", "::1", "10.0.0.2"),
    method: pick("POST", "GET"),
    path: pick("/v1/key/generate/a", "/v1/key/generate/b", "/v1/key/decrypt/a", "/é", 'q"'),
    identity: pick("", "3ecf", "a".repeat(64), "b".repeat(600)),
    proxy: fc.option(fc.record({ identity: pick("p1", "p2"), ip: pick("10.1.1.1") }), {
      nil: undefined,
    }),
    code: pick(200, 404),
    durationUs: fc.integer({ min: 0, max: 10_000 }),
  });
  fc.assert(
    fc.property(fc.array(ev, { minLength: 1, maxLength: 30 }), (events) => {
      const b = Buffer.alloc(AUDIT_BATCH_MAX);
      let at = 0;
      for (const e of events) at = writeAuditEvent(event(e), b, at);
      const lines = b.toString("latin1", 0, at).split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.map((l) => JSON.parse(l))).toEqual(
        events.map((e) => ({
          time: new Date(e.time).toISOString(),
          request: {
            ip: e.ip,
            method: e.method,
            path: e.path,
            ...(e.identity === "" ? {} : { identity: e.identity }),
            ...(e.proxy === undefined ? {} : { proxy: e.proxy }),
          },
          response: { code: e.code, time: e.durationUs * 1000 },
        })),
      );
    }),
    { numRuns: 2_000 },
  );
});

it("escapes what JSON must and non-ASCII, and leaves plain text as it is", () => {
  expect(jsonString("/v1/key/create/a-b_c.1")).toBe('"/v1/key/create/a-b_c.1"');
  expect(jsonString('q"b\\s')).toBe('"q\\"b\\\\s"');
  expect(jsonString("tab\there\n")).toBe('"tab\\there\\n"');
  expect(jsonString("é😀")).toBe('"\\u00e9\\ud83d\\ude00"');
  expect(jsonString("\u{7f}")).toBe('"\u{7f}"');
  // The same address and identity twice in a row give the same text (the memo), and so do new ones.
  const a = renderAuditEvent(event({ ip: "10.0.0.1" }));
  const b = renderAuditEvent(event({ ip: "10.0.0.2", identity: "" }));
  const c = renderAuditEvent(event({ ip: "10.0.0.1", identity: 'x"y' }));
  expect(JSON.parse(a).request.ip).toBe("10.0.0.1");
  expect(JSON.parse(b).request.ip).toBe("10.0.0.2");
  expect(JSON.parse(b).request.identity).toBeUndefined();
  expect(JSON.parse(c).request).toMatchObject({ ip: "10.0.0.1", identity: 'x"y' });
  // A duration of zero is the number 0, not "0000".
  expect(JSON.parse(renderAuditEvent(event({ durationUs: 0 }))).response.time).toBe(0);
  // A line longer than the scratch buffer, and a short one after it, both whole.
  const long = `/v1/key/list/${"é".repeat(5000)}`;
  expect(JSON.parse(renderAuditEvent(event({ path: long }))).request.path).toBe(long);
  expect(JSON.parse(renderAuditEvent(event())).request.path).toBe("/v1/key/decrypt/my-key");
});

/** The end of the current event-loop turn: the audit log has rendered what was recorded in it. */
const turn = () => new Promise<void>((r) => setImmediate(r));

it("batches lines in order, splits batches at the buffer's size, and writes all on flush", async () => {
  const out = collector();
  const hub = new LogHub();
  const log = new AuditLog(hub, out, raise);
  const paths: string[] = [];
  // Enough events to fill several batches, with lengths that do not divide the buffer evenly.
  for (let i = 0; paths.length * 150 < AUDIT_BATCH_MAX * 3; i++) {
    const path = `/v1/key/generate/${"k".repeat(i % 97)}-${i}`;
    paths.push(path);
    log.record(event({ path }));
  }
  // A line longer than a whole batch goes out on its own, after everything before it.
  const huge = `/v1/key/create/${"h".repeat(AUDIT_BATCH_MAX + 10)}`;
  paths.push(huge);
  log.record(event({ path: huge }));
  paths.push("/v1/status");
  log.record(event({ path: "/v1/status", method: "GET" }));
  expect(out.chunks.length).toBe(0); // nothing rendered in the turn that recorded
  await turn();
  expect(out.chunks.length).toBeGreaterThanOrEqual(4); // written as batches filled, before flush
  for (const c of out.chunks.slice(0, -1))
    expect(c.length).toBeLessThanOrEqual(AUDIT_BATCH_MAX + 200);
  log.flush();
  const lines = out.text().split("\n");
  expect(lines.pop()).toBe("");
  expect(lines.map((l) => JSON.parse(l).request.path)).toEqual(paths);
  log.flush(); // nothing waiting: writes nothing more
  expect(out.text().split("\n").length).toBe(paths.length + 1);
});

it("writes a batch within its time bound without a flush, and not at all when off", async () => {
  const out = collector();
  const log = new AuditLog(new LogHub(), out, raise);
  log.record(event());
  expect(out.chunks.length).toBe(0);
  await new Promise((r) => setTimeout(r, 50));
  expect(out.text().split("\n").length).toBe(2);
  // Off (no sink) and nobody listening: inactive, and a recorded event renders nowhere.
  const hub = new LogHub();
  const quiet = new AuditLog(hub, undefined, raise);
  expect(quiet.active).toBe(false);
  quiet.record(event());
  const heard: string[] = [];
  hub.subscribe({ write: (l) => heard.push(l) > 0, close: () => {} });
  await turn();
  quiet.flush();
  expect(heard).toEqual([]); // recorded while nobody listened: not queued for a later listener
});

it("gives subscribers the same line it writes", () => {
  const out = collector();
  const hub = new LogHub();
  const got: string[] = [];
  hub.subscribe({ write: (l) => got.push(l) > 0, close: () => {} });
  const log = new AuditLog(hub, out, raise);
  log.record(event({ path: "/v1/key/list/é*" }));
  expect(got).toEqual([]); // heard at the end of the turn, not on the request's path
  log.flush();
  expect(got).toEqual([out.text()]);
});

it("writes what was stamped when recorded, and a failed event does not stop the others", async () => {
  const out = collector();
  const failures: unknown[] = [];
  const log = new AuditLog(new LogHub(), out, (err) => failures.push(err));
  const stamped = event({ time: Date.UTC(2020, 0, 2, 3, 4, 5, 6), durationUs: 42, code: 403 });
  log.record(stamped);
  const broken = {
    ...event(),
    get path(): string {
      throw new Error("no path");
    },
  };
  log.record(broken);
  log.record(event({ path: "/v1/after" }));
  await turn();
  log.flush();
  const lines = out
    .text()
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.request.path)).toEqual(["/v1/key/decrypt/my-key", "/v1/after"]);
  expect(lines[0].time).toBe("2020-01-02T03:04:05.006Z");
  expect(lines[0].response).toEqual({ code: 403, time: 42_000 });
  expect(failures).toHaveLength(1);
  expect(String(failures[0])).toContain("no path");
});

it("writes each line within its bound, the same bytes to stdout and to subscribers", () => {
  // The worst cases for the bound: every character escaped to six, the longest numbers.
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: fc.constantFrom("\u0001", "\udc00", "é", '"'), maxLength: 40 }),
  );
  const num = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.constantFrom(0, 9, 10, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -1, 1.5),
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          method: fc.constantFrom("GET", "POST", "DELETE", "M\u00e9"),
          time: fc.integer({ min: 0, max: 2 ** 45 }),
          path: text,
          ip: text,
          identity: text,
          proxy: fc.option(fc.record({ identity: text, ip: text }), { nil: undefined }),
          version: fc.option(num, { nil: undefined }),
          durationUs: num,
          code: num,
        }),
        { minLength: 1, maxLength: 8 },
      ),
      (events) => {
        const out = collector();
        const hub = new LogHub();
        const heard: string[] = [];
        hub.subscribe({ write: (l) => heard.push(l) > 0, close: () => {} });
        const log = new AuditLog(hub, out, raise);
        for (const e of events) {
          const b = Buffer.alloc(lineBound(e) + 8, 0xff);
          const end = writeAuditEvent(e, b, 3);
          expect(end - 3).toBeLessThanOrEqual(lineBound(e));
          expect(b.subarray(end).every((x) => x === 0xff)).toBe(true); // nothing past its end
          const line = b.toString("latin1", 3, end);
          expect(renderAuditEvent(e)).toBe(line);
          const got = JSON.parse(line);
          expect(got.request.path).toBe(JSON.parse(JSON.stringify(e.path)));
          expect(got.request.method).toBe(e.method);
          expect(got.response.code).toBe(e.code);
          log.record(e);
        }
        log.flush();
        expect(out.text()).toBe(heard.join(""));
      },
    ),
    { numRuns: 1_000 },
  );
});
