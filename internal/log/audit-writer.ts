// Writes the audit log's batches to a file descriptor (stdout), in order, asynchronously, from a
// few buffers used over and over (issue 11).
//
// Before, each batch was a fresh 64 KiB buffer handed to sonic-boom, which keeps the last buffer it
// wrote (as an empty view of it) until it writes the next: a batch lived 20 ms or more, about as
// long as the young generation takes to fill under load, so some survived two scavenges and went to
// old space with their 64 KiB outside the JS heap. Only a mark-compact frees those, and they piled
// up at 0.55 MB a second until one came (every 2-6 s under a steady decrypt load, measured with
// --trace-gc-verbose; none in 50 s with the audit log off or its batches not written). Here a
// written buffer goes back to a free list and the next batch is made in it: no allocation per batch
// once the few buffers exist.
//
// Failures are never silent. EAGAIN (stdout is a non-blocking pipe that is full) is retried after
// AUDIT_RETRY_MS, doubling up to AUDIT_RETRY_MAX_MS while the pipe stays full. Any other write
// error (EPIPE: nobody reads stdout; ENOSPC; EIO), or more than AUDIT_QUEUE_MAX bytes of events
// waiting because stdout does not take them, is fatal: `onFatal` hears it, and the server exits
// through its fatal path rather than serve requests it cannot audit (Vault too refuses requests
// when no audit device can log them). Before, pino's destination swallowed EPIPE and made its
// writes no-ops: the server went on answering with its audit log silently off.

import { write } from "node:fs";
import { AUDIT_BATCH_MAX, AUDIT_QUEUE_MAX, AUDIT_RETRY_MAX_MS, AUDIT_RETRY_MS } from "../limits.js";

/** Where the audit log's batches go: this writer, or a test's collector. */
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

/** Free buffers kept for reuse: a batch in the making, one being written, one waiting, spares. */
const FREE_MAX = 4;

export class FdWriter implements AuditSink {
  private readonly fd: number;
  private readonly onFatal: (err: Error) => void;
  /** Batches not yet written whole, oldest first; the first is being written from `offset`. */
  private readonly queue: { buf: Buffer; length: number }[] = [];
  private offset = 0;
  private queuedBytes = 0;
  private writing = false;
  private readonly free: Buffer[] = [];
  private failed: Error | undefined = undefined;
  /** Wait before the next write after EAGAIN: doubles while the pipe stays full, up to 1 s. */
  private retryMs = AUDIT_RETRY_MS;
  private readonly done = (err: NodeJS.ErrnoException | null, n: number): void => {
    this.writing = false;
    if (this.failed !== undefined) return; // failed while this write was under way: queue gone
    if (err !== null) {
      if (err.code === "EAGAIN") {
        setTimeout(this.next, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, AUDIT_RETRY_MAX_MS);
        this.writing = true; // the retry is the write in progress
        return;
      }
      this.fail(`writing to fd ${this.fd} failed: ${err.message}`);
      return;
    }
    this.retryMs = AUDIT_RETRY_MS;
    this.wrote(n);
    this.next();
  };
  private readonly next = (): void => {
    this.writing = false;
    const head = this.queue[0];
    if (head === undefined || this.failed !== undefined) return;
    this.writing = true;
    write(this.fd, head.buf, this.offset, head.length - this.offset, null, this.done);
  };

  constructor(fd: number, onFatal: (err: Error) => void) {
    this.fd = fd;
    this.onFatal = onFatal;
  }

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(AUDIT_BATCH_MAX);
  }

  write(buf: Buffer, length: number): void {
    if (this.failed !== undefined || length === 0) return;
    this.queue.push({ buf, length });
    this.queuedBytes += length;
    if (this.queuedBytes > AUDIT_QUEUE_MAX) {
      this.fail(
        `fd ${this.fd} has not taken ${this.queuedBytes} bytes of audit events (at most ${AUDIT_QUEUE_MAX} may wait)`,
      );
      return;
    }
    if (!this.writing) this.next();
  }

  get waiting(): number {
    return this.queuedBytes;
  }

  async flushed(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.queue.length > 0 && this.failed === undefined && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  private wrote(n: number): void {
    this.offset += n;
    this.queuedBytes -= n;
    const head = this.queue[0] as { buf: Buffer; length: number };
    if (this.offset < head.length) return;
    this.queue.shift();
    this.offset = 0;
    // Only buffers of take()'s size come back (a line longer than a batch had one of its own).
    if (head.buf.length === AUDIT_BATCH_MAX && this.free.length < FREE_MAX)
      this.free.push(head.buf);
  }

  private fail(message: string): void {
    if (this.failed !== undefined) return;
    this.failed = new Error(`audit log: ${message}`);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.onFatal(this.failed);
  }
}
