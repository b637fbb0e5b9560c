// A run's output as it arrives: byte accounting against output_bytes, UTF-8 decoding per stream,
// the result frame taken out of stdout, and the rest streamed to onLog and kept as the log.
import type { LogChunk } from '../types.js';
import type { StreamName } from './demux.js';
import { END_PREFIX, FrameScanner, NET_PREFIX } from './frame.js';

export interface CollectedOutput {
  logs: string;
  logsTruncated: boolean;
  /** The result frame's JSON text, when a complete one arrived. */
  frame: string | null;
  /** How long the skill ran on the harness's own clock (the end mark), when the mark arrived. */
  skillMs: number | null;
}

/** The end mark's text after the nonce: the skill's run time in whole ms, or nothing (an older harness). */
function markedMs(text: string | null): number | null {
  return text !== null && /^\d{1,9}$/.test(text) ? Number(text) : null;
}

export class RunOutput {
  // One streaming decoder per stream: a character split across chunks is joined, invalid bytes
  // become U+FFFD, and stdout's state never mixes with stderr's. ignoreBOM keeps a printed BOM.
  private readonly decoders: Record<StreamName, TextDecoder> = {
    stdout: new TextDecoder('utf-8', { ignoreBOM: true }),
    stderr: new TextDecoder('utf-8', { ignoreBOM: true }),
  };
  private readonly scanner: FrameScanner;
  /** stderr's end mark: the engine copies stdout and stderr on separate pipes, so the frame on
   * stdout says nothing of whether stderr is all in; the mark does. */
  private readonly stderrEnd: FrameScanner;
  /** The net module's request frames, taken out of stdout before the result frame is looked for. */
  private readonly netRequests: FrameScanner | null;
  private readonly logParts: string[] = [];
  private receivedBytes = 0;
  private cut = false;

  constructor(
    private readonly limitBytes: number,
    nonce: string,
    private readonly onLog: ((chunk: LogChunk) => void) | undefined,
    private readonly onLogError: (error: unknown) => void,
    onNetFrame?: (frame: string) => void,
  ) {
    this.scanner = new FrameScanner(nonce);
    this.stderrEnd = new FrameScanner(nonce, END_PREFIX);
    this.netRequests = onNetFrame ? new FrameScanner(nonce, NET_PREFIX, onNetFrame) : null;
  }

  /** True once the output went past the limit: what came after it is cut. */
  get exceeded(): boolean {
    return this.cut;
  }

  /** True once the result frame has arrived whole. */
  get hasFrame(): boolean {
    return this.scanner.frame !== null;
  }

  /** True once the frame and stderr's end mark are in: everything the run wrote has arrived. */
  get complete(): boolean {
    return this.scanner.frame !== null && this.stderrEnd.frame !== null;
  }

  /** One payload from the container; returns false once the limit is reached (stop reading). */
  push(stream: StreamName, payload: Buffer): boolean {
    if (this.cut) return false;
    const room = this.limitBytes - this.receivedBytes;
    if (payload.length > room) {
      payload = payload.subarray(0, room);
      this.cut = true;
    }
    this.receivedBytes += payload.length;
    this.addText(stream, this.decoders[stream].decode(payload, { stream: true }));
    return !this.cut;
  }

  /** Flushes the decoders (an unfinished character becomes U+FFFD) and what the scanner held back. */
  finish(): CollectedOutput {
    this.addText('stdout', this.decoders.stdout.decode());
    this.addText('stderr', this.decoders.stderr.decode());
    if (this.netRequests) this.addLog('stdout', this.scanner.push(this.netRequests.end()));
    this.addLog('stdout', this.scanner.end());
    this.addLog('stderr', this.stderrEnd.end());
    return { logs: this.logParts.join(''), logsTruncated: this.cut, frame: this.scanner.frame, skillMs: markedMs(this.stderrEnd.frame) };
  }

  private addText(stream: StreamName, text: string): void {
    if (stream === 'stderr') return this.addLog(stream, this.stderrEnd.push(text));
    this.addLog(stream, this.scanner.push(this.netRequests ? this.netRequests.push(text) : text));
  }

  private addLog(stream: StreamName, data: string): void {
    if (data === '') return;
    this.logParts.push(data);
    if (!this.onLog) return;
    try {
      this.onLog({ stream, data });
    } catch (error) {
      // The listener's failure is not the run's: the container still has to be seen to its end.
      this.onLogError(error);
    }
  }
}
