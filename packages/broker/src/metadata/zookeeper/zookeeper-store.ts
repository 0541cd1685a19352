/**
 * MetadataStore on ZooKeeper. Keys are znode paths (under the zookeeper.connect chroot); a key's
 * revision is its mzxid, and a CAS reads the node's zkVersion and writes with it, so a
 * concurrent writer fails the write (BadVersion) as Kafka's conditional updates do. Parents are
 * created with null data, as Kafka's createRecursive does; nodes with null data are structure,
 * not values, and list/watch skip them. Watches are persistent recursive watches (ZooKeeper 3.6+);
 * after a reconnect or a new session the watch relists and reports the difference.
 */
import { Logger } from '../../util/log.js';
import { CreateMode, EventType, ZkCode, ZkError, type ZkStat } from './jute.js';
import { expireZkSession, ZkClient, ZkConnectTimeoutError, type ZkClientOptions, type ZkMultiOp } from './zk-client.js';
import {
  childPrefix, MetadataStoreUnavailableError, RevisionMismatchError, SessionListeners,
  type MetadataStore, type SessionState, type StoreWatch, type TxnOp, type VersionedValue, type WatchEvent,
} from '../metadata-store.js';

const MAX_TXN_ATTEMPTS = 10;

export interface ZooKeeperStoreOptions {
  connect: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
  /** The ZooKeeper client's connection log (default: INFO lines as the broker's log4j writes them). */
  log?: ZkClientOptions['log'];
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function rev(stat: ZkStat): number {
  return Number(stat.mzxid);
}

function isCode(e: unknown, code: number): boolean {
  return e instanceof ZkError && e.code === code;
}

export class ZooKeeperMetadataStore implements MetadataStore {
  readonly description: string;
  private readonly sessions = new SessionListeners();
  private readonly watches = new Set<ZkPrefixWatch>();

  private constructor(readonly client: ZkClient, private readonly opts: ZooKeeperStoreOptions) {
    this.description = `ZooKeeper at ${opts.connect}`;
    // 'disconnected' is no event for the broker: the session lives on while the client finds
    // another server, and the broker keeps serving as it is (Kafka's broker likewise waits).
    // Only a server's SessionExpired ends it.
    client.onSession((s) => {
      if (s === 'expired') this.sessions.emit('lost');
      if (s === 'new-session') this.sessions.emit('restored');
      if (s === 'reconnected' || s === 'new-session') for (const w of this.watches) w.resync();
    });
    client.onEvent((e) => {
      for (const w of this.watches) w.onEvent(e.type, e.path);
    });
  }

  static async connect(opts: ZooKeeperStoreOptions): Promise<ZooKeeperMetadataStore> {
    try {
      return new ZooKeeperMetadataStore(await ZkClient.connect({ connectString: opts.connect, sessionTimeoutMs: opts.sessionTimeoutMs, connectionTimeoutMs: opts.connectionTimeoutMs, log: opts.log ?? new Logger('org.apache.zookeeper.ClientCnxn') }), opts);
    } catch (e) {
      if (e instanceof ZkConnectTimeoutError) throw new MetadataStoreUnavailableError(e.message);
      throw e;
    }
  }

  async get(key: string): Promise<VersionedValue | null> {
    const r = await this.client.getData(key);
    if (r === null || r.data === null) return null;
    return { key, value: r.data.toString('utf8'), revision: rev(r.stat) };
  }

  async put(key: string, value: string, opts: { expectedRevision?: number; ephemeral?: boolean } = {}): Promise<number> {
    const data = Buffer.from(value, 'utf8');
    const mode = opts.ephemeral === true ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT;
    for (let attempt = 0; ; attempt++) {
      const cur = await this.client.getData(key);
      const curRev = cur === null || cur.data === null ? 0 : rev(cur.stat);
      if (opts.expectedRevision !== undefined && curRev !== opts.expectedRevision) throw new RevisionMismatchError(`${key}: expected revision ${opts.expectedRevision}, found ${curRev}`);
      try {
        if (cur === null) {
          await this.client.ensurePath(parentOf(key));
          return rev(await this.client.create(key, data, mode));
        }
        if (opts.ephemeral === true && cur.stat.ephemeralOwner !== this.client.session) {
          throw new RevisionMismatchError(`${key} is held by another session (0x${cur.stat.ephemeralOwner.toString(16)})`);
        }
        return rev(await this.client.setData(key, data, cur.stat.version));
      } catch (e) {
        const conflict = isCode(e, ZkCode.NODE_EXISTS) || isCode(e, ZkCode.BAD_VERSION) || isCode(e, ZkCode.NO_NODE);
        if (!conflict) throw e;
        if (opts.expectedRevision !== undefined || attempt >= MAX_TXN_ATTEMPTS) throw new RevisionMismatchError(`${key}: changed concurrently`);
      }
    }
  }

  async delete(key: string, opts: { expectedRevision?: number; recursive?: boolean } = {}): Promise<boolean> {
    const cur = await this.client.getData(key);
    if (cur === null) {
      if (opts.expectedRevision !== undefined && opts.expectedRevision !== 0) throw new RevisionMismatchError(`${key}: expected revision ${opts.expectedRevision}, found 0`);
      return false;
    }
    await this.txn([{ op: 'delete', key, ...opts }]);
    return true;
  }

  async list(prefix: string): Promise<VersionedValue[]> {
    const out: VersionedValue[] = [];
    await this.walk(prefix === '/' ? '/' : prefix.replace(/\/$/, ''), async (path, r) => {
      if (r.data !== null) out.push({ key: path, value: r.data.toString('utf8'), revision: rev(r.stat) });
    }, false);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Visits every node under root (not root itself), parents before children. */
  private async walk(root: string, visit: (path: string, r: { data: Buffer | null; stat: ZkStat }) => Promise<void>, includeRoot: boolean): Promise<void> {
    if (includeRoot) {
      const r = await this.client.getData(root);
      if (r === null) return;
      await visit(root, r);
    }
    const children = await this.client.getChildren(root);
    if (children === null) return;
    const paths = children.map((c) => (root === '/' ? '/' + c : root + '/' + c));
    const nodes = await Promise.all(paths.map((p) => this.client.getData(p)));
    for (let i = 0; i < paths.length; i++) {
      const r = nodes[i];
      if (r === null || r === undefined) continue;
      await visit(paths[i]!, r);
      if (r.stat.numChildren > 0) await this.walk(paths[i]!, visit, false);
    }
  }

  async txn(ops: readonly TxnOp[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const multi: ZkMultiOp[] = [];
      const casIndexes = new Set<number>();
      for (const op of ops) {
        const cur = await this.client.getData(op.key);
        const curRev = cur === null || cur.data === null ? 0 : rev(cur.stat);
        const expected = op.op === 'check' ? op.revision : op.expectedRevision;
        if (expected !== undefined && curRev !== expected) throw new RevisionMismatchError(`${op.key}: expected revision ${expected}, found ${curRev}`);
        const first = multi.length;
        if (op.op === 'check') {
          if (cur === null) {
            // Absent and expected absent: a create-and-delete pair would be overkill; check the parent instead.
            continue;
          }
          multi.push({ type: 'check', path: op.key, version: cur.stat.version });
        } else if (op.op === 'put') {
          const data = Buffer.from(op.value, 'utf8');
          if (cur === null) {
            await this.client.ensurePath(parentOf(op.key));
            multi.push({ type: 'create', path: op.key, data, mode: op.ephemeral === true ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT });
          } else {
            multi.push({ type: 'setData', path: op.key, data, version: cur.stat.version });
          }
        } else {
          if (cur === null) continue;
          if (op.recursive === true) {
            const nodes: Array<{ path: string; version: number }> = [];
            await this.walk(op.key, async (path, r) => {
              nodes.push({ path, version: r.stat.version });
            }, false);
            for (const n of nodes.reverse()) multi.push({ type: 'delete', path: n.path, version: -1 });
          }
          multi.push({ type: 'delete', path: op.key, version: cur.stat.version });
        }
        if (expected !== undefined) for (let i = first; i < multi.length; i++) casIndexes.add(i);
      }
      if (multi.length === 0) return;
      try {
        await this.client.multi(multi);
        return;
      } catch (e) {
        if (!(e instanceof ZkError)) throw e;
        const conflict = e.code === ZkCode.BAD_VERSION || e.code === ZkCode.NODE_EXISTS || e.code === ZkCode.NO_NODE || e.code === ZkCode.NOT_EMPTY;
        if (!conflict) throw e;
        const failed = (e as ZkError & { failedIndex?: number }).failedIndex ?? -1;
        if (casIndexes.has(failed) || attempt >= MAX_TXN_ATTEMPTS) throw new RevisionMismatchError(`transaction conflict on ${e.path ?? '?'}: ${e.message}`);
      }
    }
  }

  async watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch> {
    const root = prefix === '/' ? '/' : prefix.replace(/\/$/, '');
    await this.client.ensurePath(root);
    const w = new ZkPrefixWatch(this, root, listener);
    this.watches.add(w);
    // Register first, then list: a change between the two shows up as an event the snapshot already covers (deduplicated by mzxid).
    await this.client.addPersistentRecursiveWatch(root);
    const entries = await w.start();
    return {
      entries,
      cancel: () => {
        this.watches.delete(w);
        w.cancelled = true;
      },
    };
  }

  onSession(listener: (s: SessionState) => void): () => void {
    return this.sessions.add(listener);
  }

  async expireSession(): Promise<void> {
    const { host, port } = this.client.hosts[0]!;
    const session = this.client.session;
    const passwd = this.client.sessionPassword;
    await this.client.whileDisconnected(() => expireZkSession(`${host}:${port}`, session, passwd));
  }

  async close(): Promise<void> {
    this.watches.clear();
    await this.client.close();
  }
}

/** One prefix watch: known revisions per key, events handled one at a time, resync on reconnect. */
class ZkPrefixWatch {
  private known = new Map<string, number>();
  private chain: Promise<void>;
  private open: () => void = () => undefined;
  cancelled = false;

  constructor(private readonly store: ZooKeeperMetadataStore, private readonly root: string, private readonly listener: (e: WatchEvent) => void) {
    // Events that arrive before the snapshot wait for it (then deduplicate against it).
    this.chain = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  async start(): Promise<VersionedValue[]> {
    const entries = await this.store.list(this.root);
    for (const e of entries) this.known.set(e.key, e.revision);
    this.open();
    return entries;
  }

  onEvent(type: number, path: string): void {
    if (!path.startsWith(childPrefix(this.root))) return;
    this.enqueue(async () => {
      if (type === EventType.NodeDeleted) {
        if (this.known.delete(path)) this.emit({ type: 'delete', key: path });
        return;
      }
      if (type !== EventType.NodeCreated && type !== EventType.NodeDataChanged) return;
      await this.refresh(path);
    });
  }

  private async refresh(path: string): Promise<void> {
    const cur = await this.store.get(path);
    if (cur === null) {
      if (this.known.delete(path)) this.emit({ type: 'delete', key: path });
      return;
    }
    const before = this.known.get(path);
    if (before !== undefined && before >= cur.revision) return;
    this.known.set(path, cur.revision);
    this.emit({ type: 'put', key: path, value: cur.value, revision: cur.revision });
  }

  resync(): void {
    this.enqueue(async () => {
      const entries = await this.store.list(this.root);
      const seen = new Set<string>();
      for (const e of entries) {
        seen.add(e.key);
        const before = this.known.get(e.key);
        if (before !== undefined && before >= e.revision) continue;
        this.known.set(e.key, e.revision);
        this.emit({ type: 'put', key: e.key, value: e.value, revision: e.revision });
      }
      for (const k of [...this.known.keys()]) {
        if (seen.has(k)) continue;
        this.known.delete(k);
        this.emit({ type: 'delete', key: k });
      }
    });
  }

  private enqueue(fn: () => Promise<void>): void {
    const run = async (): Promise<void> => {
      if (this.cancelled) return;
      for (let attempt = 0; attempt < 50 && !this.cancelled; attempt++) {
        try {
          await fn();
          return;
        } catch (e) {
          // Connection loss mid-read: the resync after reconnecting covers it; retry briefly meanwhile.
          if (!(e instanceof ZkError)) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    this.chain = this.chain.then(run, run).catch(() => undefined);
  }

  private emit(e: WatchEvent): void {
    if (!this.cancelled) this.listener(e);
  }
}
