// Overview: runs per minute over the last half hour by outcome (an SVG drawn here, no chart library),
// queue and pool, the runtime in force and whether the engine answers. Refreshed every 15 seconds.
import { useEffect } from 'preact/hooks';
import { get, query } from '../api';
import { ErrorMessage, Loading, useLoad } from '../common';
import type { AuditEntry, AuditEvents, ServiceStatus } from '../types';

const MINUTES = 30;
const MAX_PAGES = 5;
const REFRESH_MS = 15_000;
const OUTCOMES = ['succeeded', 'failed', 'timeout', 'memory_exceeded', 'output_exceeded'];

/** Every run event of the last `MINUTES`, newest first, a page of 1000 at a time (at most MAX_PAGES). */
async function recentRuns(now: number): Promise<AuditEntry[]> {
  const since = new Date(now - MINUTES * 60_000).toISOString();
  const runs: AuditEntry[] = [];
  let before: number | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { events } = await get<AuditEvents>(`/v1/audit${query({ event: 'run', since, before, limit: 1000 })}`);
    runs.push(...events);
    if (events.length < 1000) break;
    before = events[events.length - 1]!.seq;
  }
  return runs;
}

interface Minute {
  start: number;
  counts: Record<string, number>;
  total: number;
}

function perMinute(runs: AuditEntry[], now: number): Minute[] {
  const end = Math.floor(now / 60_000) * 60_000;
  const minutes: Minute[] = Array.from({ length: MINUTES }, (_, i) => ({ start: end - (MINUTES - 1 - i) * 60_000, counts: {}, total: 0 }));
  for (const run of runs) {
    const index = MINUTES - 1 - Math.floor((end - Math.floor(Date.parse(run.time) / 60_000) * 60_000) / 60_000);
    const minute = minutes[index];
    if (!minute) continue;
    const outcome = OUTCOMES.includes(run.outcome) ? run.outcome : 'other';
    minute.counts[outcome] = (minute.counts[outcome] ?? 0) + 1;
    minute.total++;
  }
  return minutes;
}

function RunsChart({ minutes }: { minutes: Minute[] }) {
  const width = 600;
  const height = 160;
  const barWidth = width / MINUTES;
  const peak = Math.max(1, ...minutes.map((m) => m.total));
  const total = minutes.reduce((sum, m) => sum + m.total, 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={`Runs per minute over the last ${MINUTES} minutes: ${total} in all, at most ${peak} in a minute`}>
        <line x1="0" y1={height} x2={width} y2={height} class="axis" />
        <text x="2" y="12" class="axis-label">{peak}/min</text>
        <text x="2" y={height + 16} class="axis-label">−{MINUTES} min</text>
        <text x={width - 2} y={height + 16} class="axis-label end">now</text>
        {minutes.map((minute, i) => {
          let y = height;
          return (
            <g key={minute.start}>
              <title>{`${new Date(minute.start).toLocaleTimeString()}: ${minute.total} run(s)`}</title>
              {[...OUTCOMES, 'other'].map((outcome) => {
                const count = minute.counts[outcome] ?? 0;
                if (count === 0) return null;
                const h = (count / peak) * (height - 20);
                y -= h;
                return <rect key={outcome} x={i * barWidth + 1} y={y} width={barWidth - 2} height={h} class={`bar run-${outcome}`} />;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>Runs per minute, last {MINUTES} minutes, by outcome</figcaption>
    </figure>
  );
}

function Outcomes({ runs }: { runs: AuditEntry[] }) {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.outcome, (counts.get(run.outcome) ?? 0) + 1);
  return (
    <table class="outcomes">
      <caption>Outcomes, last {MINUTES} minutes</caption>
      <tbody>
        {[...OUTCOMES, ...[...counts.keys()].filter((o) => !OUTCOMES.includes(o))].map((outcome) => (
          <tr key={outcome}><th scope="row"><span class={`swatch run-${outcome}`} aria-hidden="true" /> {outcome}</th><td>{counts.get(outcome) ?? 0}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

function yesNo(value: boolean | null, yes: string, no: string): string {
  return value === null ? 'unknown' : value ? yes : no;
}

export function OverviewPage() {
  const status = useLoad(() => get<ServiceStatus>('/v1/admin/status'), []);
  const runs = useLoad(async () => {
    const now = Date.now();
    return { now, runs: await recentRuns(now) };
  }, []);
  useEffect(() => {
    const timer = setInterval(() => {
      status.reload();
      runs.reload();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const s = status.data;
  return (
    <>
      <h1>Overview</h1>
      <ErrorMessage error={status.error} />
      {s ? (
        <dl class="facts status">
          <dt>engine</dt><dd class={s.engine.reachable ? 'good' : 'bad'} data-engine={s.engine.reachable ? 'reachable' : 'unreachable'}>{s.engine.reachable ? 'reachable' : 'not reachable'}</dd>
          <dt>runner image</dt><dd><code>{s.engine.image}</code> ({yesNo(s.engine.image_present, 'present', 'missing')})</dd>
          <dt>runtime in force</dt><dd data-runtime={s.engine.runtime ?? ''}>{s.engine.runtime ?? 'not settled yet'}</dd>
          <dt>warm pool</dt><dd>{s.pool ? `${s.pool.ready} of ${s.pool.size} ready, ${s.pool.starting} starting` : 'off (every run starts its own container)'}</dd>
          <dt>queue</dt><dd>{s.queue.waiting} waiting (of {s.queue.queue}), {s.queue.running} running (of {s.queue.concurrency})</dd>
        </dl>
      ) : !status.error && <Loading what="the service's state" />}
      <ErrorMessage error={runs.error} />
      {runs.data ? (
        <div class="overview-runs">
          <RunsChart minutes={perMinute(runs.data.runs, runs.data.now)} />
          <Outcomes runs={runs.data.runs} />
        </div>
      ) : !runs.error && <Loading what="runs" />}
    </>
  );
}
