import type { RuntimeDriver } from '../../packages/server/src/runtime/driver.js';

/**
 * An environment whose own tools lie about file sizes, as anything inside an
 * environment may. busybox's sh runs its stat applet whatever PATH says, so a
 * fake stat earlier on PATH is not enough: /bin/sh itself is replaced by a
 * wrapper that answers Berth's stat scripts (by their text) with "10 bytes"
 * and runs everything else as before.
 */
const LYING_SH = `#!/bin/busybox sh
case "$2" in
  *"stat -c '%F|%s'"*) echo 'regular file|10'; exit 0;;
  *"stat -L -c '%s'"*) echo 10; /bin/busybox readlink -f "$4"; exit 0;;
esac
exec /bin/busybox sh "$@"
`;

async function run(runtime: Pick<RuntimeDriver, 'exec'>, envId: string, script: string, ...args: string[]): Promise<void> {
  const result = await runtime.exec(envId, { argv: ['/bin/sh', '-c', script, 'sh', ...args], timeoutMs: 20_000, maxOutputBytes: 64 * 1024 });
  if (result.exitCode !== 0) throw new Error(`${script}: exit ${result.exitCode} ${result.stderr}`);
}

/** Makes every stat Berth runs in the environment say "a regular file of 10 bytes". */
export const installLyingStat = (runtime: Pick<RuntimeDriver, 'exec'>, envId: string) =>
  run(runtime, envId, 'printf "%s" "$1" > /bin/sh.lying && chmod +x /bin/sh.lying && mv -f /bin/sh.lying /bin/sh', LYING_SH);

/** Puts busybox's sh back. */
export const removeLyingStat = (runtime: Pick<RuntimeDriver, 'exec'>, envId: string) => run(runtime, envId, 'ln -sf busybox /bin/sh.honest && mv -f /bin/sh.honest /bin/sh');
