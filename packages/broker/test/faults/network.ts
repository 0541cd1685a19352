/**
 * The fault suite's test network: a bridge in the root namespace with an address of its own
 * (ZooKeeper and the clients run there) and one Linux network namespace per broker joined to it
 * by a veth pair. Every name starts with a prefix that carries this process's pid, so a later run
 * removes what a crashed one left (stale namespaces and links of dead pids).
 *
 * Faults are made with what this kernel has: `ip link set down` (a broker cut off from everyone)
 * and blackhole routes inside a namespace (one broker cannot send to another or to the store:
 * one-way; the same on both sides: two-way). The kernel here has no tc qdiscs (netem, prio),
 * so delay and loss are not injected.
 */
import { execFileSync } from 'node:child_process';

const NS_PREFIX = 'samsa-faults-';
const LINK_PREFIX = 'smf';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function ipQuiet(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces and links that a dead harness process left behind. */
export function removeStale(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^samsa-faults-(\d+)-/.exec(name);
    if (m !== null && !alive(Number(m[1]))) ipQuiet('netns', 'del', name);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const m = /^\d+: (smf(\d+)[a-z]\w*)[@:]/.exec(line);
    if (m !== null && !alive(Number(m[2]))) ipQuiet('link', 'del', m[1]!);
  }
}

export class TestNetwork {
  readonly hostAddress: string;
  private readonly bridge: string;
  private readonly nodes = new Map<number, { ns: string; hostLink: string; nsLink: string; address: string }>();
  private readonly cuts = new Set<string>();

  /** `subnet` is the third octet of 10.213.x.0/24, a range only these tests use. */
  constructor(readonly subnet: number) {
    removeStale();
    this.hostAddress = `10.213.${subnet}.1`;
    this.bridge = `${LINK_PREFIX}${process.pid}br`;
    ipQuiet('link', 'del', this.bridge);
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
  }

  /** A namespace for node `id` with address 10.213.subnet.(10+id). */
  addNode(id: number): { ns: string; address: string } {
    const ns = `${NS_PREFIX}${process.pid}-b${id}`;
    const hostLink = `${LINK_PREFIX}${process.pid}h${id}`;
    const nsLink = `${LINK_PREFIX}${process.pid}n${id}`;
    const address = `10.213.${this.subnet}.${10 + id}`;
    ipQuiet('netns', 'del', ns);
    ip('netns', 'add', ns);
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink);
    ip('link', 'set', nsLink, 'netns', ns);
    ip('link', 'set', hostLink, 'master', this.bridge);
    ip('link', 'set', hostLink, 'up');
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', nsLink);
    ip('-n', ns, 'link', 'set', nsLink, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    this.nodes.set(id, { ns, hostLink, nsLink, address });
    return { ns, address };
  }

  address(id: number): string {
    return this.node(id).address;
  }

  namespace(id: number): string {
    return this.node(id).ns;
  }

  private node(id: number): { ns: string; hostLink: string; nsLink: string; address: string } {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Node `id` loses its link: nothing in or out. */
  isolate(id: number): void {
    ip('link', 'set', this.node(id).hostLink, 'down');
  }

  /** Node `from` can no longer send to `toAddress` (the other direction still delivers). */
  dropFrom(from: number, toAddress: string): void {
    ip('-n', this.node(from).ns, 'route', 'add', 'blackhole', `${toAddress}/32`);
    this.cuts.add(`${from} ${toAddress}`);
  }

  /** Every fault undone: links up, blackholes removed. */
  heal(): void {
    for (const n of this.nodes.values()) ipQuiet('link', 'set', n.hostLink, 'up');
    for (const cut of this.cuts) {
      const [from, to] = cut.split(' ');
      ipQuiet('-n', this.node(Number(from)).ns, 'route', 'del', 'blackhole', `${to}/32`);
    }
    this.cuts.clear();
  }

  /** Removes every namespace and link this network made. */
  destroy(): void {
    for (const n of this.nodes.values()) {
      ipQuiet('link', 'del', n.hostLink);
      ipQuiet('netns', 'del', n.ns);
    }
    this.nodes.clear();
    ipQuiet('link', 'del', this.bridge);
  }
}

/** A free 10.213.x.0/24 (x from the pid, moved on while another harness holds it). */
export function pickSubnet(): number {
  const used = ip('-o', 'addr', 'show');
  for (let i = 0; i < 250; i++) {
    const x = ((process.pid + i) % 250) + 1;
    if (!used.includes(`10.213.${x}.`)) return x;
  }
  throw new Error('no free 10.213.x.0/24');
}
