// Runs before `npm test`: makes sure the native programs the tests start are installed, and that
// the optional native addon the tests use was compiled (rebuilding it when the compiler arrived
// after `npm install`). Installs packages with apt-get when running as root; otherwise says exactly
// what to install. `--print-packages` prints the Debian package list for .ci/run, so there is one list.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** Every native program a test needs, and the Debian package that provides it. */
const REQUIRED = [
  { command: 'openssl', debianPackage: 'openssl', why: 'TLS certificates for the TLS and mTLS tests' },
  { command: 'prometheus', debianPackage: 'prometheus', why: 'the real Prometheus server that scrapes the prometheus exporter and receives remote write' },
  { command: 'promtool', debianPackage: 'prometheus', why: 'promtool test rules, which checks the alert-rule unit tests sluice test-rules also runs' },
  { command: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager', why: 'the real Alertmanager the alerting processor notifies' },
  { command: '/usr/bin/python3 -m aiosmtpd', check: '/usr/bin/python3 -c "import aiosmtpd"', debianPackage: 'python3-aiosmtpd', why: 'the real SMTP server (python3 -m aiosmtpd) that receives alert e-mail' },
  { command: 'victoria-metrics', debianPackage: 'victoria-metrics', why: 'the real VictoriaMetrics server that receives remote write' },
  { command: 'make', debianPackage: 'make', why: 'node-gyp builds the unix-dgram addon (statsd protocol unixgram)' },
  { command: 'g++', debianPackage: 'g++', why: 'node-gyp builds the unix-dgram addon (statsd protocol unixgram)' },
  { command: 'python3', debianPackage: 'python3', why: 'node-gyp builds the unix-dgram addon (statsd protocol unixgram)' },
];

/** Optional dependencies with a native part compiled at install time, which the tests use. */
const ADDONS = [{ name: 'unix-dgram', why: 'the statsd exporter\'s unixgram tests' }];

const packages = [...new Set(REQUIRED.map((r) => r.debianPackage))];
if (process.argv.includes('--print-packages')) {
  console.log(packages.join(' '));
  process.exit(0);
}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
/** Most programs are found on PATH; a Python module is there when Debian's python3 imports it. */
const present = (r) => (r.check ? spawnSync('sh', ['-c', r.check], { stdio: 'ignore' }).status === 0 : has(r.command));
const loads = (name) => {
  try {
    createRequire(import.meta.url)(name);
    return true;
  } catch {
    return false;
  }
};

/** Rebuilds addons that did not compile at install time (say, g++ came later); true when all load. */
function addonsReady() {
  const broken = ADDONS.filter((a) => !loads(a.name));
  if (broken.length === 0) return true;
  console.log(`pretest: rebuilding ${broken.map((a) => a.name).join(' ')}`);
  spawnSync('npm', ['rebuild', ...broken.map((a) => a.name)], { stdio: 'inherit' });
  const still = broken.filter((a) => !loads(a.name));
  for (const a of still) console.error(`pretest: the native addon ${a.name} does not load (needed by ${a.why}); with make, g++ and python3 installed, run: npm rebuild ${a.name}`);
  return still.length === 0;
}

let missing = REQUIRED.filter((r) => !present(r));
if (missing.length === 0) finish(addonsReady());

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
  missing = REQUIRED.filter((r) => !present(r));
  if (missing.length === 0) finish(addonsReady());
}

console.error('pretest: these programs are needed by the tests and are not installed:');
for (const r of missing) console.error(`  ${r.command} (Debian package ${r.debianPackage}): ${r.why}`);
console.error(`install them with: sudo apt-get install -y ${[...new Set(missing.map((r) => r.debianPackage))].join(' ')}`);
addonsReady();
finish(false);

function finish(ready) {
  // Under CI a missing real dependency is a failure, never a skipped test.
  process.exit(ready || process.env.CI !== 'true' ? 0 : 1);
}
