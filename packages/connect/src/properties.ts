/** Worker and connector .properties files, read with the shared Java-properties parser. */
import { readFileSync } from 'node:fs';
import { parseProperties as parsePropertiesMap } from '@samsa/protocol/properties';
import { ConfigException } from './api.js';

export function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(parsePropertiesMap(text));
}

export function loadProperties(path: string): Record<string, string> {
  try {
    return parseProperties(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigException(`Unable to read properties file ${path}: ${(e as Error).message}`);
  }
}
