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
  AUDIT_FLUSH_MS,
  CONNECTIONS_CHECK_INTERVAL_MS,
  HEADER_READ_TIMEOUT_MS,
  RELOAD_DRAIN_MAX_MS,
  REQUEST_READ_TIMEOUT_MS,
  SHUTDOWN_GRACE_MS,
  TLS_HANDSHAKE_TIMEOUT_MS,
} from "../limits.js";
import { authorize } from "./auth.js";
import { BodyTooLargeError, declaredBody, readBody } from "./body.js";
import { ConnectionLimiter } from "./connections.js";
import { Exchange } from "./exchange.js";
import { acceptsMethod, type HandlerResult, type Reply, STREAMED } from "./route.js";
import type { ResolvedRoute } from "./router.js";
import { sendError, sendReply } from "./send.js";
import { closeState, type Runtime, type ServerState } from "./state.js";
import { Watchdog } from "./watchdog.js";

export class KeyfrontServer {
  private current: ServerState;
  private readonly rt: Runtime;
  readonly https: Server;
  private draining = false;
  private readonly connections: ConnectionLimiter;
  /** Old states waiting for their requests to end before their keystore closes. */
  private readonly retiring = new Set<Promise<void>>();
  /** Route timeouts of the requests in flight. */
  private readonly watchdog = new Watchdog<Exchange>((ex) => this.timedOut(ex));

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
    this.watchdog.close();
    const unwritten = await this.rt.audit.close(AUDIT_FLUSH_MS);
    if (unwritten > 0) {
      this.rt.log.error(
        { bytes: unwritten },
        "audit log: events not written to stdout by shutdown",
      );
    }
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
    const ex = new Exchange(req, res, this.current, this.rt, performance.now());
    if (!this.dispatch(ex)) this.audit(ex);
  }

  /**
   * The request's audit event, written at most once: when its handler has answered, or at once
   * for a 503 sent on timeout before its handler gave up. Not on delivery: a client that hangs up,
   * or whose pipelined request was still queued behind another when its connection closed (Node
   * then never emits "finish" or "close" for that response), must not delete a key unaudited.
   */
  private audit(ex: Exchange): void {
    if (ex.audited || !this.rt.audit.active) return;
    ex.audited = true;
    ex.answeredAt();
    this.rt.audit.record(ex); // rendered at the end of this loop turn; a failure is logged then
  }

  /**
   * Routes and authorises the request. Answers it at once and returns false, or starts its
   * handler and returns true.
   */
  private dispatch(ex: Exchange): boolean {
    const { req, res, state } = ex;
    if (this.draining) res.setHeader("Connection", "close");
    const found = state.router.resolve(req.url ?? "");
    if (found.kind === "bad") {
      sendError(res, new ApiError(400, found.message));
      return false;
    }
    if (found.kind === "redirect") {
      if (found.path !== undefined) ex.path = found.path;
      this.redirect(res, found.location);
      return false;
    }
    const path = found.path;
    ex.path = path;
    if (found.kind === "none") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": 19 });
      res.end("404 page not found\n");
      return false;
    }
    const { route, resource } = found;
    const want = route.spec.method;
    if (!acceptsMethod(want, req.method ?? "")) {
      sendError(res, errMethod(req.method ?? "", want));
      return false;
    }
    try {
      ex.identity = authorize(req, route.auth, path, state, ex);
    } catch (err) {
      this.fail(res, err);
      return false;
    }
    ex.route = route;
    ex.resource = resource;
    this.start(ex, route);
    return true;
  }

  /**
   * Counts the request, arms its route timer and reads its body; then runs its handler. A warm
   * key request's handler answers synchronously: it then costs no promise, no listener and no
   * closure beyond the body read.
   */
  private start(ex: Exchange, route: ResolvedRoute): void {
    const { req, res, state } = ex;
    // Log streams do not hold a reload's old keystore open; every other request does, until its
    // handler is done (not until its response closes: a queued pipelined response never does).
    if (route.spec.timeoutMs !== 0) {
      state.inFlight.add();
      ex.inFlight = true;
    }
    if (route.spec.counted) this.rt.metrics.active++;
    if (route.timeoutMs > 0) {
      ex.deadline = performance.now() + route.timeoutMs;
      this.watchdog.add(ex);
    }
    if (this.draining && route.spec.timeoutMs === 0) {
      this.failed(ex, errShuttingDown());
      return;
    }
    if (route.spec.maxBody > 0) {
      readBody(req, route.spec.maxBody, (err, body) => this.bodyRead(ex, err, body));
      return;
    }
    // A body this route does not read is not drained: the connection closes after the answer.
    if (declaredBody(req) !== 0) res.setHeader("Connection", "close");
    this.invoke(ex, route);
  }

  /** The body is read (or failed). Called from the request's stream events: must not throw. */
  private bodyRead(ex: Exchange, err: Error | undefined, body: Buffer): void {
    try {
      if (err === undefined) this.bodyArrived(ex, body);
      else this.bodyFailed(ex, err);
    } catch (failure) {
      this.abandon(ex.res, failure);
    }
  }

  private bodyArrived(ex: Exchange, body: Buffer): void {
    ex.body = body;
    if (ex.gone && ex.res.headersSent) {
      this.finish(ex, false); // timed out while the body was still arriving: already answered
      return;
    }
    this.invoke(ex, ex.route as ResolvedRoute);
  }

  private bodyFailed(ex: Exchange, err: Error): void {
    if (err instanceof BodyTooLargeError && !ex.res.headersSent) {
      ex.res.setHeader("Connection", "close");
    }
    this.failed(ex, ex.route?.spec.bodyError?.() ?? err);
  }

  private invoke(ex: Exchange, route: ResolvedRoute): void {
    let out: ReturnType<typeof route.spec.handler>;
    try {
      out = route.spec.handler(ex);
    } catch (err) {
      this.failed(ex, err);
      return;
    }
    if (!(out instanceof Promise)) {
      this.answered(ex, out);
      return;
    }
    // A handler that waits (on the keystore, a log stream) aborts when its client goes away.
    ex.res.once("close", () => ex.clientGone());
    out.then(
      (result) => this.answered(ex, result),
      (err: unknown) => this.failed(ex, err),
    );
  }

  /** The handler answered: write its reply (unless it streamed, timed out or lost its client). */
  private answered(ex: Exchange, result: HandlerResult): void {
    const streamed = result === STREAMED;
    try {
      if (!streamed && !ex.gone && !ex.res.headersSent) sendReply(ex.res, result as Reply);
    } catch (err) {
      this.abandon(ex.res, err);
    }
    this.finish(ex, streamed);
  }

  /** The handler (or the body read) failed: answer the error unless nothing can be written. */
  private failed(ex: Exchange, err: unknown): void {
    if (!(ex.gone && ex.res.headersSent)) this.fail(ex.res, err);
    this.finish(ex, false);
  }

  /** The handler is done: counted now, not when the response closes (see audit). */
  private finish(ex: Exchange, streamed: boolean): void {
    try {
      if (ex.deadline !== 0) this.watchdog.delete(ex);
      if (ex.inFlight) {
        ex.inFlight = false;
        ex.state.inFlight.done();
      }
      const route = ex.route as ResolvedRoute;
      if (route.spec.counted) {
        const { metrics } = this.rt;
        metrics.active--;
        metrics.observe(ex.res.statusCode, (performance.now() - ex.started) / 1e3);
      }
    } finally {
      // A log stream is audited when it ends; anything else once its handler has answered.
      if (streamed && !ex.res.destroyed && this.rt.audit.active) {
        ex.res.once("close", () => this.audit(ex));
      } else {
        this.audit(ex);
      }
    }
  }

  /** The route timer fired: answer 503 (audited at once) unless the answer already went out. */
  timedOut(ex: Exchange): void {
    ex.timeOut();
    if (!ex.res.headersSent) {
      this.fail(ex.res, errTimeout());
      this.audit(ex);
    }
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
}
