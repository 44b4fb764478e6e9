import type { RuntimeClass } from '@berth/contracts';
import { AppError } from '../errors.js';

/**
 * The one interface between Berth and whatever runs environments. Docker
 * implements it today; remote nodes and microVMs implement the same later, so
 * nothing here may assume the engine is local.
 */

/** Where an environment's traffic may go (see EGRESS_MODES in the contracts). */
export type EgressPolicy = { mode: 'internet' | 'none' } | { mode: 'allowlist'; allow: string[] };

/**
 * The network an environment joins. Environments with the same key share one network, so the key
 * says both who shares it and under which policy (environments/egress.domain.ts decides it); a
 * different policy is a different network, and changing policy means moving to another network.
 */
export interface NetworkSpec {
  key: string;
  /** Null for an unclaimed environment of a warm pool. */
  ownerId: string | null;
  /** Set when the network is this environment's alone: it goes when the environment goes. */
  environmentId: string | null;
  egress: EgressPolicy;
}

export interface EnvironmentSpec {
  environmentId: string;
  /** The node it is placed on (RuntimeNode.id); null: the engine Berth drives. */
  nodeId: string | null;
  /** Null for an unclaimed environment of a warm pool (its runtime objects then carry no owner label). */
  ownerId: string | null;
  name: string;
  image: string;
  vcpus: number;
  memoryMb: number;
  diskGib: number;
  network: NetworkSpec;
  /** `sandboxed`: the container runs under the engine's gVisor runtime (runsc) instead of its default. */
  runtimeClass: RuntimeClass;
}

/** One replica of an app's release (or its release-phase run): a container of the release's image. */
export interface ReplicaSpec {
  /** Unique on the engine: replicaName(release, index), or the release phase's. */
  name: string;
  appId: string;
  releaseId: string;
  image: string;
  /** Instead of the image's own command (the release phase). */
  command?: string[];
  env: Record<string, string>;
  vcpus: number;
  memoryMb: number;
  network: NetworkSpec;
  /** A named volume of the app's (made if missing, labelled as the app's), mounted at `target`: a managed database's data. */
  volume?: { name: string; target: string };
}

export interface ReplicaInstance {
  name: string;
  appId: string;
  releaseId: string;
  state: InstanceState;
  /** Restarts after crashes since it was created (the engine restarts it with a growing delay). */
  restartCount: number;
}

export type InstanceState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

export interface RuntimeInstance {
  id: string;
  environmentId: string;
  /** The node it is on, where there are several (a swarm's). */
  nodeId?: string;
  state: InstanceState;
  exitCode: number | null;
  /** Keys of the networks it is attached to (names of networks that are not Berth's, as they are). */
  networks: string[];
}

export interface ExecRequest {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  /** Per stream; output beyond it is dropped and reported as truncated. */
  maxOutputBytes: number;
  /**
   * When given, output is handed over as it comes instead of being kept (stdout/stderr then come back
   * empty). Returning a promise holds the output back until it settles: a consumer that cannot keep up
   * makes the process wait on its writes, instead of its output piling up in memory.
   */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void | Promise<void>;
  /** Aborting ends the command and everything it started, as its timeout does (its reader went away, say). */
  signal?: AbortSignal;
}

export interface ExecOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

/** An interactive terminal process: raw bytes both ways over `stream`. */
export interface Pty {
  stream: NodeJS.ReadWriteStream;
  resize(cols: number, rows: number): Promise<void>;
  /**
   * SIGKILLs the terminal's process and everything it started; resolves once they are gone. The way
   * to end a terminal: ending `stream` does not reach a process on a TTY (Docker 20.10 closes our
   * output instead and the process lives on, detached).
   */
  kill(): Promise<void>;
  /** Resolves with the exit code once the process has ended. */
  exited(): Promise<number | null>;
}

export interface PtyRequest {
  argv: string[];
  cols: number;
  rows: number;
  cwd?: string;
  env?: Record<string, string>;
}

/** A process started with `spawn`: it lives until it ends or is killed, not as long as a request. */
export interface SpawnRequest {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Keep stdin open for write()/closeStdin(); without it the process reads end-of-file at once and write() does nothing. */
  stdin: boolean;
  /** Run on a pseudo-terminal of this size; output then arrives as 'pty' (stdin is always open). */
  tty?: { cols: number; rows: number };
  /**
   * Output as it is produced, in order, per stream. Returning a promise holds the output back until it
   * settles (the process then waits on its writes, as on a full pipe): how a slow reader bounds memory.
   */
  onOutput: (stream: 'stdout' | 'stderr' | 'pty', chunk: Buffer) => void | Promise<void>;
}

export interface RuntimeProcess {
  /**
   * Feeds stdin; does nothing once stdin is closed or the process has ended. Resolves once the engine
   * connection has room for more (a process not reading its input holds it): a caller that waits for
   * it never piles input up in memory.
   */
  write(data: Buffer): Promise<void>;
  /**
   * Ends the process's stdin (it reads end-of-file). On a pseudo-terminal that is the terminal's
   * end-of-file character, which a program in raw mode reads as a plain byte.
   */
  closeStdin(): void;
  /** Only for processes on a pseudo-terminal; a no-op otherwise. */
  resize(cols: number, rows: number): Promise<void>;
  /** SIGKILLs the process and everything it started; resolves once they are gone. */
  kill(): Promise<void>;
  /** Resolves once the process has ended and all its output was handed to onOutput: its exit code (null if unknown). */
  exited(): Promise<number | null>;
}

/**
 * The image is missing and could not be pulled or built. Its message is safe for anyone to see; the
 * engine's own words (which may name internal registries, hosts and ports) are only in `detail`.
 */
/** How to build an image Berth does not otherwise know how to make: a template's Dockerfile. */
export interface ImageRecipe {
  dockerfile: string;
}

export class ImageUnavailableError extends Error {
  readonly code = 'image_unavailable';
  constructor(
    readonly image: string,
    readonly detail: string,
    message = `image ${image} is not available`,
  ) {
    super(message);
  }
}

/** The process could not be started at all (a working directory that does not exist, say). */
export class SpawnError extends Error {}

export interface InstanceStats {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  pids: number;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
}

export type ProgressFn = (message: string) => void;

export type NodeAvailability = 'active' | 'pause' | 'drain';

/** A machine environments can run on: a swarm's node, or the one engine. */
export interface RuntimeNode {
  id: string;
  name: string;
  role: 'manager' | 'worker' | 'standalone';
  state: 'ready' | 'down' | 'unknown' | 'disconnected';
  availability: NodeAvailability;
  address: string | null;
  labels: Record<string, string>;
  resources: { vcpus: number; memoryMb: number };
  engineVersion: string | null;
  /**
   * How Berth reaches the node's own engine to run environments there: `manager` (the engine Berth
   * drives), a `tcp://` address over TLS (the node's `berth.engine` label), or null: it cannot, and
   * places nothing there.
   */
  engine: string | null;
  /** The runtime classes its engine offers: `standard` always, `sandboxed` when gVisor is registered with it. Empty when it could not be asked. */
  runtimeClasses: RuntimeClass[];
}

/** The node label that says where a node's engine listens (`tcp://address:2376`, TLS only). */
export const ENGINE_LABEL = 'berth.engine';

export interface RuntimeDriver {
  /** True when environments are placed on several nodes (a swarm); false for the one engine. */
  readonly clustered: boolean;
  /** The machines it runs on: a swarm's nodes when its engine manages one, else that engine alone. */
  nodes(): Promise<{ swarm: boolean; items: RuntimeNode[] }>;
  /** Changes a swarm node's availability or labels (NotASwarmError on a lone engine); null when there is no such node. */
  updateNode(id: string, change: { availability?: NodeAvailability; labels?: Record<string, string> }): Promise<RuntimeNode | null>;
  /** Resolves when the engine answers. */
  ping(): Promise<void>;
  /** Makes the image available on a node (the engine Berth drives by default): there already, pulled, or built (Berth's own, or from `recipe`'s Dockerfile). */
  ensureImage(image: string, onProgress: ProgressFn, recipe?: ImageRecipe, nodeId?: string | null): Promise<void>;
  /** Creates the spec's network (with its egress enforcement), the workspace volume and the container if missing; returns the container id. */
  ensureInstance(spec: EnvironmentSpec): Promise<string>;
  /**
   * Moves an existing instance onto the network its spec names and off any other, running or not,
   * without restarting it (its address changes). True when it moved.
   */
  attachNetwork(spec: EnvironmentSpec): Promise<boolean>;
  start(environmentId: string): Promise<void>;
  stop(environmentId: string, graceSeconds: number): Promise<void>;
  /**
   * Removes the instance, and its workspace too when asked: on `nodeId` when given; else where it is
   * placed, and whatever of it is on any other node that answers (what a move or a crash left).
   * Missing things are not an error.
   */
  remove(environmentId: string, opts: { workspace: boolean; nodeId?: string }): Promise<void>;
  /**
   * Copies a stopped environment's workspace from the node it is on to `target.nodeId`, where its
   * instance is created (not started) from `target`; the copy is read back and compared, file by
   * file, before this resolves. The original stays: removing it is the caller's next step.
   * NotASwarmError on a lone engine.
   */
  copyWorkspace(environmentId: string, target: EnvironmentSpec): Promise<{ files: number; bytes: number }>;
  inspect(environmentId: string): Promise<RuntimeInstance | null>;
  /** Every instance this install owns. */
  list(): Promise<RuntimeInstance[]>;
  /** Environment ids of every workspace volume this install owns. */
  listWorkspaces(): Promise<string[]>;
  /** Removes networks (and their egress enforcement) whose key is not in `keep` and that no instance is attached to. */
  pruneNetworks(keep: ReadonlySet<string>): Promise<void>;
  /**
   * Installs what enforces egress policies (idempotent: a second call changes nothing), repairs it
   * for every network this install has, and removes what is left of networks that no longer exist.
   */
  syncNetworks(): Promise<void>;
  exec(environmentId: string, request: ExecRequest): Promise<ExecOutcome>;
  /** A tar stream of a file or folder in the instance (works whether or not it runs). */
  readArchive(environmentId: string, path: string): Promise<NodeJS.ReadableStream>;
  /** Unpacks a tar stream into an existing folder of the instance. */
  writeArchive(environmentId: string, dir: string, tar: NodeJS.ReadableStream): Promise<void>;
  /** Where this process can reach a port of a running instance over the network. */
  endpoint(environmentId: string, port: number): Promise<{ host: string; port: number }>;
  /** Current resource use of a running instance. */
  stats(environmentId: string): Promise<InstanceStats>;
  /** Starts an interactive process on a pseudo-terminal. */
  openPty(environmentId: string, request: PtyRequest): Promise<Pty>;
  /** Starts a process with live stdin, output callbacks and a kill handle; rejects with SpawnError if it cannot start. */
  spawn(environmentId: string, request: SpawnRequest): Promise<RuntimeProcess>;

  /**
   * Builds `image` from a build context (a tar stream with a Dockerfile at its root), reusing cached
   * layers, reporting each line; labelled as the app's. Its steps run on `network` (under its egress
   * policy, never the engine's default bridge) within `limits`; past `timeoutMs` the build is stopped.
   */
  buildImage(image: string, appId: string, context: NodeJS.ReadableStream, onProgress: ProgressFn, options: { network: NetworkSpec; memoryMb: number; vcpus: number; timeoutMs: number }): Promise<void>;
  /** Creates and starts the replica if it is not there (idempotent); the engine restarts it after a crash, with backoff. */
  runReplica(spec: ReplicaSpec): Promise<void>;
  /** Runs the spec's command to its end in a container of its own (then removed), handing output over as it comes; its exit code, or null on timeout. */
  runOnce(spec: ReplicaSpec, timeoutMs: number, onOutput: (line: string) => void): Promise<number | null>;
  /** Every replica this install runs, or one app's. */
  listReplicas(appId?: string): Promise<ReplicaInstance[]>;
  /** Stops (SIGTERM, then SIGKILL after the grace period) and removes a replica; a missing one is not an error. */
  removeReplica(name: string, graceSeconds: number): Promise<void>;
  /** The last `tail` lines of a replica's output. */
  replicaLogs(name: string, tail: number): Promise<string>;
  /** Removes the app's images but those named in `keep`; an image a container still uses stays, and is in the answer. */
  pruneAppImages(appId: string, keep: ReadonlySet<string>): Promise<string[]>;
  /** Where this process can reach a replica's port. */
  replicaEndpoint(name: string, port: number): Promise<{ host: string; port: number }>;
  /** Runs a command in a running replica (a database's dump or restore), as exec does in an environment. */
  execReplica(name: string, request: ExecRequest): Promise<ExecOutcome>;
  /** Removes one of an app's volumes; a missing one is not an error. */
  removeAppVolume(name: string): Promise<void>;
}

/**
 * The runtime could not be reached or refused the request in a way worth
 * retrying. Part of the one error hierarchy, so wherever it surfaces (files,
 * exec, stats, previews, E2B) the caller reads 503 runtime_unavailable, not a 500.
 */
/** The environment's instance stopped or went while a request to work inside it was on its way. */
export class InstanceNotRunningError extends AppError {
  constructor(detail: string) {
    super('environment_not_running', detail);
  }
}

/** Nodes are the swarm's to change: a lone engine has none to drain or label. */
export class NotASwarmError extends AppError {
  constructor() {
    super('not_a_swarm', "The Docker engine Berth drives is in no swarm: it has no nodes to drain, pause or label");
  }
}

export class RuntimeUnavailableError extends AppError {
  constructor(detail: string) {
    super('runtime_unavailable', detail);
  }
}

/** The node that holds the environment is down or its engine does not answer: its environments wait for it, unreachable. */
export class NodeUnreachableError extends RuntimeUnavailableError {
  constructor(
    readonly nodeId: string,
    detail: string,
  ) {
    super(detail);
  }
}
