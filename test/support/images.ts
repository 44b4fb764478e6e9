import fs from 'node:fs/promises';
import Docker from 'dockerode';
import type { Readable } from "node:stream";
import tar from "tar-stream";
import { imageExists, importRootfs } from '../../packages/server/src/runtime/docker/images.js';

/** A tiny image for fast tests: Debian's static busybox and nothing else. */
export const TEST_IMAGE = 'berth-test/busybox:2';

const APPLETS = ['sh', 'ash', 'ls', 'cat', 'echo', 'sleep', 'mkdir', 'rm', 'mv', 'cp', 'env', 'pwd', 'id', 'kill', 'ps', 'nc', 'wget', 'ip', 'hostname', 'head', 'tail', 'seq', 'yes', 'dd', 'true', 'false', 'printf', 'test', 'grep', 'sed', 'awk', 'wc', 'timeout', 'setsid', 'chmod', 'touch', 'find', 'xargs', 'date', 'tr', 'ping', 'nslookup', 'sort', 'cut', 'stat', 'df', 'du', 'uname', 'whoami', 'tee', 'basename', 'dirname', 'readlink', 'ln', 'stty', 'reset', 'clear', 'vi', 'less', 'more', 'top', 'free', 'base64', 'md5sum', 'sha256sum', 'gzip', 'gunzip', 'tar', 'unzip', 'chroot', 'pkill', 'pgrep', 'nohup', 'httpd'];

export async function ensureTestImage(docker = new Docker()): Promise<string> {
  if (await imageExists(docker, TEST_IMAGE)) return TEST_IMAGE;
  const busybox = await fs.readFile('/bin/busybox');
  const pack = tar.pack();
  const dir = (name: string) => pack.entry({ name, type: 'directory', mode: 0o755 });
  for (const d of ['bin', 'etc', 'tmp', 'root', 'workspace', 'usr', 'usr/bin', 'proc', 'sys', 'dev']) dir(d);
  pack.entry({ name: 'bin/busybox', mode: 0o755 }, busybox);
  for (const applet of APPLETS) pack.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox' });
  // Berth runs string commands with `bash -lc`; busybox's ash stands in for bash here.
  pack.entry({ name: 'bin/bash', mode: 0o755 }, '#!/bin/sh\nexec /bin/sh "$@"\n');
  pack.entry({ name: 'etc/passwd', mode: 0o644 }, 'root:x:0:0:root:/root:/bin/sh\n');
  pack.entry({ name: 'etc/group', mode: 0o644 }, 'root:x:0:\n');
  pack.finalize();
  await importRootfs(docker, pack as unknown as Readable, TEST_IMAGE);
  return TEST_IMAGE;
}
