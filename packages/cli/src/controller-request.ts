/**
 * Requests only the active controller serves (ElectLeaders, partition reassignments): sent to
 * the controller named by Metadata, retried while the controller moves (NOT_CONTROLLER).
 */
import type { Admin, Connection } from '@samsa/client';
import { ErrorCode } from '@samsa/protocol';

export async function sendToController<T extends { errorCode?: number }>(admin: Admin, send: (conn: Connection) => Promise<T>): Promise<T> {
  await admin.connect();
  for (let attempt = 0; ; attempt++) {
    const res = await send(await admin.cluster.controllerConnection());
    if (res.errorCode !== ErrorCode.NOT_CONTROLLER || attempt >= 10) return res;
    await new Promise((r) => setTimeout(r, 200));
    await admin.cluster.refreshMetadata();
  }
}
