import { randomInt } from 'node:crypto';

const ADJECTIVES = ['brave', 'calm', 'clever', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lively', 'lucky', 'mighty', 'nimble', 'proud', 'quick', 'quiet', 'rapid', 'shiny', 'sunny', 'swift', 'tidy', 'witty', 'zesty', 'bold'];
const ANIMALS = ['otter', 'falcon', 'badger', 'heron', 'lynx', 'panda', 'koala', 'beaver', 'gecko', 'ibis', 'marten', 'orca', 'puffin', 'quokka', 'raven', 'seal', 'tapir', 'walrus', 'yak', 'zebra', 'fox', 'owl', 'hare', 'wren'];

/** A readable random name like `brave-otter-42`. */
export function randomEnvironmentName(pick: (n: number) => number = randomInt): string {
  return `${ADJECTIVES[pick(ADJECTIVES.length)]}-${ANIMALS[pick(ANIMALS.length)]}-${pick(90) + 10}`;
}

/** Retry delay after the n-th failed reconcile: 1 s, 2 s, 4 s … capped at 60 s. */
export function backoffMs(attempts: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempts - 1));
}
