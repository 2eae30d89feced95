// Writes the audit log's batches to a file descriptor (stdout), in order, from the event loop, from
// a few buffers used over and over (issue 11).
//
// From the event loop, never libuv's thread pool. A pool write costs a hand-off per batch: the
// pool thread is woken, writes, and wakes the loop again; on this 2-core VM each wake-up takes
// CPU from the server or from whatever shares the cores. With both servers loaded at once (which
// takes the VM's slow and fast spells out of each pair), audit on against audit off measured
// 0.956x req/s with pool writes to a file and 0.984x with the same batches written on the loop (10
// fresh pairs each, generate @64). So:
// - a pipe or a socket (systemd's journal, a container runtime, `| tee`) gets a libuv stream
//   (StreamWriter): libuv makes the descriptor non-blocking and writes on the loop; while the
//   reader lags, it waits for the pipe to take more with epoll, never by blocking the loop;
// - anything else (a regular file, /dev/null, a terminal) is written with writeSync (SyncWriter):
//   a write to a local file lands in the page cache and returns. A disk that stops taking writes
//   stalls the server, as it would stall any synchronous logger, rather than let events pile up.
//
// Buffers: before, each batch was a fresh 64 KiB buffer handed to sonic-boom, which kept the last
// one it wrote; batches lived through two scavenges into old space with their 64 KiB outside the
// JS heap, and only a mark-compact freed them (one every 2-6 s under a steady decrypt load, none
// with the audit log off). A written buffer now goes back to a free list and the next batch is made
// in it: no allocation per batch once the few buffers exist.
//
// Failures are never silent. EAGAIN (a non-blocking descriptor that is full) is waited for. Any
// other write error (EPIPE: nobody reads stdout; ENOSPC; EIO), or more than AUDIT_QUEUE_MAX bytes
// of events waiting because stdout does not take them, is fatal: `onFatal` hears it, and the server
// exits through its fatal path rather than serve requests it cannot audit (Vault too refuses
// requests when no audit device can log them). Before, pino's destination swallowed EPIPE and made
// its writes no-ops: the server went on answering with its audit log silently off.

import { fstatSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { AUDIT_BATCH_MAX, AUDIT_QUEUE_MAX, AUDIT_RETRY_MAX_MS, AUDIT_RETRY_MS } from "../limits.js";

/** Where the audit log's batches go: one of the writers here, or a test's collector. */
export interface AuditSink {
  /** A buffer of AUDIT_BATCH_MAX bytes to make the next batch in. */
  take(): Buffer;
  /**
   * Writes `buf[0, length)` after everything written before; `buf` belongs to the sink from now
   * on (a buffer of take()'s size is reused once written).
   */
  write(buf: Buffer, length: number): void;
  /** Resolves once everything given to write() is written, failed, or `ms` have passed. */
  flushed(ms: number): Promise<void>;
  /** Bytes given to write() and not written yet. */
  readonly waiting: number;
}

/**
 * The audit log's writer for `fd`, chosen by what the descriptor is (see the top of this file).
 * Throws when `fd` is not open. (Node itself opens /dev/null on a standard descriptor that is
 * closed when it starts, so a server started with stdout closed writes its audit log there.)
 */
export function openAuditSink(
  fd: number,
  onFatal: (err: Error) => void,
  opts: { shared?: boolean } = {},
): AuditSink {
  let stat: ReturnType<typeof fstatSync>;
  try {
    stat = fstatSync(fd);
  } catch (err) {
    throw new Error(`audit log: cannot write to fd ${fd}: ${describe(err)}`);
  }
  if (stat.isFIFO() || stat.isSocket()) {
    try {
      return new StreamWriter(fd, onFatal, opts.shared === true);
    } catch {
      // Not a stream libuv can drive (a datagram socket): written synchronously, and its first
      // write's error, if any, is fatal as any other.
    }
  }
  return new SyncWriter(fd, onFatal);
}

/** Free buffers kept for reuse: a batch in the making, one being written, one waiting, spares. */
const FREE_MAX = 4;

/** A write error as "CODE: message" (the code is what an operator searches for). */
function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  return e?.code === undefined || message.startsWith(e.code) ? message : `${e.code}: ${message}`;
}

/** What both writers share: the buffers, the bytes waiting and their bound, failure, flushed(). */
abstract class BatchWriter implements AuditSink {
  protected failed: Error | undefined = undefined;
  private queuedBytes = 0;
  private readonly free: Buffer[] = [];
  /** flushed() calls waiting for queuedBytes to reach 0 (or a failure). */
  private readonly waiters = new Set<() => void>();

  constructor(
    protected readonly fd: number,
    private readonly onFatal: (err: Error) => void,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(AUDIT_BATCH_MAX);
  }

  write(buf: Buffer, length: number): void {
    if (this.failed !== undefined || length === 0) return;
    this.queuedBytes += length;
    if (this.queuedBytes > AUDIT_QUEUE_MAX) {
      this.fail(
        `fd ${this.fd} has not taken ${this.queuedBytes} bytes of audit events (at most ${AUDIT_QUEUE_MAX} may wait)`,
      );
      return;
    }
    this.send(buf, length);
  }

  /** Writes `buf[0, length)` after what was sent before; calls written() as bytes go out. */
  protected abstract send(buf: Buffer, length: number): void;

  get waiting(): number {
    return this.queuedBytes;
  }

  flushed(ms: number): Promise<void> {
    if (this.queuedBytes === 0 || this.failed !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** `n` more bytes are written; `whole` is the buffer of a batch now written to its end. */
  protected written(n: number, whole?: Buffer): void {
    this.queuedBytes -= n;
    // Only buffers of take()'s size come back (a line longer than a batch had one of its own).
    if (whole?.length === AUDIT_BATCH_MAX && this.free.length < FREE_MAX) this.free.push(whole);
    if (this.queuedBytes === 0) this.wake();
  }

  protected fail(message: string): void {
    if (this.failed !== undefined) return;
    this.failed = new Error(`audit log: ${message}`);
    this.queuedBytes = 0;
    this.stopped();
    this.wake();
    this.onFatal(this.failed);
  }

  protected failWrite(err: unknown): void {
    this.fail(`writing to fd ${this.fd} failed: ${describe(err)}`);
  }

  /** After a failure: let go of what is still queued. */
  protected abstract stopped(): void;

  private wake(): void {
    for (const done of [...this.waiters]) done();
  }
}

/**
 * Writes with writeSync on the event loop: for a regular file, /dev/null or a terminal. EAGAIN (a
 * terminal someone else made non-blocking) is retried after AUDIT_RETRY_MS, doubling up to
 * AUDIT_RETRY_MAX_MS while it lasts.
 */
export class SyncWriter extends BatchWriter {
  /** Batches not yet written whole, oldest first; the first is written from `offset`. */
  private readonly queue: { buf: Buffer; length: number }[] = [];
  private offset = 0;
  private retry: NodeJS.Timeout | undefined = undefined;
  private retryMs = AUDIT_RETRY_MS;

  protected send(buf: Buffer, length: number): void {
    this.queue.push({ buf, length });
    if (this.retry === undefined) this.pump();
  }

  private readonly pump = (): void => {
    this.retry = undefined;
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      let n = 0;
      try {
        n = writeSync(this.fd, head.buf, this.offset, head.length - this.offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") {
          this.failWrite(err);
          return;
        }
      }
      if (n === 0) {
        // EAGAIN, or a device that took nothing: try again later rather than spin the loop.
        this.retry = setTimeout(this.pump, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, AUDIT_RETRY_MAX_MS);
        return;
      }
      this.retryMs = AUDIT_RETRY_MS;
      this.offset += n;
      const whole = this.offset === head.length;
      if (whole) {
        this.queue.shift();
        this.offset = 0;
      }
      this.written(n, whole ? head.buf : undefined);
    }
  };

  protected stopped(): void {
    clearTimeout(this.retry);
    this.queue.length = 0;
  }
}

/**
 * Bytes a pipe takes all at once or not at all from a non-blocking write (POSIX PIPE_BUF, 4096 on
 * Linux): a write no longer than this never lands in parts with another process's in between.
 */
const ATOMIC_WRITE = 4096;

/**
 * Writes through a libuv stream: for a pipe or a socket. libuv makes the descriptor non-blocking
 * (for every process that shares it, as Node's own process.stdout does) and writes at once while
 * the reader keeps up; while it lags, the batches wait in the stream and go when epoll says the
 * pipe takes more. The stream is unref'd: it never keeps the process alive (shutdown waits for it
 * with flushed()).
 *
 * `shared`: other processes write to the same pipe (`server.workers`). A batch longer than
 * ATOMIC_WRITE, written while the reader lags, can land in parts, and another worker's bytes then
 * land between them, in the middle of a line: two workers and a reader that paused 30 ms after
 * each read broke 134 of 148,991 lines. So each batch goes in writes of whole lines of at most
 * ATOMIC_WRITE bytes, one write() each (the stream's writev, which would join them again, is
 * off). A line longer than that (a path of about 3,800 bytes) still goes in a write of its own.
 */
export class StreamWriter extends BatchWriter {
  private readonly stream: Socket;
  private readonly shared: boolean;

  constructor(fd: number, onFatal: (err: Error) => void, shared = false) {
    super(fd, onFatal);
    // As Node makes process.stdout; and, as there, destroying the stream (a write error does)
    // must not close the descriptor: a connection accepted later could get fd 1.
    this.stream = new Socket({ fd, readable: false, writable: true });
    this.stream._destroy = (err, cb) => cb(err);
    this.stream.unref();
    this.stream.on("error", (err) => this.failWrite(err));
    this.shared = shared;
    // Each chunk its own write(): Writable joins chunks that wait into one writev otherwise.
    if (shared) (this.stream as { _writev?: unknown })._writev = undefined;
  }

  protected send(buf: Buffer, length: number): void {
    if (!this.shared || length <= ATOMIC_WRITE) {
      this.sendChunk(buf, 0, length, true);
      return;
    }
    for (let from = 0; from < length; ) {
      // The last line end within ATOMIC_WRITE bytes; a longer line, to its end.
      let end = buf.lastIndexOf(0x0a, Math.min(from + ATOMIC_WRITE, length) - 1) + 1;
      if (end <= from) end = buf.indexOf(0x0a, from) + 1 || length;
      if (end > length) end = length;
      this.sendChunk(buf, from, end, end === length);
      from = end;
    }
  }

  /** Writes `buf[from, to)`; `last`: the batch's last chunk, after which `buf` may be reused. */
  private sendChunk(buf: Buffer, from: number, to: number, last: boolean): void {
    const chunk = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
    this.stream.write(chunk, (err) => {
      if (err == null && this.failed === undefined) this.written(to - from, last ? buf : undefined);
    });
  }

  protected stopped(): void {
    // Nothing to let go of: the stream's writes fail or finish on their own, and are ignored.
  }
}
