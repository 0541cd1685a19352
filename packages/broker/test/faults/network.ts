/**
 * The fault suite's test network: a bridge in the root namespace with an address of its own
 * (ZooKeeper and the clients run there) and one Linux network namespace per broker joined to it
 * by a veth pair. Every name starts with a prefix that carries this process's pid, so a later run
 * removes what a crashed one left (stale namespaces and links of dead pids).
 *
 * Faults are made with what this kernel has: `ip link set down` (a broker cut off from everyone),
 * blackhole routes inside a namespace (one broker cannot send to another or to the store:
 * one-way; the same on both sides: two-way), nftables `numgen random` drops (packet loss) and,
 * for delay, a userspace TCP relay that nftables DNAT puts in the path. The kernel here has no
 * netem qdisc (CONFIG_NET_SCH_NETEM is not set; of the qdiscs only htb, tbf and ingress exist,
 * and no fq for BPF earliest-departure-time pacing), so delay cannot be made in the kernel.
 */
import { execFileSync } from 'node:child_process';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

const NS_PREFIX = 'samsa-faults-';
const LINK_PREFIX = 'smf';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs an nftables script in namespace `ns`. */
function nft(ns: string, script: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
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
  /** Namespaces with a fault table of nftables rules (loss, delay redirects). */
  private readonly nftFaults = new Set<string>();
  private readonly relays: DelayRelay[] = [];

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

  /** Node `id` drops `percent`% of the packets it sends to and receives from `peers`, at random. */
  loss(id: number, peers: string[], percent: number): void {
    const ns = this.node(id).ns;
    const set = `{ ${peers.join(', ')} }`;
    nft(ns, [
      'table inet samsa_faults {',
      `  chain out { type filter hook output priority 0; ip daddr ${set} numgen random mod 100 < ${percent} counter drop; }`,
      `  chain in { type filter hook input priority 0; ip saddr ${set} numgen random mod 100 < ${percent} counter drop; }`,
      '}',
    ].join('\n'));
    this.nftFaults.add(ns);
  }

  /** Packets node `id`'s loss rules have dropped so far. */
  dropped(id: number): number {
    const out = execFileSync('ip', ['netns', 'exec', this.node(id).ns, 'nft', 'list', 'table', 'inet', 'samsa_faults'], { encoding: 'utf8' });
    return [...out.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  }

  /**
   * Every TCP connection between node `id` and `peers` (to `port` on either side) goes through
   * a relay in this process that holds each chunk `delayMs` before passing it on: nftables DNAT
   * in the namespaces sends new connections to the relay, and the connections already open are
   * reset (`ss -K`) so that the brokers reconnect through it. The relay delays data, not packets:
   * TCP's own acknowledgements stay fast, as with a slow middlebox rather than a slow wire.
   */
  async delay(id: number, peers: number[], port: number, delayMs: number): Promise<void> {
    const targets = [id, ...peers];
    const relayTo = new Map<number, DelayRelay>();
    for (const t of targets) {
      const relay = await DelayRelay.open(this.hostAddress, this.address(t), port, delayMs);
      this.relays.push(relay);
      relayTo.set(t, relay);
    }
    const dnat = (from: number, to: number[]): void => {
      const ns = this.node(from).ns;
      const rules = to.map((t) => `  ip daddr ${this.address(t)} tcp dport ${port} dnat to ${this.hostAddress}:${relayTo.get(t)!.port};`);
      nft(ns, ['table ip samsa_faults_nat {', '  chain out {', '    type nat hook output priority -100;', ...rules, '  }', '}'].join('\n'));
      this.nftFaults.add(ns);
    };
    dnat(id, peers);
    for (const p of peers) dnat(p, [id]);
    this.resetConnections(id, peers.map((p) => this.address(p)));
  }

  /** What the open delay relays have passed on (connections, bytes). */
  relayed(): { connections: number; bytes: number } {
    return this.relays.reduce((t, r) => ({ connections: t.connections + r.relayed.connections, bytes: t.bytes + r.relayed.bytes }), { connections: 0, bytes: 0 });
  }

  /** Resets the TCP connections between node `id` and `peerAddresses` (SOCK_DESTROY via ss -K). */
  private resetConnections(id: number, peerAddresses: string[]): void {
    const ns = this.node(id).ns;
    for (const a of [...peerAddresses, this.hostAddress]) {
      try {
        execFileSync('ip', ['netns', 'exec', ns, 'ss', '-K', 'dst', a], { stdio: 'ignore' });
      } catch {
        // nothing to reset
      }
    }
  }

  /** Every fault undone: links up, blackholes, drops and redirects removed, relays closed. */
  heal(): void {
    for (const n of this.nodes.values()) ipQuiet('link', 'set', n.hostLink, 'up');
    for (const cut of this.cuts) {
      const [from, to] = cut.split(' ');
      ipQuiet('-n', this.node(Number(from)).ns, 'route', 'del', 'blackhole', `${to}/32`);
    }
    this.cuts.clear();
    for (const ns of this.nftFaults) {
      try {
        execFileSync('ip', ['netns', 'exec', ns, 'nft', 'flush', 'ruleset'], { stdio: 'ignore' });
      } catch {
        // namespace gone
      }
    }
    this.nftFaults.clear();
    // Relayed connections end with their relay; the brokers reconnect directly.
    for (const r of this.relays.splice(0)) r.close();
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

/** A TCP relay on `listenAddress` (an ephemeral port) to `target:port`, holding every chunk `delayMs`. */
class DelayRelay {
  private constructor(private readonly server: Server, readonly port: number, private readonly sockets: Set<Socket>, private readonly counts: { connections: number; bytes: number }) {}

  /** Connections accepted and bytes passed on so far. */
  get relayed(): { connections: number; bytes: number } {
    return { ...this.counts };
  }

  static open(listenAddress: string, target: string, targetPort: number, delayMs: number): Promise<DelayRelay> {
    const sockets = new Set<Socket>();
    const counts = { connections: 0, bytes: 0 };
    const server = createServer((inbound) => {
      counts.connections++;
      const outbound = tcpConnect({ host: target, port: targetPort });
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.setNoDelay(true);
        s.on('close', () => {
          sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
        s.on('error', () => undefined);
      }
      // Same delay for every chunk: timers of equal length fire in order, so bytes stay in order.
      const pipe = (from: Socket, to: Socket): void => {
        from.on('data', (d: Buffer) => {
          counts.bytes += d.length;
          setTimeout(() => to.destroyed || to.write(d), delayMs);
        });
        from.on('end', () => setTimeout(() => to.end(), delayMs));
      };
      pipe(inbound, outbound);
      pipe(outbound, inbound);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, listenAddress, () => {
        resolve(new DelayRelay(server, (server.address() as { port: number }).port, sockets, counts));
      });
    });
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
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
