// `keyfront status [--api] [-s/--short] [--json]` (kes-api.md §11.4): the server's status with the
// client-measured latency, or its API table. Note: as in KES, `-s` is `--short` here, so the
// server is given with `--server` or KES_SERVER.

import type { ApiRoute } from "../../internal/client/types.js";
import { CLIENT_OPTIONS, parseCommand, withClient } from "./client-env.js";
import {
  bold,
  formatBytes,
  formatDuration,
  green,
  printFields,
  printJson,
  printTable,
  red,
  useColor,
} from "./format.js";
import { result, UsageError } from "./output.js";

const USAGE = "keyfront status [--api] [-s/--short] [--json] [-k] [--server HOST:PORT]";

const OPTIONS = {
  ...CLIENT_OPTIONS,
  server: { type: "string" },
  short: { type: "boolean", short: "s", default: false },
  api: { type: "boolean", default: false },
} as const;

function printApi(routes: ApiRoute[], json: boolean, color: boolean): void {
  const sorted = [...routes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (json) {
    printJson(sorted);
    return;
  }
  printTable(
    ["Method", "API", "Timeout"],
    sorted.map((r) => [r.method, r.path, r.timeout === 0 ? "Inf" : `${r.timeout}s`]),
    color,
  );
}

export async function runStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS, USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const color = useColor(values.color);
  if (values.api) {
    const routes = await withClient(values, (c) => c.api());
    printApi(routes, values.json, color);
    return 0;
  }
  const s = await withClient(values, (c) => c.status());
  const down = s.keystore_unavailable === true || s.keystore_unreachable === true;
  const latency = `${Math.max(1, Math.round(s.latencyMs))}ms`;
  if (values.json) {
    const { endpoint, latencyMs, ...doc } = s;
    printJson({ endpoint, latency_ms: Math.round(latencyMs * 1000) / 1000, ...doc });
    return 0;
  }
  const dot = down ? red("●", color) : green("●", color);
  if (values.short) {
    result(`${dot} ${s.endpoint}  ${latency}${down ? "  keystore unavailable" : ""}`);
    return 0;
  }
  result(`${dot} ${bold(s.endpoint, color)}`);
  const storeLatency =
    s.keystore_latency === undefined
      ? ""
      : ` (${Math.max(1, Math.round(s.keystore_latency / 1e6))}ms)`;
  printFields(
    [
      ["  Version", s.version],
      ["  Uptime", formatDuration(s.uptime)],
      ["  Latency", latency],
      ["  OS", s.os],
      ["  CPUs", `${s.num_cpu_used}/${s.num_cpu} ${s.arch}`],
      ["  Memory", `heap ${formatBytes(s.mem_heap_used)}, stack ${formatBytes(s.mem_stack_used)}`],
      [
        "  Keystore",
        down ? (s.keystore_unreachable ? "unreachable" : "unavailable") : `ok${storeLatency}`,
      ],
      // Which Vault node answered last (an HA Vault behind a name, README).
      ...(!down && typeof s.keystore_address === "string"
        ? [["  Vault node", oneLine(s.keystore_address)] as [string, string]]
        : []),
      // The server's reason, such as a Vault mount of the other K/V version: what to fix.
      ...(down && typeof s.keystore_error === "string"
        ? [["  Reason", oneLine(s.keystore_error)] as [string, string]]
        : []),
      // Such as a Vault client certificate about to expire: what to fix before it breaks.
      ...(Array.isArray(s.keystore_warnings) ? s.keystore_warnings : []).map(
        (w): [string, string] => ["  Warning", oneLine(String(w))],
      ),
    ],
    color,
  );
  return 0;
}

/** Server-sent text on one terminal line: control characters (escapes included) become spaces. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is being removed
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
}
