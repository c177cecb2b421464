// Runs before `npm test`: makes sure the native programs the tests start are installed.
// Installs them with apt-get when running as root; otherwise says exactly what to install.
// `--print-packages` prints the Debian package list for .ci/run, so there is one list.
import { execFileSync, spawnSync } from 'node:child_process';

/** Every native program a test needs, and the Debian package that provides it. */
const REQUIRED = [
  { command: 'openssl', debianPackage: 'openssl', why: 'TLS certificates for the TLS and mTLS tests' },
  { command: 'prometheus', debianPackage: 'prometheus', why: 'the real Prometheus server that scrapes the prometheus exporter and receives remote write' },
  { command: 'victoria-metrics', debianPackage: 'victoria-metrics', why: 'the real VictoriaMetrics server that receives remote write' },
];

const packages = [...new Set(REQUIRED.map((r) => r.debianPackage))];
if (process.argv.includes('--print-packages')) {
  console.log(packages.join(' '));
  process.exit(0);
}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
let missing = REQUIRED.filter((r) => !has(r.command));
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && has('apt-get')) {
  const wanted = [...new Set(missing.map((r) => r.debianPackage))];
  console.log(`pretest: installing ${wanted.join(' ')} with apt-get`);
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...wanted], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (err) {
    console.error(`pretest: apt-get failed: ${err.message}`);
  }
  missing = REQUIRED.filter((r) => !has(r.command));
  if (missing.length === 0) process.exit(0);
}

console.error('pretest: these programs are needed by the tests and are not installed:');
for (const r of missing) console.error(`  ${r.command} (Debian package ${r.debianPackage}): ${r.why}`);
console.error(`install them with: sudo apt-get install -y ${[...new Set(missing.map((r) => r.debianPackage))].join(' ')}`);
// Under CI a missing real dependency is a failure, never a skipped test.
process.exit(process.env.CI === 'true' ? 1 : 0);
