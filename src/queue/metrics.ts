// The worker's /metrics: the engine's metrics under the server's names
// (src/metrics/engine-metrics.ts), plus the queue's depth by state, read
// from Redis at scrape time, and each job's latency from enqueue to finish.

import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Engine } from '../engine/engine.js';
import { EngineMetrics } from '../metrics/engine-metrics.js';

const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export class WorkerMetrics {
  readonly registry = new client.Registry();
  readonly engine: EngineMetrics;
  private readonly latency: client.Histogram;
  private readonly jobs: client.Counter<'outcome'>;
  private readonly queue: Queue;

  constructor(engine: Engine, name: string, connection: Redis) {
    const registers = [this.registry];
    this.engine = new EngineMetrics(this.registry, engine);
    this.queue = new Queue(name, { connection });
    const queue = this.queue;
    this.latency = new client.Histogram({ name: 'imlage_job_seconds', help: 'Time from enqueue to a job finished by this worker (waiting, retries and tagging)', buckets: JOB_BUCKETS, registers });
    this.jobs = new client.Counter({ name: 'imlage_jobs_total', help: 'Jobs this worker finished: completed, failed (for good) or retried', labelNames: ['outcome'], registers });
    new client.Gauge({
      name: 'imlage_queue_jobs', help: "Jobs in the queue by state (the whole queue, every worker's)", labelNames: ['state'], registers,
      async collect() {
        const counts = await queue.getJobCounts(...STATES);
        for (const s of STATES) this.set({ state: s }, counts[s] ?? 0);
      },
    });
  }

  finished(job: Job, outcome: 'completed' | 'failed' | 'retried'): void {
    this.jobs.inc({ outcome });
    if (outcome !== 'retried') this.latency.observe(Math.max(0, (job.finishedOn ?? Date.now()) - job.timestamp) / 1000);
  }

  async close(): Promise<void> {
    this.engine.close();
    await this.queue.close();
  }
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** GET /metrics on host:port; nothing else is served. */
export async function serveMetrics(registry: client.Registry, host: string, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(503).end('metrics unavailable (is Redis reachable?)\n'),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}/metrics`,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}
