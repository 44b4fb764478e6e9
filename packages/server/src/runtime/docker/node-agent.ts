import type Docker from 'dockerode';
import { CommandError, type FirewallHost } from './firewall.js';
import { runExec } from './exec.js';
import { LABEL_INSTALL } from './labels.js';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;
const IDLE_COMMAND = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];
/** Marks the agent, so no listing of environments or replicas ever counts it. */
export const LABEL_AGENT = 'berth.node-agent';

export const agentName = (installId: string) => `berth-node-agent-${installId.slice(0, 8)}`;

/**
 * A node's host, reached through its engine: a small idle container of Berth's in the node's host
 * network namespace, with the host's root mounted read-only, in which commands run with the host's
 * own binaries (`chroot`). It holds only the capabilities iptables needs (not `--privileged`). It is
 * how egress rules reach a node Berth does not run on, with the same rules and code as on Berth's
 * own machine (firewall.ts). `image` needs `sh` and `chroot` (Debian's coreutils, or busybox).
 */
export function nodeAgentHost({ docker, installId, image }: { docker: Docker; installId: string; image: string }): FirewallHost {
  const name = agentName(installId);
  let ready: Promise<Docker.Container> | undefined;

  async function ensure(): Promise<Docker.Container> {
    const container = docker.getContainer(name);
    try {
      const info = await container.inspect();
      if (!info.State.Running) await container.start();
      return container;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    try {
      await docker.createContainer({
        name,
        Image: image,
        Cmd: IDLE_COMMAND,
        Labels: { [LABEL_INSTALL]: installId, [LABEL_AGENT]: 'true' },
        HostConfig: {
          NetworkMode: 'host',
          Binds: ['/:/host:ro'],
          CapDrop: ['ALL'],
          CapAdd: ['NET_ADMIN', 'NET_RAW', 'SYS_CHROOT'],
          SecurityOpt: ['no-new-privileges'],
          Init: true,
          RestartPolicy: { Name: 'unless-stopped' },
        },
      });
    } catch (err) {
      if (statusOf(err) !== 409) throw err; // made meanwhile by another Berth
    }
    await container.start().catch((err: unknown) => {
      if (statusOf(err) !== 304) throw err;
    });
    return container;
  }

  async function exec(argv: string[], stdin?: string): Promise<string> {
    ready ??= ensure().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    const container = await ready;
    const outcome = await runExec(container, docker, { argv: ['chroot', '/host', ...argv], cwd: '/', stdin, timeoutMs: 30_000, maxOutputBytes: 64 * 1024 * 1024 }).catch((err: unknown) => {
      ready = undefined; // gone or stopped: made again on the next call
      throw err;
    });
    if (outcome.exitCode !== 0) throw new CommandError(`${argv[0]} failed on the node (${outcome.exitCode ?? 'timed out'}): ${outcome.stderr.trim().slice(0, 2000)}`);
    return outcome.stdout;
  }

  return {
    run: (command, args, stdin) => exec([command, ...args], stdin),
    read: (file) => exec(['cat', file]).catch(() => ''),
  };
}
