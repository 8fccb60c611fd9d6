/**
 * `npm test`: every tier, in order — lint, unit, integration (real Kafka + MongoDB-compatible server + Exchange
 * simulator), end to end (whole processes over HTTP), every benchmark at tiny sizes — then one closing line
 * `N passed, N failed`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMOKE_RUNS } from './bench-smoke';
import { repoRoot } from './lib/infra';

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  success: boolean;
}

const root = repoRoot();
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
const outDir = mkdtempSync(path.join(tmpdir(), 'ssync-test-'));
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;

function run(name: string, args: string[]): number {
  const t0 = Date.now();
  process.stdout.write(`\n=== ${name}\n`);
  const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  process.stdout.write(
    `=== ${name}: exit ${res.status ?? res.signal} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return res.status ?? 1;
}

function tier(name: string, extra: string[]): void {
  const file = path.join(outDir, `${name}.json`);
  const status = run(`jest ${name}`, [
    jest,
    '--selectProjects',
    name,
    '--json',
    '--outputFile',
    file,
    ...extra,
  ]);
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as JestJson;
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests;
    if (!r.success || status !== 0) ok = false;
    if (r.numTotalTests === 0) {
      process.stdout.write(`${name}: no tests ran\n`);
      ok = false;
    }
  } catch {
    ok = false;
  }
}

const only = process.argv.slice(2);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (only.length === 0 || only.includes('typecheck')) {
  // The build leaves tests out and jest transpiles without checking types: check everything once here (the
  // console is a browser app with a configuration of its own).
  if (run('typecheck', [tsc, '-p', 'tsconfig.json', '--noEmit']) !== 0) ok = false;
  if (run('typecheck console', [tsc, '-p', path.join('apps', 'console', 'tsconfig.json'), '--noEmit']) !== 0)
    ok = false;
}
if (only.length === 0 || only.includes('lint')) {
  if (run('lint', [eslint, '.', '--max-warnings', '0']) !== 0) ok = false;
}
for (const [name, extra] of [
  ['unit', []],
  ['int', ['--runInBand']],
  ['e2e', ['--runInBand']],
] as const) {
  if (only.length === 0 || only.includes(name)) tier(name, [...extra]);
}
if (only.length === 0 || only.includes('bench')) {
  // Every benchmark once at tiny sizes: each that runs to the end counts as a passed test.
  const status = run('bench smoke', [path.join(root, 'dist', 'scripts', 'bench-smoke.js')]);
  if (status === 0) passed += SMOKE_RUNS.length;
  else {
    failed += 1;
    ok = false;
  }
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(ok && failed === 0 ? 0 : 1);
