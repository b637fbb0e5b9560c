// Docker's attach stream without a TTY multiplexes stdout and stderr: each piece is an 8-byte header
// (byte 0: 1 stdout, 2 stderr; bytes 4-7: payload length, big-endian) followed by the payload.
// Payloads are passed on as they arrive, so a large frame is never buffered whole.

export type StreamName = 'stdout' | 'stderr';

const HEADER_BYTES = 8;

export class StreamDemuxer {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFilled = 0;
  private payloadLeft = 0;
  private stream: StreamName = 'stdout';

  /** `onPayload` returns false to stop: the rest of the chunk is dropped. */
  constructor(private readonly onPayload: (stream: StreamName, payload: Buffer) => boolean) {}

  /** Returns false once `onPayload` asked to stop. */
  push(chunk: Buffer): boolean {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payloadLeft === 0) {
        offset += this.readHeader(chunk, offset);
        continue;
      }
      const end = Math.min(chunk.length, offset + this.payloadLeft);
      this.payloadLeft -= end - offset;
      const more = this.onPayload(this.stream, chunk.subarray(offset, end));
      offset = end;
      if (!more) return false;
    }
    return true;
  }

  private readHeader(chunk: Buffer, offset: number): number {
    const taken = chunk.copy(this.header, this.headerFilled, offset, offset + HEADER_BYTES - this.headerFilled);
    this.headerFilled += taken;
    if (this.headerFilled === HEADER_BYTES) {
      this.headerFilled = 0;
      this.stream = this.header[0] === 2 ? 'stderr' : 'stdout';
      this.payloadLeft = this.header.readUInt32BE(4);
    }
    return taken;
  }
}
