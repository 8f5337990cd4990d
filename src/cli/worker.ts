// `imlage worker`: one Engine fed by a BullMQ queue until SIGTERM/SIGINT,
// then finish the active jobs, close the engine and exit 0.

import { Option, type Command } from 'commander';
import { Engine } from '../engine/engine.js';
import type { ExecutionProvider } from '../binding/types.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { checkRedis } from '../queue/connection.js';
import { startWorker } from '../queue/worker.js';
import { collect, integer, queueOptions } from './queue-args.js';

interface WorkerCommandOptions {
  redis: string;
  queue: string;
  concurrency?: number;
  plugin?: string[];
  mode?: PreprocessMode;
  provider?: ExecutionProvider[];
  batchSize?: number;
  metricsPort?: number;
  lockDuration?: number;
  stalledInterval?: number;
  config?: string;
  quiet?: boolean;
}

export async function workerCommand(o: WorkerCommandOptions): Promise<void> {
  const say = (m: string) => {
    if (!o.quiet || m.startsWith('warning') || m.startsWith('error')) process.stderr.write(`imlage: ${m}\n`);
  };
  const batchSize = o.batchSize ?? 16;
  // Before the models load: a wrong URL should not take seconds to report.
  await checkRedis(o.redis);
  const engine = await Engine.create({ plugins: o.plugin, mode: o.mode, providers: o.provider, batchSize, config: o.config, onLog: say });
  let w;
  try {
    w = await startWorker(engine, {
      redis: o.redis, queue: o.queue, concurrency: o.concurrency ?? 2 * batchSize, metricsPort: o.metricsPort,
      lockDurationMs: o.lockDuration, stalledIntervalMs: o.stalledInterval, onLog: say,
    });
  } catch (err) {
    await engine.close();
    throw err;
  }
  say(`worker on queue "${o.queue}", ${o.concurrency ?? 2 * batchSize} jobs at once${w.metricsUrl ? `; metrics on ${w.metricsUrl}` : ''}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`${signal} again: exiting without waiting (active jobs go back to the queue after their lock expires)`);
      process.exit(1);
    }
    stopping = true;
    say(`${signal}: taking no new jobs; finishing the active ones`);
    void (async () => {
      await w.close();
      await engine.close();
      say('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function registerWorker(program: Command): void {
  queueOptions(program
    .command('worker')
    .description('tag images from a Redis queue (BullMQ) until SIGTERM; see docs/scale-out.md'))
    .option('--concurrency <n>', 'jobs at once (default 2 x batch size: batches fill while one runs)', integer(1, 10_000))
    .option('-p, --plugin <name>', 'run this plugin (repeatable; default: every enabled plugin)', collect)
    .addOption(new Option('--mode <mode>', "exact: each model's original preprocessing; fast: decode straight to model size").choices(['exact', 'fast']))
    .addOption(new Option('--provider <name>', 'execution provider to try, in order (repeatable; CPU is the fallback)').choices(['cpu', 'cuda', 'tensorrt', 'coreml']).argParser(collect))
    .option('--batch-size <n>', 'largest inference batch per plugin (default 16)', integer(1, 1024))
    .option('--metrics-port <n>', 'serve Prometheus /metrics on 127.0.0.1 at this port (0: any free port)', integer(0, 65535))
    .option('--lock-duration <ms>', "a job's lock (default 60000): a killed worker's jobs are retried after this", integer(1000, 3_600_000))
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers (default 30000)', integer(500, 3_600_000))
    .option('--config <file>', 'read this config.toml instead of ~/.config/imlage/config.toml')
    .option('-q, --quiet', 'print only warnings and errors on stderr')
    .action(async (opts: WorkerCommandOptions) => {
      await workerCommand(opts);
    });
}
