// Messages between the engine and a plugin's child process (IPC with
// 'advanced' serialization, so pixel buffers travel as binary). A run()
// reply's value is an SmiRunResult, a submit()'s an SmiSubmitted, both
// checked by run-reply.ts on arrival. 'submit' sends each image as it
// comes; the child's native batch queue forms the batches, and 'flush'
// (no id, no reply) tells it that no more are coming.

import type { ImageInput, SessionOptions, SmiLogLevel, SmiModelSpec, SubmitOptions } from '../../binding/types.js';

export type Request =
  | { id: number; op: 'load'; library: string; configJson: string; ortLibrary: string; session?: SessionOptions }
  | { id: number; op: 'registerModel'; spec: SmiModelSpec }
  | { id: number; op: 'unregisterModel' | 'loadModel' | 'unloadModel' | 'modelInfo'; modelId: string }
  | { id: number; op: 'run'; modelId: string; images: ImageInput[] }
  | { id: number; op: 'submit'; image: ImageInput; models: string[]; batch: SubmitOptions }
  | { id: number; op: 'close' };

export type Flush = { op: 'flush' };

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } }
  | { log: SmiLogLevel; message: string };
