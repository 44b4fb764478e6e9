import fs from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABEL_ENV } from '../packages/server/src/runtime/docker/labels.js';
import { execIn } from './support/environments.js';
import { ensureTestImage } from './support/images.js';
import type { TestServer } from './support/server.js';
import { useServerOnSwarm, type SwarmNode } from './support/swarm.js';
import { runningEnvironment } from './support/wait.js';

/**
 * Berth driving an engine on another machine: a real engine in a network namespace of the test's,
 * listening on TCP for clients with a certificate of its CA only (DOCKER_HOST=tcp://…,
 * DOCKER_CERT_PATH). A client without one is refused by the engine; Berth refuses to be one.
 */
describe('an engine reached over TCP with TLS', () => {
  const on = useServerOnSwarm(1, {
    tls: true,
    // The test image, built on that engine by a client of its own CA.
    prepare: async (swarm) => {
      const { certPath } = swarm.manager.tcp!;
      const certs = Object.fromEntries(await Promise.all(['ca', 'cert', 'key'].map(async (f) => [f, await fs.readFile(path.join(certPath, `${f}.pem`))] as const)));
      await ensureTestImage(new Docker({ host: swarm.manager.ip, port: 2376, protocol: 'https', ...certs }));
    },
    env: (swarm) => ({ DOCKER_HOST: swarm.manager.tcp!.url, DOCKER_CERT_PATH: swarm.manager.tcp!.certPath }),
  });
  let node: SwarmNode;
  let server: TestServer;

  beforeAll(async () => {
    node = on.swarm.manager;
    server = on.server;
    await server.createUser('tess', 'tess-password-1234');
  });

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
