import { useEffect, useMemo, useRef, useState } from 'react';

import type { SecurityEvent } from '../api/types';
import { bucketEvents } from '../lib/eventBuckets';

/** Drawing width before the figure is measured; afterwards one SVG unit is one CSS pixel. */
const DEFAULT_WIDTH = 960;
const HEIGHT = 180;
const LEFT = 36;
const BOTTOM = 24;
const TOP = 8;

const timeFormat = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit' });

/** Stacked bars of events per minute over the last 30 minutes, one colour per event type. */
export function EventsChart({ events, now }: { events: readonly SecurityEvent[]; now: number }) {
  const figure = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useEffect(() => {
    const element = figure.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(240, Math.round(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const data = useMemo(() => bucketEvents(events, now), [events, now]);
  // Time labels every 5 minutes, or every 10 where they would overlap.
  const labelEvery = width < 560 ? 10 : 5;
  const plotWidth = width - LEFT - 8;
  const plotHeight = HEIGHT - BOTTOM - TOP;
  const scaleMax = Math.max(4, Math.ceil(data.max / 4) * 4);
  const barWidth = plotWidth / data.buckets.length;
  const y = (value: number) => TOP + plotHeight - (value / scaleMax) * plotHeight;
  const total = data.buckets.reduce((sum, bucket) => sum + bucket.total, 0);
  const summary =
    total === 0
      ? 'No events in the last 30 minutes.'
      : `${total} events in the last 30 minutes, at most ${data.max} in one minute. ` +
        data.series.map((type, index) => `${type}: ${data.buckets.reduce((sum, bucket) => sum + bucket.counts[index], 0)}`).join(', ') +
        '.';

  return (
    <figure className="events-chart" ref={figure}>
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={`Events per minute by type. ${summary}`} className="events-chart__svg">
        {[0, 0.25, 0.5, 0.75, 1].map((fraction) => (
          <g key={fraction}>
            <line x1={LEFT} x2={width - 8} y1={y(scaleMax * fraction)} y2={y(scaleMax * fraction)} className="events-chart__grid" />
            <text x={LEFT - 6} y={y(scaleMax * fraction) + 4} className="events-chart__label" textAnchor="end">
              {scaleMax * fraction}
            </text>
          </g>
        ))}
        {data.buckets.map((bucket, index) => {
          let stacked = 0;
          return (
            <g key={bucket.start}>
              {bucket.counts.map((count, series) => {
                if (count === 0) return null;
                const top = y(stacked + count);
                const height = y(stacked) - top;
                stacked += count;
                return (
                  <rect key={series} x={LEFT + index * barWidth + 1} y={top} width={Math.max(1, barWidth - 2)} height={height} className={`chart-series-${series}`}>
                    <title>{`${timeFormat.format(bucket.start)}: ${count} ${data.series[series]}`}</title>
                  </rect>
                );
              })}
              {index % labelEvery === 0 && (
                <text x={LEFT + index * barWidth} y={HEIGHT - 6} className="events-chart__label">
                  {timeFormat.format(bucket.start)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {data.series.length === 0 ? (
          <span className="muted">No events in the last 30 minutes.</span>
        ) : (
          <ul className="chart-legend" aria-label="Event types">
            {data.series.map((type, index) => (
              <li key={type}>
                <span className={`chart-legend__swatch chart-series-${index}`} aria-hidden="true" />
                {type}
              </li>
            ))}
          </ul>
        )}
      </figcaption>
    </figure>
  );
}
