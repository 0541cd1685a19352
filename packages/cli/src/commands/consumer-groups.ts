/**
 * kafka-consumer-groups: list, describe (offsets/lag, members, state), delete groups, delete
 * offsets and reset offsets, with ConsumerGroupCommand's tables (each row starts with a newline,
 * columns padded as its printf formats pad them) and messages.
 */
import { readFileSync } from 'node:fs';
import { Admin, KafkaError, type GroupDescription } from '@samsa/client';
import { type ParsedArgs, type ToolSpec, UsageError } from '../args.js';
import { left, tp } from '../format.js';
import { bootstrapList, clusterOptions, describeError, type Io, loadProperties, type Tool, ToolError } from '../tool.js';

const MISSING = '-';

export const consumerGroupsSpec: ToolSpec = {
  name: 'kafka-consumer-groups',
  summary: 'This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', metavar: 'String: server to connect to', description: 'REQUIRED: The server(s) to connect to.' },
    { name: 'group', kind: 'value', repeatable: true, metavar: 'String: consumer group', description: 'The consumer group we wish to act on.' },
    { name: 'topic', kind: 'value', repeatable: true, metavar: 'String: topic', description: 'The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process.' },
    { name: 'all-topics', kind: 'flag', description: 'Consider all topics assigned to a group in the `reset-offsets` process.' },
    { name: 'list', kind: 'flag', description: 'List all consumer groups.' },
    { name: 'describe', kind: 'flag', description: 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.' },
    { name: 'all-groups', kind: 'flag', description: 'Apply to all consumer groups.' },
    { name: 'delete', kind: 'flag', description: 'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group.' },
    { name: 'timeout', kind: 'value', metavar: 'Long: timeout (ms)', default: '5000', description: 'The timeout that can be set for some use cases.' },
    { name: 'command-config', kind: 'value', metavar: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client and Consumer.' },
    { name: 'reset-offsets', kind: 'flag', description: 'Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive.' },
    { name: 'dry-run', kind: 'flag', description: 'Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.' },
    { name: 'execute', kind: 'flag', description: 'Execute operation. Supported operations: reset-offsets.' },
    { name: 'export', kind: 'flag', description: 'Export operation execution to a CSV file. Supported operations: reset-offsets.' },
    { name: 'to-offset', kind: 'value', metavar: 'Long: offset', description: 'Reset offsets to a specific offset.' },
    { name: 'from-file', kind: 'value', metavar: 'String: path to CSV file', description: 'Reset offsets to values defined in CSV file.' },
    { name: 'to-datetime', kind: 'value', metavar: 'String: datetime', description: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'" },
    { name: 'by-duration', kind: 'value', metavar: 'String: duration', description: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'" },
    { name: 'to-earliest', kind: 'flag', description: 'Reset offsets to earliest offset.' },
    { name: 'to-latest', kind: 'flag', description: 'Reset offsets to latest offset.' },
    { name: 'to-current', kind: 'flag', description: 'Reset offsets to current offset.' },
    { name: 'shift-by', kind: 'value', metavar: 'Long: number-of-offsets', description: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative." },
    { name: 'members', kind: 'flag', description: 'Describe members of the group. This option may be used with \'--describe\' and \'--bootstrap-server\' options only.' },
    { name: 'verbose', kind: 'flag', description: 'Provide additional information, if any, when describing the group.' },
    { name: 'offsets', kind: 'flag', description: 'Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action.' },
    { name: 'state', kind: 'optional', metavar: 'String', description: 'When specified with \'--describe\', includes the state of the group. When specified with \'--list\', it displays the state of all groups. It can also be used to list groups with specific states (comma separated).' },
    { name: 'type', kind: 'optional', metavar: 'String', description: "When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types: classic, consumer." },
    { name: 'delete-offsets', kind: 'flag', description: 'Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.' },
    { name: 'validate-regex', kind: 'value', metavar: 'String: regex', description: 'Validate that the syntax of the provided regular expression is valid according to the RE2 format.' },
  ],
};

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets', 'delete-offsets', 'validate-regex'] as const;
const SCENARIOS = ['to-offset', 'to-datetime', 'by-duration', 'to-earliest', 'to-latest', 'shift-by', 'from-file', 'to-current'] as const;
const STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty', 'Assigning', 'Reconciling'];

function checkArgs(a: ParsedArgs, io: Io): void {
  if (ACTIONS.filter((x) => a.has(x)).length !== 1) throw new UsageError(`Command must include exactly one action: ${ACTIONS.map((x) => `--${x}`).join(', ')}`);
  if (a.has('validate-regex')) return;
  a.checkRequired('bootstrap-server');
  const needsGroup = (action: string, allowAll: boolean): void => {
    if (!a.has(action)) return;
    if (allowAll && a.has('group') === a.has('all-groups')) throw new UsageError(`Option [${action}] takes one of these options: [all-groups], [group]`);
    if (!allowAll && !a.has('group')) throw new UsageError(`Option [${action}] takes the option: [group]`);
  };
  needsGroup('describe', true);
  needsGroup('delete', true);
  needsGroup('reset-offsets', true);
  needsGroup('delete-offsets', false);
  if (a.has('delete-offsets')) {
    if (a.values('group').length > 1) throw new UsageError('Option [delete-offsets] supports only one [group] at a time, but found: ' + a.values('group').join(', '));
    if (!a.has('topic')) throw new UsageError('Option [delete-offsets] takes the following options: [topic], [group]');
  }
  if (a.has('delete') && a.has('topic')) throw new UsageError('The consumer does not support topic-specific offset deletion from a consumer group.');
  if (a.has('reset-offsets')) {
    if (a.has('dry-run') && a.has('execute')) throw new UsageError('Option [reset-offsets] only accepts one of [execute], [dry-run]');
    if (!a.has('dry-run') && !a.has('execute')) {
      io.err('WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n');
    }
    const scenarios = SCENARIOS.filter((x) => a.has(x));
    if (scenarios.length !== 1) throw new UsageError(`Option [reset-offsets] takes exactly one of these options: ${SCENARIOS.map((x) => `[${x}]`).join(', ')}`);
    if (!a.has('from-file') && a.has('topic') === a.has('all-topics')) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
  } else {
    for (const s of [...SCENARIOS, 'all-topics', 'dry-run', 'execute', 'export'] as const) a.checkInvalid(s, 'describe', 'list', 'delete', 'delete-offsets');
  }
  for (const o of ['members', 'offsets'] as const) for (const x of ['list', 'delete', 'reset-offsets', 'delete-offsets']) a.checkInvalid(o, x);
  if (a.has('members') && a.has('offsets')) throw new UsageError('Option [describe] takes at most one of these options: [members], [offsets], [state]');
}

interface Row {
  group: string;
  topic: string;
  partition: string;
  leaderEpoch: string;
  offset: string;
  logEnd: string;
  lag: string;
  consumerId: string;
  host: string;
  clientId: string;
}

class GroupService {
  constructor(readonly admin: Admin, readonly a: ParsedArgs, readonly io: Io) {}

  async consumerGroups(): Promise<Array<{ groupId: string; state: string | null }>> {
    const all = await this.admin.listGroups();
    return all.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => ({ groupId: g.groupId, state: g.state }));
  }

  async groupIds(): Promise<string[]> {
    return this.a.has('all-groups') ? (await this.consumerGroups()).map((g) => g.groupId) : this.a.values('group');
  }

  /** DescribeGroups, with a group that does not exist reported as Dead. */
  async describe(groupId: string): Promise<GroupDescription> {
    try {
      const [d] = await this.admin.describeGroups([groupId]);
      return d!;
    } catch (e) {
      if (e instanceof KafkaError && e.errorName === 'GROUP_ID_NOT_FOUND') return { groupId, state: 'Dead', protocolType: '', protocol: '', members: [] };
      throw e;
    }
  }

  async logEndOffsets(tps: Array<{ topic: string; partition: number }>): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (tps.length === 0) return out;
    const answers = await this.admin.listOffsets(tps.map((x) => ({ ...x, spec: 'latest' as const })));
    for (const r of answers) out.set(tp(r.topic, r.partition), r.offset);
    return out;
  }

  /** Prints the note for the group's state; false when there is no table to print. */
  printState(group: string, state: string, rows: number | null): boolean {
    if (rows === null) {
      this.io.out(`\nError: The consumer group '${group}' does not exist.\n`);
      return false;
    }
    if (state === 'Dead') this.io.out(`\nError: Consumer group '${group}' does not exist.\n`);
    else if (state === 'Empty') this.io.err(`\nConsumer group '${group}' has no active members.\n`);
    else if (state !== 'Stable') this.io.err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
    return state !== 'Dead' && rows > 0;
  }

  async offsetRows(group: string, d: GroupDescription): Promise<Row[]> {
    const committed = await this.admin.listConsumerGroupOffsets(group);
    const committedBy = new Map(committed.filter((c) => c.offset >= 0n).map((c) => [tp(c.topic, c.partition), c]));
    const rows: Row[] = [];
    const assigned = new Set<string>();
    const tpsOf = (m: GroupDescription['members'][number]): Array<{ topic: string; partition: number }> =>
      m.assignment === null ? [] : [...m.assignment].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    const members = d.members.filter((m) => tpsOf(m).length > 0).sort((x, y) => tpsOf(y).length - tpsOf(x).length);
    const unassigned = committed.filter((c) => c.offset >= 0n && !members.some((m) => tpsOf(m).some((x) => x.topic === c.topic && x.partition === c.partition)));
    const all = [...members.flatMap(tpsOf), ...unassigned.map((c) => ({ topic: c.topic, partition: c.partition }))];
    const ends = await this.logEndOffsets(all);
    const describePartitions = (tps: Array<{ topic: string; partition: number }>, who: { consumerId: string; host: string; clientId: string }): Row[] =>
      [...tps]
        .sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1))
        .map((x) => {
          const c = committedBy.get(tp(x.topic, x.partition));
          const end = ends.get(tp(x.topic, x.partition));
          assigned.add(tp(x.topic, x.partition));
          return {
            group,
            topic: x.topic,
            partition: String(x.partition),
            leaderEpoch: c !== undefined && c.leaderEpoch >= 0 ? String(c.leaderEpoch) : MISSING,
            offset: c !== undefined ? String(c.offset) : MISSING,
            logEnd: end !== undefined ? String(end) : MISSING,
            lag: c !== undefined && end !== undefined ? String(end - c.offset) : MISSING,
            ...who,
          };
        });
    for (const m of members) rows.push(...describePartitions(tpsOf(m), { consumerId: m.memberId, host: m.clientHost, clientId: m.clientId }));
    if (unassigned.length > 0) rows.push(...describePartitions(unassigned.map((c) => ({ topic: c.topic, partition: c.partition })), { consumerId: MISSING, host: MISSING, clientId: MISSING }));
    return rows;
  }

  printOffsets(group: string, state: string, rows: Row[]): void {
    if (!this.printState(group, state, rows.length)) return;
    const verbose = this.a.has('verbose');
    const w = (f: (r: Row) => string, header: string): number => Math.max(15, header.length, ...rows.map((r) => f(r).length));
    const gw = Math.max(15, ...rows.map((r) => r.group.length));
    const tw = Math.max(15, ...rows.map((r) => r.topic.length));
    const cw = Math.max(15, ...rows.map((r) => r.consumerId.length));
    const hw = Math.max(15, ...rows.map((r) => r.host.length));
    void w;
    const line = (r: Row): string =>
      verbose
        ? `\n${left(r.group, gw)} ${left(r.topic, tw)} ${left(r.partition, 10)} ${left(r.leaderEpoch, 15)} ${left(r.offset, 15)} ${left(r.logEnd, 15)} ${left(r.lag, 15)} ${left(r.consumerId, cw)} ${left(r.host, hw)} ${r.clientId}`
        : `\n${left(r.group, gw)} ${left(r.topic, tw)} ${left(r.partition, 10)} ${left(r.offset, 15)} ${left(r.logEnd, 15)} ${left(r.lag, 15)} ${left(r.consumerId, cw)} ${left(r.host, hw)} ${r.clientId}`;
    let out = line({ group: 'GROUP', topic: 'TOPIC', partition: 'PARTITION', leaderEpoch: 'LEADER-EPOCH', offset: 'CURRENT-OFFSET', logEnd: 'LOG-END-OFFSET', lag: 'LAG', consumerId: 'CONSUMER-ID', host: 'HOST', clientId: 'CLIENT-ID' });
    for (const r of rows) out += line(r);
    this.io.out(`${out}\n`);
  }

  printMembers(group: string, d: GroupDescription): void {
    // as Kafka: the note for the state, then the header even when there are no members
    this.printState(group, d.state, d.members.length);
    const verbose = this.a.has('verbose');
    const assignmentOf = (m: GroupDescription['members'][number]): string => {
      if (m.assignment === null || [...m.assignment].every(([, ps]) => ps.length === 0)) return MISSING;
      return [...m.assignment].filter(([, ps]) => ps.length > 0).map(([t, ps]) => `${t}:${[...ps].sort((x, y) => x - y).join(',')}`).sort().join(';');
    };
    const count = (m: GroupDescription['members'][number]): number => (m.assignment === null ? 0 : [...m.assignment].reduce((n, [, ps]) => n + ps.length, 0));
    const gw = Math.max(15, ...d.members.map(() => group.length));
    const cw = Math.max(15, ...d.members.map((m) => m.memberId.length));
    const iw = Math.max(17, ...d.members.map((m) => (m.groupInstanceId ?? '').length));
    const hw = Math.max(15, ...d.members.map((m) => m.clientHost.length));
    const clw = Math.max(15, ...d.members.map((m) => m.clientId.length));
    const aw = Math.max(20, ...d.members.map((m) => assignmentOf(m).length));
    const withInstance = d.members.some((m) => (m.groupInstanceId ?? '') !== '');
    const base = (g: string, c: string, i: string, h: string, cl: string, n: string): string =>
      withInstance ? `${left(g, gw)} ${left(c, cw)} ${left(i, iw)} ${left(h, hw)} ${left(cl, clw)} ${left(n, 15)} ` : `${left(g, gw)} ${left(c, cw)} ${left(h, hw)} ${left(cl, clw)} ${left(n, 15)} `;
    const extra = (a: string, b: string, c: string, e: string): string => (verbose ? `${left(a, 15)} ${left(b, aw)} ${left(c, 15)} ${left(e, 20)}` : '');
    let out = `\n${base('GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS')}${extra('CURRENT-EPOCH', 'CURRENT-ASSIGNMENT', 'TARGET-EPOCH', 'TARGET-ASSIGNMENT')}\n`;
    for (const m of d.members) out += `${base(group, m.memberId, m.groupInstanceId ?? '', m.clientHost, m.clientId, String(count(m)))}${extra(MISSING, assignmentOf(m), MISSING, MISSING)}\n`;
    this.io.out(out);
  }

  async printGroupState(group: string, d: GroupDescription): Promise<void> {
    if (!this.printState(group, d.state, 1)) return;
    let coordinator = `${MISSING}:${MISSING}  (${MISSING})`;
    try {
      const c = await this.admin.findGroupCoordinator(group);
      coordinator = `${c.host}:${c.port}  (${c.nodeId})`;
    } catch {
      // no coordinator: the placeholder stays
    }
    const cw = Math.max(25, coordinator.length);
    const gw = Math.max(15, group.length);
    const strategy = d.protocol === '' ? MISSING : d.protocol;
    const line = (g: string, c: string, s: string, st: string, n: string): string => `\n${left(g, gw)} ${left(c, cw)} ${left(s, 20)} ${left(st, 20)} ${n}`;
    this.io.out(`${line('GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS')}${line(group, coordinator, strategy, d.state, String(d.members.length))}\n`);
  }

  async describeGroups(): Promise<number> {
    const ids = [...(await this.groupIds())].sort();
    let missing = 0;
    for (const group of ids) {
      const d = await this.describe(group);
      if (d.state === 'Dead') missing++;
      if (this.a.has('members')) this.printMembers(group, d);
      else if (this.a.has('state') && !this.a.has('offsets')) await this.printGroupState(group, d);
      else this.printOffsets(group, d.state, d.state === 'Dead' ? [] : await this.offsetRows(group, d));
    }
    return missing > 0 ? 1 : 0;
  }

  async listGroups(): Promise<void> {
    const includeState = this.a.has('state');
    const includeType = this.a.has('type');
    let groups = await this.consumerGroups();
    if (!includeState && !includeType) {
      this.io.out(groups.map((g) => `${g.groupId}\n`).join(''));
      return;
    }
    const stateFilter = (this.a.value('state') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const s of stateFilter) {
      if (!STATES.some((x) => x.toLowerCase() === s.toLowerCase())) throw new UsageError(`Invalid state list '${this.a.value('state')}'. Valid states are: ${STATES.join(', ')}`);
    }
    const typeFilter = (this.a.value('type') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
    for (const t of typeFilter) if (t !== 'classic' && t !== 'consumer') throw new UsageError(`Invalid types list '${this.a.value('type')}'. Valid types are: Classic, Consumer`);
    if (stateFilter.length > 0) groups = groups.filter((g) => stateFilter.some((s) => s.toLowerCase() === (g.state ?? '').toLowerCase()));
    if (typeFilter.length > 0 && !typeFilter.includes('classic')) groups = [];
    const gw = Math.max(15, ...groups.map((g) => g.groupId.length)) + 10;
    const line = (g: string, t: string, s: string): string => `${left(g, gw)}${includeType ? ` ${left(t, 20)}` : ''}${includeState ? ` ${left(s, 20)}` : ''}\n`;
    let out = line('GROUP', 'TYPE', 'STATE');
    for (const g of groups) out += line(g.groupId, 'Classic', g.state ?? 'Unknown');
    this.io.out(out);
  }

  async deleteGroups(): Promise<number> {
    const ids = await this.groupIds();
    const ok: string[] = [];
    const failed: Array<[string, string]> = [];
    for (const g of ids) {
      try {
        await this.admin.deleteGroups([g]);
        ok.push(g);
      } catch (e) {
        failed.push([g, describeError(e)]);
      }
    }
    if (failed.length === 0) {
      this.io.out(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
      return 0;
    }
    this.io.out('\nError: Deletion of some consumer groups failed:\n');
    for (const [g, err] of failed) this.io.out(`* Group '${g}' could not be deleted due to: ${err}\n`);
    if (ok.length > 0) this.io.out(`\nThese consumer groups were deleted successfully: ${ok.map((g) => `'${g}'`).join(', ')}\n`);
    return 1;
  }

  async deleteOffsets(): Promise<number> {
    const group = this.a.required('group');
    const partitions: Array<{ topic: string; partition: number }> = [];
    const results = new Map<string, { topic: string; partition: number; error: string | null }>();
    const plain = this.a.values('topic').filter((t) => !t.includes(':'));
    for (const t of this.a.values('topic').filter((x) => x.includes(':'))) partitions.push(...parseTopicWithPartitions(t));
    if (plain.length > 0) {
      for (const t of plain) {
        try {
          const [d] = await this.admin.describeTopics({ topics: [t] });
          for (const p of d!.partitions) partitions.push({ topic: t, partition: p.partition });
        } catch (e) {
          results.set(tp(t, -1), { topic: t, partition: -1, error: describeError(e) });
        }
      }
    }
    let topLevel: string | null = null;
    for (const p of partitions) {
      try {
        await this.admin.deleteConsumerGroupOffsets(group, [p]);
        results.set(tp(p.topic, p.partition), { ...p, error: null });
      } catch (e) {
        const msg = describeError(e);
        if (e instanceof KafkaError && ['INVALID_GROUP_ID', 'GROUP_ID_NOT_FOUND', 'GROUP_AUTHORIZATION_FAILED', 'NON_EMPTY_GROUP', 'COORDINATOR_NOT_AVAILABLE'].includes(e.errorName)) topLevel ??= msg;
        results.set(tp(p.topic, p.partition), { ...p, error: msg });
      }
    }
    const anyError = [...results.values()].some((r) => r.error !== null);
    if (topLevel !== null) this.io.out(`\nError: ${topLevel}\n`);
    else if (anyError) this.io.out('\nError: Encountered some partition-level error, see the follow-up details.\n');
    else this.io.out(`Request succeeded for deleting offsets from group ${group}.\n`);
    const tw = Math.max(15, ...[...results.values()].map((r) => r.topic.length));
    let out = `\n${left('TOPIC', tw)} ${left('PARTITION', 10)} ${left('STATUS', 15)}`;
    for (const r of [...results.values()].sort((x, y) => (x.topic + x.partition < y.topic + y.partition ? -1 : 1))) {
      out += `\n${left(r.topic, tw)} ${left(r.partition >= 0 ? String(r.partition) : MISSING, 10)} ${left(r.error !== null ? `Error: ${r.error}` : 'Successful', 15)}`;
    }
    this.io.out(`${out}\n`);
    return anyError ? 1 : 0;
  }

  // ---- reset offsets ----------------------------------------------------------------------

  async resetOffsets(): Promise<number> {
    const ids = await this.groupIds();
    const result = new Map<string, Map<string, { topic: string; partition: number; offset: bigint }>>();
    let failures = 0;
    const plan = this.a.has('from-file') ? parseResetPlan(this.a.required('from-file'), ids) : null;
    for (const group of ids) {
      const d = await this.describe(group);
      if (d.state !== 'Empty' && d.state !== 'Dead') {
        this.io.out(`\nError: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${d.state}.\n`);
        result.set(group, new Map());
        failures++;
        continue;
      }
      const prepared = await this.prepare(group, plan);
      if (this.a.has('execute') && prepared.size > 0) await this.admin.alterConsumerGroupOffsets(group, [...prepared.values()]);
      result.set(group, prepared);
    }
    if (this.a.has('export')) {
      const single = this.a.values('group').length === 1;
      let csv = '';
      for (const [g, m] of result) for (const r of sortTps([...m.values()])) csv += single ? `${r.topic},${r.partition},${r.offset}\n` : `${g},${r.topic},${r.partition},${r.offset}\n`;
      this.io.out(`${csv}\n`);
    } else {
      const gw = Math.max(15, ...[...result.keys()].map((g) => g.length));
      const tw = Math.max(15, ...[...result.values()].flatMap((m) => [...m.values()].map((r) => r.topic.length)));
      const line = (g: string, t: string, p: string, o: string): string => `\n${left(g, gw)} ${left(t, tw)} ${left(p, 10)} ${o}`;
      let out = result.size > 0 ? line('GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET') : '';
      for (const [g, m] of result) for (const r of sortTps([...m.values()])) out += line(g, r.topic, String(r.partition), String(r.offset));
      this.io.out(`${out}\n`);
    }
    return failures > 0 ? 1 : 0;
  }

  private async partitionsToReset(group: string): Promise<Array<{ topic: string; partition: number }>> {
    if (this.a.has('all-topics')) return (await this.admin.listConsumerGroupOffsets(group)).filter((c) => c.offset >= 0n).map((c) => ({ topic: c.topic, partition: c.partition }));
    const out: Array<{ topic: string; partition: number }> = [];
    for (const t of this.a.values('topic')) {
      if (t.includes(':')) out.push(...parseTopicWithPartitions(t));
      else {
        const [d] = await this.admin.describeTopics({ topics: [t] });
        for (const p of d!.partitions) out.push({ topic: t, partition: p.partition });
      }
    }
    return out;
  }

  private async checkValid(tps: Array<{ topic: string; partition: number }>): Promise<void> {
    const topics = [...new Set(tps.map((x) => x.topic))];
    if (topics.length === 0) return;
    const known = await this.admin.listTopics({ includeInternal: true });
    const described = await this.admin.describeTopics({ topics: topics.filter((t) => known.includes(t)) });
    const missing = tps.filter((x) => !described.some((d) => d.name === x.topic && d.partitions.some((p) => p.partition === x.partition)));
    if (missing.length > 0) throw new ToolError(`\nError: Executing consumer group command failed due to The partitions "${missing.map((x) => tp(x.topic, x.partition)).join(',')}" do not exist`);
    const leaderless = tps.filter((x) => described.some((d) => d.name === x.topic && d.partitions.some((p) => p.partition === x.partition && p.leader < 0)));
    if (leaderless.length > 0) throw new ToolError(`\nError: Executing consumer group command failed due to The partitions "${leaderless.map((x) => tp(x.topic, x.partition)).join(',')}" have no leader`);
  }

  private async offsetsAt(tps: Array<{ topic: string; partition: number }>, spec: 'earliest' | 'latest' | bigint): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (tps.length === 0) return out;
    for (const r of await this.admin.listOffsets(tps.map((x) => ({ ...x, spec })))) out.set(tp(r.topic, r.partition), r.offset);
    return out;
  }

  /** Kafka's checkOffsetsRange: requested offsets outside [log start, log end] are moved in. */
  private async clamp(requested: Array<{ topic: string; partition: number; offset: bigint }>): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
    const starts = await this.offsetsAt(requested, 'earliest');
    const ends = await this.offsetsAt(requested, 'latest');
    return requested.map((r) => {
      const end = ends.get(tp(r.topic, r.partition));
      const start = starts.get(tp(r.topic, r.partition));
      if (end !== undefined && r.offset > end) {
        this.io.err(`WARN New offset (${r.offset}) is higher than latest offset for topic partition ${tp(r.topic, r.partition)}. Value will be set to ${end}\n`);
        return { ...r, offset: end };
      }
      if (start !== undefined && r.offset < start) {
        this.io.err(`WARN New offset (${r.offset}) is lower than earliest offset for topic partition ${tp(r.topic, r.partition)}. Value will be set to ${start}\n`);
        return { ...r, offset: start };
      }
      return r;
    });
  }

  private async byTimestamp(tps: Array<{ topic: string; partition: number }>, ts: bigint): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
    const found = await this.offsetsAt(tps, ts);
    const empty = tps.filter((x) => (found.get(tp(x.topic, x.partition)) ?? -1n) < 0n);
    for (const x of empty) this.io.out(`\nWarn: Partition ${x.partition} from topic ${x.topic} is empty. Falling back to latest known offset.\n`);
    const latest = await this.offsetsAt(empty, 'latest');
    return tps.map((x) => {
      const o = found.get(tp(x.topic, x.partition)) ?? -1n;
      return { ...x, offset: o >= 0n ? o : latest.get(tp(x.topic, x.partition))! };
    });
  }

  private async prepare(group: string, plan: Map<string, Array<{ topic: string; partition: number; offset: bigint }>> | null): Promise<Map<string, { topic: string; partition: number; offset: bigint }>> {
    const a = this.a;
    let list: Array<{ topic: string; partition: number; offset: bigint }>;
    if (plan !== null) {
      const forGroup = plan.get(group);
      if (forGroup === undefined) {
        this.io.out(`\nError: No reset plan for group ${group} found.\n`);
        return new Map();
      }
      await this.checkValid(forGroup);
      list = await this.clamp(forGroup);
    } else {
      const tps = await this.partitionsToReset(group);
      await this.checkValid(tps);
      if (a.has('to-offset')) list = await this.clamp(tps.map((x) => ({ ...x, offset: a.long('to-offset')! })));
      else if (a.has('to-earliest') || a.has('to-latest')) {
        const m = await this.offsetsAt(tps, a.has('to-earliest') ? 'earliest' : 'latest');
        list = tps.map((x) => ({ ...x, offset: m.get(tp(x.topic, x.partition))! }));
      } else if (a.has('shift-by') || a.has('to-current')) {
        const committed = new Map((await this.admin.listConsumerGroupOffsets(group)).filter((c) => c.offset >= 0n).map((c) => [tp(c.topic, c.partition), c.offset]));
        if (a.has('shift-by')) {
          const n = a.long('shift-by')!;
          list = await this.clamp(tps.map((x) => {
            const cur = committed.get(tp(x.topic, x.partition));
            if (cur === undefined) throw new UsageError(`Cannot shift offset for partition ${tp(x.topic, x.partition)} since there is no current committed offset`);
            return { ...x, offset: cur + n };
          }));
        } else {
          const latest = await this.offsetsAt(tps.filter((x) => !committed.has(tp(x.topic, x.partition))), 'latest');
          list = tps.map((x) => ({ ...x, offset: committed.get(tp(x.topic, x.partition)) ?? latest.get(tp(x.topic, x.partition))! }));
        }
      } else if (a.has('to-datetime')) list = await this.byTimestamp(tps, BigInt(parseDateTime(a.required('to-datetime'))));
      else list = await this.byTimestamp(tps, BigInt(Date.now() - parseDuration(a.required('by-duration'))));
    }
    return new Map(list.map((r) => [tp(r.topic, r.partition), r]));
  }
}

function sortTps<T extends { topic: string; partition: number }>(l: T[]): T[] {
  return l.sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1));
}

export function parseTopicWithPartitions(arg: string): Array<{ topic: string; partition: number }> {
  const parts = arg.split(':');
  if (parts.length !== 2) throw new UsageError(`Invalid topic arg '${arg}', expected topic name and partitions`);
  return parts[1]!.split(',').map((p) => {
    if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition '${p}' specified in topic arg '${arg}''`);
    return { topic: parts[0]!, partition: Number(p.trim()) };
  });
}

/** Kafka's Utils.getDateTime: 'YYYY-MM-DDTHH:mm:SS.sss' with an optional zone (Z, ±hh:mm, ±hhmm); local time without. */
export function parseDateTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (m === null) throw new UsageError(`Error parsing timestamp '${s}': expected the format yyyy-MM-dd'T'HH:mm:ss.SSS with an optional time zone`);
  const [, y, mo, d, h, mi, se, ms, zone] = m;
  const millis = Number((ms ?? '0').padEnd(3, '0'));
  if (zone === undefined) return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), millis).getTime();
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), millis);
  if (zone === 'Z') return utc;
  const z = zone.replace(':', '');
  const offsetMin = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  return utc - offsetMin * 60000;
}

/** java.time.Duration.parse: PnDTnHnMn.nS (each part optional, signs allowed), in ms. */
export function parseDuration(s: string): number {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+(?:[.,]\d{1,9})?)S)?)?$/i.exec(s.trim());
  if (m === null || (m[2] === undefined && m[3] === undefined && m[4] === undefined && m[5] === undefined) || /T$/i.test(s.trim())) {
    throw new UsageError(`Error parsing duration '${s}': Text cannot be parsed to a Duration (format PnDTnHnMn.nS)`);
  }
  const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x.replace(',', '.')));
  const ms = ((n(m[2]) * 24 + n(m[3])) * 60 + n(m[4])) * 60000 + n(m[5]) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/** --from-file CSV: "topic,partition,offset" (one group) or "group,topic,partition,offset". */
function parseResetPlan(path: string, groups: string[]): Map<string, Array<{ topic: string; partition: number; offset: bigint }>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ToolError(`Unable to read ${path}: ${(e as Error).message}`);
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const out = new Map<string, Array<{ topic: string; partition: number; offset: bigint }>>();
  const threeColumns = lines.length > 0 && lines[0]!.split(',').length === 3;
  for (const l of lines) {
    const f = l.split(',');
    let g: string, t: string, p: string, o: string;
    if (threeColumns && groups.length === 1) [g, t, p, o] = [groups[0]!, f[0]!, f[1]!, f[2]!];
    else if (f.length === 4) [g, t, p, o] = f as [string, string, string, string];
    else throw new ToolError(`Invalid line in ${path}: '${l}' (expected topic,partition,offset or group,topic,partition,offset)`);
    if (!/^\d+$/.test(p) || !/^-?\d+$/.test(o)) throw new ToolError(`Invalid line in ${path}: '${l}'`);
    let list = out.get(g);
    if (list === undefined) out.set(g, (list = []));
    list.push({ topic: t, partition: Number(p), offset: BigInt(o) });
  }
  return out;
}

export const consumerGroupsTool: Tool = {
  spec: consumerGroupsSpec,
  async run(a, io) {
    checkArgs(a, io);
    if (a.has('validate-regex')) {
      const re = a.required('validate-regex');
      try {
        new RegExp(re);
        io.out(`The regular expression \`${re}\` is valid.\n`);
      } catch (e) {
        io.out(`The regular expression \`${re}\` is invalid: ${(e as Error).message}.\n`);
      }
      return 0;
    }
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const timeout = a.int('timeout') ?? 5000;
    const opts = clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1');
    opts.requestTimeoutMs ??= Math.max(timeout, 5000);
    const admin = new Admin(opts);
    const svc = new GroupService(admin, a, io);
    try {
      if (a.has('list')) await svc.listGroups();
      else if (a.has('describe')) return await svc.describeGroups();
      else if (a.has('delete')) return await svc.deleteGroups();
      else if (a.has('reset-offsets')) return await svc.resetOffsets();
      else return await svc.deleteOffsets();
      return 0;
    } catch (e) {
      if (e instanceof UsageError || e instanceof ToolError) throw e;
      io.out(`\nError: Executing consumer group command failed due to ${describeError(e)}\n`);
      return 1;
    } finally {
      await admin.close();
    }
  },
};
