/** Output helpers that reproduce Java's printf and date formats the Kafka tools use. */

/** Java's `%-Ns`: left-aligned, padded to at least n. */
export const left = (s: string | number | bigint, n: number): string => String(s).padEnd(n);

/** Java's `%.Nf` (HALF_UP on the decimal value, which toFixed mostly matches); NaN/Infinity as Java. */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return x.toFixed(digits);
}

/** Java's `%f` (six decimals). */
export const javaF = (x: number): string => fixed(x, 6);

const pad2 = (n: number): string => String(n).padStart(2, '0');
const pad3 = (n: number): string => String(n).padStart(3, '0');

/** SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS") in local time (ConsumerPerformance's default). */
export function perfDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}:${pad3(d.getMilliseconds())}`;
}

/** Kafka's Uuid.toString: URL-safe base64 without padding, from our hex-with-dashes form. */
export function kafkaUuid(uuid: string | undefined): string | null {
  if (uuid === undefined) return null;
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || /^0+$/.test(hex)) return null;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** Kafka's TopicPartition.toString. */
export const tp = (topic: string, partition: number): string => `${topic}-${partition}`;
