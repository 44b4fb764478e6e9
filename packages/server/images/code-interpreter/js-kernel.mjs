// The code interpreter's JavaScript kernel: one global scope kept across executions (as a
// notebook's), fed one JSON line per execution ({code, env}) on stdin. It answers with event lines
// (stdout, stderr, result, error, number_of_executions) and an {"type":"idle"} line when done.
import { createInterface } from 'node:readline';
import { inspect } from 'node:util';
import vm from 'node:vm';

let count = 0;
let emit = () => {};
const write = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const line = (stream) => (...args) => emit({ type: stream, text: `${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n` });
const consoleInside = { log: line('stdout'), info: line('stdout'), debug: line('stdout'), error: line('stderr'), warn: line('stderr') };
const scope = vm.createContext({ console: consoleInside, process, require: (await import('node:module')).createRequire(`${process.cwd()}/`), setTimeout, clearTimeout, setInterval, clearInterval, Buffer, URL, fetch });

async function run({ code, env }) {
  emit = write;
  count += 1;
  write({ type: 'number_of_executions', execution_count: count });
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    let value = new vm.Script(code, { filename: `cell-${count}.js` }).runInContext(scope);
    if (value && typeof value.then === 'function') value = await value;
    if (value !== undefined) write({ type: 'result', is_main_result: true, text: inspect(value) });
  } catch (err) {
    const error = err instanceof Error || (err && typeof err === 'object' && 'stack' in err) ? err : { name: 'Error', message: String(err), stack: String(err) };
    write({ type: 'error', name: error.name ?? 'Error', value: error.message ?? String(err), traceback: error.stack ?? '' });
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    write({ type: 'idle' });
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (text) => {
  queue = queue.then(() => run(JSON.parse(text)));
});
