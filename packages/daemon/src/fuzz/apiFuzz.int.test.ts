import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_TOKEN, FuzzTarget } from './fuzzHarness.js';
import { fuzzRequest } from './fuzzInputs.js';

/**
 * CI size of the HTTP fuzzer (docs/reliability.md, "Fuzzing the inputs"): a few hundred cases over every endpoint, in
 * seconds. The long run is `scripts/fuzz.sh` (100,000 cases and more). A failure prints the case; its seed replays it.
 */
const CASES = Number(process.env.SLUICE_FUZZ_CASES ?? 400);

let target: FuzzTarget;
beforeAll(async () => {
  target = await FuzzTarget.start();
});
afterAll(async () => {
  await target?.stop();
});

describe('fuzzing every HTTP endpoint', () => {
  it('answers every case with 2xx or a coded 4xx, logs no error, and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzRequest(FUZZ_TOKEN), async (req) => {
        await target.run(req);
        expect(target.tally.failures).toEqual([]);
      }),
      {
        numRuns: CASES,
        endOnFailure: true,
        ...(process.env.SLUICE_FUZZ_SEED ? { seed: Number(process.env.SLUICE_FUZZ_SEED) } : {}),
        // The failing case is in the failure itself (shortened); fast-check's own report would print whole bodies.
        reporter: (details) => {
          if (details.failed) throw new Error(`fuzz case ${details.numRuns} failed (seed ${details.seed}, replay with SLUICE_FUZZ_SEED=${details.seed}):\n${target.tally.failures.join('\n') || String(details.errorInstance)}`);
        },
      },
    );
    const healthz = await target.send({ family: 'structured', endpoint: 'check', method: 'GET', path: '/healthz', headers: {} });
    expect(healthz.status).toBe(200);
    // Every family reached the daemon, and some of each answer kind came back: the fuzzer is not just refused at the door.
    expect(target.tally.cases).toBeGreaterThan(CASES * 0.9);
    expect(Object.keys(target.tally.byStatus)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
  });

  it('loses nothing it acknowledged, before and after a restart on the same log', async () => {
    expect(Object.values(target.tally.acknowledged).every((count) => count > 0)).toBe(true);
    expect(await target.checkNothingLost(true)).toEqual([]);
  });
});
