/**
 * `mounts serve --watch`: mounts.json changes reload the config; other workspace files hot-reload
 * module apps. Changes are applied one batch at a time, in order; a burst within 50 ms is one batch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { currentIdentity, describeError, formatProblem, identityOf, type Engine, type ReloadResult } from './engine/index';

export interface FolderWatch {
  close(): Promise<void>;
}

/** Watches the folder of mounts.json through the engine's file watching (so the engine's stop ends it too). */
export async function watch(engine: Engine): Promise<FolderWatch> {
  const configFile = engine.configFile;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let applying: Promise<void> = Promise.resolve();
  /**
   * mounts.json as it was when last read: a poll that finds it so changes nothing. Taken from the
   * engine's own read, not from the file now: the server read it before watching began, and a save
   * in between must not pass for the version already applied.
   */
  let appliedConfig = engine.configIdentity ?? 'missing';
  const apply = async () => {
    const files = [...pending];
    pending.clear();
    for (const file of files) {
      if (file === configFile) {
        // Before the read: a save during it is then seen as new again (one reload too many, never one too few).
        appliedConfig = currentIdentity(configFile);
        linkPoll.update();
        reportReload(await engine.reload());
      } else {
        await engine.fileChanged(file);
      }
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      applying = applying.then(apply).catch((error) => {
        process.stderr.write(`[mounts] applying a change failed: ${describeError(error)}\n`);
      });
    }, 50);
  };
  const changed = (files: readonly string[]) => {
    for (const file of files) pending.add(file);
    schedule();
  };
  const onError = (error: Error) => process.stderr.write(`[mounts] file watching failed: ${error.message}\n`);
  const folder = await engine.watching.subscribe(path.dirname(configFile), { onError }, changed);
  // A save already applied from its event is not applied again.
  const linkPoll = pollWhileLinked(configFile, (current) => {
    if (identityOf(current) !== appliedConfig) changed([configFile]);
  });
  linkPoll.update();
  // A save between the server's read and this point raised no event, and the poll compares only
  // with what it found first: compare with the version read.
  if (currentIdentity(configFile) !== appliedConfig) changed([configFile]);
  return {
    close: () => {
      clearTimeout(timer);
      linkPoll.close();
      folder.dispose();
      return Promise.resolve();
    },
  };
}

/**
 * While mounts.json is a symlink it is also polled, a stat every quarter second: the file it points
 * to changes where no event of its folder reaches (a dotfiles repository, say). Measured with the
 * poll left out: the test of a symlinked mounts.json failed 8 runs of 8; the test that saves a plain
 * mounts.json 50 times by rename under load passed 30 of 30 (the event of every save came), so a
 * plain file is not polled. `update()` looks again whether it is a symlink (after every read: a save
 * may replace the link by a file, or the other way round).
 */
function pollWhileLinked(file: string, poll: (current: fs.Stats) => void): { update(): void; close(): void } {
  let polling = false;
  return {
    update: () => {
      const linked = fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
      if (linked && !polling) fs.watchFile(file, { interval: 250, persistent: false }, poll);
      if (!linked && polling) fs.unwatchFile(file, poll);
      polling = linked;
    },
    close: () => fs.unwatchFile(file, poll),
  };
}

/** Says what a reload of mounts.json did, when it did not simply apply. */
function reportReload(result: ReloadResult): void {
  const details = [...result.problems.map(formatProblem), ...result.errors].join('\n');
  switch (result.outcome) {
    case 'applied':
      return;
    case 'not applied':
      process.stderr.write(`mounts.json not applied; still serving the previous mounts:\n${details}\n`);
      return;
    case 'partly applied':
      process.stderr.write(
        `mounts.json applied, except for ${result.errors.length === 1 ? 'this mount, which' : `these ${result.errors.length} mounts, which`} could not load ` +
          `(a changed mount keeps serving its previous version; an added one is not served):\n${details}\n`,
      );
      return;
    case 'stopped':
      process.stderr.write(`mounts.json not applied, and the previous address could not be listened on again: stopped serving:\n${details}\n`);
      return;
  }
}
