import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Environment, Me, Token } from '@berth/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BERTH_BIN, runBerth, type Run } from './support/cli.js';
import { ADMIN, startTestServer, type TestServer } from './support/server.js';
import { waitFor, waitForStatus } from './support/wait.js';
import { createSandbox, killSandbox } from './support/e2b.js';

// The `berth` CLI as users run it: a real subprocess, its own HOME, against a real server and Docker.

const BIN = BERTH_BIN;
const USER = 'cli-user';
const PASSWORD = 'cli-password-1234';
const ENV_NAME = 'cli-box';

let server: TestServer;
let url: string;
let home: string;
let scratch: string;

/** The environment a CLI process sees: nothing of ours leaks in but PATH. */
const cliEnv = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', HOME: home, ...extra });

const berth = (args: string[], extra: Record<string, string> = {}): Promise<Run> => runBerth(args, { home, env: extra });

/** Runs and insists on exit code 0, showing stderr when not. */
async function ok(args: string[]): Promise<Run> {
  const run = await berth(args);
  expect(run.code, `berth ${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

/** Every file under a folder, with its bytes, as relative path → content. */
async function tree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        result[`${path.relative(root, full)}/`] = '';
        await walk(full);
      } else result[path.relative(root, full)] = (await readFile(full)).toString('base64');
    }
  };
  await walk(root);
  return result;
}

beforeAll(async () => {
  server = await startTestServer();
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  await server.createUser(USER, PASSWORD);
  home = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-home-'));
  scratch = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-files-'));
});
afterAll(async () => {
  await server?.close();
  if (home) await rm(home, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('berth CLI (subprocess against a real server)', () => {
  it('without a login, says so with a hint to run berth login and exits 1', async () => {
    const run = await berth(['env', 'ls']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not logged in/);
    expect(run.stderr).toMatch(/hint: run `berth login/);
  });

  it('prints help for the whole CLI and for one command', async () => {
    const all = await ok(['--help']);
    for (const command of ['login', 'env', 'exec', 'shell', 'cp', 'events', 'tokens', 'server']) expect(all.stdout).toContain(command);
    expect((await ok(['exec', '--help'])).stdout).toMatch(/berth exec ENV .* -- CMD/);
  });

  it('refuses a wrong password with the API problem title and exit 1, saving nothing', async () => {
    const run = await berth(['login', url, '--username', USER, '--password', 'not-the-password']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/berth: .*\(unauthorized\)/);
    await expect(stat(path.join(home, '.config/berth/config.json'))).rejects.toThrow();
  });

  it('logs in with --username/--password, saving URL and a fresh API token in a 0600 file', async () => {
    const run = await ok(['login', url, '--username', USER, '--password', PASSWORD]);
    expect(run.stderr).toContain(`Logged in to ${url} as ${USER}`);
    const file = path.join(home, '.config/berth/config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { url: string; token: string };
    expect(saved.url).toBe(url);
    // The saved secret is a real token of this user.
    const me = await server.withToken(saved.token).get('/api/v1/me');
    expect(me.json<Me>().username).toBe(USER);
  });

  it('whoami --json prints the user as JSON', async () => {
    const me = JSON.parse((await ok(['whoami', '--json'])).stdout) as Me & { url: string };
    expect(me).toMatchObject({ username: USER, isAdmin: false, url });
    expect(me.quota.credits).toBeGreaterThan(0);
  });

  it('env create --wait follows the provisioning events until the environment runs', async () => {
    const run = await ok(['env', 'create', '--type', 'small', '--name', ENV_NAME, '--wait']);
    expect(run.stdout.trim()).toBe(ENV_NAME);
    expect(run.stderr).toMatch(/status: provisioning/);
    expect(run.stderr).toMatch(/status: running/);
    expect(run.stderr).toContain(`${ENV_NAME} is running`);
  }, 90_000);

  it('env ls --json lists the environment as running, and the table shows it too', async () => {
    const items = JSON.parse((await ok(['env', 'ls', '--json'])).stdout) as Environment[];
    expect(items.map((e) => [e.name, e.status])).toEqual([[ENV_NAME, 'running']]);
    const table = (await ok(['env', 'ls'])).stdout;
    expect(table).toMatch(/^NAME\s+STATUS/);
    expect(table).toMatch(new RegExp(`^${ENV_NAME}\\s+running\\s+small`, 'm'));
    // ENV may be the id as well as the name.
    const shown = JSON.parse((await ok(['env', 'show', items[0]!.id, '--json'])).stdout) as Environment;
    expect(shown.name).toBe(ENV_NAME);
  });

  it('env show prints the egress policy and the runtime class', async () => {
    const shown = (await ok(['env', 'show', ENV_NAME])).stdout;
    expect(shown).toMatch(/^egress\s+internet$/m);
    expect(shown).toMatch(/^runtime\s+standard$/m);
  });

  it('env create --sandboxed runs it under gVisor: its kernel is gVisor\'s, and env show says so', async () => {
    const env = JSON.parse((await ok(['env', 'create', '--type', 'small', '--name', 'cli-sandboxed', '--sandboxed', '--wait', '--json'])).stdout) as Environment;
    try {
      expect(env).toMatchObject({ name: 'cli-sandboxed', status: 'running', runtimeClass: 'sandboxed' });
      expect((await ok(['env', 'show', 'cli-sandboxed'])).stdout).toMatch(/^runtime\s+sandboxed \(gVisor\)$/m);
      // gVisor answers uname with a kernel of its own, not the host's.
      expect((await ok(['exec', 'cli-sandboxed', '--', 'uname', '-r'])).stdout.trim()).toBe('4.4.0');
      expect((await ok(['exec', ENV_NAME, '--', 'uname', '-r'])).stdout.trim()).toBe(os.release());
    } finally {
      await ok(['env', 'rm', 'cli-sandboxed', '--yes']);
      // The tests below see ENV_NAME alone.
      await waitForStatus(server.withToken(await savedToken()), env.id, 'deleted');
    }
  }, 120_000);

  it('env ls and env show mark an environment the E2B API made, and only that one', async () => {
    // The CLI's own token is the X-API-KEY an agent of this user would send; no new token, so `tokens ls` below still sees one.
    const apiKey = await savedToken();
    const { sandboxID } = await createSandbox(url, apiKey);
    let killed: number | undefined;
    try {
      const sandbox = JSON.parse((await ok(['env', 'show', sandboxID, '--json'])).stdout) as Environment;
      expect(sandbox).toMatchObject({ origin: 'e2b', status: 'running', type: 'small' });

      const listed = JSON.parse((await ok(['env', 'ls', '--json'])).stdout) as Environment[];
      expect(Object.fromEntries(listed.map((e) => [e.name, e.origin]))).toEqual({ [ENV_NAME]: 'berth', [sandbox.name]: 'e2b' });

      const table = (await ok(['env', 'ls'])).stdout;
      expect(table).toMatch(new RegExp(`^${sandbox.name} \\(e2b\\)\\s+running\\s+small`, 'm'));
      expect(table).toMatch(new RegExp(`^${ENV_NAME}\\s+running`, 'm'));
      expect(table).not.toContain(`${ENV_NAME} (e2b)`);

      expect((await ok(['env', 'show', sandbox.name])).stdout).toMatch(/^created by\s+the E2B API \(a sandbox; killing it deletes it\)$/m);
      expect((await ok(['env', 'show', ENV_NAME])).stdout).toMatch(/^created by\s+the Berth API$/m);
    } finally {
      // Killed either way: it holds one of the user's credits, and the tests below expect ENV_NAME alone.
      killed = await killSandbox(url, apiKey, sandboxID);
    }
    expect(killed).toBe(204);
    await waitForStatus(server.withToken(apiKey), sandboxID, 'deleted');
  }, 90_000);

  it('exec prints stdout and stderr apart and exits with the remote exit code', async () => {
    const run = await berth(['exec', ENV_NAME, '--', 'sh', '-c', 'echo "to out $0"; echo to-err >&2; exit 7', 'arg0']);
    expect(run.code).toBe(7);
    expect(run.stdout).toBe('to out arg0\n');
    expect(run.stderr).toBe('to-err\n');
    expect((await berth(['exec', ENV_NAME, '--', 'true'])).code).toBe(0);
  });

  it('exec streams output while the command still runs', async () => {
    const gate = `/tmp/cli-gate-${Date.now()}`;
    const child = spawn(process.execPath, [BIN, 'exec', ENV_NAME, '--', 'sh', '-c', `echo first; while [ ! -f ${gate} ]; do sleep 0.05; done; echo second`], {
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The command waits on the gate: "first" on our stdout now proves it was streamed.
    await waitFor('the first line', async () => out.includes('first\n'));
    expect(out).not.toContain('second');
    expect((await ok(['exec', ENV_NAME, '--', 'touch', gate])).code).toBe(0);
    expect(await exited).toBe(0);
    expect(out).toBe('first\nsecond\n');
  });

  it('exec passes large output through whole (200 KB)', async () => {
    const run = await ok(['exec', ENV_NAME, '--', 'sh', '-c', 'yes 0123456789abcdef | head -c 204800']);
    expect(run.stdout.length).toBe(204_800);
    expect(run.stdout.startsWith('0123456789abcdef\n0123456789abcdef\n')).toBe(true);
  });

  it('cp copies a folder into the environment and back, byte for byte', async () => {
    const source = path.join(scratch, 'project');
    await mkdir(path.join(source, 'src/deep'), { recursive: true });
    await mkdir(path.join(source, 'empty'));
    await writeFile(path.join(source, 'README.md'), '# hello\n');
    await writeFile(path.join(source, 'src/main.py'), 'print("hi")\n');
    await writeFile(path.join(source, 'src/deep/blob.bin'), randomBytes(300_000));
    await ok(['cp', source, `${ENV_NAME}:copied`]);

    const listed = await ok(['exec', ENV_NAME, '--', 'sh', '-c', 'cd /workspace/copied && find . | sort']);
    expect(listed.stdout.split('\n').filter(Boolean)).toEqual(['.', './README.md', './empty', './src', './src/deep', './src/deep/blob.bin', './src/main.py']);

    const back = path.join(scratch, 'back');
    await ok(['cp', `${ENV_NAME}:copied`, back]);
    expect(await tree(back)).toEqual(await tree(source));
  });

  it('cp copies a single file both ways', async () => {
    const local = path.join(scratch, 'one.txt');
    await writeFile(local, 'just one file\n');
    await ok(['cp', local, `${ENV_NAME}:notes/one.txt`]);
    expect((await ok(['exec', ENV_NAME, '--', 'cat', '/workspace/notes/one.txt'])).stdout).toBe('just one file\n');
    const back = path.join(scratch, 'one-back.txt');
    await ok(['cp', `${ENV_NAME}:notes/one.txt`, back]);
    expect(await readFile(back, 'utf8')).toBe('just one file\n');
  });

  it('cp from an environment writes nothing outside the destination through symlinks the environment plants', async () => {
    const victim = path.join(scratch, 'victim-ssh');
    await mkdir(victim);
    const parent = path.join(scratch, 'planted');
    const dest = path.join(parent, 'proj');
    // A link to a folder of this machine, planted in the environment.
    await ok(['exec', ENV_NAME, '--', 'sh', '-c', `mkdir -p /workspace/proj && echo hi > /workspace/proj/readme && ln -s ${victim} /workspace/proj/k`]);
    const first = await ok(['cp', `${ENV_NAME}:proj`, dest]);
    // Whether or not that copy made the link, it is on disk now (left by an older berth, say).
    if (!(await lstat(path.join(dest, 'k')).catch(() => undefined))) await symlink(victim, path.join(dest, 'k'));
    // Then a folder of that name, with a file in it, copied into the same place again.
    await ok(['exec', ENV_NAME, '--', 'sh', '-c', 'rm /workspace/proj/k && mkdir /workspace/proj/k && echo ssh-ed25519 attacker > /workspace/proj/k/authorized_keys']);
    const second = await berth(['cp', `${ENV_NAME}:proj`, parent]);

    expect(await readdir(victim)).toEqual([]);
    expect(first.stderr).toMatch(/warning: skipped symlink k -> .* leads outside/);
    expect(await readFile(path.join(dest, 'readme'), 'utf8')).toBe('hi\n');
    expect(second.code, second.stderr).toBe(1);
    // Docker's archive names the folder before what is in it.
    expect(second.stderr).toMatch(/refusing archive entry "proj\/k\/(authorized_keys)?": .*symlink/);
  });

  it('events prints the history: status changes and provisioning', async () => {
    const run = await ok(['events', ENV_NAME]);
    expect(run.stdout).toMatch(/status\s+status: running/);
    const lines = (await ok(['events', ENV_NAME, '--json'])).stdout.trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { seq: number; status: string | null });
    expect(parsed.map((e) => e.seq)).toEqual([...parsed.map((e) => e.seq)].sort((a, b) => a - b));
    expect(parsed.some((e) => e.status === 'running')).toBe(true);
  });

  it('an unknown environment is exit 1 with a hint to list them', async () => {
    const run = await berth(['exec', 'no-such-box', '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no environment named "no-such-box"/);
    expect(run.stderr).toMatch(/hint: .*berth env ls/);
  });

  it('tokens ls shows the token login created', async () => {
    const tokens = JSON.parse((await ok(['tokens', 'ls', '--json'])).stdout) as Token[];
    expect(tokens.map((t) => t.name)).toEqual([expect.stringMatching(/^berth CLI on /)]);
  });

  it('passwd refuses a wrong current password (exit 1, nothing changed), then changes it and keeps the CLI\'s token working', async () => {
    const wrong = await berth(['passwd', '--current-password', 'not-the-password', '--new-password', 'cli-password-5678']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/\(wrong_password\)/);
    const canSignIn = async (password: string) => (await server.anonymous.post('/api/v1/auth/login', { username: USER, password })).statusCode === 200;
    expect(await canSignIn(PASSWORD)).toBe(true);

    expect((await ok(['passwd', '--current-password', PASSWORD, '--new-password', 'cli-password-5678'])).stderr).toContain('Password changed');
    expect(await canSignIn('cli-password-5678')).toBe(true);
    await ok(['whoami']);
    await ok(['passwd', '--current-password', 'cli-password-5678', '--new-password', PASSWORD]); // later tests sign in with it
  });
});

describe('berth shell under tmux', () => {
  const socket = `berth-cli-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = (session = 'cli') => tmux('capture-pane', '-p', '-t', session);
  const expectScreen = (pattern: RegExp, timeoutMs = 20_000, session = 'cli') =>
    waitFor(() => `screen matching ${pattern}:\n${screen(session)}`, async () => pattern.test(screen(session)), timeoutMs, 50);
  const envPrefix = (extra: Record<string, string> = {}) => `env ${Object.entries(cliEnv(extra)).map(([k, v]) => `${k}='${v}'`).join(' ')}`;

  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  it('cp shows a progress bar on a terminal for a large file', async () => {
    const big = path.join(scratch, 'big.bin');
    await writeFile(big, Buffer.alloc(3 * 1024 * 1024, 7));
    tmux('new-session', '-d', '-s', 'cp', '-x', '120', '-y', '10', `${envPrefix()} ${process.execPath} ${BIN} cp ${big} ${ENV_NAME}:big.bin; echo "[cp exited $?]"; sleep 3600`);
    await expectScreen(/\[cp exited 0\]/, 30_000, 'cp');
    expect(screen('cp')).toMatch(/↑ \[#{24}\] 3\.0 MiB \/ 3\.0 MiB 100%/);
  }, 40_000);

  it('login prompts for username and password on a terminal, without echoing the password', async () => {
    const otherHome = path.join(scratch, 'prompt-home');
    await mkdir(otherHome);
    tmux('new-session', '-d', '-s', 'login', '-x', '120', '-y', '20', `${envPrefix({ HOME: otherHome })} ${process.execPath} ${BIN} login ${url}; echo "[login exited $?]"; sleep 3600`);
    await expectScreen(/^Username:\s*$/m, 20_000, 'login');
    tmux('send-keys', '-t', 'login', USER, 'Enter');
    await expectScreen(/^Password:\s*$/m, 20_000, 'login');
    tmux('send-keys', '-t', 'login', PASSWORD, 'Enter');
    await expectScreen(/\[login exited 0\]/, 20_000, 'login');
    expect(screen('login')).toContain(`Logged in to ${url} as ${USER}`);
    expect(screen('login')).not.toContain(PASSWORD);
    expect((await stat(path.join(otherHome, '.config/berth/config.json'))).mode & 0o777).toBe(0o600);
  }, 30_000);

  it('is interactive, follows a resize, exits with the shell status and restores the terminal', async () => {
    // After berth exits, the pane shows its exit code and whether the local terminal is canonical again.
    const script = `${envPrefix()} ${process.execPath} ${BIN} shell ${ENV_NAME}; echo "[berth exited $?]"; stty -a | grep -o -- '-*icanon'; sleep 3600`;
    tmux('new-session', '-d', '-s', 'cli', '-x', '120', '-y', '40', script);
    await expectScreen(/\/workspace #/); // busybox's prompt: the shell is attached

    tmux('send-keys', '-t', 'cli', 'echo "sum=$((40+2))"', 'Enter');
    await expectScreen(/sum=42/);
    tmux('send-keys', '-t', 'cli', 'stty size', 'Enter');
    await expectScreen(/^40 120\s*$/m);

    // The window change reaches berth as SIGWINCH, independently of typed keys: ask again until the new size shows.
    tmux('resize-window', '-t', 'cli', '-x', '100', '-y', '30');
    await waitFor(
      () => `the resize to show:\n${screen()}`,
      async () => {
        tmux('send-keys', '-t', 'cli', 'clear; stty size', 'Enter');
        return expectScreen(/^30 100\s*$/m, 1_000).then(() => true, () => false);
      },
      20_000,
      0,
    );

    // Ctrl-C reaches the remote shell (ending an endless loop) instead of killing berth.
    // The loop prints a dot a turn: the interrupt goes in once it is surely running (not while the line is still read).
    tmux('send-keys', '-t', 'cli', 'echo "loop-$((1+1))"; while :; do printf .; sleep 0.1; done', 'Enter');
    await expectScreen(/^loop-2\s*$/m);
    await expectScreen(/\.{5}/);
    tmux('send-keys', '-t', 'cli', 'C-c');
    tmux('send-keys', '-t', 'cli', 'echo "still-$((1+1))"', 'Enter');
    await expectScreen(/still-2/);

    tmux('send-keys', '-t', 'cli', 'exit 3', 'Enter');
    await expectScreen(/\[berth exited 3\]/);
    await expectScreen(/^icanon$/m);
  }, 60_000);
});

describe('berth CLI: stopping, deleting, logging out', () => {
  it('events --follow prints new events live until interrupted', async () => {
    const child = spawn(process.execPath, [BIN, 'events', ENV_NAME, '--follow'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    await waitFor(() => `the replay in:\n${out}`, async () => /status: running/.test(out), 20_000);
    const stop = await ok(['env', 'stop', ENV_NAME, '--wait']);
    expect(stop.stderr).toMatch(/status: stopped/);
    await waitFor(() => `the stop in:\n${out}`, async () => /status: stopped/.test(out), 20_000);
    child.kill('SIGINT');
    expect(await closed).toBe(0);
  }, 60_000);

  it('exec on a stopped environment shows the API problem and a hint to start it', async () => {
    const run = await berth(['exec', ENV_NAME, '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/berth: Environment not running: .*\(environment_not_running\)/);
    expect(run.stderr).toMatch(/hint: start it first: `berth env start ENV`/);
  });

  it('env rm needs --yes, then deletes', async () => {
    const refused = await berth(['env', 'rm', ENV_NAME]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);
    await ok(['env', 'rm', ENV_NAME, '--yes']);
    // The list keeps deleted environments (the E2B sandbox above among them): look this one up by name.
    const env = (await server.withToken(await savedToken()).get('/api/v1/environments')).json<{ items: Environment[] }>().items.find((e) => e.name === ENV_NAME);
    expect(env?.desiredState).toBe('deleted');
  });

  it('logout revokes the token and forgets it', async () => {
    const token = await savedToken();
    await ok(['logout']);
    expect((await server.withToken(token).get('/api/v1/me')).statusCode).toBe(401);
    const run = await berth(['whoami']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/run `berth login/);
  });
});

async function savedToken(): Promise<string> {
  return (JSON.parse(await readFile(path.join(home, '.config/berth/config.json'), 'utf8')) as { token: string }).token;
}

describe('berth admin (subprocess, as an administrator)', () => {
  /** Runs berth signed in as this user, in a home of its own. */
  const as = async (username: string, password: string, args: string[]) => {
    const ownHome = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-as-'));
    const env = { HOME: ownHome };
    try {
      expect((await berth(['login', url, '--username', username, '--password', password], env)).code).toBe(0);
      return await berth(args, env);
    } finally {
      await rm(ownHome, { recursive: true, force: true });
    }
  };
  const asAdmin = (args: string[]) => as(ADMIN.username, ADMIN.password, args);

  it('creates and lists users, sets a quota, and deactivates a user', async () => {
    const created = await asAdmin(['admin', 'users', 'create', 'cli-bob', '--password', 'bob-password-1234', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ username: 'cli-bob', isAdmin: false });

    const listed = await asAdmin(['admin', 'users', 'ls', '--json']);
    expect((JSON.parse(listed.stdout) as { username: string }[]).map((u) => u.username)).toContain('cli-bob');

    const quota = await asAdmin(['admin', 'quota', 'cli-bob', '--credits', '9', '--allow', 'small', '--allow', 'medium', '--json']);
    expect(quota.code, quota.stderr).toBe(0);
    expect(JSON.parse(quota.stdout)).toMatchObject({ credits: 9, allowedTypes: ['small', 'medium'] });

    expect((await server.anonymous.post('/api/v1/auth/login', { username: 'cli-bob', password: 'bob-password-1234' })).statusCode).toBe(200);
    expect((await asAdmin(['admin', 'users', 'deactivate', 'cli-bob'])).code).toBe(0);
    expect((await server.anonymous.post('/api/v1/auth/login', { username: 'cli-bob', password: 'bob-password-1234' })).statusCode).toBe(401);
  });

  it('refuses an ordinary user with the API problem, and an unknown user with a usage error', async () => {
    const refused = await as(USER, PASSWORD, ['admin', 'users', 'ls']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/forbidden|administrator/i);
    const unknown = await asAdmin(['admin', 'quota', 'nobody-here']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no user named "nobody-here"/);
  });
});
