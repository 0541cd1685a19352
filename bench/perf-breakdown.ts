/**
 * Where a process's CPU went, from a `perf record -g` of it: every sample is put in one
 * category by its call stack (page faults, socket receive/send, file writes, V8 GC, buffer
 * copies, ...) and by its thread kind (main, V8 platform worker = background GC and
 * compilation, libuv pool = file I/O). V8's background GC threads are told apart from libuv's
 * by their stacks (both are named `node`), so the GC share counts GC on every thread.
 *   usage: perf script -F pid,tid,ip,sym,dso -i FILE | node -C source --import tsx bench/perf-breakdown.ts [--summary] [CPU_SECONDS GB]
 * With the broker's CPU seconds and the GB it took, each category is also given in CPU-s per GB.
 * --summary: one line (GC share and the largest categories) instead of the table.
 */
import { createInterface } from 'node:readline';

type Thread = 'main' | 'v8-worker' | 'libuv-pool' | 'other';

/** First match wins: the more specific categories come first. */
const CATEGORIES: Array<[string, RegExp]> = [
  ['page faults', /^(asm_)?exc_page_fault$/],
  [
    'V8 GC',
    /^(v8::internal::(Heap::|Scavenger|ScavengerCollector|MarkCompactCollector|MinorMarkCompact|ConcurrentMarking|MarkingVisitorBase|IncrementalMarking|Sweeper|ArrayBufferSweeper|GCTracer|MemoryAllocator::|Evacuat|PointersUpdating|RememberedSet|ConcurrentMarkingVisitor|MarkingBarrier|LocalHeap::|GlobalHandles::|ScavengeJob|MarkingWorklists|FullEvacuator|YoungGenerationMarking|Page::|LargeObjectSpace|PagedSpace)|v8::internal::BackingStore::~BackingStore)/,
  ],
  ['V8 compile', /^v8::internal::(compiler::|Compiler::|OptimizingCompileDispatcher|maglev::|baseline::|Parser|Zone)/],
  ['file write (kernel)', /^(ext4_buffered_write_iter|generic_perform_write|ext4_file_write_iter|xfs_file_buffered_write|btrfs_buffered_write)$/],
  ['socket receive (kernel)', /^(tcp_recvmsg|tcp_recvmsg_locked|sock_recvmsg|sock_read_iter)$/],
  ['socket send (kernel)', /^(tcp_sendmsg|tcp_sendmsg_locked|sock_sendmsg|sock_write_iter)$/],
  ['file read (kernel)', /^(filemap_read|ext4_file_read_iter)$/],
  ['mmap/munmap/brk', /^(__x64_sys_munmap|__x64_sys_mmap|__x64_sys_brk|__x64_sys_madvise|__x64_sys_mprotect)$/],
  ['futex', /^(__x64_sys_futex|futex_wait|futex_wake)$/],
  ['epoll', /^(__x64_sys_epoll_pwait|__x64_sys_epoll_wait|__x64_sys_epoll_ctl|do_epoll_wait)$/],
  ['other syscalls', /^(do_syscall_64|entry_SYSCALL_64.*)$/],
  ['CRC32C', /crc32/i], // the native module's symbols are stripped: matched by its file name
  ['memcpy (user)', /^__memmove|^__memcpy/],
  ['malloc/free', /^(_int_malloc|_int_free|malloc|free|cfree|sysmalloc|malloc_consolidate|unlink_chunk|__libc_malloc|__libc_free|_int_free_merge_chunk|_int_free_create_chunk)/],
  ['kernel other', /^(pvm_|__x64_sys_|do_syscall_64|asm_|irq|__irq|handle_softirqs)/],
];

interface Sample {
  thread: Thread;
  category: string;
}

function threadKind(frames: string[]): Thread {
  for (const f of frames) {
    if (f.includes('PlatformWorkerThread') || f.includes('WorkerThreadsTaskRunner')) return 'v8-worker';
    if (f === 'worker' || f.startsWith('uv__work')) return 'libuv-pool';
  }
  return 'other';
}

function categorize(frames: string[]): string {
  // frames[0] is the leaf. A stack is in the first category any of its frames matches.
  for (const [name, re] of CATEGORIES) {
    for (const f of frames) if (re.test(f)) return name;
  }
  return 'user other (JS, node, libc)';
}

async function main(): Promise<void> {
  const summary = process.argv.includes('--summary');
  const [cpuArg, gbArg] = process.argv.slice(2).filter((a) => a !== '--summary');
  const counts = new Map<string, number>();
  const byThread = new Map<Thread, number>();
  let pid = -1;
  let tid = -1;
  let frames: string[] = [];
  let total = 0;
  const flush = (): void => {
    if (tid < 0) return;
    let thread: Thread = tid === pid ? 'main' : threadKind(frames);
    if (thread === 'other' && frames.some((f) => /^v8::internal::/.test(f))) thread = 'v8-worker';
    const s: Sample = { thread, category: categorize(frames) };
    const key = `${s.category}\t${s.thread}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    byThread.set(thread, (byThread.get(thread) ?? 0) + 1);
    total++;
    tid = -1;
    frames = [];
  };
  for await (const line of createInterface({ input: process.stdin })) {
    const head = /^\s*(\d+)\/(\d+)\s*$/.exec(line);
    if (head !== null) {
      flush();
      pid = Number(head[1]);
      tid = Number(head[2]);
      continue;
    }
    const frame = /^\s+[0-9a-f]+\s+(.*)$/.exec(line);
    if (frame !== null) {
      // "symbol (dso path)": categories match the symbol; the stripped CRC32C module by its file name.
      const m = /^(.*?)(?: \((?:\S*\/)?([^/)]*)\))?$/.exec(frame[1]!.trim())!;
      const sym = m[1]!;
      frames.push(sym === '[unknown]' || /^0x[0-9a-f]+$/.test(sym) ? `[${m[2] ?? 'unknown'}]` : sym);
      continue;
    }
    if (line.trim() === '') flush();
  }
  flush();
  const perGb = cpuArg !== undefined && gbArg !== undefined ? Number(cpuArg) / Number(gbArg) / total : null;
  const byCategory = new Map<string, Map<Thread, number>>();
  for (const [key, n] of counts) {
    const [cat, thread] = key.split('\t') as [string, Thread];
    const m = byCategory.get(cat) ?? new Map<Thread, number>();
    m.set(thread, n);
    byCategory.set(cat, m);
  }
  const rows = [...byCategory].map(([cat, m]) => ({ cat, m, n: [...m.values()].reduce((a, b) => a + b, 0) })).sort((a, b) => b.n - a.n);
  const threads: Thread[] = ['main', 'v8-worker', 'libuv-pool', 'other'];
  const pct = (n: number): string => `${((100 * n) / total).toFixed(1)}%`;
  if (summary) {
    const gc = byCategory.get('V8 GC');
    const gcAll = gc === undefined ? 0 : [...gc.values()].reduce((a, b) => a + b, 0);
    const top = rows.filter((r) => r.cat !== 'V8 GC').slice(0, 5).map((r) => `${r.cat} ${pct(r.n)}`).join(', ');
    console.log(`V8 GC ${pct(gcAll)} of broker CPU (main ${pct(gc?.get('main') ?? 0)}, V8 workers ${pct(gc?.get('v8-worker') ?? 0)}); ${top}; ${total} samples`);
    return;
  }
  console.log(`| category | share | ${perGb !== null ? 'CPU-s/GB | ' : ''}${threads.join(' | ')} |`);
  console.log(`|---|---:|${perGb !== null ? '---:|' : ''}${threads.map(() => '---:').join('|')}|`);
  for (const r of rows) {
    console.log(`| ${r.cat} | ${pct(r.n)} | ${perGb !== null ? `${(r.n * perGb).toFixed(2)} | ` : ''}${threads.map((t) => pct(r.m.get(t) ?? 0)).join(' | ')} |`);
  }
  console.log(`| all | 100% | ${perGb !== null ? `${(total * perGb).toFixed(2)} | ` : ''}${threads.map((t) => pct(byThread.get(t) ?? 0)).join(' | ')} |`);
  console.log(`samples: ${total}`);
}

await main();
