// Writes Vault responses: the success envelope with every key present, `{"errors":[…]}` bodies,
// 204 for nil responses, 404 for empty reads and lists, raw bodies, and the response-wrapping
// envelope (vault-api.md §1.2, §1.3, §5.3). Headers are always `Content-Type: application/json`
// and `Cache-Control: no-store`. It must never emit a 401.

import type { ServerResponse } from "node:http";
import type { Op, Reply } from "./state.js";
import { newUuid } from "./util.js";

type ResponseReply = Extract<Reply, { kind: "response" }>;

/** The JSON envelope of a success (or success-shaped 404) reply. */
export function envelopeOf(
  reply: ResponseReply,
  mountType: string,
  requestId = newUuid(),
): Record<string, unknown> {
  const env: Record<string, unknown> = {
    request_id: requestId,
    lease_id: "",
    renewable: false,
    lease_duration: reply.leaseDuration ?? 0,
    data: reply.data ?? null,
    wrap_info: null,
    warnings: reply.warnings ?? null,
    auth: reply.auth ?? null,
    mount_type: reply.mountType ?? mountType,
  };
  if (reply.inject && reply.data !== null && typeof reply.data === "object") {
    for (const [k, v] of Object.entries(reply.data)) if (!(k in env)) env[k] = v;
  }
  return env;
}

/** The wrapped reply: `request_id:""`, `data:null`, `wrap_info` filled (quirk 20). */
export function wrappedEnvelopeOf(info: {
  token: string;
  accessor: string;
  ttl: number;
  creationTime: string;
  creationPath: string;
  wrappedAccessor?: string | undefined;
}): Record<string, unknown> {
  const wrapInfo: Record<string, unknown> = {
    token: info.token,
    accessor: info.accessor,
    ttl: info.ttl,
    creation_time: info.creationTime,
    creation_path: info.creationPath,
  };
  if (info.wrappedAccessor) wrapInfo.wrapped_accessor = info.wrappedAccessor;
  return {
    request_id: "",
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: wrapInfo,
    warnings: null,
    auth: null,
  };
}

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Content-Length": Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

export function writeErrors(res: ServerResponse, status: number, errors: string[]): void {
  writeJson(res, status, { errors });
}

export function writeEmpty(res: ServerResponse, status: number): void {
  // Vault's handlers set the JSON content type before any status, a 204 included (vault-diff).
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Content-Length": 0,
  });
  res.end();
}

/** Whether a list reply carries no keys: Vault answers 404 `{"errors":[]}` (quirk 11). */
function isEmptyList(reply: ResponseReply): boolean {
  if (reply.warnings !== undefined && reply.warnings.length > 0) return false;
  const data = reply.data as { keys?: unknown } | null | undefined;
  return !data || !Array.isArray(data.keys) || data.keys.length === 0;
}

/** Writes a backend reply for operation `op` on a mount of type `mountType`. */
export function writeReply(res: ServerResponse, op: Op, reply: Reply, mountType: string): void {
  switch (reply.kind) {
    case "none":
      if (op === "read" || op === "list" || op === "patch") writeErrors(res, 404, []);
      else writeEmpty(res, 204);
      return;
    case "error":
      writeErrors(res, reply.status, reply.errors);
      return;
    case "raw": {
      res.writeHead(reply.status, {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Content-Length": Buffer.byteLength(reply.body),
      });
      res.end(reply.body);
      return;
    }
    default:
      if (op === "list" && (reply.status ?? 200) === 200 && isEmptyList(reply)) {
        writeErrors(res, 404, []);
        return;
      }
      writeJson(res, reply.status ?? 200, envelopeOf(reply, mountType));
  }
}
