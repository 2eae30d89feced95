// The types of the declarative route table: what a route is, what a handler receives and what it
// returns. Handlers are thin adapters (decode → domain → encode) and throw catalogue errors.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiError } from "../errors.js";
import type { Runtime, ServerState } from "./state.js";

export type Method = "GET" | "PUT" | "DELETE";
/** none: no identity at all; identify: identity if a usable cert is present; policy: authorised. */
export type AuthMode = "none" | "identify" | "policy";

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The decoded, clean path the policy was evaluated on. */
  readonly path: string;
  /** For prefix routes, the remainder of the path after the route prefix; "" otherwise. */
  readonly resource: string;
  /** The caller's identity (64 hex), or "" on routes that do not need one. */
  readonly identity: string;
  /** The request body, already bounded by the route's maxBody (empty for body-less routes). */
  readonly body: Buffer;
  readonly signal: AbortSignal;
  /** What the request's audit event adds: the key version a key route used or made. */
  readonly audit: { version?: number | undefined };
  readonly state: ServerState;
  readonly rt: Runtime;
}

export interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
}

/** A handler that wrote its own (streaming) response returns STREAMED. */
export const STREAMED: unique symbol = Symbol("streamed");
export type HandlerResult = Reply | typeof STREAMED;
export type Handler = (ctx: RequestContext) => HandlerResult | Promise<HandlerResult>;

export interface RouteSpec {
  readonly method: Method;
  /** Exact path, or a prefix ending in "/" whose remainder is the resource. */
  readonly path: string;
  readonly auth: AuthMode;
  readonly maxBody: number;
  /** Default timeout in ms; 0 = none (log streams). */
  readonly timeoutMs: number;
  /** Counted in kes_http_* metrics. */
  readonly counted: boolean;
  /** The error a body that cannot be read or decoded produces. */
  readonly bodyError?: () => ApiError;
  readonly handler: Handler;
}

/**
 * Whether a route registered for `want` serves a request with method `got`. A PUT route also
 * takes POST (kes-api.md §1.3 step 1; the SDKs send POST). The request loop and `policy explain` both
 * decide with this function, so an explanation cannot disagree with the server.
 */
export function acceptsMethod(want: Method, got: string): boolean {
  return got === want || (want === "PUT" && got === "POST");
}

const JSON_TYPE = "application/json";

export function jsonReply(value: unknown): Reply {
  return jsonLine(`${JSON.stringify(value)}\n`);
}

/** A 200 answer of one JSON line the caller has already written (newline included). */
export function jsonLine(line: string): Reply {
  return { status: 200, body: line, contentType: JSON_TYPE };
}

export function emptyReply(): Reply {
  return { status: 200, body: "" };
}
