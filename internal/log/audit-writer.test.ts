// The audit log's writers on real file descriptors: a regular file and a FIFO (a real pipe, read by
// a child process). Batches land whole and in order, written buffers are reused (no allocation per
// batch), a reader that lags is waited for (EAGAIN, partial writes), and a reader that went away
// (EPIPE) or never reads (the queue's bound) is a fatal error, never a silent loss.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { AUDIT_BATCH_MAX, AUDIT_QUEUE_MAX } from "../limits.js";
import { type AuditSink, openAuditSink, StreamWriter, SyncWriter } from "./audit-writer.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kf-audit-writer-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A batch of `n` lines "<tag>-<i>\n" made in a buffer taken from `w`. */
function batch(
  w: AuditSink,
  tag: string,
  n: number,
): { buf: Buffer; length: number; text: string } {
  const buf = w.take();
  let text = "";
  for (let i = 0; i < n; i++) text += `${tag}-${i}\n`;
  const length = buf.write(text, 0, "latin1");
  expect(length).toBe(text.length);
  return { buf, length, text };
}

interface Fifo {
  path: string;
  /** The writing end, in this process, non-blocking. */
  fd: number;
  child: ChildProcess;
  /** What the child printed on stdout (it prints on exit). */
  output(): Promise<string>;
}

/**
 * A FIFO whose reading end a child process opens and runs `script` on (`fifo` is the path, `fs`
 * is node:fs). The writing end is opened here, non-blocking, once the child has opened its end.
 * It is left open when the test ends: a StreamWriter's libuv handle keeps using it, and closing
 * the number under libuv would let a later test's descriptor collide with it.
 */
async function fifoInto(script: string): Promise<Fifo> {
  const path = join(tempDir(), "audit.fifo");
  execFileSync("mkfifo", [path]);
  const child = spawn(
    process.execPath,
    ["-e", `const fs = require("node:fs"); const fifo = ${JSON.stringify(path)}; ${script}`],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  cleanups.push(() => child.kill("SIGKILL"));
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise((r) => child.once("exit", r));
  // Opening a FIFO's writing end without blocking fails (ENXIO) until a reader has it open.
  for (let i = 0; ; i++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      return { path, fd, child, output: () => exited.then(() => out) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENXIO" || i > 1000) throw err;
      await tick(10);
    }
  }
}

/** The last line writeMany writes: the slow reader stops when what it read ends with it. */
const END = "end\n";

/**
 * A reader that starts reading after `delayMs`, reads until the data ends with END, and prints
 * the bytes it read and their SHA-256. Its end is open from the start, so the writer can open its.
 */
const slowReader = (delayMs: number): string =>
  `const fd = fs.openSync(fifo, "r");
   setTimeout(() => { let n = 0; let tail = "";
     const h = require("node:crypto").createHash("sha256"); const b = Buffer.alloc(65536);
     while (!tail.endsWith(${JSON.stringify(END)})) {
       let k = 0;
       try { k = fs.readSync(fd, b); } catch (e) { if (e.code === "EAGAIN") continue; throw e; }
       if (k === 0) break;
       n += k; h.update(b.subarray(0, k)); tail = (tail + b.toString("latin1", 0, k)).slice(-8);
     }
     process.stdout.write(n + " " + h.digest("hex")); }, ${delayMs});`;

/** Writes `batches` batches of `lines` lines, then END; returns the bytes and their SHA-256. */
function writeMany(w: AuditSink, batches: number, lines: number): { total: number; sha: string } {
  const h = createHash("sha256");
  let total = 0;
  const give = (b: { buf: Buffer; length: number; text: string }) => {
    w.write(b.buf, b.length);
    h.update(b.text, "latin1");
    total += b.length;
  };
  for (let i = 0; i < batches; i++) give(batch(w, `p${i}`, lines));
  const end = w.take();
  give({ buf: end, length: end.write(END, "latin1"), text: END });
  return { total, sha: h.digest("hex") };
}

it("writes a regular file synchronously, in order, reusing written buffers", async () => {
  const file = join(tempDir(), "audit.log");
  const fd = openSync(file, "w");
  cleanups.push(() => closeSync(fd));
  const fatal: Error[] = [];
  const w = openAuditSink(fd, (e) => fatal.push(e));
  expect(w).toBeInstanceOf(SyncWriter);
  let expected = "";
  const seen = new Set<Buffer>();
  for (let round = 0; round < 20; round++) {
    for (let k = 0; k < 3; k++) {
      const b = batch(w, `r${round}k${k}`, 500 + round * 7);
      seen.add(b.buf);
      w.write(b.buf, b.length);
      expected += b.text;
      // Written before write() returns: on the event loop, with no hand-off to a thread.
      expect(w.waiting).toBe(0);
      expect(readFileSync(file, "latin1")).toBe(expected);
    }
  }
  // 60 batches went through one buffer: each written one was taken again.
  expect(seen.size).toBe(1);
  await w.flushed(5_000);
  expect(fatal).toEqual([]);
});

it("writes a pipe through a stream that waits for a lagging reader and loses nothing", async () => {
  const f = await fifoInto(slowReader(300));
  const fatal: Error[] = [];
  const w = openAuditSink(f.fd, (e) => fatal.push(e));
  expect(w).toBeInstanceOf(StreamWriter);
  // 40 batches of ~40 KiB: far more than the pipe holds (64 KiB) while the reader waits.
  const { total, sha } = writeMany(w, 40, 4_000);
  expect(w.waiting).toBeGreaterThan(64 * 1024);
  await w.flushed(20_000);
  expect(w.waiting).toBe(0);
  expect(await f.output()).toBe(`${total} ${sha}`);
  expect(fatal).toEqual([]);
});

it("reuses a pipe's written buffers too", async () => {
  const f = await fifoInto(slowReader(0));
  const w = openAuditSink(f.fd, () => undefined);
  const seen = new Set<Buffer>();
  for (let i = 0; i < 30; i++) {
    const b = batch(w, `q${i}`, 100);
    seen.add(b.buf);
    w.write(b.buf, b.length);
    await w.flushed(5_000);
  }
  expect(seen.size).toBe(1);
});

it("keeps every line whole when two writers share a pipe whose reader lags (server.workers)", async () => {
  // Two writers on one FIFO, as two workers on one stdout; the reader takes 4 KiB at a time with
  // pauses, so the pipe stays full and writes land in parts. Each line says who wrote it, its
  // number and its length: the reader counts the lines that do not say so of themselves.
  const f = await fifoInto(
    `const fd = fs.openSync(fifo, "r"); const b = Buffer.alloc(4096);
     const pause = new Int32Array(new SharedArrayBuffer(4)); let text = "";
     setTimeout(() => {
       let ends = 0;
       while (ends < 2) {
         const k = fs.readSync(fd, b); if (k === 0) break;
         const from = Math.max(0, text.length - 4);
         text += b.toString("latin1", 0, k); Atomics.wait(pause, 0, 0, 2);
         for (let at = from; (at = text.indexOf("-end\\n", at) + 1) > 0; ) ends++;
       }
       const lines = text.split("\\n"); lines.pop();
       const next = { w1: 0, w2: 0 }; let broken = 0;
       for (const l of lines) {
         const m = /^(w[12])-(\\d+)-(\\d+)-x*$/.exec(l);
         if (l.endsWith("-end")) continue;
         if (!m || Number(m[3]) !== l.length || Number(m[2]) !== next[m[1]]++) broken++;
       }
       process.stdout.write(JSON.stringify({ lines: lines.length, broken, next }));
     }, 100);`,
  );
  const second = openSync(f.path, constants.O_WRONLY | constants.O_NONBLOCK);
  const writers = [f.fd, second].map((fd) => openAuditSink(fd, () => undefined, { shared: true }));
  const perWriter = 2_000;
  for (const [k, w] of writers.entries()) {
    let i = 0;
    while (i < perWriter) {
      const buf = w.take();
      let at = 0;
      for (; i < perWriter && at < 20_000; i++) {
        const length = 60 + ((i * 37) % 250);
        const head = `w${k + 1}-${i}-${length}-`;
        at += buf.write(`${head}${"x".repeat(length - head.length)}\n`, at, "latin1");
      }
      w.write(buf, at);
    }
  }
  for (const [k, w] of writers.entries()) {
    const end = w.take();
    w.write(end, end.write(`w${k + 1}-end\n`, "latin1"));
  }
  await Promise.all(writers.map((w) => w.flushed(30_000)));
  const got = JSON.parse(await f.output());
  expect(got).toEqual({
    lines: 2 * perWriter + 2,
    broken: 0,
    next: { w1: perWriter, w2: perWriter },
  });
});

it("retries a synchronous write that gets EAGAIN and loses nothing", async () => {
  // A SyncWriter on a non-blocking descriptor that fills up: what a terminal someone else made
  // non-blocking does. The FIFO stands in for it.
  const f = await fifoInto(slowReader(300));
  const fatal: Error[] = [];
  const w = new SyncWriter(f.fd, (e) => fatal.push(e));
  const { total, sha } = writeMany(w, 40, 4_000);
  expect(w.waiting).toBeGreaterThan(0); // the pipe filled: the rest waits for the retry
  await w.flushed(20_000);
  expect(w.waiting).toBe(0);
  expect(await f.output()).toBe(`${total} ${sha}`);
  expect(fatal).toEqual([]);
});

/** A reader that opens its end, closes it at once and stays up. */
const goneReader = `fs.closeSync(fs.openSync(fifo, "r")); setInterval(() => {}, 1000);`;

for (const [name, make] of [
  ["a stream", (fd: number, f: (e: Error) => void) => openAuditSink(fd, f)],
  ["a synchronous writer", (fd: number, f: (e: Error) => void) => new SyncWriter(fd, f)],
] as const) {
  it(`is fatal for ${name} when the reader went away (EPIPE), and keeps the descriptor open`, async () => {
    const f = await fifoInto(goneReader);
    await tick(200); // the reader has closed its end
    const fatal: Error[] = [];
    const w = make(f.fd, (e) => fatal.push(e));
    const b = batch(w, "lost", 10);
    w.write(b.buf, b.length);
    for (let i = 0; i < 200 && fatal.length === 0; i++) await tick(10);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]?.message).toMatch(/^audit log: writing to fd \d+ failed: EPIPE/);
    // Once failed, it takes no more, reports no more, and flushed() does not wait.
    w.write(b.buf, b.length);
    expect(w.waiting).toBe(0);
    await w.flushed(60_000);
    expect(fatal).toHaveLength(1);
    // The descriptor was not closed: a later connection must never get stdout's number.
    expect(fstatSync(f.fd).isFIFO()).toBe(true);
  });
}

it("is fatal when a reader that never reads lets more than the bound wait", async () => {
  const f = await fifoInto(`fs.openSync(fifo, "r"); setInterval(() => {}, 1000);`);
  const fatal: Error[] = [];
  const w = openAuditSink(f.fd, (e) => fatal.push(e));
  const full = Buffer.alloc(AUDIT_BATCH_MAX, 0x78);
  let given = 0;
  while (given <= AUDIT_QUEUE_MAX && fatal.length === 0) {
    w.write(full, full.length);
    given += full.length;
  }
  expect(fatal).toHaveLength(1);
  expect(fatal[0]?.message).toMatch(
    new RegExp(
      `^audit log: fd ${f.fd} has not taken \\d+ bytes of audit events \\(at most ${AUDIT_QUEUE_MAX} may wait\\)$`,
    ),
  );
  expect(given).toBeGreaterThan(AUDIT_QUEUE_MAX - AUDIT_BATCH_MAX); // not before the bound
  expect(w.waiting).toBe(0);
});

it("gives up waiting in flushed() after the time given, and says what still waits", async () => {
  const f = await fifoInto(`fs.openSync(fifo, "r"); setInterval(() => {}, 1000);`);
  const w = openAuditSink(f.fd, () => undefined);
  const { total } = writeMany(w, 8, 4_000); // ~300 KiB: more than the pipe takes
  const t0 = Date.now();
  await w.flushed(200);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  expect(w.waiting).toBeGreaterThan(0);
  expect(w.waiting).toBeLessThan(total);
});

it("refuses a descriptor that is not open", () => {
  const fd = openSync(join(tempDir(), "x"), "w");
  closeSync(fd);
  expect(() => openAuditSink(fd, () => undefined)).toThrow(
    new RegExp(`^audit log: cannot write to fd ${fd}: EBADF`),
  );
});
