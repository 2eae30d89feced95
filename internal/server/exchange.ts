// One request on its way through the request loop (app.ts): the handler's context, the fields
// its audit event needs, and its timer and abort state, in one object of one class. Not an object
// literal with an accessor: V8 builds such a literal on its slow path every time it is evaluated,
// and that per-request garbage survived scavenges into old space (issue 11: the change measured
// ×1.09 generate and ×1.19 decrypt in paired runs).

import type { IncomingMessage, ServerResponse } from "node:http";
import { errTimeout } from "../errors.js";
import type { AuditEvent } from "../log/audit.js";
import type { ProxyHop } from "./proxy.js";
import type { RequestContext } from "./route.js";
import type { ResolvedRoute } from "./router.js";
import type { Runtime, ServerState } from "./state.js";

const EMPTY: Buffer = Buffer.alloc(0);

export class Exchange implements RequestContext, ProxyHop, AuditEvent {
  /** The request's path: its raw target until it has been normalised, then the clean path. */
  path: string;
  resource = "";
  identity = "";
  body: Buffer = EMPTY;
  /** Set by a key route's handler: the key version it used or made (audited). */
  version: number | undefined = undefined;
  /** Filled by a trusted TLS proxy's hop (proxy.ts). */
  proxy: { identity: string; ip: string } | undefined = undefined;
  ip: string;
  route: ResolvedRoute | undefined = undefined;
  /** performance.now() after which the route timeout expires it (watchdog.ts); 0 = none. */
  deadline = 0;
  /** The watchdog's index of this request (watchdog.ts); -1 when not watched. */
  watchSlot = -1;
  /** Stamped by answeredAt() for the audit event: Date.now(), the status, the response time. */
  time = 0;
  code = 0;
  durationUs = 0;
  timedOut = false;
  /** Counted in the state's in-flight requests (every route but the log streams). */
  inFlight = false;
  audited = false;
  #abort: AbortController | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly state: ServerState,
    readonly rt: Runtime,
    /** performance.now() when the request arrived (a double: no BigInt per request). */
    readonly started: number,
  ) {
    this.path = req.url ?? "";
    // Read now: once the client has gone, the socket no longer knows its peer's address.
    this.ip = rt.audit.active ? (req.socket.remoteAddress ?? "") : "";
  }

  get audit(): { version?: number | undefined } {
    return this;
  }

  get method(): string {
    return this.req.method ?? "";
  }

  /** The request has been answered: fixes what its audit event says of the answer. */
  answeredAt(): void {
    this.time = Date.now();
    this.code = this.res.statusCode;
    this.durationUs = Math.round((performance.now() - this.started) * 1e3);
  }

  /** Made only when a handler asks for it (most never wait on anything). */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    const abort = this.#abort;
    // Asked for late: it must already say what the close listener or timer would have.
    if (!abort.signal.aborted && this.timedOut) abort.abort(errTimeout());
    else if (!abort.signal.aborted && this.res.destroyed && !this.res.writableFinished) {
      abort.abort(new Error("client went away"));
    }
    return abort.signal;
  }

  /** Whether nothing more may be written for this request: it timed out or its socket is gone. */
  get gone(): boolean {
    return this.timedOut || this.res.destroyed;
  }

  /** The route timer fired: the handler's signal (if it took one) aborts. */
  timeOut(): void {
    this.timedOut = true;
    this.#abort?.abort(errTimeout());
  }

  /** The response closed before it was finished: a waiting handler's signal aborts. */
  clientGone(): void {
    if (!this.res.writableFinished) this.#abort?.abort(new Error("client went away"));
  }
}
