import type { AppMetrics } from '@berth/contracts';
import type { ReactNode } from 'react';

type Minute = AppMetrics['minutes'][number];

/** The charts' own coordinates: one unit per minute across, this many up; CSS stretches them to the card. */
const HEIGHT = 40;
/** The slowest minute's line sits this far up, so its stroke is not cut by the top edge. */
const LINE_TOP = 0.95;

const clock = (at: string) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Milliseconds as people read them: a decimal only where it says something. */
export const formatMs = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

/** The busiest minute's requests and the slowest minute's p95: the charts' tops, and the captions' scale. */
export const peakRequests = (minutes: Minute[]) => Math.max(0, ...minutes.map((m) => m.requests));
export const peakP95 = (minutes: Minute[]) => Math.max(0, ...minutes.map((m) => m.p95Ms ?? 0));

/** One minute per unit across, HEIGHT down, stretched to the chart's box; `label` is what a screen reader hears of it. */
function ChartFrame({ minutes, label, children }: { minutes: Minute[]; label: string; children: ReactNode }) {
  return (
    <svg className="apps-traffic-chart" viewBox={`0 0 ${minutes.length} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={label}>
      {children}
    </svg>
  );
}

/** Requests per minute as bars, server errors stacked on each in the danger colour; each minute's numbers in its tooltip. */
export function RequestsChart({ minutes }: { minutes: Minute[] }) {
  const peak = peakRequests(minutes);
  const scale = HEIGHT / Math.max(1, peak);
  return (
    <ChartFrame minutes={minutes} label={`Requests per minute for the last hour, server errors stacked on them; the busiest minute had ${peak} request${peak === 1 ? '' : 's'}`}>
      {minutes.map((m, i) => {
        const ok = (m.requests - m.errors) * scale;
        const errors = m.errors * scale;
        return (
          <g key={m.at}>
            <title>{`${clock(m.at)}: ${m.requests} requests, ${m.errors} server errors`}</title>
            <rect className="apps-traffic-hit" x={i} y={0} width={1} height={HEIGHT} />
            <rect className="apps-traffic-ok" x={i + 0.1} y={HEIGHT - ok} width={0.8} height={ok} />
            <rect className="apps-traffic-error" x={i + 0.1} y={HEIGHT - ok - errors} width={0.8} height={errors} />
          </g>
        );
      })}
    </ChartFrame>
  );
}

/** p95 latency per minute as a step line; minutes without traffic have none and leave a gap. */
export function LatencyChart({ minutes }: { minutes: Minute[] }) {
  const peak = peakP95(minutes);
  const y = (ms: number) => HEIGHT - (peak > 0 ? (ms / peak) * HEIGHT * LINE_TOP : 0);
  let path = '';
  minutes.forEach((m, i) => {
    if (m.p95Ms === null) return;
    path += `${i > 0 && minutes[i - 1]!.p95Ms !== null ? 'V' : `M${i}`} ${y(m.p95Ms)} H${i + 1} `;
  });
  return (
    <ChartFrame minutes={minutes} label={`p95 latency per minute for the last hour; the slowest minute's p95 was ${formatMs(peak)}`}>
      <path className="apps-traffic-line" d={path.trim()} />
    </ChartFrame>
  );
}
