// The engine side of an isolated plugin: the same NativePlugin interface as
// an in-process one, served by a child process. submit() sends each image
// as it comes (at most two batches' worth in the child at a time, see
// send()) and the child's native batch queue (the addon's, as in process)
// forms the batches. A crash (signal, abort) or a call that
// outlives the timeout fails the calls in flight with a clear error; the
// next call starts a fresh child and replays load and models. Submits have
// one timer between them: the child must answer some submit within the
// timeout while any is pending (one batch's worth of time, as a run() had),
// so an image queued behind others is not timed out for waiting its turn.
// A child whose load (or replay) fails is ended at once, so it neither keeps
// the event loop alive nor lingers answering "plugin not loaded". The
// child's stdout goes to our stderr: whatever the plugin prints never mixes
// with results on stdout.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImlageError, errorCode, errorMessage } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import type { ImageInput, NativePlugin, SmiLoadOptions, SmiModelSpec, SmiPluginInfo, SmiRunResult, SmiSubmitOptions, SmiSubmitted } from '../../binding/types.js';
import type { Flush, Reply, Request } from './protocol.js';
import { checkRunReply, checkSubmitReply } from './run-reply.js';

// The compiled child script: beside this file when running from dist/, else
// (TypeScript run directly, as in the tests) the build's copy.
function childScript(): string {
  const beside = fileURLToPath(new URL('./child.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = join(packageRoot, 'dist', 'plugins', 'isolation', 'child.js');
  if (existsSync(built)) return built;
  throw new ImlageError('IMLAGE_ERR_PLUGIN_LIBRARY', `cannot start an isolated plugin: ${built} is missing (run \`npm run build\`)`);
}

/**
 * A message to a child that has just died (its 'exit' not seen yet) fails
 * with EPIPE; its 'exit' fails the calls in flight, this one included, so
 * the write error itself is dropped rather than thrown as an 'error' event.
 */
const ignoreSendError = (): void => {};

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout; op: string };
type Body = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface IsolationOptions {
  name: string;
  library: string;
  ortLibrary: string;
  timeoutMs: number;
  load: SmiLoadOptions;
}

export class IsolatedPlugin implements NativePlugin {
  private child?: ChildProcess;
  private starting?: Promise<void>;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private models: SmiModelSpec[] = [];
  private loadedModels = new Set<string>();
  private closed = false;
  /** Submits not sent to the child yet (see send()), and those sent and not answered. */
  private held: { body: Body; window: number; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private inChild = 0;
  /** flush() was called while submits were held. */
  private flushHeld = false;
  /** close() waiting for the held and sent submits to settle. */
  private drained: (() => void)[] = [];
  /** Armed while submits are pending: the child answers one within the timeout, or is ended. */
  private watchdog?: NodeJS.Timeout;
  /** How many times the child had to be restarted after a crash or a hang. */
  restarts = 0;

  private constructor(
    private readonly opts: IsolationOptions,
    public info: SmiPluginInfo,
  ) {}

  static async start(opts: IsolationOptions): Promise<IsolatedPlugin> {
    const p = new IsolatedPlugin(opts, undefined as unknown as SmiPluginInfo);
    await p.ensureChild();
    return p;
  }

  private ensureChild(): Promise<void> {
    // A child still loading is set already: calls wait until it can serve them.
    if (this.starting) return this.starting;
    if (this.child) return Promise.resolve();
    this.starting = (async () => {
      // fd 1 of the child is our fd 2: plugin output on stdout lands on stderr.
      const child = fork(childScript(), [], { serialization: 'advanced', stdio: ['ignore', 2, 'inherit', 'ipc'] });
      this.child = child;
      child.on('message', (m: Reply) => this.onReply(m));
      child.on('exit', (code, signal) => this.onExit(child, code, signal));
      const replaying = this.models.length > 0;
      try {
        this.info = (await this.call({ op: 'load', library: this.opts.library, configJson: this.opts.load.configJson, ortLibrary: this.opts.ortLibrary, session: this.opts.load.session })) as SmiPluginInfo;
        for (const m of this.models) await this.call({ op: 'registerModel', spec: m });
        for (const id of this.loadedModels) await this.call({ op: 'loadModel', modelId: id });
      } catch (err) {
        // A child that cannot serve is of no use: end it, so that it does not
        // keep the event loop alive and the next call starts a fresh one.
        this.end(child);
        const how = replaying ? 'could not be restarted in its isolated process' : 'could not be loaded in its isolated process';
        throw new ImlageError(errorCode(err) ?? 'IMLAGE_ERR_PLUGIN_CRASHED', `plugin "${this.opts.name}" ${how}: ${errorMessage(err)}`, { cause: err });
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  /** Ends a child that is no longer wanted (no restart is counted). */
  private end(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    child.removeAllListeners('message');
    if (child.connected) child.disconnect();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private onReply(m: Reply): void {
    if ('log' in m) {
      this.opts.load.onLog?.(m.log, m.message);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (p.op === 'submit') this.rewatch();
    if (m.ok) p.resolve(m.value);
    else p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
  }


  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.closed && this.pending.size === 0) return;
    this.restarts++;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    this.failAll(new ImlageError('IMLAGE_ERR_PLUGIN_CRASHED', `plugin "${this.opts.name}" (${this.opts.library}) ${how} in its isolated process; it will be restarted for the next images`));
  }

  private failAll(err: Error): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private call(body: Body): Promise<unknown> {
    const child = this.child;
    if (!child) return Promise.reject(new ImlageError('IMLAGE_ERR_PLUGIN_CRASHED', `plugin "${this.opts.name}" is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, op: body.op };
      if (body.op === 'submit') {
        this.watchdog ??= this.timer(child, 'submit');
      } else {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          p.reject(this.timedOut(body.op));
          this.hung(child);
        }, this.opts.timeoutMs);
      }
      this.pending.set(id, p);
      child.send({ id, ...body } as Request, ignoreSendError);
    });
  }

  private timedOut(op: string): ImlageError {
    return new ImlageError('IMLAGE_ERR_PLUGIN_TIMEOUT', `plugin "${this.opts.name}" did not answer ${op} within ${this.opts.timeoutMs} ms; its process was ended and will be restarted`);
  }

  /** The submits' timer: when it fires, every pending submit times out and the child is ended. */
  private timer(child: ChildProcess, op: string): NodeJS.Timeout {
    return setTimeout(() => {
      this.watchdog = undefined;
      for (const [id, p] of this.pending) {
        if (p.op !== op) continue;
        this.pending.delete(id);
        p.reject(this.timedOut(op));
      }
      this.hung(child);
    }, this.opts.timeoutMs);
  }

  /** A submit was answered: the child is alive; time the rest afresh. */
  private rewatch(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const child = this.child;
    if (child && [...this.pending.values()].some((p) => p.op === 'submit')) this.watchdog = this.timer(child, 'submit');
  }

  /** A hung plugin cannot be interrupted inside its process: end the process. */
  private hung(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.restarts++;
    child.kill('SIGKILL');
    this.failAll(new ImlageError('IMLAGE_ERR_PLUGIN_TIMEOUT', `plugin "${this.opts.name}" was restarted after a call timed out`));
  }

  private async callStarted(body: Body): Promise<unknown> {
    if (this.closed) throw new ImlageError('IMLAGE_ERR_CLOSED', `plugin "${this.opts.name}" was closed`);
    await this.ensureChild();
    return this.call(body);
  }

  async registerModel(spec: SmiModelSpec): Promise<void> {
    await this.callStarted({ op: 'registerModel', spec });
    this.models.push(spec);
  }

  async unregisterModel(id: string): Promise<void> {
    await this.callStarted({ op: 'unregisterModel', modelId: id });
    this.models = this.models.filter((m) => m.id !== id);
  }

  async loadModel(id: string): Promise<void> {
    await this.callStarted({ op: 'loadModel', modelId: id });
    this.loadedModels.add(id);
  }

  async unloadModel(id: string): Promise<void> {
    await this.callStarted({ op: 'unloadModel', modelId: id });
    this.loadedModels.delete(id);
  }

  modelInfo(id: string): Promise<unknown> {
    return this.callStarted({ op: 'modelInfo', modelId: id });
  }

  async run(modelId: string, images: ImageInput[]): Promise<SmiRunResult> {
    return checkRunReply(await this.callStarted({ op: 'run', modelId, images }), images.length, this.opts.name);
  }

  submit(image: ImageInput, opts: SmiSubmitOptions): Promise<SmiSubmitted> {
    const body: Body = { op: 'submit', image, models: opts.models, batch: { maxBatch: opts.maxBatch, maxDelayMs: opts.maxDelayMs } };
    return new Promise<unknown>((resolve, reject) => {
      this.held.push({ body, window: 2 * opts.maxBatch, resolve, reject });
      this.send();
    }).then((v) => checkSubmitReply(v, opts.models.length, this.opts.name));
  }

  /**
   * Sends held submits while fewer than two batches' worth are in the child:
   * one running and one forming is all its queue needs to keep the plugin
   * busy, and a crash then fails at most those (the rest go to the new
   * child), as it failed only the batch in flight when the host batched.
   */
  private send(): void {
    while (this.held.length > 0 && this.inChild < this.held[0]!.window) {
      const h = this.held.shift()!;
      this.inChild++;
      // At once when the child is up, so that a flush() right after reaches it after the image.
      const sent = this.child && !this.starting && !this.closed ? this.call(h.body) : this.callStarted(h.body);
      sent.then(h.resolve, h.reject).finally(() => {
        this.inChild--;
        this.send();
      });
    }
    if (this.held.length > 0) return;
    if (this.flushHeld) {
      this.flushHeld = false;
      this.flush();
    }
    if (this.inChild === 0) for (const done of this.drained.splice(0)) done();
  }

  flush(): void {
    // Images still held go with full batches' company; flush once they are sent.
    if (this.held.length > 0) this.flushHeld = true;
    else if (this.child?.connected && !this.starting) this.child.send({ op: 'flush' } satisfies Flush, ignoreSendError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.held.length > 0 || this.inChild > 0) {
      this.flush();
      await new Promise<void>((res) => this.drained.push(res));
    }
    const inFlight = [...this.pending.values()].map((p) => new Promise<void>((res) => {
      const { resolve, reject } = p;
      p.resolve = (v) => (resolve(v), res());
      p.reject = (e) => (reject(e), res());
    }));
    await Promise.all(inFlight);
    this.closed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    await this.call({ op: 'close' }).catch(() => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
