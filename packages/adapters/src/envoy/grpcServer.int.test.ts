import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvoyAdapter } from './envoyAdapter.js';
import { startGrpcServer } from './grpcServer.js';
import { RDS_TYPE_URL } from './protoRoot.js';
import { rawAdsClient } from './testing/rawAdsClient.js';
import { XdsControlPlane } from './xdsControlPlane.js';

// The xDS server over TLS and mutual TLS, with certificates made by openssl (Debian's package, installed by
// scripts/ensure-package.sh when missing).
const REPO = resolve(import.meta.dirname, '../../../..');
let dir: string;
let openssl: string;
const pem = (name: string): Buffer => readFileSync(join(dir, name));

function run(...args: string[]): void {
  execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  openssl = execFileSync('sh', [join(REPO, 'scripts/ensure-package.sh'), 'openssl', 'openssl', 'OPENSSL_BIN', '/usr/bin/openssl'], { encoding: 'utf8', timeout: 280_000 }).trim();
  dir = mkdtempSync(join(tmpdir(), 'sluice-xds-tls-'));
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sluice-test-ca');
  for (const name of ['server', 'client']) {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? 'localhost' : 'client-1'}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xDS server over TLS', () => {
  it('with a client CA, serves a client presenting a certificate it signed and refuses one without', async () => {
    const plane = new XdsControlPlane();
    createEnvoyAdapter({ routeConfiguration: 'tls-route', stableCluster: 'a', canaryCluster: 'b' }, { rolloutId: 'tls', xds: plane });
    const server = await startGrpcServer('127.0.0.1:0', { certChain: pem('server.pem'), privateKey: pem('server.key'), clientCa: pem('ca.pem') }, (s) => plane.addTo(s));
    try {
      const trusted = rawAdsClient(server.port, 'with-cert', credentials.createSsl(pem('ca.pem'), pem('client.key'), pem('client.pem')), 'localhost');
      trusted.request({ typeUrl: RDS_TYPE_URL, names: ['tls-route'] });
      expect((await trusted.next(RDS_TYPE_URL)).resources.map((r) => r.name)).toEqual(['tls-route']);
      trusted.close();

      const anonymous = rawAdsClient(server.port, 'no-cert', credentials.createSsl(pem('ca.pem')), 'localhost');
      anonymous.request({ typeUrl: RDS_TYPE_URL, names: ['tls-route'] });
      await expect(anonymous.next(RDS_TYPE_URL)).rejects.toThrow(/UNAVAILABLE|handshake|certificate|closed/i);
      anonymous.close();

      const plain = rawAdsClient(server.port, 'plain');
      plain.request({ typeUrl: RDS_TYPE_URL, names: ['tls-route'] });
      await expect(plain.next(RDS_TYPE_URL)).rejects.toThrow();
      plain.close();
    } finally {
      plane.close();
      await server.close(100);
    }
  });
});
