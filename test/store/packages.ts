// Builders of packages, well-formed and hostile, made with tar-stream so each header says exactly
// what the case needs (names, types, link targets) — nothing a well-behaved tar tool would emit.
import { PassThrough } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface RawEntry {
  name: string;
  type?: tar.Header['type'];
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export const WORD_COUNT_MANIFEST = [
  'name: NAME', 'version: 1.0.0', 'description: a test skill', 'runtime: python3', 'entrypoint: main.py', 'handler: run',
].join('\n') + '\n';

export function manifestFor(name: string, version = '1.0.0'): string {
  return WORD_COUNT_MANIFEST.replace('NAME', name).replace('1.0.0', version);
}

export const MAIN_PY = 'def run(inp):\n    return {"ok": True}\n';

/** A tar (not yet gzipped) of `entries`, in order, headers as given. */
export async function tarOf(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    await new Promise<void>((resolve, reject) => {
      const header = { name: entry.name, type, mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644), linkname: entry.linkname, size: type === 'file' ? data.length : 0, devmajor: 1, devminor: 3 };
      const callback = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (type === 'file') pack.entry(header, data, callback);
      else pack.entry(header, callback);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function packageOf(entries: RawEntry[]): Promise<Buffer> {
  return gzipSync(await tarOf(entries));
}

/** A valid package of a tiny skill, plus `extra` entries. */
export async function skillPackage(name: string, extra: RawEntry[] = [], version = '1.0.0'): Promise<Buffer> {
  return packageOf([{ name: 'manifest.yaml', data: manifestFor(name, version) }, { name: 'main.py', data: MAIN_PY }, ...extra]);
}

async function gzipStream(write: (sink: PassThrough) => Promise<void>): Promise<Buffer> {
  const source = new PassThrough();
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  const collected = new Promise<void>((resolve, reject) => {
    gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  source.pipe(gzip);
  await write(source);
  source.end();
  await collected;
  return Buffer.concat(chunks);
}

async function writeZeros(sink: PassThrough, bytes: number): Promise<void> {
  const block = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!sink.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((resolve) => sink.once('drain', resolve));
  }
}

/** `megabytes` of zeros, gzipped: what inflates to far more than it weighs (no tar structure at all). */
export function zeroBomb(megabytes: number): Promise<Buffer> {
  return gzipStream((sink) => writeZeros(sink, megabytes * 1024 * 1024));
}

/** A tar whose one file claims and holds `megabytes` of zeros, after a valid manifest, gzipped. */
export function fileBomb(megabytes: number): Promise<Buffer> {
  return gzipStream(async (sink) => {
    const head = await tarOf([{ name: 'manifest.yaml', data: manifestFor('bomb') }]);
    // Drop the two end-of-archive blocks, then one header announcing the whole size.
    sink.write(head.subarray(0, head.length - 1024));
    const size = megabytes * 1024 * 1024;
    const header = (await tarOf([{ name: 'data.txt', data: Buffer.alloc(0) }])).subarray(0, 512);
    const patched = Buffer.from(header);
    patched.write(size.toString(8).padStart(11, '0') + '\0', 124, 12, 'ascii');
    patched.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of patched) sum += byte;
    patched.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    sink.write(patched);
    await writeZeros(sink, size);
  });
}
