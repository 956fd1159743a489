// Sums vitest JSON results (and any *.results.json written by other suites
// as {"passed":n,"failed":n,"skipped":n}) into one closing line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'artifacts';
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function walk(d) {
  let entries = [];
  try {
    entries = readdirSync(d);
  } catch {
    return;
  }
  for (const name of entries) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) {
      walk(p);
      continue;
    }
    if (!name.endsWith('.json')) continue;
    let data;
    try {
      data = JSON.parse(readFileSync(p, 'utf8'));
    } catch {
      continue;
    }
    if (typeof data.numPassedTests === 'number') {
      passed += data.numPassedTests;
      failed += data.numFailedTests;
      skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
      for (const file of data.testResults ?? []) {
        const fileName = String(file.name ?? '').replace(process.cwd() + '/', '');
        // A file that failed with no failed test (it could not load, a hook threw) counts as one failure.
        if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) {
          failed += 1;
          failures.push(
            `${fileName}: ${String(file.message ?? 'failed')
              .split('\n')[0]
              .slice(0, 300)}`
          );
        }
        for (const t of file.assertionResults ?? []) {
          if (t.status !== 'failed') continue;
          const msg = String(t.failureMessages?.[0] ?? '')
            .split('\n')[0]
            .slice(0, 300);
          failures.push(`${fileName} > ${t.fullName}: ${msg}`);
        }
      }
    } else if (name.endsWith('.results.json') && typeof data.passed === 'number') {
      passed += data.passed;
      failed += data.failed ?? 0;
      skipped += data.skipped ?? 0;
    }
  }
}
walk(dir);
// Failed tests are named just above the count, so a CI log's tail says what broke.
for (const f of failures.slice(0, 20)) console.log(`FAILED TEST ${f}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
