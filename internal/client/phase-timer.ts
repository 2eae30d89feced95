// The bounded waits of one client request: the whole answer (or a stream's headers) within the
// request timeout, and on a fresh connection the TCP connect and the TLS handshake each within
// their own bound, so a silent or black-holed port fails in seconds with a precise reason.
// A reused keep-alive connection is past both. It must never time an open stream's body: the
// owner stops the timer once the answer is there.

import type { TLSSocket } from "node:tls";
import { ANSWER_TIMEOUT, CONNECT_TIMEOUT, HANDSHAKE_TIMEOUT, type Phase } from "./net-errors.js";

/** The bounds of one request, in milliseconds. */
export interface Bounds {
  answerMs: number;
  connectMs: number;
  handshakeMs: number;
}

/** Sockets whose TLS handshake completed (reused ones skip the connect and handshake bounds). */
const secured = new WeakSet<TLSSocket>();

export class PhaseTimer {
  /** Where the request is: connecting, in the TLS handshake, or sent/awaiting its answer. */
  current: Phase = "connect";
  /** The bound that ran out, once a timer fired (else the request timeout). */
  boundMs: number;
  /** The code of the timeout that fired, if one did: it explains whatever error follows. */
  firedCode: string | undefined;
  private readonly answerTimer: NodeJS.Timeout;
  private phaseTimer: NodeJS.Timeout | undefined;
  private socket: TLSSocket | undefined;
  private readonly onTimeout: (err: Error) => void;
  private readonly bounds: Bounds;

  constructor(bounds: Bounds, onTimeout: (err: Error) => void) {
    this.bounds = bounds;
    this.boundMs = bounds.answerMs;
    this.onTimeout = onTimeout;
    this.answerTimer = setTimeout(
      () => this.fire(ANSWER_TIMEOUT, bounds.answerMs),
      bounds.answerMs,
    );
  }

  private fire(code: string, ms: number): void {
    this.boundMs = ms;
    this.firedCode = code;
    this.onTimeout(Object.assign(new Error(`timed out after ${ms} ms`), { code }));
  }

  private arm(code: string, ms: number): void {
    clearTimeout(this.phaseTimer);
    this.phaseTimer = setTimeout(() => this.fire(code, ms), ms);
  }

  private readonly onConnect = () => {
    this.current = "handshake";
    this.arm(HANDSHAKE_TIMEOUT, this.bounds.handshakeMs);
  };

  private readonly onSecure = () => {
    if (this.socket !== undefined) secured.add(this.socket);
    this.current = "request";
    clearTimeout(this.phaseTimer);
  };

  /** Follows the request's socket through connect and handshake (no-op for a reused one). */
  watch(socket: TLSSocket): void {
    if (secured.has(socket)) {
      this.current = "request";
      return;
    }
    this.socket = socket;
    if (socket.connecting) {
      this.current = "connect";
      this.arm(CONNECT_TIMEOUT, this.bounds.connectMs);
      socket.once("connect", this.onConnect);
    } else {
      this.onConnect();
    }
    socket.once("secureConnect", this.onSecure);
  }

  /** Stops every timer and lets go of the socket. */
  stop(): void {
    clearTimeout(this.answerTimer);
    clearTimeout(this.phaseTimer);
    this.socket?.off("connect", this.onConnect);
    this.socket?.off("secureConnect", this.onSecure);
    this.socket = undefined;
  }
}
