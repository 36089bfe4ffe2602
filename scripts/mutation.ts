// `npm run test:mutation`: Stryker over the ranking and keyword modules (stryker.config.json), then one line of JSON:
// {"mutationScore": percent, "killed": n, "survived": n, "noCoverage": n}. Exits 1 below the score of 80.
import { Stryker } from '@stryker-mutator/core';

const TARGET = 80;

const results = await new Stryker({ configFile: 'stryker.config.json' }).runMutationTest();
const count = (...statuses: string[]) => results.filter((r) => statuses.includes(r.status)).length;
const killed = count('Killed', 'Timeout');
const survived = count('Survived');
const noCoverage = count('NoCoverage');
const detected = killed;
const valid = detected + survived + noCoverage;
const mutationScore = valid ? Number(((detected / valid) * 100).toFixed(2)) : 0;
process.stdout.write(`${JSON.stringify({ mutationScore, killed, survived, noCoverage })}\n`);
if (mutationScore < TARGET) process.exitCode = 1;
