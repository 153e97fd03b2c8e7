// Test certificates made with openssl: a CA, and a server certificate it signs for 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** The CA's certificate (PEM): what clients trust. */
  ca: string;
  cert: string;
  /** Unencrypted PKCS#8 private key (PEM). */
  key: string;
  /** Key then certificate in one PEM file: a Kafka PEM keystore. */
  keystore: string;
}

export function makeCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=orderflow test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  );
  writeFileSync(
    join(dir, 'keystore.pem'),
    Buffer.concat([readFileSync(join(dir, 'server.key')), readFileSync(join(dir, 'server.crt'))]),
  );
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    keystore: join(dir, 'keystore.pem'),
  };
}
