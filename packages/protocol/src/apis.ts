// The API table: every Kafka API with its version range, header versions and codecs.
// Generated from the schemas into generated/api-table.ts; re-exported here with lookups.
import { type ApiDescriptor, apis } from './generated/api-table.js';

export { ApiKey, type ApiDescriptor, apis, apiByName, API_COUNT } from './generated/api-table.js';

/** The descriptor of an API key, or undefined if the key is not a Kafka API. */
export function apiByKey(apiKey: number): ApiDescriptor | undefined {
  return Number.isInteger(apiKey) && apiKey >= 0 ? apis[apiKey] : undefined;
}

/** Whether a version of an API can be encoded and decoded by this package. */
export function isVersionKnown(api: ApiDescriptor, version: number): boolean {
  return version >= api.minVersion && version <= api.maxVersion;
}
