// Child process of fs-crash.test.ts: opens the fs keystore at argv[2] (from the built dist/) and
// creates self-verifying keys named `${argv[3]}-<n>` with large values, several at a time, until
// it is killed. It prints "ready" once the store is open and "ok <name>" after each create
// resolves. It must never print a value.

import { createHash, randomBytes } from "node:crypto";

const [, , dir, prefix] = process.argv;
const { connectFs } = await import("../../dist/internal/keystore/fs/fs-store.js");

/** value = name ":" sha256hex(name ":" padding) ":" padding — checkable without the child. */
function makeValue(name) {
  const size = 200_000 + Math.floor(Math.random() * 800_000);
  const padding = randomBytes(Math.ceil((size * 3) / 4))
    .toString("base64")
    .slice(0, size);
  const digest = createHash("sha256").update(`${name}:${padding}`).digest("hex");
  return `${name}:${digest}:${padding}`;
}

const store = await connectFs({ path: dir });
process.stdout.write("ready\n");
let next = 0;
async function worker() {
  for (;;) {
    const name = `${prefix}-${next++}`;
    await store.create(name, makeValue(name));
    process.stdout.write(`ok ${name}\n`);
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
