/**
 * Test certificates made with openssl at test time in a fresh temp dir: a CA, a broker
 * certificate for localhost/127.0.0.1 (PEM key+cert, PEM keystore file, PKCS12), a client
 * certificate signed by the CA (CN=alice) and one signed by an untrusted CA (CN=mallory).
 * EC P-256 keys keep generation fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  /** key + certificate in one file: Kafka's ssl.keystore.type=PEM keystore. */
  serverPemKeystore: string;
  serverP12: string;
  p12Password: string;
  clientKey: string;
  clientCert: string;
  rogueKey: string;
  rogueCert: string;
  pem(path: string): string;
  remove(): void;
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-tls-'));
  const f = (n: string): string => join(dir, n);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string): void => ssl('req', '-x509', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`);
  const signed = (name: string, subj: string, caName: string, ext?: string): void => {
    ssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subj);
    const extArgs = ext === undefined ? [] : (writeFileSync(f(`${name}.ext`), ext), ['-extfile', f(`${name}.ext`)]);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.crt`), '-CAkey', f(`${caName}.key`), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '2', ...extArgs);
  };
  ca('samsa-test-ca');
  ca('rogue-ca');
  signed('server', '/CN=localhost/O=Samsa', 'samsa-test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  signed('client', '/C=US/O=Samsa/OU=Test/CN=alice', 'samsa-test-ca');
  signed('rogue', '/CN=mallory', 'rogue-ca');
  writeFileSync(f('server-keystore.pem'), readFileSync(f('server.key'), 'utf8') + readFileSync(f('server.crt'), 'utf8'));
  ssl('pkcs12', '-export', '-inkey', f('server.key'), '-in', f('server.crt'), '-out', f('server.p12'), '-passout', 'pass:p12-secret');
  return {
    dir,
    caCert: f('samsa-test-ca.crt'),
    serverKey: f('server.key'),
    serverCert: f('server.crt'),
    serverPemKeystore: f('server-keystore.pem'),
    serverP12: f('server.p12'),
    p12Password: 'p12-secret',
    clientKey: f('client.key'),
    clientCert: f('client.crt'),
    rogueKey: f('rogue.key'),
    rogueCert: f('rogue.crt'),
    pem: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
