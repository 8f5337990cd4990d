// Prometheus metrics (prom-client, its own registry per server). Counters
// end in _total, times are in seconds; labels are bounded (route templates,
// plugin names, status codes; never file names).

import client from 'prom-client';
import type { Engine } from '../engine/engine.js';
import type { TagResult } from '../engine/types.js';
import { EngineMetrics, LATENCY_BUCKETS } from '../metrics/engine-metrics.js';

export type RejectReason = 'queue_full' | 'deadline' | 'disconnect' | 'shutdown';

export class ServerMetrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<'method' | 'route' | 'status_code'>;
  readonly duration: client.Histogram<'method' | 'route'>;
  readonly inFlight: client.Gauge;
  readonly rejected: client.Counter<'reason'>;
  private readonly queueWait: client.Histogram;
  private readonly engineMetrics: EngineMetrics;

  constructor(engine: Engine, admission: { inEngine: number; waiting: number }) {
    const registers = [this.registry];
    this.engineMetrics = new EngineMetrics(this.registry, engine);
    this.requests = new client.Counter({ name: 'imlage_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames: ['method', 'route', 'status_code'], registers });
    this.duration = new client.Histogram({ name: 'imlage_http_request_duration_seconds', help: 'Time from request to response', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers });
    this.inFlight = new client.Gauge({ name: 'imlage_http_requests_in_flight', help: 'HTTP requests being handled', registers });
    this.rejected = new client.Counter({ name: 'imlage_rejected_requests_total', help: 'Tag requests refused or cancelled by admission control', labelNames: ['reason'], registers });
    this.queueWait = new client.Histogram({ name: 'imlage_queue_wait_seconds', help: 'Time an image waited for a place in the engine', buckets: [0.0005, 0.001, ...LATENCY_BUCKETS], registers });
    new client.Gauge({ name: 'imlage_images_in_engine', help: 'Images admitted to the engine and not yet answered', registers, collect() { this.set(admission.inEngine); } });
    new client.Gauge({ name: 'imlage_images_queued', help: 'Images waiting for a place in the engine', registers, collect() { this.set(admission.waiting); } });
  }

  waited(seconds: number): void {
    this.queueWait.observe(seconds);
  }

  answered(r: TagResult, seconds: number): void {
    this.engineMetrics.answered(r, seconds);
  }

  /** An image refused before the engine saw it (over the pixel limit, unreadable path). */
  refused(): void {
    this.engineMetrics.refused();
  }

  /** Stops observing the engine (it may outlive the server). */
  close(): void {
    this.engineMetrics.close();
  }
}
