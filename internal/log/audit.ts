// Audit events: one per request (keyfront audits every request, not only create/delete as KES
// HEAD does, kes-api.md §12.2, §15). Written as JSON lines to stdout when `log.audit` is on, and
// to /v1/log/audit subscribers. An event names the path and identity, never a body.
//
// The cost on the request path is one array push (issue 11). An event is stamped when its request
// is answered (time, code, duration: fixed then, whenever its line is written) and queued; the
// queue is rendered at the end of the event-loop turn (setImmediate), all of the turn's events in
// one loop (about 40 a turn under load). Against rendering each event on its request's path, 8
// fresh pairs at 64 connections: generate 1.05x req/s (CPU 0.98x), decrypt 1.09x (CPU 0.94x).
// The rendering itself is 0.3 µs an event in a tight loop; spread over the request path, with
// the server's other memory touched in between, it cost several times that.
//
// Events are written to stdout in batches: at most AUDIT_BATCH_MS (10 ms) after the first one
// waiting, or at once when the next line would not fit in the AUDIT_BATCH_MAX (64 KiB) batch.
// One write per batch instead of one per request (issue 11: the per-request writes cost ~11%),
// made on the event loop from buffers used again and again (audit-writer.ts says why).
// A crash that kills the process (SIGKILL, OOM) loses the events of the current loop turn and at
// most those 10 ms of events, on top of what the writer had not written yet; an orderly exit
// (SIGTERM, SIGINT, a fatal error's drain) writes everything.
//
// A line is pure ASCII (anything else in a path or address is written as a \uXXXX escape, which
// every JSON reader decodes to the same text), one byte per character, and it is written straight
// into the batch's buffer (writeAuditEvent): no string is made for it unless a log subscriber
// listens.

import { formatDateTime, pad } from "../crypto/timestamp.js";
import { AUDIT_BATCH_MAX, AUDIT_BATCH_MS } from "../limits.js";
import type { AuditSink } from "./audit-writer.js";
import type { LogHub } from "./hub.js";

export interface AuditEvent {
  readonly method: string;
  path: string;
  ip: string;
  identity: string;
  /** The trusted TLS proxy the request came through (kes-api.md §5.5); `ip` is then the client's. */
  proxy?: { identity: string; ip: string } | undefined;
  /** The HTTP status answered. */
  readonly code: number;
  /** keyfront: the key version a key route used or made (issue 10); absent elsewhere. */
  version?: number | undefined;
  /** When the request was answered, in milliseconds since the epoch (Date.now()). */
  readonly time: number;
  /**
   * Response time in whole microseconds. The event says nanoseconds, as KES's does (what the KES
   * SDK parses), to the microsecond: a small whole number prints on V8's fast path, where a
   * nanosecond count is a double printed through the runtime (0.9 µs per request under perf).
   */
  readonly durationUs: number;
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

/** `{"time":"…","request":{"ip":` of an event: made once per millisecond (requests share it). */
class Clock {
  #ms = Number.NaN;
  #head: Buffer = Buffer.alloc(0);
  head(ms: number): Buffer {
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#head = Buffer.from(`{"time":"${isoTime(ms)}","request":{"ip":`, "latin1");
    }
    return this.#head;
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

// An event's line is written straight into the buffer it goes out in, with no string made for
// it (issue 11): a rendered line was ~1 KB of garbage per request (the pieces, the joined line,
// its flat copy for the buffer). Fixed text, the time and the JSON literals of the address and
// identity (which repeat from one request to the next) are bytes made once and copied; the path
// is copied character by character while it needs no escape. Each function below writes at `at`
// in `b` and returns where it stopped; the caller has made sure of the room (lineBound).

const bytes = (s: string): Buffer => Buffer.from(s, "latin1");
const METHOD = bytes(',"method":');
const PATH = bytes(',"path":');
const IDENTITY = bytes(',"identity":');
const PROXY = bytes(',"proxy":{"identity":');
const PROXY_IP = bytes(',"ip":');
const RESPONSE = bytes('},"response":{"code":');
const TIME = bytes(',"time":');
const THOUSAND = bytes("000");
const VERSION = bytes(',"version":');
const END = bytes("}}\n");

function put(b: Buffer, at: number, piece: Buffer): number {
  b.set(piece, at);
  return at + piece.length;
}

/** `s`, already pure ASCII text that needs no escaping, as it is. */
function putAscii(b: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/** A JSON string literal of `s`: copied while it is plain, else jsonString's escaped text. */
function putJson(b: Buffer, at: number, s: string): number {
  b[at] = 0x22; // "
  const from = at + 1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return putAscii(b, at, jsonString(s));
    b[from + i] = c;
  }
  b[from + s.length] = 0x22;
  return from + s.length + 1;
}

/** A whole number ≥ 0 in decimal (anything else as String writes it). */
function putUint(b: Buffer, at: number, n: number): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) return putAscii(b, at, String(n));
  let end = at + 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) end++;
  let x = n;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(x / 10);
    b[i] = 0x30 + (x - q * 10);
    x = q;
  }
  return end;
}

/** The last string given and its JSON literal's bytes (a connection's address, identity). */
class JsonBytes {
  #s = "";
  #bytes = bytes('""');
  of(s: string): Buffer {
    if (s !== this.#s) {
      this.#s = s;
      this.#bytes = bytes(jsonString(s));
    }
    return this.#bytes;
  }
}
const ipJson = new JsonBytes();
const methodJson = new JsonBytes();
const identityJson = new JsonBytes();

/**
 * The most bytes `e`'s line can take: its fixed text and numbers (at most 17 digits each, a
 * duration's three zeros, the time's 24 characters: under 256) and six per character of its
 * strings (`\uXXXX` is the longest escape).
 */
export function lineBound(e: AuditEvent): number {
  const p = e.proxy;
  const strings =
    e.method.length +
    e.path.length +
    e.ip.length +
    e.identity.length +
    (p === undefined ? 0 : p.identity.length + p.ip.length);
  return 256 + 6 * strings;
}

/** The longest line start LinePrefix keeps (a longer one is written anew each time). */
const PREFIX_MAX = 512;

/**
 * The start of the last line written without a proxy, up to its identity:
 * `{"time":"…","request":{"ip":…,"method":…,"path":…,"identity":…`. Under load, one line after
 * another shares all of it (the same client and key in the same millisecond), and copying it in
 * one piece replaces eight (issue 11: rendering was ~0.9 µs of an event's cost in a CPU profile).
 */
class LinePrefix {
  #ms = Number.NaN;
  #ip = "";
  #method = "";
  #path = "";
  #identity = "";
  #bytes: Buffer | undefined = undefined;

  /** The bytes of `e`'s line start if they are the last ones kept, else undefined. */
  of(e: AuditEvent): Buffer | undefined {
    return e.time === this.#ms &&
      e.path === this.#path &&
      e.identity === this.#identity &&
      e.ip === this.#ip &&
      e.method === this.#method
      ? this.#bytes
      : undefined;
  }

  /** Keeps `b[from, to)` as the line start of `e`. */
  keep(e: AuditEvent, b: Buffer, from: number, to: number): void {
    if (to - from > PREFIX_MAX) {
      this.#bytes = undefined;
      return;
    }
    this.#ms = e.time;
    this.#ip = e.ip;
    this.#method = e.method;
    this.#path = e.path;
    this.#identity = e.identity;
    const bytes = Buffer.allocUnsafe(to - from);
    b.copy(bytes, 0, from, to);
    this.#bytes = bytes;
  }
}
const prefix = new LinePrefix();

/** Writes `e`'s JSON line, newline included, at `at` (room: lineBound(e)); returns its end. */
export function writeAuditEvent(e: AuditEvent, b: Buffer, at: number): number {
  const p = e.proxy;
  const start = p === undefined ? prefix.of(e) : undefined;
  let o = start === undefined ? writeStart(e, b, at) : put(b, at, start);
  if (p !== undefined) {
    o = put(b, o, PROXY);
    o = putJson(b, o, p.identity);
    o = put(b, o, PROXY_IP);
    o = putJson(b, o, p.ip);
    b[o++] = 0x7d; // }
  }
  o = put(b, o, RESPONSE);
  o = putUint(b, o, e.code);
  o = put(b, o, TIME);
  o = putUint(b, o, e.durationUs);
  if (e.durationUs !== 0) o = put(b, o, THOUSAND);
  if (e.version !== undefined) {
    o = put(b, o, VERSION);
    o = putUint(b, o, e.version);
  }
  return put(b, o, END);
}

/** The line's start up to its identity, written piece by piece (and kept if there is no proxy). */
function writeStart(e: AuditEvent, b: Buffer, at: number): number {
  let o = put(b, at, clock.head(e.time));
  o = put(b, o, ipJson.of(e.ip));
  o = put(b, o, METHOD);
  o = put(b, o, methodJson.of(e.method));
  o = put(b, o, PATH);
  o = putJson(b, o, e.path);
  if (e.identity !== "") {
    o = put(b, o, IDENTITY);
    o = put(b, o, identityJson.of(e.identity));
  }
  if (e.proxy === undefined) prefix.keep(e, b, at, o);
  return o;
}

/** Where renderAuditEvent writes a line that fits (a longer one gets a buffer of its own). */
const scratch = Buffer.allocUnsafeSlow(4096);

/** The event's JSON line, newline included; pure ASCII (log subscribers get it as a string). */
export function renderAuditEvent(e: AuditEvent): string {
  const bound = lineBound(e);
  const b = bound <= scratch.length ? scratch : Buffer.allocUnsafeSlow(bound);
  return b.toString("latin1", 0, writeAuditEvent(e, b, 0));
}

export class AuditLog {
  private readonly out: AuditSink | undefined;
  private readonly hub: LogHub;
  private readonly onError: (err: unknown) => void;
  /** Events recorded in this event-loop turn, not yet rendered (renderPending). */
  private readonly pending: AuditEvent[] = [];
  /** The batch: lines copied in as they are made (ASCII, a byte each); taken at the first line. */
  private batch: Buffer | undefined = undefined;
  private batchLength = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly drain = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch; // taken by a line's append, so never empty
    if (batch === undefined) return;
    const length = this.batchLength;
    // The sink owns the buffer now; the next batch takes another (a written one comes back).
    this.batch = undefined;
    this.batchLength = 0;
    this.out?.write(batch, length);
  };

  /** Renders the queued events, in order; one that fails is reported and the rest still go. */
  private readonly renderPending = (): void => {
    const events = this.pending;
    const listened = this.hub.size > 0;
    // `events.length` is read each time round: nothing here records, but an event queued while
    // the loop runs is rendered by it, not left behind with no render scheduled.
    for (let i = 0; i < events.length; i++) {
      try {
        this.render(events[i] as AuditEvent, listened);
      } catch (err) {
        this.onError(err);
      }
    }
    events.length = 0;
  };

  /**
   * Events go to `out` (keyfront: openAuditSink's writer on stdout) when it is given, and to the hub's
   * subscribers. `onError` hears of an event that could not be rendered: no default, so none is
   * dropped unseen.
   */
  constructor(hub: LogHub, out: AuditSink | undefined, onError: (err: unknown) => void) {
    this.hub = hub;
    this.onError = onError;
    this.out = out;
  }

  get active(): boolean {
    return this.out !== undefined || this.hub.size > 0;
  }

  /**
   * Queues `e` to be written at the end of this event-loop turn (flush writes it at once). `e`
   * must not change after this: it is read when it is rendered.
   */
  record(e: AuditEvent): void {
    if (!this.active) return;
    if (this.pending.push(e) === 1) setImmediate(this.renderPending);
  }

  private render(e: AuditEvent, listened: boolean): void {
    if (this.out === undefined) {
      if (listened) this.hub.publish(renderAuditEvent(e));
      return;
    }
    const line = this.append(this.out, e, listened);
    if (line !== undefined) this.hub.publish(line);
  }

  /** Writes `e`'s line into the batch; returns it as a string if `asText` (the same bytes). */
  private append(out: AuditSink, e: AuditEvent, asText: boolean): string | undefined {
    const bound = lineBound(e);
    if (this.batch !== undefined && this.batchLength + bound > this.batch.length) this.drain();
    if (bound > AUDIT_BATCH_MAX) {
      // Longer than a whole batch (a very long path): written on its own, after what came before.
      const own = Buffer.allocUnsafeSlow(bound);
      const end = writeAuditEvent(e, own, 0);
      const text = asText ? own.toString("latin1", 0, end) : undefined;
      out.write(own, end);
      return text;
    }
    this.batch ??= out.take();
    const batch = this.batch;
    const start = this.batchLength;
    this.batchLength = writeAuditEvent(e, batch, start);
    this.timer ??= setTimeout(this.drain, AUDIT_BATCH_MS);
    return asText ? batch.toString("latin1", start, this.batchLength) : undefined;
  }

  /** Hands every event recorded so far to the sink, now (shutdown waits for it: close()). */
  flush(): void {
    this.renderPending();
    this.drain();
  }

  /**
   * Shutdown: hands every event recorded so far to the sink and waits for it to write them, at
   * most `ms`. Resolves to the bytes still not written (0 when all went out).
   */
  async close(ms: number): Promise<number> {
    this.flush();
    if (this.out === undefined) return 0;
    await this.out.flushed(ms);
    return this.out.waiting;
  }
}
