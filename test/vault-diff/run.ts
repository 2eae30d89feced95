// Sends the differential sequence to one Vault-compatible address and collects the answers. It
// talks plain HTTP(S) like any client; values saved from answers (tokens, secret IDs) stay in
// memory and are replaced by their variable names before anything is compared, kept or printed.

import {
  VAULT_DIFF_ACTIVE_WAIT_MS,
  VAULT_DIFF_MAX_BODY_BYTES,
  VAULT_DIFF_MAX_WAIT_MS,
  VAULT_DIFF_REQUEST_TIMEOUT_MS,
  VAULT_DIFF_UPGRADE_PAUSE_MS,
  VAULT_DIFF_UPGRADE_TRIES,
} from "../../internal/limits.js";
import type { Step } from "./step.js";

export interface Answer {
  step: string;
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface RunOptions {
  addr: string;
  token: string;
  /** An unseal key: enables the seal/unseal steps. */
  unsealKey?: string;
  /** Whether the server has namespaces: enables the namespace steps. */
  namespaces: boolean;
  /** Unique per run, so a sequence can run again on the same server. */
  runId: string;
}

export interface RunResult {
  answers: Answer[];
  skipped: string[];
  /** Saved values (secrets among them): for normalisation only, never printed. */
  vars: Map<string, string>;
}

/** The response headers worth comparing (the rest are transport details). */
export const COMPARED_HEADERS = ["content-type", "cache-control", "location"] as const;

export async function runSequence(steps: readonly Step[], opts: RunOptions): Promise<RunResult> {
  const vars = new Map<string, string>([
    ["run", opts.runId],
    ["root", opts.token],
  ]);
  if (opts.unsealKey) vars.set("unsealKey", opts.unsealKey);
  const answers: Answer[] = [];
  const skipped: string[] = [];
  for (const step of steps) {
    if (
      (step.needs === "unseal-key" && !opts.unsealKey) ||
      (step.needs === "namespaces" && !opts.namespaces)
    ) {
      skipped.push(step.name);
      continue;
    }
    if (step.waitMs) await sleep(Math.min(step.waitMs, VAULT_DIFF_MAX_WAIT_MS));
    let answer = await send(opts.addr, step, vars);
    for (
      let n = 1;
      step.retryUpgrading && isUpgrading(answer) && n < VAULT_DIFF_UPGRADE_TRIES;
      n++
    ) {
      await sleep(VAULT_DIFF_UPGRADE_PAUSE_MS);
      answer = await send(opts.addr, step, vars);
    }
    answers.push(answer);
    for (const [name, where] of Object.entries(step.save ?? {})) {
      const value = dig(answer.body, where);
      if (typeof value === "string" && value !== "") vars.set(name, value);
    }
    if (step.untilActive) await waitActive(opts.addr);
  }
  return { answers, skipped, vars };
}

function isUpgrading(a: Answer): boolean {
  const errors = (a.body as { errors?: unknown } | null)?.errors;
  return a.status === 400 && Array.isArray(errors) && String(errors[0]).startsWith("Upgrading");
}

/** `{name}` → the saved value; an unknown name stays as written (the request then fails visibly). */
export function fill(template: string, vars: Map<string, string>): string {
  return template.replace(/\{([A-Za-z0-9]+)\}/g, (all, name: string) => vars.get(name) ?? all);
}

async function send(addr: string, step: Step, vars: Map<string, string>): Promise<Answer> {
  const path = fill(step.path, vars);
  const headers: Record<string, string> = {};
  const tokenVar = step.token ?? "root";
  if (tokenVar !== "") headers["X-Vault-Token"] = vars.get(tokenVar) ?? tokenVar;
  if (step.namespace) headers["X-Vault-Namespace"] = fill(step.namespace, vars);
  for (const [k, v] of Object.entries(step.headers ?? {})) headers[k] = fill(v, vars);
  let body: string | undefined;
  if (typeof step.body === "string") body = step.body;
  else if (step.body !== undefined) body = fill(JSON.stringify(step.body), vars);
  const res = await fetch(new URL(`/v1/${path}`, addr), {
    method: step.method,
    headers,
    redirect: "manual",
    signal: AbortSignal.timeout(VAULT_DIFF_REQUEST_TIMEOUT_MS),
    ...(body === undefined ? {} : { body }),
  });
  const text = await readCapped(res, step.name);
  const kept: Record<string, string> = {};
  for (const name of COMPARED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return {
    step: step.name,
    method: step.method,
    path: step.path,
    status: res.status,
    headers: kept,
    body: parseBody(text),
  };
}

/** The body as text; more than VAULT_DIFF_MAX_BODY_BYTES is refused without reading it all. */
async function readCapped(res: Response, step: string): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString("utf8");
    size += value.byteLength;
    if (size > VAULT_DIFF_MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Error(`${step}: answer over ${VAULT_DIFF_MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
}

function parseBody(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { "(text)": text };
  }
}

/** body.a.b… or undefined. */
export function dig(body: unknown, dotted: string): unknown {
  let v: unknown = body;
  for (const k of dotted.split("."))
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

async function waitActive(addr: string): Promise<void> {
  const until = performance.now() + VAULT_DIFF_ACTIVE_WAIT_MS;
  while (performance.now() < until) {
    const res = await fetch(new URL("/v1/sys/health", addr), {
      signal: AbortSignal.timeout(VAULT_DIFF_REQUEST_TIMEOUT_MS),
    }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${addr} did not become active within ${VAULT_DIFF_ACTIVE_WAIT_MS} ms`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
