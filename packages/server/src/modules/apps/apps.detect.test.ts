import { describe, expect, it } from 'vitest';
import { DETECT_FILES, planBuild, UndetectableAppError, type BuildPlan, type SourceTree } from './apps.detect.js';

/** A source root's files, name to contents (contents matter only for DETECT_FILES). */
type Files = Record<string, string>;

/** A SourceTree that, like the real caller, reads only DETECT_FILES, so a test fails if the detector needs another file. */
function tree(files: Files): SourceTree {
  return {
    files: new Set(Object.keys(files)),
    read: (name) => (DETECT_FILES.includes(name) ? files[name] : undefined),
  };
}

const OPTIONS = { baseImage: 'berth/dev:bookworm-2', port: 8080 };
const plan = (files: Files): BuildPlan => planBuild(tree(files), OPTIONS);
const dockerfileOf = (files: Files): string[] => (plan(files).dockerfile ?? '').trimEnd().split('\n');
const cmdOf = (files: Files): unknown => JSON.parse(dockerfileOf(files).at(-1)!.replace(/^CMD /, ''));

const pkg = (json: object) => JSON.stringify(json);
const NODE_APP = { 'package.json': pkg({ scripts: { start: 'node server.js' }, dependencies: { express: '^4.19.0' } }), 'server.js': '' };

describe('planBuild: the app’s own Dockerfile', () => {
  it('builds a root Dockerfile as it is', () => {
    expect(plan({ Dockerfile: 'FROM scratch\n' })).toEqual({
      kind: 'dockerfile',
      dockerfile: null,
      summary: 'Dockerfile at the root: built as it is',
      release: null,
    });
  });

  it('prefers the Dockerfile to every other kind', () => {
    expect(plan({ ...NODE_APP, Dockerfile: '', 'requirements.txt': 'flask\n', 'app.py': '', 'index.html': '' }).kind).toBe('dockerfile');
  });
});

describe('planBuild: Node.js', () => {
  it('copies package.json and the lockfile, runs npm ci, then copies the rest and builds, running as the app user', () => {
    const result = plan({ ...NODE_APP, 'package-lock.json': '{}' });
    expect(result.kind).toBe('node');
    expect(result.summary).toBe('Node.js app: npm start (package.json)');
    expect(result.dockerfile).toBe(
      [
        'FROM berth/dev:bookworm-2',
        'WORKDIR /app',
        'RUN chown 1000:1000 /app',
        'USER 1000:1000',
        'ENV NODE_ENV=production PORT=8080',
        'COPY --chown=1000:1000 package.json package-lock.json ./',
        'RUN npm ci --omit=dev',
        'COPY --chown=1000:1000 . .',
        'RUN npm run build --if-present',
        'EXPOSE 8080',
        'CMD ["npm","start"]',
        '',
      ].join('\n'),
    );
  });

  it('runs npm ci for an npm-shrinkwrap.json too', () => {
    const lines = dockerfileOf({ ...NODE_APP, 'npm-shrinkwrap.json': '{}' });
    expect(lines).toContain('COPY --chown=1000:1000 package.json npm-shrinkwrap.json ./');
    expect(lines).toContain('RUN npm ci --omit=dev');
  });

  it('runs npm install when there is no lockfile', () => {
    const lines = dockerfileOf(NODE_APP);
    expect(lines).toContain('COPY --chown=1000:1000 package.json ./');
    expect(lines).toContain('RUN npm install --omit=dev');
    expect(lines.some((line) => line.includes('npm ci'))).toBe(false);
  });

  it('installs nothing when package.json has no dependencies, so the build needs no network', () => {
    for (const json of [{ scripts: { start: 'node server.js' } }, { scripts: { start: 'node server.js' }, dependencies: {} }]) {
      const lines = dockerfileOf({ 'package.json': pkg(json), 'package-lock.json': '{}' });
      expect(lines.filter((line) => /npm (ci|install)|package\.json/.test(line))).toEqual([]);
      expect(lines).toContain('COPY --chown=1000:1000 . .');
    }
  });

  it('starts with the Procfile web command instead of npm start, through a shell', () => {
    const files = { ...NODE_APP, Procfile: 'web: node dist/server.js --port $PORT\n' };
    expect(cmdOf(files)).toEqual(['/bin/sh', '-c', 'node dist/server.js --port $PORT']);
    expect(plan(files).summary).toBe('Node.js app: node dist/server.js --port $PORT (Procfile)');
  });

  it('takes a package.json without a start script when the Procfile has a web command', () => {
    const files = { 'package.json': pkg({ name: 'x' }), Procfile: 'web: node index.js' };
    expect(plan(files).kind).toBe('node');
    expect(cmdOf(files)).toEqual(['/bin/sh', '-c', 'node index.js']);
  });

  it('ignores a package.json without a start script or Procfile, falling through to the next kind', () => {
    expect(plan({ 'package.json': pkg({ devDependencies: { prettier: '3' } }), 'index.html': '' }).kind).toBe('static');
  });

  it('reports a malformed package.json as undetectable, saying so', () => {
    for (const text of ['{ "scripts": ', '[]', 'null']) {
      expect(() => plan({ 'package.json': text })).toThrow(UndetectableAppError);
      expect(() => plan({ 'package.json': text })).toThrow(/package\.json is not valid/);
    }
  });
});

describe('planBuild: Python', () => {
  it('makes a venv the app user owns, installs requirements before copying the code, and runs app.py', () => {
    const result = plan({ 'requirements.txt': '# web\nflask==3.0.0\n', 'app.py': '' });
    expect(result.kind).toBe('python');
    expect(result.summary).toBe('Python app: python3 app.py (app.py)');
    expect(result.dockerfile).toBe(
      [
        'FROM berth/dev:bookworm-2',
        'WORKDIR /app',
        'RUN mkdir -p /opt/venv && chown 1000:1000 /app /opt/venv',
        'USER 1000:1000',
        'RUN python3 -m venv /opt/venv',
        'ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PORT=8080',
        'COPY --chown=1000:1000 requirements.txt ./',
        'RUN pip install --no-cache-dir -r requirements.txt',
        'COPY --chown=1000:1000 . .',
        'EXPOSE 8080',
        'CMD ["python3","app.py"]',
        '',
      ].join('\n'),
    );
  });

  it('skips pip for a requirements.txt of only comments and blank lines', () => {
    const lines = dockerfileOf({ 'requirements.txt': '# nothing yet\n\n   \n  # still nothing\n', 'main.py': '' });
    expect(lines.some((line) => line.includes('pip install') || line.includes('requirements.txt'))).toBe(false);
  });

  it('runs the first of app.py, main.py and wsgi.py', () => {
    expect(cmdOf({ 'wsgi.py': '', 'main.py': '' })).toEqual(['python3', 'main.py']);
    expect(cmdOf({ 'wsgi.py': '' })).toEqual(['python3', 'wsgi.py']);
  });

  it('installs a pyproject.toml package after copying the code', () => {
    const lines = dockerfileOf({ 'pyproject.toml': '[project]\nname = "x"\n', Procfile: 'web: uvicorn x:app --port $PORT' });
    expect(lines.indexOf('RUN pip install --no-cache-dir .')).toBe(lines.indexOf('COPY --chown=1000:1000 . .') + 1);
  });

  it('does not pip install a pyproject.toml that only configures tools', () => {
    const lines = dockerfileOf({ 'pyproject.toml': '[tool.ruff]\nline-length = 100\n', 'app.py': '' });
    expect(lines).not.toContain('RUN pip install --no-cache-dir .');
  });

  it('starts with the Procfile web command instead of the entry file', () => {
    const files = { 'requirements.txt': 'gunicorn\n', 'app.py': '', Procfile: 'web: gunicorn app:app --bind 0.0.0.0:$PORT' };
    expect(cmdOf(files)).toEqual(['/bin/sh', '-c', 'gunicorn app:app --bind 0.0.0.0:$PORT']);
    expect(plan(files).summary).toBe('Python app: gunicorn app:app --bind 0.0.0.0:$PORT (Procfile)');
  });

  it('asks for a Procfile web line when pyproject.toml or requirements.txt has no entry file beside it', () => {
    const apps: Files[] = [{ 'pyproject.toml': '[project]\nname = "x"\n' }, { 'requirements.txt': 'flask' }];
    for (const files of apps) {
      expect(() => plan(files)).toThrow(UndetectableAppError);
      expect(() => plan(files)).toThrow(/Procfile with a web: line/);
    }
  });

  it('prefers Node.js to Python', () => {
    expect(plan({ ...NODE_APP, 'requirements.txt': 'flask', 'app.py': '' }).kind).toBe('node');
  });
});

describe('planBuild: static sites', () => {
  it('serves index.html with python3 -m http.server on $PORT, through a shell so $PORT expands', () => {
    const result = plan({ 'index.html': '<h1>hi</h1>', 'style.css': '' });
    expect(result.kind).toBe('static');
    expect(cmdOf({ 'index.html': '' })).toEqual(['/bin/sh', '-c', 'exec python3 -m http.server "$PORT" --directory /app']);
    expect(result.dockerfile).toContain('COPY --chown=1000:1000 . .\n');
  });

  it('prefers Python to a static site', () => {
    expect(plan({ 'app.py': '', 'index.html': '' }).kind).toBe('python');
  });
});

describe('planBuild: Procfile', () => {
  it('returns the release command, for every kind', () => {
    const procfile = '# phases\n\nrelease: npm run migrate\nweb: npm start\nworker: node worker.js\n';
    expect(plan({ ...NODE_APP, Procfile: procfile }).release).toBe('npm run migrate');
    expect(plan({ Dockerfile: '', Procfile: 'release: ./migrate.sh\r\n' }).release).toBe('./migrate.sh');
    expect(plan(NODE_APP).release).toBeNull();
  });

  it('ignores commented-out and empty web lines', () => {
    const files = { ...NODE_APP, Procfile: '# web: node old.js\nweb:   \n' };
    expect(cmdOf(files)).toEqual(['npm', 'start']);
  });

  it('keeps the CMD line valid JSON whatever quotes and backslashes the web command holds', () => {
    const command = `node -e "console.log('hi \\"there\\"')" \\`;
    const files = { ...NODE_APP, Procfile: `web: ${command}\n` };
    const cmdLine = dockerfileOf(files).at(-1)!;
    expect(cmdLine.startsWith('CMD ["/bin/sh","-c",')).toBe(true);
    expect(JSON.parse(cmdLine.slice('CMD '.length))).toEqual(['/bin/sh', '-c', command]);
  });

  it('is undetectable alone: a web command names no runtime', () => {
    expect(() => plan({ Procfile: 'web: ./server' })).toThrow(/add a package\.json \(Node\.js\) or requirements\.txt or pyproject\.toml/);
  });
});

describe('planBuild: everything else', () => {
  it('is undetectable for an empty tree, with a message listing what Berth looks for', () => {
    expect(() => plan({})).toThrow(UndetectableAppError);
    expect(() => plan({ 'README.md': '' })).toThrow(
      'No Dockerfile, package.json with a start script, Python entry point (requirements.txt or pyproject.toml with a Procfile, app.py, main.py or wsgi.py) or index.html at the root of the source',
    );
  });

  it('puts the port in ENV and EXPOSE for every generated kind', () => {
    const apps: Files[] = [NODE_APP, { 'app.py': '' }, { 'index.html': '' }];
    for (const files of apps) {
      const lines = planBuild(tree(files), { ...OPTIONS, port: 5173 }).dockerfile!.split('\n');
      expect(lines.find((line) => line.startsWith('ENV '))).toMatch(/ PORT=5173$/);
      expect(lines).toContain('EXPOSE 5173');
      expect(lines[0]).toBe('FROM berth/dev:bookworm-2');
    }
  });

  it('refuses a port or base image that would break the Dockerfile', () => {
    expect(() => planBuild(tree(NODE_APP), { ...OPTIONS, port: 0 })).toThrow(RangeError);
    expect(() => planBuild(tree(NODE_APP), { ...OPTIONS, port: 80.5 })).toThrow(RangeError);
    expect(() => planBuild(tree(NODE_APP), { ...OPTIONS, baseImage: 'debian\nRUN rm -rf /' })).toThrow(RangeError);
  });
});
