// FdWriter on real file descriptors: batches land whole and in order, written buffers are reused
// (no allocation per batch), a full non-blocking pipe is waited for (EAGAIN, partial writes), and
// a reader that went away (EPIPE) or never reads (the queue's bound) is a fatal error, never a
// silent loss.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { AUDIT_BATCH_MAX, AUDIT_QUEUE_MAX } from "../limits.js";
import { FdWriter } from "./audit-writer.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

/** A batch of `n` lines "<tag>-<i>\n" made in a buffer taken from `w`. */
function batch(w: FdWriter, tag: string, n: number): { buf: Buffer; length: number; text: string } {
  const buf = w.take();
  let text = "";
  for (let i = 0; i < n; i++) text += `${tag}-${i}\n`;
  const length = buf.write(text, 0, "latin1");
  expect(length).toBe(text.length);
  return { buf, length, text };
}

/** The fd of the writing end of a pipe into a child that reads stdin after `delayMs` and echoes
 * the byte count it read on exit; the fd is the parent's end, non-blocking as libuv made it. */
function pipeInto(script: string): { child: ChildProcess; fd: number } {
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  expect(fd).toBeGreaterThan(2);
  return { child, fd };
}

it("writes batches in order to a file and reuses their buffers once written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kf-audit-writer-"));
  const file = join(dir, "audit.log");
  const fd = openSync(file, "w");
  try {
    const fatal: Error[] = [];
    const w = new FdWriter(fd, (e) => fatal.push(e));
    let expected = "";
    const seen = new Set<Buffer>();
    for (let round = 0; round < 20; round++) {
      for (let k = 0; k < 3; k++) {
        const b = batch(w, `r${round}k${k}`, 500 + round * 7);
        seen.add(b.buf);
        w.write(b.buf, b.length);
        expected += b.text;
      }
      await w.flushed(5_000);
      expect(w.waiting).toBe(0);
    }
    // 60 batches went through at most a handful of buffers: each written one was taken again.
    expect(seen.size).toBeLessThanOrEqual(4);
    expect(readFileSync(file, "latin1")).toBe(expected);
    expect(fatal).toEqual([]);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

it("waits for a full non-blocking pipe (EAGAIN, partial writes) and loses nothing", async () => {
  // The child reads nothing for 300 ms: the pipe (64 KiB) fills and writes get EAGAIN.
  const { child, fd } = pipeInto(
    `let n = 0; const h = require("node:crypto").createHash("sha256");
     setTimeout(() => process.stdin.on("data", (c) => { n += c.length; h.update(c); })
       .on("end", () => process.stdout.write(n + " " + h.digest("hex"))), 300);`,
  );
  const fatal: Error[] = [];
  const w = new FdWriter(fd, (e) => fatal.push(e));
  const { createHash } = await import("node:crypto");
  const h = createHash("sha256");
  let total = 0;
  for (let i = 0; i < 40; i++) {
    const b = batch(w, `p${i}`, 4_000);
    w.write(b.buf, b.length);
    h.update(b.text, "latin1");
    total += b.length;
  }
  expect(w.waiting).toBe(total);
  await w.flushed(20_000);
  expect(w.waiting).toBe(0);
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.stdin?.end();
  await exited;
  expect(out).toBe(`${total} ${h.digest("hex")}`);
  expect(fatal).toEqual([]);
});

it("is fatal when the reader went away (EPIPE), with the error named", async () => {
  // The child closes its end of the pipe and stays up (so the parent's end stays open too).
  const { child, fd } = pipeInto(
    'require("node:fs").closeSync(0); process.stdout.write("closed"); setInterval(() => {}, 1000)',
  );
  await new Promise((r) => child.stdout?.once("data", r));
  const fatal: Error[] = [];
  const w = new FdWriter(fd, (e) => fatal.push(e));
  const b = batch(w, "lost", 10);
  w.write(b.buf, b.length);
  for (let i = 0; i < 200 && fatal.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(fatal).toHaveLength(1);
  expect(fatal[0]?.message).toMatch(/^audit log: writing to fd \d+ failed: EPIPE/);
  // Once failed, it takes no more and reports no more.
  w.write(b.buf, b.length);
  expect(w.waiting).toBe(0);
  expect(fatal).toHaveLength(1);
});

it("is fatal when a reader that never reads lets more than the bound wait", () => {
  const { fd } = pipeInto("setInterval(() => {}, 1000)");
  const fatal: Error[] = [];
  const w = new FdWriter(fd, (e) => fatal.push(e));
  const b = batch(w, "x", 1);
  const full = Buffer.alloc(AUDIT_BATCH_MAX, 0x78);
  let given = 0;
  while (given <= AUDIT_QUEUE_MAX && fatal.length === 0) {
    w.write(full, full.length);
    given += full.length;
  }
  expect(fatal).toHaveLength(1);
  expect(fatal[0]?.message).toMatch(
    new RegExp(
      `^audit log: fd ${fd} has not taken \\d+ bytes of audit events \\(at most ${AUDIT_QUEUE_MAX} may wait\\)$`,
    ),
  );
  expect(given).toBeGreaterThan(AUDIT_QUEUE_MAX - AUDIT_BATCH_MAX); // not before the bound
  w.write(b.buf, b.length);
  expect(w.waiting).toBe(0);
});
