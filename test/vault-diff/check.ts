// One differential run: send the committed sequence to a server, normalise its answers, and
// either make a fixture of them or compare them with one.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { compareAnswers, type Difference, type Fixture } from "./compare.js";
import { normalizeAnswer } from "./normalize.js";
import { type Answer, type RunOptions, runSequence } from "./run.js";
import { SEQUENCE } from "./sequence.js";

export interface Collected {
  answers: Answer[];
  skipped: string[];
}

/** Runs the sequence against `addr` and answers the normalised answers. */
export async function collect(opts: Omit<RunOptions, "runId">): Promise<Collected> {
  const runId = randomBytes(4).toString("hex");
  const { answers, skipped, vars } = await runSequence(SEQUENCE, { ...opts, runId });
  return { answers: answers.map((a) => normalizeAnswer(a, vars)), skipped };
}

export function readFixture(file: string): Fixture {
  return JSON.parse(readFileSync(file, "utf8")) as Fixture;
}

/** Differences of `got` from the fixture; a step either side skipped is compared on neither. */
export function against(fixture: Fixture, got: Collected): Difference[] {
  const answers = fixture.answers.filter((a) => !got.skipped.includes(a.step));
  const comparable = got.answers.filter((a) => !fixture.skipped.includes(a.step));
  return compareAnswers({ ...fixture, answers }, comparable);
}
