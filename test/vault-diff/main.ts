// CLI of the differential Vault check: `node dist/test/vault-diff/main.js --addr A --token T
// [--unseal-key K] [--namespaces] [--record FILE [--server S --tag T --commit C --mode M]]
// [--against FILE]`. Sends the committed request sequence to A (any Vault-compatible server),
// then records the normalised answers as a fixture, compares them with one (exit 1 on a
// difference the fixture does not allow), or prints them. It never prints a token or secret ID:
// saved values are replaced by their variable names. --unseal-key seals and unseals the server.

import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { against, collect, readFixture } from "./check.js";
import { formatDifferences } from "./compare.js";

const OPTIONS = {
  addr: { type: "string" },
  token: { type: "string" },
  "unseal-key": { type: "string" },
  namespaces: { type: "boolean" },
  record: { type: "string" },
  against: { type: "string" },
  server: { type: "string" },
  tag: { type: "string" },
  commit: { type: "string" },
  mode: { type: "string" },
} as const;

async function main(): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
  try {
    ({ values } = parseArgs({ options: OPTIONS }));
  } catch (err) {
    process.stderr.write(`vault-diff: ${(err as Error).message}\n`);
    return 2;
  }
  if (!values.addr || !values.token) {
    process.stderr.write("vault-diff: --addr and --token are required\n");
    return 2;
  }
  const got = await collect({
    addr: values.addr,
    token: values.token,
    namespaces: values.namespaces === true,
    ...(values["unseal-key"] ? { unsealKey: values["unseal-key"] } : {}),
  });
  if (got.skipped.length > 0) {
    process.stderr.write(
      `vault-diff: SKIPPED ${got.skipped.length} steps (no --unseal-key / --namespaces): ${got.skipped.join(", ")}\n`,
    );
  }
  if (values.record) {
    const old = existsSync(values.record) ? readFixture(values.record) : undefined;
    const health = got.answers.find((a) => a.step === "health-active")?.body as
      | { version?: string }
      | undefined;
    const fixture = {
      producer: {
        server: values.server ?? "OpenBao",
        version: health?.version ?? "unknown",
        tag: values.tag ?? "unknown",
        commit: values.commit ?? "unknown",
        mode: values.mode ?? "unknown",
      },
      note: old?.note ?? "",
      skipped: got.skipped,
      allow: old?.allow ?? [],
      answers: got.answers,
    };
    writeFileSync(values.record, `${JSON.stringify(fixture, null, 2)}\n`);
    process.stderr.write(
      `vault-diff: recorded ${got.answers.length} answers to ${values.record}\n`,
    );
  }
  if (values.against) {
    const diffs = against(readFixture(values.against), got);
    const bad = diffs.filter((d) => !d.allowed);
    if (diffs.length > 0) process.stdout.write(`${formatDifferences(diffs)}\n`);
    process.stdout.write(
      `vault-diff: ${got.answers.length} steps, ${bad.length} differences, ${diffs.length - bad.length} allowed\n`,
    );
    return bad.length > 0 ? 1 : 0;
  }
  if (!values.record) process.stdout.write(`${JSON.stringify(got.answers, null, 2)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vault-diff: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
