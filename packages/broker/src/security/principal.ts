/**
 * Kafka principals ("User:alice") and how a TLS client certificate becomes one: the subject
 * as an RFC 2253 distinguished name (what Java's X500Principal.getName() gives), then
 * ssl.principal.mapping.rules (KIP-371: `RULE:pattern/replacement/[LU]`, `DEFAULT`).
 */
import { X509Certificate } from 'node:crypto';

export interface KafkaPrincipal {
  readonly type: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

export function principalToString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}

/** "User:alice" → principal; throws on text without a type prefix (Kafka's SecurityUtils.parseKafkaPrincipal). */
export function parsePrincipal(text: string): KafkaPrincipal {
  const i = text.indexOf(':');
  if (i <= 0) throw new Error(`Expected a string in format principalType:principalName but got ${text}`);
  return { type: text.slice(0, i), name: text.slice(i + 1) };
}

/** The certificate subject in RFC 2253 form: most specific RDN first, special characters escaped. */
export function distinguishedName(certDer: Buffer): string {
  const x509 = new X509Certificate(certDer);
  // Node lists the subject's attributes one per line in certificate order (C first, CN last).
  const parts = x509.subject.split('\n').filter((l) => l !== '').map((line) => {
    const eq = line.indexOf('=');
    return `${line.slice(0, eq)}=${escapeDnValue(line.slice(eq + 1))}`;
  });
  return parts.reverse().join(',');
}

function escapeDnValue(v: string): string {
  let out = v.replace(/([,+"\\<>;=])/g, '\\$1');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

interface MappingRule {
  readonly pattern: RegExp | null; // null = DEFAULT
  readonly replacement: string;
  readonly toLowerCase: boolean;
  readonly toUpperCase: boolean;
}

/** ssl.principal.mapping.rules, parsed once per listener. */
export class SslPrincipalMapper {
  private readonly rules: MappingRule[];

  constructor(rulesText: string) {
    this.rules = parseRules(rulesText);
  }

  /** The principal name for a distinguished name; the DN itself when no rule matches (as Kafka). */
  name(dn: string): string {
    for (const r of this.rules) {
      if (r.pattern === null) return dn;
      const m = r.pattern.exec(dn);
      if (m === null || m[0] !== dn) continue;
      let out = dn.replace(r.pattern, r.replacement); // Java's $1 groups read the same in JS
      if (r.toLowerCase) out = out.toLowerCase();
      else if (r.toUpperCase) out = out.toUpperCase();
      return out;
    }
    return dn;
  }
}

function parseRules(text: string): MappingRule[] {
  const rules: MappingRule[] = [];
  const re = /\s*(DEFAULT|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))\s*(,\s*|$)/y;
  let pos = 0;
  const src = text.trim();
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (m === null) throw new Error(`Invalid rule: ${src.slice(pos)} (ssl.principal.mapping.rules)`);
    if (m[1] === 'DEFAULT') rules.push({ pattern: null, replacement: '', toLowerCase: false, toUpperCase: false });
    else rules.push({ pattern: new RegExp(m[2]!), replacement: m[3]!, toLowerCase: m[4] === 'L', toUpperCase: m[4] === 'U' });
    pos = re.lastIndex;
  }
  return rules;
}
