/**
 * Socket reads into memory the connection chooses: the rest of a large request frame (the
 * kernel copies the request straight into it, no copy afterwards), else one reused read buffer.
 * Node's default gives every read a fresh 64 KiB buffer: at 1 GB/s that is 16,000 new buffers a
 * second, each page-faulted in by the kernel's copy and each adding external memory that
 * drives V8 mark-compacts.
 *
 * Node offers exactly this as the `onread` option (a buffer function and a callback), but only
 * for sockets it creates for a client or from a handle, not for the sockets a net.Server
 * accepts; an accepted socket is given the same setup here (the fields `onread` sets, and the
 * handle's user buffer, as Node's initSocketHandle does). If this Node's sockets do not have
 * those fields, nothing is changed and the caller reads 'data' events as before.
 */
import type { Socket } from 'node:net';

interface OnreadFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let fields: OnreadFields | null | undefined;

function onreadFields(socket: Socket): OnreadFields | null {
  if (fields !== undefined) return fields;
  const byName = new Map(Object.getOwnPropertySymbols(socket).map((s) => [s.description, s]));
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  fields = buffer !== undefined && callback !== undefined && generator !== undefined ? { buffer, callback, generator } : null;
  return fields;
}

/**
 * Makes `socket` (a plain TCP socket just accepted, nothing read from it yet) read into the
 * buffers `next` returns: `next` is asked before each read, `onRead` is told after it how many
 * bytes landed in that buffer. Returns false (and changes nothing) when not possible: TLS
 * sockets, or a Node whose sockets lack the `onread` fields.
 */
export function readIntoChosenBuffers(socket: Socket, next: () => Buffer, onRead: (bytes: number, buffer: Buffer) => void): boolean {
  if ((socket as { encrypted?: boolean }).encrypted === true) return false;
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  if (handle === undefined || handle === null || typeof handle.useUserBuffer !== 'function') return false;
  const f = onreadFields(socket);
  if (f === null) return false;
  const s = socket as unknown as Record<symbol, unknown>;
  if (s[f.buffer] !== null || s[f.callback] !== null || s[f.generator] !== null) return false;
  const first = next();
  s[f.generator] = next;
  s[f.callback] = onRead;
  s[f.buffer] = first;
  handle.useUserBuffer(first);
  return true;
}
