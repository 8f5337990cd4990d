// Messages between the engine and a plugin's child process (IPC with
// 'advanced' serialization, so pixel buffers travel as binary). A run()
// reply's value is an SmiRunResult, checked by run-reply.ts on arrival.

import type { ImageInput, SessionOptions, SmiLogLevel, SmiModelSpec } from '../../native/types.js';

export type Request =
  | { id: number; op: 'load'; library: string; configJson: string; ortLibrary: string; session?: SessionOptions }
  | { id: number; op: 'registerModel'; spec: SmiModelSpec }
  | { id: number; op: 'unregisterModel' | 'loadModel' | 'unloadModel' | 'modelInfo'; modelId: string }
  | { id: number; op: 'run'; modelId: string; images: ImageInput[] }
  | { id: number; op: 'close' };

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } }
  | { log: SmiLogLevel; message: string };
