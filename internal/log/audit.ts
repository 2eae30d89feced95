// Audit events: one per request (keyfront audits every request, not only create/delete as KES
// HEAD does, kes-api.md §12.2, §15). Written as JSON lines to stdout when `log.audit` is on, and
// to /v1/log/audit subscribers. An event names the path and identity, never a body.
// Events are written to stdout in batches: at most AUDIT_BATCH_MS (10 ms) after the first one
// waiting, or at once when the next line would not fit in the AUDIT_BATCH_MAX (64 KiB) batch.
// One hand-off to the libuv pool per batch instead of one per request (issue 11: the per-request
// writes cost ~11%). A crash that kills the process (SIGKILL, OOM) loses at most those 10 ms of
// events, on top of what the asynchronous stdout writer had not written yet; an orderly exit
// (SIGTERM, SIGINT, a fatal error's drain) writes everything.
//
// A line is pure ASCII (anything else in a path or address is written as a \uXXXX escape, which
// every JSON reader decodes to the same text), so it is copied into the batch's buffer as it is
// made, one byte per character, while its pieces are still in the CPU's cache. Joining strings
// kept for up to 10 ms and handing the writer a string (which sonic-boom measured, encoded and then
// encoded again after the write) cost about 1.4 µs per request under perf, most of it cache misses.

import { pino } from "pino";
import { formatDateTime, pad } from "../crypto/timestamp.js";
import { AUDIT_BATCH_MAX, AUDIT_BATCH_MS } from "../limits.js";
import type { LogHub } from "./hub.js";

export interface AuditEvent {
  readonly method: string;
  path: string;
  ip: string;
  identity: string;
  /** The trusted TLS proxy the request came through (kes-api.md §5.5); `ip` is then the client's. */
  proxy?: { identity: string; ip: string } | undefined;
  code: number;
  /** keyfront: the key version a key route used or made (issue 10); absent elsewhere. */
  version?: number | undefined;
  /**
   * Response time in whole microseconds. The event says nanoseconds, as KES's does (what the KES
   * SDK parses), to the microsecond: a small whole number prints on V8's fast path, where a
   * nanosecond count is a double printed through the runtime (0.9 µs per request under perf).
   */
  readonly durationUs: number;
}

/** Where batches go: sonic-boom in buffer mode on stdout, or a test's collector. */
export interface AuditSink {
  write(chunk: Buffer): unknown;
}

const DAY_MS = 86_400_000;

/**
 * `ms` as RFC 3339 UTC with milliseconds, exactly as `Date#toISOString` writes it, for
 * 1970-01-01 to 9999-12-31 (a Date outside that range would not come from the clock). Without a
 * Date: `new Date(ms).toISOString()` went through V8's date cache, ICU's time zone and printf.
 */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < 253_402_300_800_000)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  const msOfDay = ms - day * DAY_MS;
  const milli = msOfDay % 1000;
  return `${formatDateTime(day, (msOfDay - milli) / 1000)}.${pad(milli, 3)}Z`;
}

/** `time` of an event, made once per millisecond (requests share it). */
class Clock {
  #ms = -1;
  #text = "";
  now(): string {
    const ms = Date.now();
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#text = isoTime(ms);
    }
    return this.#text;
  }
}
const clock = new Clock();

/** Printable ASCII but `"` and `\`: a JSON string literal of it needs no escape at all. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NON_ASCII = /[\u0080-\uffff]/g;
const escapeNonAscii = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** A JSON string literal of `s` in pure ASCII: what JSON.stringify writes, non-ASCII escaped. */
export function jsonString(s: string): string {
  return PLAIN_JSON.test(s) ? `"${s}"` : JSON.stringify(s).replace(NON_ASCII, escapeNonAscii);
}

/**
 * The last string given and its JSON literal: a connection's address and identity repeat from
 * one request to the next, and comparing them costs less than testing them again.
 */
class JsonMemo {
  #s = "";
  #json = '""';
  of(s: string): string {
    if (s !== this.#s) {
      this.#s = s;
      this.#json = jsonString(s);
    }
    return this.#json;
  }
}
const ipJson = new JsonMemo();
const identityJson = new JsonMemo();

/** The event's JSON line, newline included; pure ASCII. */
export function renderAuditEvent(e: AuditEvent): string {
  const identity = e.identity === "" ? "" : `,"identity":${identityJson.of(e.identity)}`;
  const p = e.proxy;
  const proxy =
    p === undefined
      ? ""
      : `,"proxy":{"identity":${jsonString(p.identity)},"ip":${jsonString(p.ip)}}`;
  const version = e.version === undefined ? "" : `,"version":${e.version}`;
  const us = e.durationUs;
  return (
    `{"time":"${clock.now()}","request":{"ip":${ipJson.of(e.ip)},` +
    `"method":"${e.method}","path":${jsonString(e.path)}${identity}${proxy}},` +
    `"response":{"code":${e.code},"time":${us === 0 ? "0" : `${us}000`}${version}}}\n`
  );
}

export class AuditLog {
  private readonly out: (AuditSink & { flushSync?: () => void }) | undefined;
  private readonly hub: LogHub;
  /** The batch: lines copied in as they are made (ASCII, a byte each); made at the first line. */
  private batch: Buffer | undefined = undefined;
  private batchLength = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly drain = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch; // made by a line's append, so never empty
    if (batch === undefined) return;
    const chunk = batch.subarray(0, this.batchLength);
    // A fresh buffer for the next batch: the writer keeps this one until it has been written.
    this.batch = undefined;
    this.batchLength = 0;
    this.out?.write(chunk);
  };

  /** `enabled` writes events to `out` (default: stdout, through sonic-boom in buffer mode). */
  constructor(hub: LogHub, enabled: boolean, out?: AuditSink) {
    this.hub = hub;
    this.out = enabled
      ? (out ??
        (pino.destination({ dest: 1, sync: false, contentMode: "buffer" }) as unknown as AuditSink))
      : undefined;
  }

  get active(): boolean {
    return this.out !== undefined || this.hub.size > 0;
  }

  record(e: AuditEvent): void {
    if (!this.active) return;
    const line = renderAuditEvent(e);
    if (this.out !== undefined) this.append(line);
    this.hub.publish(line);
  }

  private append(line: string): void {
    const size = line.length; // ASCII: one byte per character
    if (this.batch !== undefined && this.batchLength + size > this.batch.length) this.drain();
    if (size > AUDIT_BATCH_MAX) {
      // Longer than a whole batch (a very long path): written on its own, after what came before.
      this.out?.write(Buffer.from(line, "latin1"));
      return;
    }
    this.batch ??= Buffer.allocUnsafeSlow(AUDIT_BATCH_MAX);
    this.batchLength += this.batch.write(line, this.batchLength, "latin1");
    this.timer ??= setTimeout(this.drain, AUDIT_BATCH_MS);
  }

  flush(): void {
    this.drain();
    try {
      this.out?.flushSync?.();
    } catch {
      // stdout closed: nothing left to flush to
    }
  }
}
