import { describe, expect, it } from 'vitest';
import { stoppedMidExec } from './exec.js';

const outcome = (exitCode: number | null, timedOut = false) => ({ exitCode, timedOut });
/** What the container's inspect says: it ran, unrestarted, from before the exec until now, or not. */
const ranThroughout = async () => true;
const wentMeanwhile = async () => false;

describe('stoppedMidExec', () => {
  it('is a refusal by the runtime (126) when the container stopped or restarted since the exec began', async () => {
    expect(await stoppedMidExec(outcome(126), wentMeanwhile)).toBe(true);
  });

  it('is not a 126 in a container that ran throughout: a missing program, or the command\'s own', async () => {
    expect(await stoppedMidExec(outcome(126), ranThroughout)).toBe(false);
  });

  it('is a command with no exit code, not timed out, whose container went meanwhile', async () => {
    expect(await stoppedMidExec(outcome(null), wentMeanwhile)).toBe(true);
    // One that closed its output and carries on, in a container that ran throughout.
    expect(await stoppedMidExec(outcome(null), ranThroughout)).toBe(false);
  });

  it('is never a timeout, nor a command that ended with any other code, and asks nothing of them', async () => {
    let asked = 0;
    const counting = async () => (asked++, false);
    expect(await stoppedMidExec(outcome(null, true), counting)).toBe(false);
    for (const code of [0, 1, 127, 137]) expect(await stoppedMidExec(outcome(code), counting)).toBe(false);
    expect(asked).toBe(0);
  });
});
