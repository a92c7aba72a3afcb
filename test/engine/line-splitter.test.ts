/**
 * Output as lines of bounded length, whatever the chunks' boundaries: the splitter itself, then
 * real over-long lines from the engine process and from a command it runs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineSplitter, MAX_LINE_LENGTH } from '../../src/engine/index';
import { EngineClient } from '../../src/engineProcess/client';
import { NODE, waitFor } from './fixtures/command/helpers';
import { get, makeWorkspace, recordingLogger } from './helpers';

function split(chunks: readonly string[], maxLength = 5): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLength);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return lines;
}

describe('LineSplitter', () => {
  it("splits on '\\n' and '\\r\\n' across chunk boundaries, and flushes an unterminated last line", () => {
    assert.deepEqual(split(['ab\ncd', '\r', '\nef\n\ng']), ['ab', 'cd', 'ef', '', 'g']);
    assert.deepEqual(split(['a', 'b', '\r\n']), ['ab']);
    assert.deepEqual(split(['']), []);
  });

  it('a line at the limit, with or without its \\r, is whole', () => {
    assert.deepEqual(split(['12345\n', '12345\r\n', '12345', '\r', '\n']), ['12345', '12345', '12345']);
  });

  it('an over-long line is cut at once, says so, and its rest is skipped up to its end', () => {
    const cut = '12345… (line cut at 5 characters)';
    assert.deepEqual(split(['123456789\nnext\n']), [cut, 'next']);
    // Cut as soon as it passes the limit, before its end arrives; the pieces after it are dropped.
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 5);
    splitter.push('1234');
    splitter.push('567');
    assert.deepEqual(lines, [cut]);
    for (let i = 0; i < 1000; i++) splitter.push('x'.repeat(1000));
    splitter.push('\nnext');
    splitter.flush();
    assert.deepEqual(lines, [cut, 'next']);
    // A cut line that never ends emits nothing more at the end.
    assert.deepEqual(split(['1234567']), [cut]);
    // Six characters whose sixth is not a line's '\r' are one too many.
    assert.deepEqual(split(['123456', '\n']), [cut]);
  });

  it('never cuts a surrogate pair in half', () => {
    assert.deepEqual(split(['1234😀6\n']), ['1234… (line cut at 5 characters)']);
  });
});

const APP = `module.exports = (req, res) => {
  // 3 MB without a line end, in pieces as a program prints them, then a short line.
  for (let i = 0; i < 300; i++) process.stdout.write('x'.repeat(10_000));
  process.stdout.write('\\nafter the long line\\n');
  res.end('printed');
};
`;

const COMMAND = `process.stdout.write('y'.repeat(100_000) + '\\nafter the long line\\n');
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;

describe('over-long lines of real output', function () {
  this.timeout(30_000);
  let configFile: string;
  let logs: string[];
  let client: EngineClient;
  const cut = (char: string) => `${char.repeat(MAX_LINE_LENGTH)}… (line cut at ${MAX_LINE_LENGTH} characters)`;

  beforeEach(async () => {
    const dir = makeWorkspace({ 'app.js': APP, 'long.js': COMMAND });
    configFile = path.join(dir, 'mounts.json');
    fs.writeFileSync(configFile, JSON.stringify({ port: 0, mounts: [{ prefix: '/app', module: 'app.js' }, { prefix: '/cmd', name: 'cmd', command: `${NODE} long.js` }] }));
    logs = [];
    client = new EngineClient({
      configFile,
      runtime: async () => ({ execPath: process.execPath, version: process.version, env: {}, source: 'path' }),
      logger: recordingLogger(logs),
      accessLog: false,
    });
    await client.start();
  });

  afterEach(async () => {
    await client.stop();
    client.dispose();
  });

  it("an over-long line of the process's output is cut, says so, and the next line comes through whole", async () => {
    assert.equal((await get(`${client.urlOf({ prefix: '/app' })}`)).body, 'printed');
    await waitFor('the line after the long one', () => logs.includes('info  after the long line'), 5000);
    assert.deepEqual(
      logs.filter((line) => line.startsWith('info  x')),
      [`info  ${cut('x')}`],
    );
  });

  it("a command's over-long line is cut the same way, in the engine process, before it reaches the editor", async () => {
    await waitFor('the line after the long one', () => logs.includes('info cmd after the long line'), 10_000);
    assert.deepEqual(
      logs.filter((line) => line.startsWith('info cmd y')),
      [`info cmd ${cut('y')}`],
    );
  });
});
