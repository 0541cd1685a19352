/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, heaviest first, and
 * the share of GC, idle and native/program time. Usage:
 *   node -C source --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  name: string;
  location: string;
  selfMs: number;
  /** Percent of all sampled time (idle included). */
  percent: number;
  /** Percent of busy time (idle excluded). */
  busyPercent: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  rows: SelfTimeRow[];
}

/** Self time per function (aggregated over call sites), from the sample timeline. */
export function summarizeProfile(profile: CpuProfile, top = 25, windowUs?: readonly [number, number]): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample; it is attributed to sample i.
  // Sample times are on CLOCK_MONOTONIC (microseconds), so a window from process.hrtime selects them.
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    t += profile.timeDeltas[i] ?? 0;
    if (windowUs !== undefined && (t < windowUs[0] || t > windowUs[1])) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const byFunction = new Map<string, { name: string; location: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    totalUs += us;
    const name = cf.functionName === '' ? '(anonymous)' : cf.functionName;
    if (name === '(idle)') idleUs += us;
    if (name === '(garbage collector)') gcUs += us;
    const location = cf.url === '' ? '' : `${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
    const key = `${name}@${location}`;
    const cur = byFunction.get(key);
    if (cur === undefined) byFunction.set(key, { name, location, us });
    else cur.us += us;
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rows = [...byFunction.values()]
    .filter((r) => r.name !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((r) => ({ name: r.name, location: r.location, selfMs: r.us / 1000, percent: (100 * r.us) / Math.max(1, totalUs), busyPercent: (100 * r.us) / busyUs }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, gcMs: gcUs / 1000, rows };
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const i = path.indexOf('/packages/');
  if (i >= 0) return path.slice(i + 1);
  if (path.startsWith('node:')) return path;
  return basename(path);
}

/** A markdown table of the summary. */
export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [
    `Sampled ${(s.totalMs / 1000).toFixed(2)} s: idle ${((100 * s.idleMs) / Math.max(1, s.totalMs)).toFixed(1)}%, GC ${((100 * s.gcMs) / Math.max(1, s.totalMs - s.idleMs)).toFixed(1)}% of busy time.`,
    '',
    '| self ms | % busy | function | location |',
    '|---:|---:|---|---|',
  ];
  for (const r of s.rows) lines.push(`| ${r.selfMs.toFixed(0)} | ${r.busyPercent.toFixed(1)} | ${r.name} | ${r.location} |`);
  return lines.join('\n');
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileUrl(process.argv[1])) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: profile-summary <file.cpuprofile> [top]\n');
    process.exit(1);
  }
  console.log(formatProfileSummary(summarizeProfile(readProfile(file), Number(process.argv[3] ?? 25))));
}

function pathToFileUrl(p: string): string {
  return new URL(`file://${p.startsWith('/') ? '' : `${process.cwd()}/`}${p}`).href;
}
