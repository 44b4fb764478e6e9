/** The last `capacity` bytes written, for a client that re-attaches. */
export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly capacity: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.capacity) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  contents(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.length > this.capacity ? all.subarray(all.length - this.capacity) : all;
  }
}
