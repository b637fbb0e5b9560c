// The kernel layer's cost (te_runtime/kernel.py), measured inside the runner image under the
// service's walls: what building and loading the seccomp filter adds to one run, and how much slower
// a system call gets behind it (200,000 getppid() before and after the load, in the same process).
import { spawn } from 'node:child_process';
import type { Limits } from '../server/src/config/index.js';
import type { SandboxSettings } from '../server/src/engine/docker/container-options.js';
import { dockerRunArgs } from './bench-engine.js';

const SAMPLES = 7;

const PROBE = `
import os, sys, time
sys.path.insert(0, '/opt/tool-executor')
from te_runtime import kernel
def calls(n=200000):
    started = time.perf_counter()
    for _ in range(n):
        os.getppid()
    return (time.perf_counter() - started) / n * 1e9
before = calls()
started = time.perf_counter()
kernel.install([], os.getppid())
load_us = (time.perf_counter() - started) * 1e6
after = calls()
print(f'{load_us:.1f} {before:.1f} {after:.1f}')
`;

export interface KernelCost {
  samples: number;
  loadUsP50: number;
  syscallNsBefore: number;
  syscallNsAfter: number;
}

function probeOnce(args: string[]): Promise<[number, number, number]> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { out += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { err += text; });
    child.once('error', reject);
    child.once('close', (code) => {
      const figures = out.trim().split(' ').map(Number);
      if (code !== 0 || figures.length !== 3 || figures.some(Number.isNaN)) reject(new Error(`kernel probe failed (${code}): ${out}${err}`));
      else resolve(figures as [number, number, number]);
    });
    child.stdin.end(PROBE);
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function benchKernel(settings: SandboxSettings, limits: Limits): Promise<KernelCost> {
  const args = dockerRunArgs(settings, limits);
  // The image's entrypoint is the harness; the probe runs the interpreter on stdin instead.
  const image = args.pop() as string;
  args.push('--entrypoint', '/usr/bin/python3.11', image, '-I', '-B', '-');
  const runs: Array<[number, number, number]> = [];
  for (let i = 0; i < SAMPLES; i++) runs.push(await probeOnce(args));
  return {
    samples: SAMPLES,
    loadUsP50: median(runs.map((r) => r[0])),
    syscallNsBefore: median(runs.map((r) => r[1])),
    syscallNsAfter: median(runs.map((r) => r[2])),
  };
}
