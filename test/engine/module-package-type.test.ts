/** Node's "type" lookup for module mounts: nearest package.json, re-read when it changes. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageType } from '../../src/engine/kinds/module/packageType';
import { makeWorkspace } from './helpers';

describe('module mounts: package.json "type"', () => {
  it('takes the nearest package.json, walking up past folders without one', () => {
    const dir = makeWorkspace({ 'package.json': '{"type":"module"}', 'a/b/app.js': '', 'c/package.json': '{}', 'c/d/app.js': '' });
    assert.equal(packageType(path.join(dir, 'a/b')), 'module');
    assert.equal(packageType(path.join(dir, 'c/d')), undefined);
  });

  it('sees an edit of package.json', () => {
    const dir = makeWorkspace({ 'package.json': '{"type":"module"}' });
    assert.equal(packageType(dir), 'module');
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}');
    assert.equal(packageType(dir), 'commonjs');
  });

  it('treats a broken package.json as no type (Node reports it when loading)', () => {
    const dir = makeWorkspace({ 'package.json': '{"type":' });
    assert.equal(packageType(dir), undefined);
  });
});
