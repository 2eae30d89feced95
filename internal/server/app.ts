// The HTTPS server and its request loop: normalise the path, route, check the method, authorise,
// read the bounded body, run the handler under its timeout, write the answer, then count and
// audit. Every failure becomes a catalogue error; an unexpected one is logged with its cause and
// answered 500 without detail. The loop cannot throw or reject: a failure while answering is
// logged and destroys that one socket, nothing more. Reload swaps the state reference; shutdown
// drains.

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { ApiError, errInternal, errMethod, errShuttingDown, errTimeout } from "../errors.js";
import {
  CONNECTIONS_CHECK_INTERVAL_MS,
  HEADER_READ_TIMEOUT_MS,
  RELOAD_DRAIN_MAX_MS,
  REQUEST_READ_TIMEOUT_MS,
  SHUTDOWN_GRACE_MS,
  TLS_HANDSHAKE_TIMEOUT_MS,
} from "../limits.js";
import { authorize } from "./auth.js";
import { BodyTooLargeError, readBody } from "./body.js";
import { ConnectionLimiter } from "./connections.js";
import { normalizeRequestPath } from "./path.js";
import type { ProxyHop } from "./proxy.js";
import { acceptsMethod, type Reply, type RequestContext, STREAMED } from "./route.js";
import type { ResolvedRoute } from "./router.js";
import { sendError, sendReply } from "./send.js";
import { closeState, type Runtime, type ServerState } from "./state.js";

const EMPTY: Buffer = Buffer.alloc(0);

/** What the audit event of a request needs to know once it has been routed and authorised. */
interface Seen extends ProxyHop {
  path: string;
  identity: string;
  /** Set by a key route's handler (issue 10). */
  version?: number | undefined;
}

export class KeyfrontServer {
  private current: ServerState;
  private readonly rt: Runtime;
  readonly https: Server;
  private draining = false;
  private readonly connections: ConnectionLimiter;
  /** Old states waiting for their requests to end before their keystore closes. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(rt: Runtime, state: ServerState) {
    this.rt = rt;
    this.current = state;
    this.https = createServer(
      {
        ...state.secure,
        requestCert: true,
        rejectUnauthorized: false,
        handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
        keepAliveTimeout: state.config.server.idleTimeoutMs,
        headersTimeout: HEADER_READ_TIMEOUT_MS,
        requestTimeout: REQUEST_READ_TIMEOUT_MS,
        connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
      },
      (req, res) => this.handle(req, res),
    );
    this.https.on("tlsClientError", (err) => {
      rt.log.debug({ err: { message: err.message } }, "TLS handshake failed");
    });
    this.connections = new ConnectionLimiter(rt.log, state.config.server);
    this.connections.attach(this.https);
  }

  get state(): ServerState {
    return this.current;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.https.once("error", reject);
      this.https.listen(port, host, () => {
        this.https.off("error", reject);
        resolve(this.https.address() as AddressInfo);
      });
    });
  }

  /**
   * Installs a fully built state. The old one is closed once its in-flight requests have ended
   * (at most RELOAD_DRAIN_MAX_MS later, so a stuck request cannot hold it open for ever).
   */
  reload(next: ServerState): void {
    const old = this.current;
    this.https.setSecureContext({ ...next.secure });
    this.https.keepAliveTimeout = next.config.server.idleTimeoutMs;
    this.connections.configure(next.config.server);
    this.current = next;
    // One scheduler per process: the old state's stops now, not once its requests have drained.
    void old.scheduler.stop();
    this.retire(old, old.store !== next.store);
  }

  private retire(old: ServerState, closeStore: boolean): void {
    const done: Promise<void> = old.inFlight
      .drained(RELOAD_DRAIN_MAX_MS)
      .then((drained) => {
        if (!drained) {
          this.rt.log.warn(
            { requests: old.inFlight.count },
            "reload: closing the old keystore with requests still in flight",
          );
        }
        return closeState(old, closeStore);
      })
      .catch((err: unknown) => this.rt.log.warn({ err }, "reload: closing the old state failed"))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes everything. */
  async shutdown(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.https.close(() => resolve()));
    this.https.closeIdleConnections();
    const timer = setTimeout(() => this.https.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(timer);
    await Promise.all([...this.retiring]);
    await closeState(this.current);
    this.rt.audit.flush();
  }

  /** The request listener: whatever goes wrong, only this request's socket is affected. */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.serve(req, res);
    } catch (err) {
      this.abandon(res, err);
    }
  }

  /** Last resort for a failure while answering: log it (no request data) and drop the socket. */
  private abandon(res: ServerResponse, err: unknown): void {
    try {
      this.rt.log.error({ err }, "failed to answer a request; closing its connection");
    } catch {
      // logging must not be the thing that escapes
    }
    res.destroy();
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    if (!this.connections.admitRequest(req, res)) return;
    const started = process.hrtime.bigint();
    const seen: Seen = { path: req.url ?? "", identity: "" };
    const audit = this.auditor(req, res, seen, started);
    // A delivered answer is audited at once (a 503 on timeout, before its handler gave up).
    if (audit) res.once("finish", audit);
    const pending = this.dispatch(req, res, seen, started);
    if (pending === undefined) {
      audit?.();
      return;
    }
    pending.then(
      (streamed) => {
        // A log stream is audited when it ends; anything else once its handler has answered.
        if (streamed && !res.destroyed && audit) res.once("close", audit);
        else audit?.();
      },
      (err: unknown) => {
        this.abandon(res, err);
        audit?.();
      },
    );
  }

  /**
   * The request's audit event, written at most once: when its answer is delivered or its handler
   * has answered, whichever comes first. Not only on delivery: a client that hangs up, or whose
   * pipelined request was still queued behind another when its connection closed (Node then
   * never emits "finish" or "close" for that response), must not delete a key unaudited.
   * Undefined when the audit log is off.
   */
  private auditor(
    req: IncomingMessage,
    res: ServerResponse,
    seen: Seen,
    started: bigint,
  ): (() => void) | undefined {
    const rt = this.rt;
    // Audit off: no closure and no listener per request.
    if (!rt.audit.active) return undefined;
    // Read now: once the client has gone, the socket no longer knows its peer's address.
    const ip = req.socket.remoteAddress ?? "";
    let done = false;
    return () => {
      if (done) return;
      done = true;
      try {
        rt.audit.record({
          time: new Date(),
          method: req.method ?? "",
          path: seen.path,
          ip: seen.ip ?? ip,
          identity: seen.identity,
          proxy: seen.proxy,
          code: res.statusCode,
          version: seen.version,
          durationNs: process.hrtime.bigint() - started,
        });
      } catch (err) {
        rt.log.error({ err }, "failed to record an audit event");
      }
    };
  }

  /**
   * Routes and authorises the request. Answers it at once and returns undefined, or returns the
   * handler's run, which resolves (true for a log stream) once the handler has answered.
   */
  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    seen: Seen,
    started: bigint,
  ): Promise<boolean> | undefined {
    const state = this.current;
    if (this.draining) res.setHeader("Connection", "close");
    const target = normalizeRequestPath(req.url ?? "");
    if (target.kind === "bad") {
      sendError(res, new ApiError(400, target.message));
      return;
    }
    if (target.kind === "redirect") {
      this.redirect(res, target.location);
      return;
    }
    const path = target.path;
    seen.path = path;
    const found = state.router.lookup(path);
    if (found.kind === "redirect") {
      this.redirect(res, found.location);
      return;
    }
    if (found.kind === "none") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": 19 });
      res.end("404 page not found\n");
      return;
    }
    const { route, resource } = found;
    const want = route.spec.method;
    if (!acceptsMethod(want, req.method ?? "")) {
      sendError(res, errMethod(req.method ?? "", want));
      return;
    }
    let identity: string;
    try {
      identity = authorize(req, route.auth, path, state, seen);
    } catch (err) {
      this.fail(res, err);
      return;
    }
    seen.identity = identity;
    // Log streams do not hold a reload's old keystore open; every other request does, until its
    // handler is done (not until its response closes: a queued pipelined response never does).
    const leave = route.spec.timeoutMs !== 0 ? state.inFlight.enter() : undefined;
    return this.run(req, res, state, route, seen, resource, started).finally(leave);
  }

  private redirect(res: ServerResponse, location: string): void {
    res.writeHead(301, { Location: location, "Content-Length": 0 });
    res.end();
  }

  /** Answers `err` (an unexpected one as a logged 500); a throw while answering drops the socket. */
  private fail(res: ServerResponse, err: unknown): void {
    try {
      if (err instanceof ApiError) {
        sendError(res, err);
        return;
      }
      this.rt.log.error({ err }, "internal error while serving a request");
      sendError(res, errInternal());
    } catch (failure) {
      this.abandon(res, failure);
    }
  }

  private async run(
    req: IncomingMessage,
    res: ServerResponse,
    state: ServerState,
    route: ResolvedRoute,
    seen: Seen,
    resource: string,
    started: bigint,
  ): Promise<boolean> {
    const { path, identity } = seen;
    const { metrics } = this.rt;
    const counted = route.spec.counted;
    if (counted) metrics.active++;
    // The AbortController is made only if a handler asks for the signal (most never wait on it).
    let abort: AbortController | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (route.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        abort?.abort(errTimeout());
        if (!res.headersSent) this.fail(res, errTimeout());
      }, route.timeoutMs);
    }
    res.once("close", () => {
      if (!res.writableFinished) abort?.abort(new Error("client went away"));
    });
    const gone = () => timedOut || res.destroyed;
    let streamed = false;
    try {
      if (this.draining && route.spec.timeoutMs === 0) throw errShuttingDown();
      let body: Buffer = EMPTY;
      if (route.spec.maxBody > 0) {
        try {
          body = await readBody(req, route.spec.maxBody);
        } catch (err) {
          if (err instanceof BodyTooLargeError) res.setHeader("Connection", "close");
          throw route.spec.bodyError?.() ?? err;
        }
      } else if (
        req.headers["transfer-encoding"] !== undefined ||
        Number(req.headers["content-length"] ?? 0) > 0
      ) {
        res.setHeader("Connection", "close");
      }
      const ctx: RequestContext = {
        req,
        res,
        path,
        resource,
        identity,
        body,
        audit: seen,
        get signal() {
          abort ??= new AbortController();
          // Asked for late: it must already say what the close listener or timer would have.
          if (!abort.signal.aborted && timedOut) abort.abort(errTimeout());
          else if (!abort.signal.aborted && res.destroyed && !res.writableFinished) {
            abort.abort(new Error("client went away"));
          }
          return abort.signal;
        },
        state,
        rt: this.rt,
      };
      const out = route.spec.handler(ctx);
      const result = out instanceof Promise ? await out : out;
      streamed = result === STREAMED;
      if (streamed || gone() || res.headersSent) return streamed;
      sendReply(res, result as Reply);
    } catch (err) {
      if (!(gone() && res.headersSent)) this.fail(res, err);
    } finally {
      // Counted when the handler is done, not when the response closes: Node never emits
      // "close" for a pipelined response still queued when its connection went away.
      if (timer) clearTimeout(timer);
      if (counted) {
        metrics.active--;
        metrics.observe(res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    return streamed;
  }
}
