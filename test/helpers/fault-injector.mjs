// Loaded with `node --import` into a keyfront server process (and, through node:cluster, into
// each of its workers) by the tests of the last-resort handlers: it prints the process's pid
// and role, and each SIGUSR2 causes the next fault — first an unhandled promise rejection, then
// an uncaught exception — so a test can drive a real server into both without a hook in keyfront.

import cluster from "node:cluster";

const role = cluster.isWorker ? `worker ${process.env.KEYFRONT_WORKER_ID}` : "main";
process.stderr.write(`fault-injector: pid ${process.pid} ${role}\n`);
let faults = 0;
process.on("SIGUSR2", () => {
  faults++;
  if (faults === 1) {
    void Promise.reject(new Error("injected rejection"));
  } else {
    setImmediate(() => {
      throw new Error("injected exception");
    });
  }
});
