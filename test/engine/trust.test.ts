/**
 * `mounts trust`, `mounts trust --uninstall` and `mounts ca path` through the real CLI, with the
 * real certutil and update-ca-certificates, against a temporary NSS database and a temporary
 * stand-in for the system store (fixtures/trustRoot.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { authorityName } from '../../src/engine/tls/store';
import { planTrust } from '../../src/engine/tls/trust';
import { makeWorkspace } from './helpers';
import { nssHas, runMounts, trustSandbox } from './fixtures/trustRoot';

describe('mounts trust', function () {
  this.timeout(60_000);

  it('installs the CA in the NSS database and the system store, and --uninstall removes it from both', () => {
    const sandbox = trustSandbox();
    const installed = runMounts(sandbox, ['trust']);
    assert.equal(installed.status, 0, installed.stdout + installed.stderr);
    const caFile = path.join(sandbox.dataDir, 'ca', 'mounts-ca.pem');
    const ca = fs.readFileSync(caFile, 'utf8');
    const name = authorityName(ca);
    assert.match(name, /^Mounts local CA \(/);
    // Each command is shown before it runs.
    assert.match(installed.stdout, /NSS database .*certutil -d sql:.* -A -t C,, -n /);
    assert.match(installed.stdout, /system store: .*update-ca-certificates --certsconf/);
    assert.ok(nssHas(sandbox, name), 'in the NSS database');
    assert.ok(fs.readFileSync(sandbox.systemBundle, 'utf8').includes(ca.trim().split('\n')[1]), 'in the system bundle');

    const removed = runMounts(sandbox, ['trust', '--uninstall']);
    assert.equal(removed.status, 0, removed.stdout + removed.stderr);
    assert.ok(!nssHas(sandbox, name), 'gone from the NSS database');
    assert.ok(!fs.readFileSync(sandbox.systemBundle, 'utf8').includes(ca.trim().split('\n')[1]), 'gone from the system bundle');
    // The CA itself stays: trusting it again needs no new one.
    assert.equal(fs.readFileSync(caFile, 'utf8'), ca);
  });

  it('prints the commands to run where a tool is missing, and says it did not finish', () => {
    const sandbox = trustSandbox();
    const emptyPath = fs.mkdtempSync(path.join(sandbox.home, 'bin-'));
    const result = runMounts({ ...sandbox, env: { ...sandbox.env, PATH: emptyPath } }, ['trust']);
    // Debian keeps update-ca-certificates in /usr/sbin, searched whatever PATH says; certutil is not there.
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /by hand: NSS database .*: install certutil \(Debian: apt-get install libnss3-tools\), then: certutil -d sql:\S+ -A -t C,, -n 'Mounts local CA \(.*\)' -i \S+mounts-ca.pem/);
  });

  it('mounts ca path makes the CA on first use and prints its certificate path', () => {
    const sandbox = trustSandbox();
    const result = runMounts(sandbox, ['ca', 'path']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${path.join(sandbox.dataDir, 'ca', 'mounts-ca.pem')}\n`);
    assert.ok(fs.readFileSync(result.stdout.trim(), 'utf8').startsWith('-----BEGIN CERTIFICATE-----'));
    assert.equal(runMounts(sandbox, ['ca', 'list']).status, 64);
  });

  it('on macOS and Windows, plans the platform tool with the exact arguments, or prints it where it is missing', () => {
    const bin = makeWorkspace();
    for (const tool of ['security', 'certutil.exe']) fs.writeFileSync(path.join(bin, tool), '', { mode: 0o755 });
    const base = { caFile: '/data/mounts/ca/mounts-ca.pem', name: 'Mounts local CA (me@box)', uninstall: false, home: bin, systemRoot: '/', privileged: false };
    const mac = planTrust({ ...base, platform: 'darwin', searchPath: bin });
    assert.deepEqual(mac.steps, [
      { store: 'System keychain', argv: [path.join(bin, 'security'), 'add-trusted-cert', '-d', '-r', 'trustRoot', '-k', '/Library/Keychains/System.keychain', base.caFile], needsRoot: true },
    ]);
    assert.deepEqual(planTrust({ ...base, platform: 'darwin', searchPath: bin, uninstall: true }).steps[0].argv.slice(1), ['remove-trusted-cert', '-d', base.caFile]);
    const windows = planTrust({ ...base, platform: 'win32', searchPath: bin });
    assert.deepEqual(windows.steps, [{ store: 'Windows Root store (current user)', argv: [path.join(bin, 'certutil.exe'), '-user', '-addstore', 'Root', base.caFile], needsRoot: false }]);
    assert.deepEqual(planTrust({ ...base, platform: 'win32', searchPath: bin, uninstall: true }).steps[0].argv.slice(1), ['-user', '-delstore', 'Root', base.name]);
    const nowhere = makeWorkspace();
    assert.deepEqual(planTrust({ ...base, platform: 'darwin', searchPath: nowhere }), {
      steps: [],
      manual: [`System keychain: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${base.caFile}`],
    });
  });
});
