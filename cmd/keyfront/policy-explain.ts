// `keyfront policy explain <identity | cert file | API key> <METHOD> <path>`: asks the server
// (POST /v1/policy/explain) what it would do with that request from that identity, and why.
// The identity is resolved here: 64 hex as given, a certificate or private-key file, or a kes:v1
// API key, whose identity is derived locally (the API key never leaves this process). Exit 0
// whether the request would be allowed or denied: the explanation is the result.

import type { PolicyExplanation } from "../../internal/client/client.js";
import { KeyfrontError } from "../../internal/client/errors.js";
import { CLIENT_OPTIONS, parseCommand, withClient } from "./client-env.js";
import { green, printFields, printJson, red, useColor } from "./format.js";
import { resolveArgument } from "./identity.js";
import { CommandError, UsageError } from "./output.js";

const USAGE =
  "keyfront policy explain <identity | certificate file | API key> <METHOD> <path> [--json]";
const HEX_IDENTITY = /^[0-9a-fA-F]{64}$/;

/** 64 hex digits, else a certificate / private-key file or an API key (cmd identity helpers). */
function identityOf(arg: string): string {
  if (HEX_IDENTITY.test(arg)) return arg.toLowerCase();
  return resolveArgument(arg).identity;
}

/**
 * The path as a request target: characters a request line cannot carry (non-ASCII, spaces,
 * controls) are percent-encoded as a client would send them; `%` escapes typed by the user stay.
 */
export function requestTarget(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
}

function ruleText(e: PolicyExplanation): string {
  switch (e.decided_by) {
    case "rule":
      return e.rule === undefined ? "-" : `${e.rule.effect} ${e.rule.pattern}`;
    case "default":
      return "no rule matched: denied by default";
    case "rule_withheld":
      return `withheld: reading policy '${e.policy ?? ""}' needs /v1/policy/read/${e.policy ?? ""}`;
    case "admin":
      return "none: the admin is subject to no policy";
    case "unknown_identity":
      return "none: the identity is in no policy";
    case "route":
      return "none: the route checks no policy";
    default:
      return "not reached: the server answers before any policy check";
  }
}

function roleText(e: PolicyExplanation): string {
  if (e.role === "admin") return "admin";
  if (e.role === "policy") return `policy '${e.policy ?? ""}'`;
  return "unknown: neither the admin nor in any policy";
}

/** A decoded path may hold control characters: shown escaped, never sent to the terminal raw. */
function visible(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is escaped here
    /[\x00-\x1f\x7f]/g,
    (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

function print(e: PolicyExplanation, color: boolean): void {
  const verdict = e.allowed
    ? green("allowed", color)
    : red(`denied: the server answers ${e.status ?? "?"}`, color);
  printFields(
    [
      ["Identity:", e.identity],
      ["Role:", roleText(e)],
      ["Request:", visible(`${e.method} ${e.path}`)],
      ...e.redirects.map((to, i): [string, string] => [
        i === 0 ? "Redirect:" : "",
        `301 to ${to} (explained as the client follows it)`,
      ]),
      ["Path:", visible(e.evaluated_path ?? "-")],
      ["Route:", e.route ? `${e.route.method} ${e.route.path} (auth: ${e.route.auth})` : "none"],
      ["Rule:", ruleText(e)],
      ["Result:", verdict],
      ["Reason:", visible(e.reason)],
    ],
    color,
  );
}

export async function explain(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, CLIENT_OPTIONS, USAGE);
  if (positionals.length !== 3) {
    throw new UsageError(`want 3 arguments, got ${positionals.length}\nusage: ${USAGE}`);
  }
  const [who, method, path] = positionals as [string, string, string];
  if (!/^[A-Za-z]{1,20}$/.test(method)) {
    throw new UsageError(`'${method}' is not an HTTP method (e.g. GET, PUT, POST, DELETE)`);
  }
  if (!path.startsWith("/")) throw new UsageError(`the path must start with '/', e.g. /v1/status`);
  const identity = identityOf(who);
  const e = await withClient(values, async (c) => {
    try {
      return await c.explainPolicy(identity, method.toUpperCase(), requestTarget(path), undefined);
    } catch (err) {
      throw explainFailure(err, c.identity, identity);
    }
  });
  if (values.json) printJson(e);
  else print(e, useColor(values.color));
  return 0;
}

/** The two failures the explain route adds: no such route (KES, old keyfront) and 403. */
function explainFailure(err: unknown, caller: string, explained: string): unknown {
  if (!(err instanceof KeyfrontError)) return err;
  if (err.status === 404 && /page not found/.test(err.message)) {
    return new CommandError("the server has no /v1/policy/explain route (it is not keyfront)");
  }
  if (err.status === 403) {
    const also = caller === explained ? "" : " and /v1/identity/describe/<identity>";
    return new CommandError(
      `${err.message}: identity ${caller} needs /v1/policy/explain${also} (ask the server's admin for a policy)`,
    );
  }
  return err;
}
