// Child process of ring-crash.test.ts: opens the fs keystore at argv[2] (from the built dist/) and
// works on key argv[4] until it is killed, in mode argv[3]:
// * "rotate": rotates the key and changes its state over and over; after each rotation it prints
//   "ok <version> <base64 ciphertext of 'payload-<version>'>" sealed under that version, after each
//   state change "state <rotate_ms>".
// * "purge": creates the key, rotates it twice, disables it and deletes it (window 0: a purge),
//   over and over, printing "cycle <n>" after each full cycle.
// It prints "ready" once the store is open. It must never print key material.

const [, , dir, mode, name] = process.argv;
const { connectFs } = await import("../../dist/internal/keystore/fs/fs-store.js");
const { serviceOn } = await import("../../dist/test/helpers/key-service.js");

const { keys } = serviceOn(await connectFs({ path: dir }));
const ctx = Buffer.from("crash");

async function ensure() {
  try {
    await keys.create(name, "child");
  } catch (err) {
    if (err?.message !== "key already exists") throw err;
  }
}

process.stdout.write("ready\n");
if (mode === "rotate") {
  await ensure();
  for (let i = 1; ; i++) {
    const { version } = await keys.rotate(name, "child");
    const payload = Buffer.from(`payload-${version}`);
    const { ciphertext } = await keys.encrypt(name, payload, ctx, undefined, version);
    process.stdout.write(`ok ${version} ${ciphertext.toString("base64")}\n`);
    await keys.configure(name, { rotateMs: i }, "child");
    process.stdout.write(`state ${i}\n`);
  }
} else {
  for (let n = 1; ; n++) {
    await ensure();
    await keys.rotate(name, "child");
    await keys.rotate(name, "child");
    await keys.setEnabled(name, false, "child");
    await keys.delete(name, "child");
    process.stdout.write(`cycle ${n}\n`);
  }
}
