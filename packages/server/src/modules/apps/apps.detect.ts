/**
 * How to build an app's source into an image, decided from what sits at the root of its tree,
 * Heroku-style: the app's own Dockerfile, else a Dockerfile generated for Node.js, Python or a
 * static site on Berth's base image (Debian with Node.js, npm and Python 3). Pure: the caller
 * lists the root and reads the few files named in DETECT_FILES.
 */

/** What the detector may read: the root's file names, and the contents of the files in DETECT_FILES, undefined when not there. */
export interface SourceTree {
  files: ReadonlySet<string>;
  read(name: string): string | undefined;
}

export type BuildKind = 'dockerfile' | 'node' | 'python' | 'static';

export interface BuildPlan {
  kind: BuildKind;
  /** The Dockerfile to build with: the app's own (null, build it as it is) or a generated one. */
  dockerfile: string | null;
  /** A short human sentence for the build log, e.g. "Node.js app: npm start (package.json)". */
  summary: string;
  /** The Procfile's `release:` command (Heroku's release phase), run in the built image before it serves; null when absent. */
  release: string | null;
}

export class UndetectableAppError extends Error {
  override readonly name = 'UndetectableAppError';
}

/** The names whose contents `SourceTree.read` must provide; the caller reads only these. */
export const DETECT_FILES: readonly string[] = ['package.json', 'Procfile', 'requirements.txt', 'pyproject.toml'];

const LOOKED_FOR =
  'No Dockerfile, package.json with a start script, Python entry point (requirements.txt or pyproject.toml with a Procfile, app.py, main.py or wsgi.py) or index.html at the root of the source';

const NPM_LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json'];
const PYTHON_ENTRIES = ['app.py', 'main.py', 'wsgi.py'];
/** The base image's `user` account: apps build and run as it, never as root. */
const APP_USER = '1000:1000';
const COPY = `COPY --chown=${APP_USER}`;

export function planBuild(tree: SourceTree, options: { baseImage: string; port: number }): BuildPlan {
  checkOptions(options);
  const procfile = parseProcfile(tree.read('Procfile') ?? '');
  const release = procfile.get('release') ?? null;
  if (tree.files.has('Dockerfile')) {
    return { kind: 'dockerfile', dockerfile: null, summary: 'Dockerfile at the root: built as it is', release };
  }
  const web = procfile.get('web') ?? null;
  const plan = planNode(tree, web, options) ?? planPython(tree, web, options) ?? planStatic(tree, options);
  if (plan) return { ...plan, release };
  if (web !== null) {
    throw new UndetectableAppError(
      'The Procfile has a web: command, but Berth cannot tell which runtime it needs: add a package.json (Node.js) or requirements.txt or pyproject.toml (Python) beside it',
    );
  }
  throw new UndetectableAppError(LOOKED_FOR);
}

/** Both end up inside the Dockerfile, so a stray newline or space would break its syntax rather than fail loudly. */
function checkOptions({ baseImage, port }: { baseImage: string; port: number }): void {
  if (!/^\S+$/.test(baseImage)) throw new RangeError(`not an image reference: ${JSON.stringify(baseImage)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a TCP port: ${port}`);
}

/**
 * Procfile process types (`name: command` lines). Comments and blank lines are skipped; the first
 * line of a type wins. CRLF files are common from Windows editors, hence the trim.
 */
function parseProcfile(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [, name = '', command = ''] = /^([A-Za-z0-9_-]+):(.*)$/.exec(line.trim()) ?? [];
    if (name && command.trim() && !types.has(name)) types.set(name, command.trim());
  }
  return types;
}

type Plan = Omit<BuildPlan, 'release'>;
interface Options {
  baseImage: string;
  port: number;
}

interface PackageJson {
  hasStart: boolean;
  hasDependencies: boolean;
}

function readPackageJson(text: string): PackageJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UndetectableAppError(`package.json is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(parsed)) throw new UndetectableAppError('package.json is not valid: it must hold a JSON object');
  const start = isRecord(parsed.scripts) ? parsed.scripts.start : undefined;
  const dependencies = isRecord(parsed.dependencies) ? Object.keys(parsed.dependencies) : [];
  return { hasStart: typeof start === 'string' && start.trim() !== '', hasDependencies: dependencies.length > 0 };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * package.json and the lockfile are copied alone before the rest, so the install layer stays
 * cached while only the code changes. An app without dependencies installs nothing: it builds offline.
 */
function planNode(tree: SourceTree, web: string | null, { baseImage, port }: Options): Plan | undefined {
  const text = tree.read('package.json');
  if (text === undefined) return undefined;
  const pkg = readPackageJson(text);
  if (!pkg.hasStart && web === null) return undefined;
  const lockfiles = NPM_LOCKFILES.filter((name) => tree.files.has(name));
  const install = pkg.hasDependencies
    ? [`${COPY} ${['package.json', ...lockfiles].join(' ')} ./`, lockfiles.length > 0 ? 'RUN npm ci --omit=dev' : 'RUN npm install --omit=dev']
    : [];
  const dockerfile = [
    ...preamble(baseImage),
    `ENV NODE_ENV=production PORT=${port}`,
    ...install,
    `${COPY} . .`,
    'RUN npm run build --if-present',
    `EXPOSE ${port}`,
    web === null ? cmd(['npm', 'start']) : shellCmd(web),
  ];
  const summary = web === null ? 'Node.js app: npm start (package.json)' : `Node.js app: ${web} (Procfile)`;
  return { kind: 'node', dockerfile: lines(dockerfile), summary };
}

/** The virtualenv lives outside /app so `COPY . .` cannot overwrite it with one the app committed. */
const VENV = '/opt/venv';

function planPython(tree: SourceTree, web: string | null, { baseImage, port }: Options): Plan | undefined {
  const requirements = tree.read('requirements.txt');
  const pyproject = tree.read('pyproject.toml');
  const entry = PYTHON_ENTRIES.find((name) => tree.files.has(name));
  if (requirements === undefined && pyproject === undefined && entry === undefined) return undefined;
  if (web === null && entry === undefined) {
    const found = requirements === undefined ? 'pyproject.toml' : 'requirements.txt';
    throw new UndetectableAppError(
      `Found ${found} but no way to start the app: add a Procfile with a web: line (e.g. "web: gunicorn app:app --bind 0.0.0.0:$PORT"), or an ${PYTHON_ENTRIES.join(', ')} at the root`,
    );
  }
  const dockerfile = [
    ...preamble(baseImage, [VENV]),
    `RUN python3 -m venv ${VENV}`,
    `ENV PATH=${VENV}/bin:$PATH PYTHONUNBUFFERED=1 PORT=${port}`,
    ...(requirements !== undefined && hasRequirements(requirements)
      ? [`${COPY} requirements.txt ./`, 'RUN pip install --no-cache-dir -r requirements.txt']
      : []),
    `${COPY} . .`,
    ...(pyproject !== undefined && isInstallable(pyproject) ? ['RUN pip install --no-cache-dir .'] : []),
    `EXPOSE ${port}`,
    web === null ? cmd(['python3', entry!]) : shellCmd(web),
  ];
  const summary = web === null ? `Python app: python3 ${entry} (${entry})` : `Python app: ${web} (Procfile)`;
  return { kind: 'python', dockerfile: lines(dockerfile), summary };
}

/** A requirements file of comments and blank lines asks for nothing; pip would still start up for it. */
function hasRequirements(text: string): boolean {
  return text.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

/**
 * A pyproject.toml that only configures tools (ruff, black, pytest) describes no package, and
 * `pip install .` fails on it; one with a [project] or [build-system] table is a package to install.
 */
function isInstallable(pyproject: string): boolean {
  return /^\s*\[(project|build-system)\]\s*(#.*)?$/m.test(pyproject);
}

/** Served by Python's own HTTP server, which the base image has, so a static site needs no web server package. */
function planStatic(tree: SourceTree, { baseImage, port }: Options): Plan | undefined {
  if (!tree.files.has('index.html')) return undefined;
  const dockerfile = [
    ...preamble(baseImage),
    `ENV PORT=${port}`,
    `${COPY} . .`,
    `EXPOSE ${port}`,
    // exec: the server replaces the shell, so it is PID 1 and receives the stop signal.
    shellCmd('exec python3 -m http.server "$PORT" --directory /app'),
  ];
  return { kind: 'static', dockerfile: lines(dockerfile), summary: 'Static site: index.html served by python3 -m http.server' };
}

/**
 * WORKDIR creates /app as root. Handing the empty directories to the app user before switching to it
 * costs nothing, where a `chown -R` after the copies would rewrite every file in another layer.
 */
function preamble(baseImage: string, ownedDirs: readonly string[] = []): string[] {
  const mkdir = ownedDirs.length > 0 ? `mkdir -p ${ownedDirs.join(' ')} && ` : '';
  return [`FROM ${baseImage}`, 'WORKDIR /app', `RUN ${mkdir}chown ${APP_USER} /app ${ownedDirs.join(' ')}`.trimEnd(), `USER ${APP_USER}`];
}

/** Exec form is JSON, so JSON.stringify keeps any quote or backslash in a command from breaking the line. */
const cmd = (argv: readonly string[]): string => `CMD ${JSON.stringify(argv)}`;

/** Procfile commands are shell lines (they use $PORT, pipes, &&), so they run as Heroku runs them: through a shell. */
const shellCmd = (command: string): string => cmd(['/bin/sh', '-c', command]);

const lines = (instructions: readonly string[]): string => `${instructions.join('\n')}\n`;
