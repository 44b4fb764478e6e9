import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from './server.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface SwarmNode {
  /** Its host name, as the swarm lists it. */
  name: string;
  ip: string;
  socketPath: string;
  docker: Docker;
  /** Its id in the swarm. */
  id: string;
  /** With `tls`: its engine on TCP, for clients with a certificate of the swarm's CA (`certPath`: ca.pem, cert.pem, key.pem). */
  tcp?: { url: string; certPath: string };
  /** Its network namespace (under /var/run/netns). */
  netns: string;
  /** Kills its engine at once (SIGKILL), as a machine that dies would; resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts its engine again (after kill); resolves once it answers. */
  restart(): Promise<void>;
}

export interface TestSwarm {
  /** The first node: the swarm's manager. */
  manager: SwarmNode;
  nodes: SwarmNode[];
  /** Stops every engine and removes what the swarm had: namespaces, links, the firewall rule, files. */
  dispose(): Promise<void>;
}

/**
 * A swarm of `count` real Docker engines on this machine, each in a network namespace of its own,
 * joined over veth to a bridge the test owns (the test's traffic stays on it), the first the
 * manager. The machine's own engine is never touched. Every engine is started with nsenter (not
 * `ip netns exec`, which remounts /sys and the engine then finds no cgroup devices) and a host
 * name of its own (a UTS namespace). The host's FORWARD policy drops bridged traffic once Docker
 * runs: a rule in DOCKER-USER lets the bridge's own ports talk, and goes with the swarm. With `tls`,
 * each engine also listens on TCP (its address, port 2376) for clients with a certificate of a CA
 * made for the swarm, as a remote engine Berth drives must (`tcp`).
 */
export async function startSwarm(count: number, options: { tls?: boolean } = {}): Promise<TestSwarm> {
  const tag = randomBytes(3).toString('hex');
  const bridge = `bsw${tag}`;
  const subnet = `10.231.${1 + (parseInt(tag, 16) % 250)}`;
  const dir = await fs.mkdtemp(`/tmp/berth-swarm-${tag}-`);
  const rule = ['DOCKER-USER', '-i', bridge, '-o', bridge, '-m', 'comment', '--comment', `berth-test-swarm-${tag}`, '-j', 'ACCEPT'];
  const namespaces: string[] = [];
  const daemons: { child: ChildProcess; exited: Promise<void> }[] = [];
  const nodes: SwarmNode[] = [];

  async function dispose(): Promise<void> {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGTERM');
    for (const d of daemons) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 30_000)));
      if ((await Promise.race([d.exited, late])) === 'late') d.child.kill('SIGKILL'); // a bound, not a synchronisation
      clearTimeout(timer);
      await d.exited;
    }
    // What an engine started (its containerd, shims) and left behind, found by its folder.
    for (const pid of await processesUnder(dir)) process.kill(pid, 'SIGKILL');
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((line) => line.split(' ')[4] ?? '');
    for (const mount of mounts.filter((m) => m.startsWith(`${dir}/`)).sort().reverse()) await run('umount', ['-l', mount]).catch(() => undefined);
    for (const ns of namespaces) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await run('iptables', ['-D', ...rule]).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }

  try {
    if (options.tls) await certificateAuthority(dir);
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    await run('iptables', ['-I', ...rule]);
    for (let i = 1; i <= count; i++) {
      const name = `${bridge}n${i}`;
      const ip = `${subnet}.${10 + i}`;
      await run('ip', ['netns', 'add', name]);
      namespaces.push(name);
      const [outside, inside] = [`v${tag}${i}`, `p${tag}${i}`];
      await run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      await run('ip', ['link', 'set', inside, 'netns', name]);
      await run('ip', ['-n', name, 'link', 'set', inside, 'name', 'eth0']);
      await run('ip', ['link', 'set', outside, 'master', bridge, 'up']);
      for (const args of [['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['addr', 'add', `${ip}/24`, 'dev', 'eth0'], ['route', 'add', 'default', 'via', `${subnet}.1`]]) await run('ip', ['-n', name, ...args]);

      const home = path.join(dir, `n${i}`);
      await fs.mkdir(home, { recursive: true });
      const socketPath = path.join(home, 'docker.sock');
      const tcp = options.tls ? { url: `tcp://${ip}:2376`, certPath: path.join(dir, 'client') } : undefined;
      const listenTls = options.tls ? ['-H', `tcp://${ip}:2376`, '--tlsverify', '--tlscacert', path.join(dir, 'ca', 'ca.pem'), ...(await serverCertificate(dir, name, ip, home))] : [];
      const docker = new Docker({ socketPath });
      let daemon: { child: ChildProcess; exited: Promise<void> } | undefined;
      const launch = async () => {
        const log = await fs.open(path.join(home, 'dockerd.log'), 'a');
        const child = spawn(
          'nsenter',
          // DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: a service's task starts from the image the node has, instead of
          // asking a registry first (none is reachable: each start would wait out a DNS timeout).
          [`--net=/var/run/netns/${name}`, 'unshare', '--uts', 'sh', '-c', 'hostname "$0"; exec "$@"', name, 'env', 'DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1', 'dockerd', '--data-root', path.join(home, 'data'), '--exec-root', path.join(home, 'exec'), '--pidfile', path.join(home, 'dockerd.pid'), '-H', `unix://${socketPath}`, ...listenTls, '--shutdown-timeout', '3', '--log-level', 'warn'],
          { stdio: ['ignore', log.fd, log.fd] },
        );
        await log.close();
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        daemon = { child, exited };
        daemons.push(daemon);
        const died = exited.then(async () => {
          throw new Error(`the engine of ${name} exited while starting:\n${await fs.readFile(path.join(home, 'dockerd.log'), 'utf8').catch(() => '')}`);
        });
        died.catch(() => undefined); // once it answered, a later exit is the test's own doing (kill)
        await Promise.race([waitFor(`the engine of ${name} to answer`, () => docker.ping().then(() => true), 60_000, 100), died]);
      };
      const kill = async () => {
        daemon?.child.kill('SIGKILL');
        await daemon?.exited;
      };
      // After a kill, the engine's own containerd (left running, as a crashed engine leaves it) can hold
      // the new one up past the engine's deadline on a busy machine (seen once in a rehearsal): a bounded few tries.
      const restart = async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await launch();
          } catch (err) {
            if (attempt >= 3 || !/timeout waiting for containerd/.test(String(err))) throw err;
          }
        }
      };
      await launch();
      nodes.push({ name, ip, socketPath, docker, id: '', netns: name, kill, restart, ...(tcp ? { tcp } : {}) });
    }

    const [manager, ...workers] = nodes as [SwarmNode, ...SwarmNode[]];
    await manager.docker.swarmInit({ ListenAddr: `${manager.ip}:2377`, AdvertiseAddr: manager.ip, DefaultAddrPool: ['10.232.0.0/16'], SubnetSize: 24, Spec: { Dispatcher: { HeartbeatPeriod: 1_000_000_000 } } });
    const { JoinTokens } = (await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    for (const worker of workers) await worker.docker.swarmJoin({ ListenAddr: `${worker.ip}:2377`, AdvertiseAddr: worker.ip, RemoteAddrs: [`${manager.ip}:2377`], JoinToken: JoinTokens.Worker });
    await waitFor(`${count} ready nodes`, async () => ((await manager.docker.listNodes()) as { Status: { State: string } }[]).filter((n) => n.Status.State === 'ready').length === count, 60_000, 100);
    for (const node of nodes) node.id = ((await node.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    return { manager, nodes, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

const openssl = (cwd: string, ...args: string[]) => run('openssl', args, { cwd });

/** A CA for the swarm (dir/ca) and a client certificate of it (dir/client: ca.pem, cert.pem, key.pem, as the docker CLI reads them). */
async function certificateAuthority(dir: string): Promise<void> {
  const [ca, client] = [path.join(dir, 'ca'), path.join(dir, 'client')];
  await fs.mkdir(ca, { recursive: true });
  await fs.mkdir(client, { recursive: true });
  await openssl(ca, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth-test-swarm-ca');
  await openssl(client, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=berth');
  await fs.writeFile(path.join(client, 'ext.cnf'), 'extendedKeyUsage=clientAuth\n');
  await openssl(client, 'x509', '-req', '-in', 'client.csr', '-CA', '../ca/ca.pem', '-CAkey', '../ca/ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'cert.pem');
  await fs.copyFile(path.join(ca, 'ca.pem'), path.join(client, 'ca.pem'));
}

/** A server certificate of the swarm's CA for one node's address; the engine's TLS flags for it. */
async function serverCertificate(dir: string, name: string, ip: string, home: string): Promise<string[]> {
  await fs.writeFile(path.join(home, 'ext.cnf'), `subjectAltName=IP:${ip},DNS:${name}\nextendedKeyUsage=serverAuth\n`);
  await openssl(home, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', `/CN=${name}`);
  await openssl(home, 'x509', '-req', '-in', 'server.csr', '-CA', path.join(dir, 'ca', 'ca.pem'), '-CAkey', path.join(dir, 'ca', 'ca-key.pem'), '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server-cert.pem');
  return ['--tlscert', path.join(home, 'server-cert.pem'), '--tlskey', path.join(home, 'server-key.pem')];
}

/** Processes whose command line names a path under `dir`. */
async function processesUnder(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(`${dir}/`)) found.push(Number(entry));
  }
  return found;
}

/**
 * A swarm for the test file and a Berth on it (`env` says how it reaches the swarm; `prepare` runs
 * before it starts), both gone when the file ends.
 */
export function useServerOnSwarm(count: number, options: { tls?: boolean; prepare?: (swarm: TestSwarm) => Promise<void>; env: (swarm: TestSwarm) => Record<string, string> }) {
  let swarm: TestSwarm | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    swarm = await startSwarm(count, { tls: options.tls });
    await options.prepare?.(swarm);
    server = await startTestServer(options.env(swarm));
  }, 180_000);
  afterAll(async () => {
    try {
      await server?.close();
    } finally {
      await swarm?.dispose();
    }
  }, 120_000);
  return {
    get swarm(): TestSwarm {
      return swarm!;
    },
    get server(): TestServer {
      return server!;
    },
  };
}
