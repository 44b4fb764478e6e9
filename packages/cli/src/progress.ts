import type { Writable } from 'node:stream';
import type { Progress } from './client.js';

const MIB = 1024 * 1024;
const WIDTH = 24;

const size = (bytes: number) => (bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

/** One progress line: a bar when the total is known, the bytes so far otherwise. */
export function progressLine(label: string, done: number, total: number | undefined): string {
  if (!total) return `${label} ${size(done)}`;
  const filled = Math.min(WIDTH, Math.round((done / total) * WIDTH));
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${size(done)} / ${size(total)} ${Math.floor((done / total) * 100)}%`;
}

/**
 * A progress bar on a terminal for transfers of a MiB or more; nothing when
 * stderr is not a terminal (scripts) or the transfer is small.
 */
export function progressBar(stream: Writable & { isTTY?: boolean }, label: string): { update: Progress; done: () => void } {
  let shown = false;
  let last = 0;
  return {
    update(done, total) {
      if (!stream.isTTY || (total ?? done) < MIB) return;
      if (Date.now() - last < 100 && done !== total) return;
      last = Date.now();
      shown = true;
      stream.write(`\r${progressLine(label, done, total)}\x1b[K`);
    },
    done() {
      if (shown) stream.write('\n');
    },
  };
}
