/**
 * The pure parts of the MCP endpoint: how `run_code` runs each language, and
 * the bounded output a background process keeps for `process_status`.
 */

export const RUN_CODE_LANGUAGES = ['python', 'javascript', 'bash'] as const;
export type RunCodeLanguage = (typeof RUN_CODE_LANGUAGES)[number];

/** Where `run_code` writes the code (under /workspace) and the argv that runs it. */
export function runCodePlan(language: RunCodeLanguage): { file: string; argv: string[] } {
  switch (language) {
    case 'python':
      return { file: 'run-code/main.py', argv: ['python3', '/workspace/run-code/main.py'] };
    case 'javascript':
      return { file: 'run-code/main.js', argv: ['node', '/workspace/run-code/main.js'] };
    case 'bash':
      return { file: 'run-code/main.sh', argv: ['bash', '/workspace/run-code/main.sh'] };
  }
}

/**
 * The last `max` bytes of a stream: what a background process printed most
 * recently is what tells a model how it is doing (a server's latest line, an
 * error at the end), so the start is what gets dropped.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes dropped from the start so far. */
  dropped = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max) {
      const first = this.chunks[0]!;
      const over = this.size - this.max;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** A file's bytes as a model reads them: text when they are UTF-8, else base64 (said so). */
export function asText(content: Buffer): { encoding: 'utf8' | 'base64'; content: string } {
  const text = content.toString('utf8');
  const clean = !text.includes('\uFFFD') && !content.includes(0);
  return clean ? { encoding: 'utf8', content: text } : { encoding: 'base64', content: content.toString('base64') };
}
