// Connection bounds of the HTTPS server (issue 8 item 5): at most `server.max_connections` open
// connections per worker process (Node's net.Server maxConnections closes the excess at accept
// time) and at most `server.max_connections_per_client` from one IP address, counted from accept
// to close. A refused connection is closed at once, before any TLS work; it is logged at warn at
// most once per CONNECTION_REFUSED_LOG_INTERVAL_MS (with how many were refused meanwhile) and at
// debug otherwise. It must never read or log anything the client sent: only the peer's address.
// It also bounds what one connection can have in progress: more than MAX_PIPELINED_REQUESTS
// requests received but not yet answered (pipelining without reading) closes that connection.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server, Socket } from "node:net";
import type { Config } from "../config/config.js";
import { CONNECTION_REFUSED_LOG_INTERVAL_MS, MAX_PIPELINED_REQUESTS } from "../limits.js";
import type { Logger } from "../log/logger.js";

type Limits = Pick<Config["server"], "maxConnections" | "maxConnectionsPerClient">;
type Reason =
  | "server.max_connections"
  | "server.max_connections_per_client"
  | "pipelined requests per connection";

const IN_PROGRESS = Symbol("keyfront.requestsInProgress");
type CountedSocket = Socket & { [IN_PROGRESS]?: number };

/** A response's "close" listener: one function for all (no closure per request). */
function responseClosed(this: ServerResponse): void {
  const socket = this.req.socket as CountedSocket;
  socket[IN_PROGRESS] = (socket[IN_PROGRESS] ?? 1) - 1;
}

export class ConnectionLimiter {
  private readonly log: Logger;
  private readonly perAddress = new Map<string, number>();
  private limits: Limits;
  private server: Server | undefined;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private refusedSinceWarn = 0;

  constructor(log: Logger, limits: Limits) {
    this.log = log;
    this.limits = limits;
  }

  /** Installs the bounds on `server`; call once, before it listens. */
  attach(server: Server): void {
    this.server = server;
    server.maxConnections = this.limits.maxConnections;
    // First among the "connection" listeners: a refused socket never reaches the TLS layer.
    server.prependListener("connection", (socket: Socket) => this.admit(socket));
    server.on("drop", (peer?: { remoteAddress?: string }) => {
      this.refused("server.max_connections", peer?.remoteAddress);
    });
  }

  /** New bounds after a reload; open connections over a lowered bound are left to finish. */
  configure(limits: Limits): void {
    this.limits = limits;
    if (this.server) this.server.maxConnections = limits.maxConnections;
  }

  /** Open connections from `address` (for tests and metrics). */
  openFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /**
   * Counts a request on its connection until its response closes (answered or cut short). Over MAX_PIPELINED_REQUESTS the connection is closed and false returned:
   * the caller must not serve the request. Node parses pipelined requests ahead of their answers,
   * so without this a client that never reads could keep any number of them in progress.
   */
  admitRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket as CountedSocket;
    const inProgress = (socket[IN_PROGRESS] ?? 0) + 1;
    if (inProgress > MAX_PIPELINED_REQUESTS) {
      socket.destroy();
      this.refused("pipelined requests per connection", socket.remoteAddress);
      return false;
    }
    socket[IN_PROGRESS] = inProgress;
    // "close" follows every response, once: after "finish" when answered, alone when cut short.
    res.on("close", responseClosed);
    return true;
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined) {
      // Already gone (reset before accept completed): nothing to count or serve.
      socket.destroy();
      return;
    }
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.limits.maxConnectionsPerClient) {
      socket.destroy();
      this.refused("server.max_connections_per_client", address);
      return;
    }
    this.perAddress.set(address, open + 1);
    socket.once("close", () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
  }

  private refused(reason: Reason, address: string | undefined): void {
    this.refusedSinceWarn++;
    const now = Date.now();
    const fields = { limit: reason, ip: address ?? "" };
    if (now - this.lastWarnAt < CONNECTION_REFUSED_LOG_INTERVAL_MS) {
      this.log.debug(fields, `connection refused: over the connection limit ${reason}`);
      return;
    }
    this.log.warn(
      { ...fields, refused: this.refusedSinceWarn },
      `connection refused: over the connection limit ${reason}`,
    );
    this.lastWarnAt = now;
    this.refusedSinceWarn = 0;
  }
}
