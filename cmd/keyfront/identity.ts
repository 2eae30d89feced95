// `keyfront identity [new|of|info|ls]` (kes-api.md §11.4, §5.4): API keys and identities offline
// (`identity`, `identity of`, `identity new` in identity-new.ts) and the server's view of them
// (`info`, `ls`). It must never print a private key; an API key is printed only when generated
// or derived on request, and only to stdout.

import { createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { firstCertificate } from "../../internal/client/wire.js";
import {
  apiKeyOfPrivateKey,
  generateApiKey,
  identityOfApiKey,
  parseApiKey,
} from "../../internal/identity/api-key.js";
import {
  identityOfCertificate,
  identityOfSpki,
  isCaCertificate,
} from "../../internal/identity/identity.js";
import { CLIENT_OPTIONS, parseCommand, withClient } from "./client-env.js";
import { dispatch, type SubCommandTable } from "./dispatch.js";
import {
  bold,
  dim,
  formatDate,
  isTerminal,
  printFields,
  printJson,
  printNames,
  useColor,
} from "./format.js";
import { runIdentityNew } from "./identity-new.js";
import { CommandError, note, result, UsageError } from "./output.js";

const OFFLINE_OPTIONS = {
  json: { type: "boolean", default: false },
  color: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Resolved = { identity: string } | { apiKey: string; identity: string };

function isApiKey(text: string): boolean {
  try {
    parseApiKey(text);
    return true;
  } catch {
    return false;
  }
}

/** An API key, a PEM certificate file or a PEM private-key file → identity (and API key). */
export function resolveArgument(arg: string): Resolved {
  if (arg.startsWith("kes:v1:") || (!existsSync(arg) && isApiKey(arg))) {
    try {
      return { identity: identityOfApiKey(arg) };
    } catch (err) {
      throw new CommandError(`${(err as Error).message}: check the API key`);
    }
  }
  let text: string;
  try {
    text = readFileSync(arg, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CommandError(`'${arg}' is neither a kes:v1 API key nor a readable file (${code})`);
  }
  const der = firstCertificate(text);
  if (der !== undefined) {
    let identity: string;
    let ca: boolean;
    try {
      identity = identityOfCertificate(der);
      ca = isCaCertificate(der);
    } catch {
      throw new CommandError(`'${arg}' holds no valid X.509 certificate`);
    }
    if (ca) warnCaCertificate(arg);
    return { identity };
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    try {
      const apiKey = apiKeyOfPrivateKey(text);
      return { apiKey, identity: identityOfApiKey(apiKey) };
    } catch (err) {
      throw new CommandError(`'${arg}': ${(err as Error).message}`);
    }
  }
  throw new CommandError(`'${arg}' holds neither a PEM certificate nor a PEM private key`);
}

/** A CA-flagged certificate is never a client identity (kes-api.md §5.1; issue 8 item 1). */
function warnCaCertificate(file: string): void {
  note(
    `warning: '${file}' is a CA certificate (BasicConstraints CA:TRUE): a server never accepts ` +
      "it as a client certificate (400 'tls: client certificate is required'); issue a leaf " +
      "certificate (CA:FALSE) for this key to use the identity below",
  );
}

function printIdentity(identity: string, json: boolean, color?: string) {
  if (json) printJson({ identity });
  else if (isTerminal()) result(`${bold("Identity:", useColor(color))} ${identity}`);
  else result(identity);
}

/** `keyfront identity` (new API key) and `keyfront identity <api key | file>`. */
async function runBare(args: string[]) {
  const { values, positionals } = parseCommand(
    args,
    OFFLINE_OPTIONS,
    "keyfront identity [<api key | file>]",
  );
  if (positionals.length > 1) throw new UsageError("too many arguments");
  const arg = positionals[0];
  if (arg === undefined) {
    const apiKey = generateApiKey();
    const identity = identityOfApiKey(apiKey);
    if (values.json) printJson({ api_key: apiKey, identity });
    else if (!isTerminal()) result(apiKey);
    else {
      const color = useColor(values.color);
      result(
        [
          `${bold("API key:", color)}  ${apiKey}`,
          `${bold("Identity:", color)} ${identity}`,
          "",
          dim("The API key is shown only now: keep it secret. Put the identity into the", color),
          dim("server's config (admin.identity or a policy's identities).", color),
        ].join("\n"),
      );
    }
    return 0;
  }
  const r = resolveArgument(arg);
  if ("apiKey" in r) {
    if (values.json) printJson({ api_key: r.apiKey, identity: r.identity });
    else result(r.apiKey);
  } else printIdentity(r.identity, values.json, values.color);
  return 0;
}

async function runOf(args: string[]) {
  const usage = "keyfront identity of <api key | certificate file>";
  const { values, positionals } = parseCommand(args, OFFLINE_OPTIONS, usage);
  if (positionals.length !== 1) throw new UsageError(`want one argument\nusage: ${usage}`);
  const arg = positionals[0] as string;
  const r = resolveArgument(arg);
  const identity =
    "apiKey" in r
      ? identityOfSpki(
          createPublicKey(readFileSync(arg, "utf8")).export({ type: "spki", format: "der" }),
        )
      : r.identity;
  printIdentity(identity, values.json, values.color);
  return 0;
}

async function runInfo(args: string[]) {
  const usage = "keyfront identity info [<identity>] [--json]";
  const { values, positionals } = parseCommand(args, CLIENT_OPTIONS, usage);
  if (positionals.length > 1) throw new UsageError(`too many arguments\nusage: ${usage}`);
  const id = positionals[0];
  const color = useColor(values.color);
  if (id === undefined) {
    const doc = await withClient(values, (c) => c.describeSelf());
    if (values.json) {
      printJson(doc);
      return 0;
    }
    const fields: [string, string][] = [
      ["Identity", doc.identity],
      ["Role", doc.admin === true ? "Admin" : "User"],
      ...(doc.policy === undefined ? [] : [["Policy", doc.policy] as [string, string]]),
      ["Date", formatDate(doc.created_at)],
      ["Owner", doc.created_by ?? "-"],
      ...patterns("Allow", doc.allow),
      ...patterns("Deny", doc.deny),
    ];
    printFields(fields, color);
    return 0;
  }
  const doc = await withClient(values, (c) => c.describeIdentity(id));
  if (values.json) printJson(doc);
  else {
    printFields(
      [
        ["Identity", id],
        ["Role", doc.admin === true ? "Admin" : "User"],
        ...(doc.policy === undefined ? [] : [["Policy", doc.policy] as [string, string]]),
        ["Date", formatDate(doc.created_at)],
        ["Owner", doc.created_by ?? "-"],
      ],
      color,
    );
  }
  return 0;
}

function patterns(label: string, set: Record<string, unknown> | undefined): [string, string][] {
  return Object.keys(set ?? {}).map((p, i) => [i === 0 ? label : "", p]);
}

async function runLs(args: string[]) {
  const usage = "keyfront identity ls [PREFIX] [--json]";
  const { values, positionals } = parseCommand(args, CLIENT_OPTIONS, usage);
  if (positionals.length > 1) throw new UsageError(`too many arguments\nusage: ${usage}`);
  const ids = await withClient(values, (c) => c.listIdentities(positionals[0] ?? ""));
  printNames("Identity", ids, { json: values.json, color: useColor(values.color) });
  return 0;
}

const IDENTITY_COMMANDS: SubCommandTable = {
  new: { run: runIdentityNew, help: "create an API key, optionally a private key and certificate" },
  of: { run: runOf, help: "print the identity of an API key or certificate" },
  info: { run: runInfo, help: "describe your identity or another one" },
  ls: { run: runLs, help: "list identities" },
};

export function runIdentity(args: string[]): Promise<number | undefined> {
  const first = args[0];
  if (first === undefined || (first.startsWith("-") && first !== "-h" && first !== "--help")) {
    return runBare(args);
  }
  if (
    !Object.hasOwn(IDENTITY_COMMANDS, first) &&
    first !== "-h" &&
    first !== "--help" &&
    first !== "help"
  ) {
    return runBare(args);
  }
  return dispatch("identity", IDENTITY_COMMANDS, args);
}
