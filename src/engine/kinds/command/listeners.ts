/**
 * The TCP ports a command's process group listens on, read from Linux's /proc: the group's pids
 * (from /proc/<pid>/stat), their socket inodes (/proc/<pid>/fd links `socket:[inode]`) and the
 * listening sockets of /proc/net/tcp and tcp6 with those inodes. No library offers this without a
 * native module or a child process per look (`ss`, `lsof`), and it is asked every few hundred
 * milliseconds while a command starts. Elsewhere (no /proc) the answer is empty.
 */
import * as fs from 'node:fs';

const LISTEN = '0A';
/** Local addresses Mounts reaches as 127.0.0.1: any, 127.0.0.1, and IPv6 any or v4-mapped 127.0.0.1 (/proc writes them in host-order words). */
const REACHABLE_ADDRESSES = new Set(['00000000', '0100007F', '00000000000000000000000000000000', '0000000000000000FFFF00000100007F']);

/** Ports (ascending) that processes of group `pgid` listen on at an address 127.0.0.1 reaches. */
export async function groupListeningPorts(pgid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const pid of await groupPids(pgid)) {
    let fds: string[];
    try {
      fds = await fs.promises.readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // Exited meanwhile, or not ours to read.
    }
    await Promise.all(
      fds.map(async (fd) => {
        const link = await fs.promises.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
        if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
      }),
    );
  }
  if (inodes.size === 0) return [];
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.promises.readFile(table, 'latin1').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN || !inodes.has(fields[9])) continue;
      const [address, port] = fields[1].split(':');
      if (REACHABLE_ADDRESSES.has(address)) ports.add(parseInt(port, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

async function groupPids(pgid: number): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir('/proc');
  } catch {
    return [];
  }
  const pids = await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const stat = await fs.promises.readFile(`/proc/${name}/stat`, 'latin1').catch(() => '');
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pgid ? name : undefined;
      }),
  );
  return pids.filter((pid): pid is string => pid !== undefined);
}
