export interface MetaProperties {
    version: number;
    clusterId: string;
    nodeId: number;
    directoryId?: string;
}
export declare const META_PROPERTIES = "meta.properties";
export declare function readMetaProperties(logDir: string): MetaProperties | null;
export declare function writeMetaProperties(logDir: string, mp: MetaProperties): void;
/**
 * Reads meta.properties from every log dir, checks they agree with each other and with the
 * configured node id, and writes it where missing (generating a cluster id on first start).
 */
export declare function ensureMetaProperties(logDirs: readonly string[], nodeId: number, newClusterId: () => string): MetaProperties;
