/**
 * Regression: a command mount hands a request that waited for its process to the forwarder from
 * a promise callback, so a synchronous throw there was an unhandled rejection and the request
 * hung. It must take the one error path: a 500 page for a request, a 500 answer for an upgrade.
 */
import assert from 'node:assert/strict';
import { commandApp, SERVER } from './fixtures/command/helpers';
import { get, rawHttp, startEngine, statusOf, type RunningEngine } from './helpers';

describe('issue: a synchronous throw after a command became ready was an unhandled rejection', () => {
  let running: RunningEngine | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeEach(() => process.on('unhandledRejection', onRejection));
  afterEach(async () => {
    process.off('unhandledRejection', onRejection);
    rejections.length = 0;
    await running?.stop();
    running = undefined;
  });

  /** An onRequest command, so the first request waits for it; its forwarder throws. */
  async function throwingCommand(): Promise<RunningEngine> {
    const engine = await startEngine({ mounts: [{ prefix: '/c', command: SERVER, start: 'onRequest' }] });
    const forwarder = (commandApp(engine, '/c') as unknown as { forwarder: Record<'handle' | 'upgrade', () => void> }).forwarder;
    forwarder.handle = forwarder.upgrade = () => {
      throw new Error('forwarder broke');
    };
    return engine;
  }

  it('a request gets a 500 page', async () => {
    running = await throwingCommand();
    const answer = await get(`${running.origin}/c/`);
    assert.equal(answer.status, 500);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(rejections, []);
  });

  it('an upgrade gets a 500 answer', async () => {
    running = await throwingCommand();
    const raw = await rawHttp(running.port, 'GET /c/ HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 10_000);
    assert.equal(statusOf(raw), 500, raw);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(rejections, []);
  });
});
