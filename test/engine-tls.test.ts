import fs from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_ENV } from '../packages/server/src/runtime/docker/labels.js';
import { execIn } from './support/environments.js';
import { ensureTestImage } from './support/images.js';
import { startTestServer, type TestServer } from './support/server.js';
import { startSwarm, type SwarmNode, type TestSwarm } from './support/swarm.js';
import { runningEnvironment } from './support/wait.js';

/**
 * Berth driving an engine on another machine: a real engine in a network namespace of the test's,
 * listening on TCP for clients with a certificate of its CA only (DOCKER_HOST=tcp://…,
 * DOCKER_CERT_PATH). A client without one is refused by the engine; Berth refuses to be one.
 */
describe('an engine reached over TCP with TLS', () => {
  let swarm: TestSwarm;
  let node: SwarmNode;
  let server: TestServer;

  beforeAll(async () => {
    swarm = await startSwarm(1, { tls: true });
    node = swarm.manager;
    const certs = Object.fromEntries(await Promise.all(['ca', 'cert', 'key'].map(async (f) => [f, await fs.readFile(path.join(node.tcp!.certPath, `${f}.pem`))] as const)));
    await ensureTestImage(new Docker({ host: node.ip, port: 2376, protocol: 'https', ...certs }));
    server = await startTestServer({ DOCKER_HOST: node.tcp!.url, DOCKER_CERT_PATH: node.tcp!.certPath });
    await server.createUser('tess', 'tess-password-1234');
  }, 180_000);
  afterAll(async () => {
    try {
      await server?.close();
    } finally {
      await swarm?.dispose();
    }
  }, 120_000);

  it('runs an environment there and works inside it', async () => {
    const tess = await server.login('tess', 'tess-password-1234');
    const env = await runningEnvironment(tess);
    expect(await execIn(tess, env.id, 'echo over-tls')).toMatchObject({ exitCode: 0, stdout: 'over-tls\n' });
    // It is that engine's container (seen through the engine's own socket, inside its namespace).
    const containers = await node.docker.listContainers({ filters: { label: [`${LABEL_ENV}=${env.id}`] } });
    expect(containers.map((c) => c.State)).toEqual(['running']);
  });

  it('is refused to a client without a certificate of its CA', async () => {
    const ca = await fs.readFile(path.join(node.tcp!.certPath, 'ca.pem'));
    const answer = await new Promise<string>((resolve) => {
      https
        .get({ host: node.ip, port: 2376, path: '/_ping', ca, timeout: 10_000 }, (res) => resolve(`answered ${res.statusCode}`))
        .on('error', (err) => resolve(`refused: ${err.message}`));
    });
    expect(answer).toMatch(/^refused: /);
  });
});
