/**
 * The engine's file-watching service on real files and real events: what a subscription reports
 * (create, change, delete, rename, a folder deleted and re-created), what it leaves out, that
 * subscribers of one folder share one native subscription, and that disposing and closing leave no
 * inotify watch behind (counted in /proc, not taken from the service's word).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { subscribe as parcelSubscribe } from '@parcel/watcher';
import { Engine } from '../../src/engine/index';
import { watchPythonSources } from '../../src/engine/kinds/python/sources';
import { WatchService, type NativeSubscribe } from '../../src/engine/watch/watching';
import { waitFor } from '../waitFor';
import { get, makeWorkspace } from './helpers';

/** inotify watches this process holds now, over all its inotify instances (libuv's and @parcel/watcher's). */
function inotifyWatches(): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the fd readdir itself used, closed since
    }
    if (!target.includes('inotify')) continue;
    const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    count += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
  }
  return count;
}

/** Every path reported to one subscriber, and the number of batches. */
class Seen {
  readonly files = new Set<string>();
  batches = 0;
  readonly take = (files: readonly string[]) => {
    this.batches++;
    for (const file of files) this.files.add(file);
  };
  async until(file: string, what: string): Promise<void> {
    await waitFor(() => `${what}: ${file} (seen: ${[...this.files].join(', ')})`, () => this.files.has(file), 10_000);
  }
}

/** @parcel/watcher's subscribe, counting the native subscriptions asked of it. */
function countingSubscribe(): { subscribe: NativeSubscribe; calls: string[] } {
  const calls: string[] = [];
  return { calls, subscribe: (dir, callback, options) => (calls.push(dir), parcelSubscribe(dir, callback, options)) };
}

describe('file watching service', function () {
  this.timeout(30_000);
  let service: WatchService;
  let dir: string;
  beforeEach(() => {
    service = new WatchService();
    dir = makeWorkspace({ 'a.txt': 'a', 'sub/x.txt': 'x' });
  });
  afterEach(async () => {
    await service.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports a file created, changed, deleted and renamed', async () => {
    const seen = new Seen();
    await service.subscribe(dir, {}, seen.take);
    const file = (name: string) => path.join(dir, name);
    fs.writeFileSync(file('new.txt'), 'new');
    await seen.until(file('new.txt'), 'the created file');
    fs.writeFileSync(file('a.txt'), 'changed');
    await seen.until(file('a.txt'), 'the changed file');
    fs.rmSync(file('sub/x.txt'));
    await seen.until(file('sub/x.txt'), 'the deleted file');
    fs.renameSync(file('new.txt'), file('renamed.txt'));
    await seen.until(file('renamed.txt'), 'the new name of a renamed file');
    await seen.until(file('new.txt'), 'the old name of a renamed file');
  });

  it('keeps reporting below a folder deleted and re-created, and reports the files of a folder moved in', async () => {
    const seen = new Seen();
    await service.subscribe(dir, {}, seen.take);
    fs.rmSync(path.join(dir, 'sub'), { recursive: true });
    await seen.until(path.join(dir, 'sub'), 'the deleted folder');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub/y.txt'), 'y');
    await seen.until(path.join(dir, 'sub/y.txt'), 'a file in the re-created folder');
    seen.files.clear();
    fs.writeFileSync(path.join(dir, 'sub/y.txt'), 'y2');
    await seen.until(path.join(dir, 'sub/y.txt'), 'a later write in the re-created folder');
    // Made whole elsewhere, then renamed in at once: its files come with it.
    const outside = makeWorkspace({ 'pkg/deep/z.txt': 'z' });
    fs.renameSync(path.join(outside, 'pkg'), path.join(dir, 'pkg'));
    await seen.until(path.join(dir, 'pkg/deep/z.txt'), 'a file of a folder moved in');
  });

  it('leaves out node_modules, .git and virtual environments at any depth, natively, and what a subscriber ignores', async () => {
    const ignored = ['node_modules', '.git', '.venv', 'venv', 'site-packages', '__pycache__'];
    // A workspace that itself sits in a folder named venv is still watched: only the part below counts.
    const root = path.join(dir, 'venv', 'workspace');
    for (const name of ignored) {
      for (let i = 0; i < 10; i++) fs.mkdirSync(path.join(root, 'pkg', name, `d${i}`), { recursive: true });
    }
    const before = inotifyWatches();
    const seen = new Seen();
    await service.subscribe(root, { ignore: (file) => file.endsWith('.log') }, seen.take);
    // root and pkg only: no watch in the 66 folders left out.
    assert.equal(inotifyWatches() - before, 2);
    for (const name of ignored) fs.writeFileSync(path.join(root, 'pkg', name, 'd0', 'f.py'), '');
    fs.writeFileSync(path.join(root, 'pkg', 'debug.log'), '');
    fs.mkdirSync(path.join(root, 'node_modules'));
    fs.writeFileSync(path.join(root, 'node_modules', 'later.js'), '');
    // The sentinel, written last: once it is reported, the writes above were processed too.
    fs.writeFileSync(path.join(root, 'pkg', 'sentinel.py'), '');
    await seen.until(path.join(root, 'pkg', 'sentinel.py'), 'the sentinel');
    assert.deepEqual([...seen.files], [path.join(root, 'pkg', 'sentinel.py')]);
  });

  it("Python's sources: .py files only, none in a virtual environment of any name or a dot folder", async () => {
    fs.mkdirSync(path.join(dir, 'env/lib'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'env/pyvenv.cfg'), 'home = /usr/bin\n');
    fs.mkdirSync(path.join(dir, '.hidden'));
    const seen = new Seen();
    await watchPythonSources(service, dir, (file) => seen.take([file]), (error) => assert.fail(error));
    fs.writeFileSync(path.join(dir, 'env/lib/site.py'), '');
    fs.writeFileSync(path.join(dir, '.hidden/secret.py'), '');
    fs.writeFileSync(path.join(dir, 'notes.txt'), '');
    fs.writeFileSync(path.join(dir, 'sub/app.py'), '');
    await seen.until(path.join(dir, 'sub/app.py'), 'the .py file');
    assert.deepEqual([...seen.files], [path.join(dir, 'sub/app.py')]);
  });

  it('gives many subscribers of one folder one native subscription, until the last leaves', async () => {
    const native = countingSubscribe();
    const shared = new WatchService(native.subscribe);
    try {
      const seen = Array.from({ length: 5 }, () => new Seen());
      const subscriptions = await Promise.all(seen.map((one) => shared.subscribe(dir, {}, one.take)));
      assert.deepEqual(native.calls, [dir]);
      assert.equal(shared.openWatches.subscriptions, 1);
      fs.writeFileSync(path.join(dir, 'a.txt'), 'one');
      for (const [index, one] of seen.entries()) await one.until(path.join(dir, 'a.txt'), `subscriber ${index}`);
      for (const subscription of subscriptions.slice(0, 4)) subscription.dispose();
      assert.equal(shared.openWatches.subscriptions, 1);
      seen[4].files.clear();
      fs.writeFileSync(path.join(dir, 'a.txt'), 'two');
      await seen[4].until(path.join(dir, 'a.txt'), 'the subscriber left');
      subscriptions[4].dispose();
      assert.equal(shared.openWatches.subscriptions, 0);
      // A new subscriber after the last left gets a new native subscription.
      await shared.subscribe(dir, {}, () => undefined);
      assert.deepEqual(native.calls, [dir, dir]);
    } finally {
      await shared.close();
    }
  });

  it('a folder subscribed again as its last subscriber leaves keeps reporting (20 times)', async () => {
    // What the live loop does when a page reloads: its one page leaves, the new one comes.
    for (let i = 0; i < 20; i++) {
      const seen = new Seen();
      (await service.subscribe(dir, {}, () => undefined)).dispose();
      const again = await service.subscribe(dir, {}, seen.take);
      fs.writeFileSync(path.join(dir, 'a.txt'), `v${i}`);
      await seen.until(path.join(dir, 'a.txt'), `the write after resubscribing, round ${i}`);
      again.dispose();
    }
  });

  it("reports a folder's own entries at once, by name", async () => {
    const names: (string | undefined)[] = [];
    const entries = service.watchEntries(path.join(dir, 'sub'), (name) => names.push(name), (error) => assert.fail(error));
    fs.writeFileSync(path.join(dir, 'sub/x.txt'), 'changed');
    await waitFor(() => `x.txt reported (got ${names.join(', ')})`, () => names.includes('x.txt'));
    entries.dispose();
    assert.equal(service.openWatches.folders, 0);
    assert.throws(() => service.watchEntries(path.join(dir, 'missing'), () => undefined, () => undefined), /ENOENT/);
  });

  it('leaves no inotify watch behind once disposed, and none once closed', async () => {
    const before = inotifyWatches();
    const subscription = await service.subscribe(dir, {}, () => undefined);
    const other = await service.subscribe(path.join(dir, 'sub'), {}, () => undefined);
    service.watchEntries(dir, () => undefined, () => undefined);
    assert.ok(inotifyWatches() > before);
    subscription.dispose();
    other.dispose();
    await service.close();
    assert.equal(inotifyWatches(), before);
    assert.deepEqual(service.openWatches, { subscriptions: 0, folders: 0 });
    // A subscription still being made when the service closes ends as soon as it is made.
    const pending = service.subscribe(dir, {}, () => undefined);
    await service.close();
    await pending;
    await service.close();
    assert.equal(inotifyWatches(), before);
  });

  it("the engine's stop ends every watch its apps, its live loop and a front end made", async () => {
    const workspace = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/s', static: 'www' }] }), 'www/sub/a.txt': 'a' });
    const before = inotifyWatches();
    const watching = new WatchService();
    const engine = new Engine({ configFile: path.join(workspace, 'mounts.json'), liveReload: false, watching });
    await engine.start();
    try {
      assert.equal((await get(`http://127.0.0.1:${engine.port}/s/sub/a.txt`)).body, 'a');
      assert.equal(watching.openWatches.folders, 2, 'the static cache watches www and www/sub');
      await engine.watching.subscribe(workspace, {}, () => undefined); // as the CLI's --watch does
      assert.ok(inotifyWatches() > before);
    } finally {
      await engine.stop();
    }
    assert.deepEqual(watching.openWatches, { subscriptions: 0, folders: 0 });
    assert.equal(inotifyWatches(), before);
  });
});
