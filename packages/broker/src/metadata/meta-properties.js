/**
 * meta.properties in each log dir, as Kafka writes it (version=1, cluster.id, node.id), so a
 * data directory says which cluster and node it belongs to.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProperties } from '../config/properties.js';
import { writeFileAtomic } from '../util/fs.js';
export const META_PROPERTIES = 'meta.properties';
export function readMetaProperties(logDir) {
    const p = join(logDir, META_PROPERTIES);
    if (!existsSync(p))
        return null;
    const props = parseProperties(readFileSync(p, 'utf8'));
    const clusterId = props.get('cluster.id');
    const nodeId = props.get('node.id') ?? props.get('broker.id');
    if (clusterId === undefined || nodeId === undefined)
        throw new Error(`${p} is missing cluster.id or node.id`);
    const mp = { version: Number(props.get('version') ?? '1'), clusterId, nodeId: Number(nodeId) };
    const dir = props.get('directory.id');
    if (dir !== undefined)
        mp.directoryId = dir;
    return mp;
}
export function writeMetaProperties(logDir, mp) {
    mkdirSync(logDir, { recursive: true });
    let text = `#\n#${new Date().toString()}\n`;
    text += `node.id=${mp.nodeId}\n`;
    if (mp.directoryId !== undefined)
        text += `directory.id=${mp.directoryId}\n`;
    text += `version=${mp.version}\ncluster.id=${mp.clusterId}\n`;
    writeFileAtomic(join(logDir, META_PROPERTIES), text);
}
/**
 * Reads meta.properties from every log dir, checks they agree with each other and with the
 * configured node id, and writes it where missing (generating a cluster id on first start).
 */
export function ensureMetaProperties(logDirs, nodeId, newClusterId) {
    let found = null;
    for (const dir of logDirs) {
        const mp = readMetaProperties(dir);
        if (mp === null)
            continue;
        if (mp.nodeId !== nodeId)
            throw new Error(`Stored node id ${mp.nodeId} in ${join(dir, META_PROPERTIES)} doesn't match configured node.id ${nodeId}`);
        if (found !== null && found.clusterId !== mp.clusterId)
            throw new Error(`Log dirs belong to different clusters: ${found.clusterId} and ${mp.clusterId}`);
        found = mp;
    }
    const result = found ?? { version: 1, clusterId: newClusterId(), nodeId };
    for (const dir of logDirs)
        if (readMetaProperties(dir) === null)
            writeMetaProperties(dir, { version: 1, clusterId: result.clusterId, nodeId });
    return result;
}
//# sourceMappingURL=meta-properties.js.map