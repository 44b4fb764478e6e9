import { beforeEach } from 'vitest';
import { takeRecentLog } from './recent-log.js';

/**
 * A failed test carries what the file's test servers warned of before it (support/recent-log.ts) as
 * one more error of its own: the run's summary prints it beside the failure (a CI log's tail is
 * often all there is of it).
 */
beforeEach(({ onTestFailed }) => {
  onTestFailed(({ task }) => {
    const lines = takeRecentLog();
    if (!lines.length || !task.result) return;
    const message = `The test servers' warnings and errors before this failure (oldest first):\n${lines.join('')}`;
    (task.result.errors ??= []).push({ name: 'ServerLog', message, stack: '' });
  });
});
