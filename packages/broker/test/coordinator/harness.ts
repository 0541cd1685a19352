/** A group coordinator over an in-memory writer and a fake clock, and small request builders. */
import {
  Writer, encodeConsumerProtocolAssignment, encodeConsumerProtocolSubscription,
  type JoinGroupRequest, type JoinGroupResponse, type SyncGroupResponse,
} from '@samsa/protocol';
import { DEFAULT_GROUP_CONFIG, type GroupCoordinatorConfig } from '../../src/coordinator/group/group-config.js';
import { GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';
import { InMemoryPartitionWriter } from '../../src/coordinator/runtime.js';
import { FakeClock } from '../../src/util/clock.js';

export const NUM_PARTITIONS = 4;

export interface Harness {
  clock: FakeClock;
  writer: InMemoryPartitionWriter;
  coordinator: GroupCoordinator;
  config: GroupCoordinatorConfig;
}

export async function harness(overrides: Partial<GroupCoordinatorConfig> = {}, shared?: { clock: FakeClock; writer: InMemoryPartitionWriter }): Promise<Harness> {
  const clock = shared?.clock ?? new FakeClock();
  const writer = shared?.writer ?? new InMemoryPartitionWriter();
  const config: GroupCoordinatorConfig = { ...DEFAULT_GROUP_CONFIG, numPartitions: NUM_PARTITIONS, initialRebalanceDelayMs: 0, ...overrides };
  const coordinator = new GroupCoordinator({ clock, config, writer });
  for (let p = 0; p < NUM_PARTITIONS; p++) await coordinator.loadPartition(p);
  return { clock, writer, coordinator, config };
}

export function subscription(topics: string[]): Buffer {
  const w = new Writer(64).int16(1);
  encodeConsumerProtocolSubscription(w, 1, { topics, userData: null, ownedPartitions: [] });
  return w.toBuffer();
}

export function assignment(topic: string, partitions: number[]): Buffer {
  const w = new Writer(64).int16(1);
  encodeConsumerProtocolAssignment(w, 1, { assignedPartitions: [{ topic, partitions }], userData: null });
  return w.toBuffer();
}

export interface JoinOpts {
  memberId?: string;
  instanceId?: string | null;
  version?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  protocolType?: string;
  protocols?: Array<{ name: string; metadata: Buffer }>;
  clientId?: string;
}

/** A promise whose settlement can be checked synchronously (parked JoinGroup/SyncGroup). */
export interface Tracked<T> {
  promise: Promise<T>;
  value: T | undefined;
  readonly done: boolean;
}

export function track<T>(p: Promise<T>): Tracked<T> {
  const t: { promise: Promise<T>; value: T | undefined; done: boolean } = { promise: p, value: undefined, done: false };
  void p.then((v) => {
    t.value = v;
    t.done = true;
  });
  return t;
}

/** Lets resolved promises run their callbacks. */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export function join(h: Harness, groupId: string, o: JoinOpts = {}): Tracked<JoinGroupResponse> {
  const req: JoinGroupRequest = {
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 30_000,
    memberId: o.memberId ?? '',
    groupInstanceId: o.instanceId ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription(['t']) }],
  };
  return track(h.coordinator.joinGroup({ clientId: o.clientId ?? 'client', clientHost: '/127.0.0.1', apiVersion: o.version ?? 5 }, req));
}

/** MEMBER_ID_REQUIRED round trip, then the real join (parked until the join phase ends). */
export async function joinNew(h: Harness, groupId: string, o: JoinOpts = {}): Promise<Tracked<JoinGroupResponse>> {
  // Static members (group.instance.id) skip the MEMBER_ID_REQUIRED round trip.
  if (o.instanceId !== undefined && o.instanceId !== null) return join(h, groupId, o);
  const first = join(h, groupId, o);
  await flush();
  const r = first.value!;
  if (r.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${r.errorCode}`);
  return join(h, groupId, { ...o, memberId: r.memberId });
}

export function sync(h: Harness, groupId: string, memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Buffer }> = [], instanceId: string | null = null): Tracked<SyncGroupResponse> {
  return track(h.coordinator.syncGroup({ groupId, generationId, memberId, groupInstanceId: instanceId, protocolType: 'consumer', protocolName: null, assignments }));
}

export function state(h: Harness, groupId: string): string {
  return h.coordinator.describeGroups([groupId])[0]!.groupState;
}
