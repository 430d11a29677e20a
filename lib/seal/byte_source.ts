/**
 * A file read from start to end in pieces of the size asked for, gunzipped
 * when its name ends in `.gz` (logrotate's `compress`): `--verify` reads a
 * log and its seal file this way, holding no more of them than one
 * record's bytes and the next one's.
 *
 * @example
 * ```ts
 * import { ByteSource } from "./byte_source.ts";
 * await using source = await ByteSource.open("./log.txt");
 * const got = await source.fill(100); // up to 100 bytes, fewer at the end
 * source.peek(got); // them
 * source.take(got); // and past them
 * ```
 *
 * @module
 */

/** Reads a file onward, keeping what was looked at but not taken. */
export class ByteSource implements AsyncDisposable {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(1 << 16);
  #start = 0;
  #end = 0;
  #done = false;

  private constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Opens `path` to read (gunzipping a `.gz`). */
  static async open(path: string): Promise<ByteSource> {
    const file = await Deno.open(path, { read: true });
    const stream = path.endsWith(".gz")
      ? file.readable.pipeThrough(new DecompressionStream("gzip"))
      : file.readable;
    return new ByteSource(stream);
  }

  /** How many bytes are held, ready to look at. */
  get held(): number {
    return this.#end - this.#start;
  }

  /** Whether the file has ended (what is held is all there is). */
  get ended(): boolean {
    return this.#done;
  }

  /** Reads until `want` bytes are held, or the file ends; returns how many are. */
  async fill(want: number): Promise<number> {
    while (this.held < want && !this.#done) {
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
        break;
      }
      this.#keep(value);
    }
    return Math.min(this.held, want);
  }

  /** Appends a chunk read, making room as needed. */
  #keep(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buffer.length) {
      const held = this.#buffer.subarray(this.#start, this.#end);
      const size = Math.max(
        this.#buffer.length,
        (held.length + chunk.length) * 2,
      );
      const room = size > this.#buffer.length
        ? new Uint8Array(size)
        : this.#buffer;
      room.set(held, 0); // set copies first when both share a buffer
      this.#buffer = room;
      this.#end = held.length;
      this.#start = 0;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next `count` bytes held (count <= held), without taking them; a
   * view, good until the next fill.
   */
  peek(count: number): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#start + count);
  }

  /** Goes past `count` bytes held. */
  take(count: number): void {
    this.#start += Math.min(count, this.held);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
