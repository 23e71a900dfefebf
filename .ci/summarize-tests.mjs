// Reads vitest's JSON report and prints the plain closing line CI looks for, plus how many tests
// ran against the real Docker engine. Fails when any test failed or when no engine test ran.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const engineFiles = /\/test\/((docker|examples|hostile|faults|pool|cli|readme)\/|package\/packed-tarball\.)/;
let engine = 0;
for (const file of report.testResults) {
  if (engineFiles.test(file.name)) engine += file.assertionResults.filter((t) => t.status === 'passed').length;
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`engine tests (against the real Docker engine): ${engine} passed`);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (report.numFailedTests > 0 || !report.success) process.exit(1);
if (engine === 0) {
  console.error('no test ran against the Docker engine: that is a failure in CI');
  process.exit(1);
}
