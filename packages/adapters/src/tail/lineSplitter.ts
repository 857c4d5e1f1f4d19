const NEWLINE = 0x0a;

export interface LineSink {
  /** A complete line (without its newline), decoded as UTF-8. */
  line(text: string): void;
  /** A line grew past the bound; `head` is what had been buffered. The rest of it, up to its newline, is dropped. */
  tooLong(head: string): void;
}

/**
 * Splits a byte stream into lines, keeping a partial last line until its newline arrives. Bounded: a line longer
 * than `lineBytesMax` is reported once through `tooLong` and skipped to its end, so one endless line cannot grow the
 * buffer. Bytes are joined before decoding, so a UTF-8 character split across chunks is decoded whole.
 */
export class LineSplitter {
  readonly #lineBytesMax: number;
  readonly #sink: LineSink;
  #partial: Buffer = Buffer.alloc(0);
  #discarding = false;

  constructor(lineBytesMax: number, sink: LineSink) {
    this.#lineBytesMax = lineBytesMax;
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, i);
      start = i + 1;
      const whole = this.#partial.length > 0 ? Buffer.concat([this.#partial, piece]) : piece;
      this.#partial = Buffer.alloc(0);
      if (this.#discarding) {
        this.#discarding = false;
        continue;
      }
      if (whole.length > this.#lineBytesMax) {
        this.#sink.tooLong(whole.subarray(0, 200).toString('utf8'));
        continue;
      }
      this.#sink.line(whole.toString('utf8'));
    }
    const rest = chunk.subarray(start);
    if (this.#discarding || rest.length === 0) return;
    if (this.#partial.length + rest.length > this.#lineBytesMax) {
      this.#sink.tooLong(Buffer.concat([this.#partial, rest]).subarray(0, 200).toString('utf8'));
      this.#partial = Buffer.alloc(0);
      this.#discarding = true;
    } else this.#partial = Buffer.concat([this.#partial, rest]);
  }

  /** Forgets any partial line (rotation, truncation); returns it when there was one. */
  reset(): string | undefined {
    const partial = this.#partial.length > 0 ? this.#partial.toString('utf8') : undefined;
    this.#partial = Buffer.alloc(0);
    this.#discarding = false;
    return partial;
  }
}
