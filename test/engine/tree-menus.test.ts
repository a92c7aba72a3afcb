// The tree's menus key on capabilities in a mount's contextValue, not on kind names: for every kind
// and state, the item menu offers what it offered when package.json named the kinds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MountKindName } from '../../src/engine/spec';
import { mountContextValue } from '../../src/ui/state';

interface MenuItem {
  readonly command: string;
  readonly when: string;
  readonly group: string;
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));
const itemMenu: MenuItem[] = manifest.contributes.menus['view/item/context'];

/** The `viewItem` pattern of a clause shaped `view == mounts.apps && viewItem =~ /…/`. */
function pattern(when: string): RegExp {
  const match = /^view == mounts\.apps && viewItem =~ \/(.*)\/$/.exec(when);
  assert.ok(match, `unexpected when clause: ${when}`);
  return new RegExp(match[1]);
}

function offered(contextValue: string): string[] {
  return itemMenu.filter((item) => pattern(item.when).test(contextValue)).map((item) => `${item.command}@${item.group}`);
}

const KIND_NAMES: readonly MountKindName[] = ['module', 'static', 'proxy', 'command', 'wsgi', 'asgi'];
const STATES = ['serving', 'starting', 'error', 'stopped', 'idle', 'refused'];

/** What the menus offered when their clauses named kinds: the expectation, written out. */
function expected(kind: MountKindName, state: string): string[] {
  const serving = state === 'serving';
  const reloads = ['module', 'command', 'wsgi', 'asgi'].includes(kind) && ['serving', 'error', 'starting'].includes(state);
  const reveals = ['module', 'static'].includes(kind);
  return [
    ...(serving ? ['mounts.openInBrowser@inline@1', 'mounts.copyUrl@inline@2'] : []),
    ...(reloads ? ['mounts.reloadApp@inline@3'] : []),
    ...(serving ? ['mounts.openInBrowser@1_open@1', 'mounts.copyUrl@1_open@2'] : []),
    ...(reveals ? ['mounts.revealTarget@2_reveal@1'] : []),
    'mounts.revealInConfig@2_reveal@2',
    ...(reloads ? ['mounts.reloadApp@3_app@1'] : []),
    ...(serving ? ['mounts.openPreview@inline@0', 'mounts.openPreview@1_open@0'] : []),
  ];
}

describe('tree menus: keyed on capabilities (package.json, ui/state.ts)', () => {
  for (const kind of KIND_NAMES) {
    it(`a ${kind} mount gets the same menu items in every state`, () => {
      for (const state of STATES) {
        const contextValue = mountContextValue({ kind }, state);
        assert.deepEqual(offered(contextValue), expected(kind, state), `${contextValue}`);
      }
    });
  }

  it('contextValues carry the kind, the menu capabilities and the state', () => {
    assert.deepEqual(
      KIND_NAMES.map((kind) => mountContextValue({ kind }, 'serving')),
      [
        'mount.module.reloadable.revealable.serving',
        'mount.static.revealable.serving',
        'mount.proxy.serving',
        'mount.command.reloadable.serving',
        'mount.wsgi.reloadable.serving',
        'mount.asgi.reloadable.serving',
      ],
    );
  });

  it('no clause names a kind', () => {
    for (const item of itemMenu) assert.doesNotMatch(item.when, /module|static|proxy|command|wsgi|asgi/, item.when);
  });
});
