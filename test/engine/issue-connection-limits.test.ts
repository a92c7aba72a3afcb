/**
 * Regression: no connection limit. Under the common `ulimit -n 1024`, about 1 000 idle or slowloris
 * connections locked every other client out until Node's default timeouts fired 80-90 s later. Now
 * the headers timeout is 10 s (checked every second), and open connections are capped below the
 * file limit: at the cap the idlest connection is closed to let a new one in.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { CLI, runCli, servingPort, waitFor } from './cliProcess';
import { makeWorkspace, startEngine, type RunningEngine } from './helpers';

/**
 * Connections that send a request head a header at a time and never finish it; once a second, as
 * slowloris does, one more header goes on each and the ones the server closed are opened again.
 */
class Slowloris {
  private readonly sockets = new Set<net.Socket>();
  private running = true;
  private readonly timer: NodeJS.Timeout;
  opened = 0;
  closedByServer = 0;

  constructor(
    private readonly port: number,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.open();
    this.timer = setInterval(() => {
      for (const socket of this.sockets) socket.write('X-Slow: 1\r\n');
      for (let i = this.sockets.size; i < count; i++) this.open();
    }, 1000);
  }

  private open(): void {
    const socket = net.connect(this.port, '127.0.0.1');
    this.opened++;
    this.sockets.add(socket);
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n'));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.running) this.closedByServer++;
    });
  }

  get size(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    for (const socket of this.sockets) socket.destroy();
  }
}

/** One request on a fresh connection; the status, or 0 when it failed or took longer than `ms`. */
function probe(port: number, path: string, ms = 3000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: ms }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function rssMiB(pid: number): number {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kib / 1024;
}

describe('issue: no connection limit let slowloris lock every client out', function () {
  this.timeout(120_000);

  describe('in the engine, with connections.max 20 and headersTimeout 1 s', () => {
    let server: RunningEngine;
    before(async () => {
      server = await startEngine(
        { connections: { max: 20, headersTimeout: 1 }, mounts: [{ prefix: '/p', module: 'p.js' }] },
        { 'p.js': `module.exports = (req, res) => res.end('ok');` },
      );
    });
    after(() => server.stop());

    it('a connection that never finishes its headers is closed with 408 within about 1 s', async () => {
      const socket = net.connect(server.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.write('GET /p/ HTTP/1.1\r\nHost: localhost\r\n');
      const started = Date.now();
      await new Promise((resolve) => socket.on('close', resolve));
      const elapsed = Date.now() - started;
      assert.match(answer, /^HTTP\/1\.1 408 /, `closed without a 408: ${JSON.stringify(answer)}`);
      assert.ok(elapsed >= 900 && elapsed < 4000, `closed after ${elapsed} ms, not about 1 s`);
    });

    it('with 100 slowloris connections against a cap of 20, 20 of 20 probes are answered and the flood is cut down to the cap', async () => {
      const flood = new Slowloris(server.port, 100);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 20; i++) statuses.push(await probe(server.port, '/p/'));
        assert.deepEqual(statuses, Array(20).fill(200));
        assert.ok(flood.closedByServer >= 70, `only ${flood.closedByServer} slowloris connections were closed by the server`);
      } finally {
        flood.stop();
      }
    });

    it('a request in flight is never the one closed to make room', async () => {
      await server.stop();
      server = await startEngine(
        { connections: { max: 3 }, mounts: [{ prefix: '/slow', module: 'slow.js' }, { prefix: '/p', module: 'p.js' }] },
        {
          'slow.js': `let release; const gate = new Promise((r) => (release = r)); module.exports = (req, res) => { if (req.url === '/release') { release(); res.end('released'); } else gate.then(() => res.end('slow done')); };`,
          'p.js': `module.exports = (req, res) => res.end('ok');`,
        },
      );
      const slow = [probe(server.port, '/slow/a', 10_000), probe(server.port, '/slow/b', 10_000)];
      await waitFor('two slow requests in flight', () => server.engine.mounts().find((mount) => mount.id === '/slow')!.requests === 2);
      const flood = new Slowloris(server.port, 30);
      try {
        assert.equal(await probe(server.port, '/slow/release'), 200);
        assert.deepEqual(await Promise.all(slow), [200, 200]);
      } finally {
        flood.stop();
      }
    });
  });

  describe('the CLI under ulimit -n 1024 with a slowloris of 1 500 connections', () => {
    it('keeps answering normal probes; figures in the output', async () => {
      const dir = makeWorkspace({ 'mounts.json': JSON.stringify({ port: 0, mounts: [{ prefix: '/p', module: 'p.js' }] }), 'p.js': `module.exports = (req, res) => res.end('ok');` });
      const cli = runCli([], { shell: `ulimit -n 1024; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} serve ${JSON.stringify(dir)} --quiet` });
      try {
        await waitFor(`the URL; stderr: ${cli.stderr}`, () => servingPort(cli.stdout) > 0);
        const port = servingPort(cli.stdout);
        const pid = cli.child.pid!;
        assert.match(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'), /Max open files\s+1024\s/, 'the CLI runs under ulimit -n 1024');
        const before = rssMiB(pid);
        const flood = new Slowloris(port, 1500);
        let answered = 0;
        let sent = 0;
        let peak = before;
        const failedAt: number[] = [];
        const started = Date.now();
        try {
          // Past the 10 s headers timeout, so the flood is both capped and timed out meanwhile.
          while (Date.now() - started < 15_000) {
            const status = await probe(port, '/p/');
            sent++;
            if (status === 200) answered++;
            else failedAt.push(Date.now() - started);
            peak = Math.max(peak, rssMiB(pid));
          }
        } finally {
          flood.stop();
        }
        console.log(
          `      probes answered: ${answered} of ${sent}; slowloris connections opened: ${flood.opened} (closed by the server: ${flood.closedByServer}); ` +
            `CLI RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak under the flood`,
        );
        // Before the limits, 0 of 6 798 probes were answered. Under a loaded CI machine a probe can
        // still lose a race with the flood's mass reconnection at the headers timeout (2 of 11 435
        // were seen, at 9.2 s and 13.2 s): at most one in a thousand may go unanswered.
        assert.ok(sent >= 100, `only ${sent} probes in 15 s`);
        assert.ok(answered >= sent * 0.999, `${sent - answered} of ${sent} probes got no answer (first at ms ${failedAt.slice(0, 10).join(', ')})`);
        assert.ok(peak < before + 200, `RSS grew from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB under the flood`);
      } finally {
        cli.child.kill('SIGINT');
        await cli.exited;
      }
    });
  });
});
