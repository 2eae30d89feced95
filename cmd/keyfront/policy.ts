// `keyfront policy ls|info|show` (kes-api.md §11.4): the read-only policies of the server's
// configuration. `show` prints allow/deny patterns on a terminal and the policy document as JSON
// otherwise or with --json. `explain` (keyfront only) is in policy-explain.ts.

import { CLIENT_OPTIONS, parseCommand, withClient } from "./client-env.js";
import { dispatch, type SubCommandTable } from "./dispatch.js";
import {
  bold,
  formatDate,
  green,
  isTerminal,
  printFields,
  printJson,
  printNames,
  red,
  useColor,
} from "./format.js";
import { result, UsageError } from "./output.js";
import { explain } from "./policy-explain.js";

function parse(args: string[], usage: string, min: number, max: number) {
  const parsed = parseCommand(args, CLIENT_OPTIONS, usage);
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing argument\nusage: ${usage}`);
  if (n > max) throw new UsageError(`too many arguments\nusage: ${usage}`);
  return parsed;
}

async function ls(args: string[]) {
  const { values, positionals } = parse(args, "keyfront policy ls [PREFIX] [--json]", 0, 1);
  const names = await withClient(values, (c) => c.listPolicies(positionals[0] ?? ""));
  printNames("Policy", names, { json: values.json, color: useColor(values.color) });
  return 0;
}

async function info(args: string[]) {
  const { values, positionals } = parse(args, "keyfront policy info <name> [--json]", 1, 1);
  const doc = await withClient(values, (c) => c.describePolicy(positionals[0] as string));
  if (values.json) printJson(doc);
  else {
    printFields(
      [
        ["Name", doc.name],
        ["Date", formatDate(doc.created_at)],
        ["Owner", doc.created_by],
      ],
      useColor(values.color),
    );
  }
  return 0;
}

async function show(args: string[]) {
  const { values, positionals } = parse(args, "keyfront policy show <name> [--json]", 1, 1);
  const doc = await withClient(values, (c) => c.readPolicy(positionals[0] as string));
  if (values.json || !isTerminal()) {
    printJson(doc);
    return 0;
  }
  const color = useColor(values.color);
  const lines: string[] = [];
  const allow = Object.keys(doc.allow ?? {});
  const deny = Object.keys(doc.deny ?? {});
  if (allow.length > 0)
    lines.push(bold("Allow:", color), ...allow.map((p) => `  ${green("·", color)} ${p}`));
  if (deny.length > 0)
    lines.push(bold("Deny:", color), ...deny.map((p) => `  ${red("·", color)} ${p}`));
  lines.push(`${bold("Date:", color)}  ${formatDate(doc.created_at)}`);
  lines.push(`${bold("Owner:", color)} ${doc.created_by}`);
  result(lines.join("\n"));
  return 0;
}

const POLICY_COMMANDS: SubCommandTable = {
  ls: { run: ls, help: "list policies" },
  info: { run: info, help: "describe a policy" },
  show: { run: show, help: "print a policy's allow and deny patterns" },
  explain: { run: explain, help: "explain whether an identity may send a request, and why" },
};

export const runPolicy = (args: string[]) => dispatch("policy", POLICY_COMMANDS, args);
