// code-interpreter.test.ts again, every environment in it sandboxed (gVisor): the same assertions under the other runtime class.
import { runSandboxed } from '../support/runtime-class.js';

runSandboxed();
await import('../code-interpreter.test.js');
