import { ensureTestImage } from './images.js';

/** Runs once before all test files: the tiny image environments use in tests. */
export default async function setup(): Promise<void> {
  await ensureTestImage();
}
