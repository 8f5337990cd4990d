// The typed surface of the native addon. binding.ts is the only file that
// loads the .node binary; everything else imports these types.

export type ExecutionProvider = 'cpu' | 'cuda' | 'tensorrt' | 'coreml';
export type GraphOptimization = 'disable' | 'basic' | 'extended' | 'all';

export interface OrtInfo {
  /** ORT's own version string, e.g. "1.30.0". */
  version: string;
  /** The ORT_API_VERSION the addon requested (the one its headers declare). */
  apiVersion: number;
  /** Absolute path of the library that was dlopen'ed. */
  libraryPath: string;
  /**
   * What OrtGetAvailableProviders reports, in lower case ('cpu', 'cuda', 'webgpu', ...):
   * providers compiled into the library, whose own libraries may still be missing.
   */
  providers: string[];
}

export interface SessionOptions {
  /** ORT intra-op threads; 0 lets ORT pick (one per physical core). */
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimization?: GraphOptimization;
  /** Let ORT's idle worker threads spin (default false: they would take CPU from decoding). */
  allowSpinning?: boolean;
  /** Tried in order; CPU is always appended as the last resort. */
  providers?: ExecutionProvider[];
}

export interface TensorInfo {
  name: string;
  /** -1 for a dynamic dimension. */
  shape: number[];
  type: string;
}

export type ResizeMode =
  /** The image already has the model's size. */
  | 'none'
  /** TF.js tf.image.resizeBilinear(alignCorners=false, halfPixelCenters=false). */
  | 'bilinear'
  /** TF.js tf.image.resizeBilinear(alignCorners=true). */
  | 'bilinear-align-corners'
  /** TF.js tf.image.resizeBilinear(halfPixelCenters=true). */
  | 'bilinear-half-pixel';

export interface PreprocessSpec {
  /** Model input size. */
  width: number;
  height: number;
  layout: 'nchw' | 'nhwc';
  channels: 'rgb' | 'bgr';
  resize: ResizeMode;
  /** true: normalise pixels, then resize (nsfwjs); false: resize, then normalise. */
  normalizeFirst: boolean;
  /** value = (pixel / scale - mean[c]) / std[c] */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface PostprocessSpec {
  /** Output names whose scores are read; several are concatenated along positions. */
  outputs: string[];
  activation: 'none' | 'softmax' | 'sigmoid';
  /** 'max': outputs are [batch, positions..., classes] (e.g. [batch, h, w, classes]); score = max over positions. */
  reduce: 'none' | 'max';
  /** Classes with a score below this are left out of `top`. */
  threshold: number;
  /** At most this many classes in `top`, best first; 0 = no limit. */
  topK: number;
  /** A detector's boxes too: decoded by a registered head, then non-maximum suppression. */
  regions?: RegionsSpec;
}

/** What native/src/detect/detect.h's DetectSpec reads; see docs/plugin-manifest.md [output.regions]. */
export interface RegionsSpec {
  /** A name from addon.detectDecoders(). */
  decoder: string;
  /** The tensors the decoder reads, in its order. */
  outputs: string[];
  /** Candidates scoring under this are never boxed. */
  threshold: number;
  /** A box overlapping a better one (of its class, with perClass) by more IoU than this is dropped. */
  iou: number;
  /** At most this many boxes per image after NMS, best first. */
  maxDetections: number;
  perClass: boolean;
}

/** One box of a detector, as the addon returns it. */
export interface Detection {
  /** Class index, in label order. */
  label: number;
  score: number;
  /** [x, y, width, height] as fractions (0..1) of the model input, which is the whole image stretched. */
  box: [number, number, number, number];
}

export interface ImageInput {
  /** Packed uint8 HWC pixels. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
  /** The picture's size before it was resized to width x height (handed to SMI plugins; 0 or absent = unknown). */
  originalWidth?: number;
  originalHeight?: number;
}

export interface ClassScore {
  index: number;
  score: number;
}

export interface ImageResult {
  /** Every class's score after activation and reduction. Empty when `error` is set. */
  scores: Float32Array;
  top: ClassScore[];
  /** With PostprocessSpec.regions: the boxes after NMS, best first (absent when none). */
  regions?: Detection[];
  /** Set when this image alone failed (e.g. its buffer does not match its size). */
  error?: string;
}

export interface RunTiming {
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export interface RunResult {
  results: ImageResult[];
  timing: RunTiming;
}

export interface SubmitOptions {
  /** A batch goes as soon as this many requests with the same specs are queued. */
  maxBatch: number;
  /** ...or once the oldest has waited this long. */
  maxDelayMs: number;
  /** See RunOptions.borrowPixels. */
  borrowPixels?: boolean;
}

export interface RunOptions {
  /**
   * Read the image's pixels in place instead of copying them at the call
   * (default false). Only for a caller that will not transfer or free the
   * buffer until the promise settles: a transferred buffer may be freed
   * while a native thread reads it. The engine sets it for its own buffers.
   */
  borrowPixels?: boolean;
}

export interface Submitted {
  result: ImageResult;
  /** Time from submit() until its batch started. */
  queueMs: number;
  /** Images in the batch this one ran in. */
  batchSize: number;
  /** The whole batch's timing (divide by batchSize for this image's share). */
  timing: RunTiming;
}

/**
 * A preprocessing + postprocessing spec parsed and checked against its
 * session once (session.compileSpec); submit() and submitEncoded() take it
 * instead of the plain objects, so nothing is parsed per image.
 */
export interface NativeSpec {
  readonly __nativeSpec: unique symbol;
}

export interface RawTensor {
  data: Float32Array;
  shape: number[];
}

export interface NativeSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  /** The execution provider that runs this session, e.g. 'cpu'. */
  readonly provider: string;
  /** Providers that were asked for but could not be used, with the reason. */
  readonly warnings: string[];
  /** Preprocess, infer and postprocess a batch on native threads. */
  run(images: ImageInput[], pre: PreprocessSpec, post: PostprocessSpec, opts?: RunOptions): Promise<RunResult>;
  /** Parses and checks (pre, post) against this model once; throws as run() rejects for a bad spec. */
  compileSpec(pre: PreprocessSpec, post: PostprocessSpec): NativeSpec;
  /**
   * Queues one image for native dynamic batching: a batcher thread per
   * session runs requests with equal specs together once maxBatch are
   * queued, the oldest has waited maxDelayMs, or flush() was called.
   * The pixels are copied at the call unless opts.borrowPixels. `spec`
   * must come from this session's compileSpec().
   */
  submit(image: ImageInput, spec: NativeSpec, opts: SubmitOptions): Promise<Submitted>;
  /** Runs whatever is queued now without waiting for company (no more images are coming). */
  flush(): void;
  /** Plain float32 inference, for numerics checks. */
  runTensors(inputs: Record<string, RawTensor>): Promise<Record<string, RawTensor>>;
  /**
   * Refuses new work; queued submits run at once and resolve. Waits for
   * runs and submits in flight, then frees the session. Later calls reject
   * with IMLAGE_ERR_CLOSED.
   */
  close(): Promise<void>;
}

// ---- The addon's own decoders (native/src/decode/): the fast path's JPEG (and PNG) decode

export interface DecodeToSizeOptions {
  /** Output size, as the picture is seen (after orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1-8 to apply (default 1). */
  orientation?: number;
  /** width x height of the encoded picture above which it is refused as 'too-large' (default 1e8). */
  maxPixels?: number;
  /** Scans a progressive JPEG may have; more is 'corrupt' (default 100). */
  maxScans?: number;
  /** From the call; past it the decode stops as 'timed-out' (default 30000). */
  timeoutMs?: number;
  /** Aborting it stops the decode as 'timed-out'. */
  signal?: AbortSignal;
  /** Return the decoder's cheapest size at least width x height (a JPEG's DCT scale), not resized. */
  shrinkOnly?: boolean;
}

/** Why decodeToSize rejected: `reason` on its Error (code IMLAGE_ERR_DECODE). 'unsupported': decode it with libvips. */
export type NativeDecodeFailure = 'unsupported' | 'corrupt' | 'too-large' | 'timed-out';

export interface DecodedImage extends ImageInput {
  data: Buffer;
  channels: 3;
}

/**
 * One consumer of submitEncoded, fed the picture at width x height: a
 * session's compiled spec, or an in-process SMI plugin with the models the
 * image runs through.
 */
export type EncodedTarget = SessionTarget | PluginTarget;

export interface SessionTarget {
  spec: NativeSpec;
  width: number;
  height: number;
}

export interface PluginTarget {
  /** A plugin from loadPlugin() (not an isolated one: its queue lives in another process). */
  plugin: NativePlugin;
  models: string[];
  width: number;
  height: number;
  /** The picture's size as displayed, which the plugin is told (SMI 1.1; 0 or absent: unknown). */
  originalWidth?: number;
  originalHeight?: number;
}

export interface SubmitEncodedOptions extends Omit<DecodeToSizeOptions, 'width' | 'height' | 'shrinkOnly'>, SubmitOptions {
  /** Sizes whose pixels come back to JS too (for consumers without a native queue), in this order. */
  pixels?: { width: number; height: number }[];
}

export interface EncodedSubmission {
  /**
   * Resolves once the picture is decoded and every target has its pixels
   * queued (with the pixels asked for in opts.pixels, and the decode's time
   * on its thread); rejects as decodeToSize does ('unsupported': nothing
   * was queued, decode it another way).
   */
  decoded: Promise<{ images: DecodedImage[]; decodeMs: number }>;
  /**
   * One per target, as its session.submit() or plugin.submit() answers
   * (Submitted, SmiSubmitted); a failed decode rejects each with decoded's error.
   */
  results: Promise<Submitted | SmiSubmitted>[];
}

export interface DecoderInfo {
  /** The JPEG decoder was compiled in (libjpeg-turbo found at build time). */
  jpeg: boolean;
  /** libjpeg-turbo's version, when jpeg. */
  libjpegTurbo?: string;
  png: boolean;
  /** Threads of the decode pool taking work. */
  threads: number;
}

export interface NativeAddon {
  /** dlopen ORT once per process; later calls with the same path return the same info. */
  loadOrt(libraryPath: string): OrtInfo;
  createSession(model: string | Uint8Array, options: SessionOptions): Promise<NativeSession>;
  /** Pure preprocessing, exposed so tests can compare pixels against TF.js bit for bit. */
  preprocess(image: ImageInput, pre: PreprocessSpec): Float32Array;
  /**
   * Decodes a JPEG (or PNG, when compiled in) on the addon's own decode
   * threads, straight to width x height (area resize, orientation applied,
   * 3 channels). The bytes are copied first. Rejects with an Error whose
   * code is IMLAGE_ERR_DECODE and whose `reason` is a NativeDecodeFailure
   * (IMLAGE_ERR_BUSY past 1024 waiting).
   */
  decodeToSize(bytes: Uint8Array, opts: DecodeToSizeOptions): Promise<DecodedImage>;
  /**
   * An encoded JPEG or PNG (the bytes are copied) decoded once on the decode
   * threads at the largest size a target (or opts.pixels) needs, each
   * smaller size cut from it (area), and queued straight into each target's
   * batch queue (a session's or an in-process SMI plugin's): the pixels do
   * not cross into JS. Throws for bad
   * arguments, IMLAGE_ERR_CLOSED for a closed session, IMLAGE_ERR_BUSY past
   * 1024 images waiting; after that every promise settles.
   */
  submitEncoded(bytes: Uint8Array, targets: EncodedTarget[], opts: SubmitEncodedOptions): EncodedSubmission;
  /** What decodeToSize covers in this binary, and its pool's size. */
  decoderInfo(): DecoderInfo;
  /** Threads of the decode pool taking work from now on (1-256); returns the count. */
  setDecodeThreads(n: number): number;
  /** What the addon set in glibc's malloc when it loaded (native/src/napi/malloc_tuning.h). */
  mallocTuning(): MallocTuning;
  /** malloc_trim(0) on a libuv thread: hands back what malloc holds free. */
  trimMemory(): Promise<TrimResult>;
  /** The detection heads a PostprocessSpec's regions (a manifest's [output.regions] decoder) may name. */
  detectDecoders(): string[];
}

export interface MallocTuning {
  allocator: 'glibc' | 'other';
  /** The fixed mmap threshold imlage set; null where it left glibc's own (another allocator, the user's setting, IMLAGE_MALLOC_TUNING=off). */
  mmapThresholdBytes: number | null;
  setBy: 'imlage' | 'environment' | null;
}

export interface TrimResult {
  /** false where the C library has no malloc_trim. */
  supported: boolean;
  /** malloc_trim said it released memory. */
  released: boolean;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  ms: number;
}

// ---- SMI plugins (shared libraries loaded by the addon; ABI in native/include/imlage/smi.h)

export interface SmiVersion {
  major: number;
  minor: number;
}

export interface SmiPluginInfo {
  /** plugin_id from the descriptor. */
  id: string;
  /** get_plugin_name() / get_plugin_version(). */
  name: string;
  version: string;
  /** get_supported_frameworks(), e.g. ['onnx'] or ['none']. */
  frameworks: string[];
  /** The SMI version the plugin was built against. */
  smi: SmiVersion;
  /** false: the host serialises every call into this plugin. */
  threadSafe: boolean;
  /** Which optional entry points the plugin provides (e.g. 'batch_inference'). */
  entryPoints: string[];
}

export interface SmiModelSpec {
  /** Model id the plugin will be called with. */
  id: string;
  /** Absolute paths of the model's files, in manifest order. */
  files: string[];
  /** Free-form JSON handed to register_model. */
  configJson?: string;
}

/** An smi_region (SMI 1.2), its box mapped to the picture's own pixels. */
export interface SmiRegion {
  label: string;
  confidence: number;
  /** [x, y, width, height], clipped to the image, scaled by originalWidth/width and originalHeight/height. */
  box: [number, number, number, number];
}

export interface SmiImageResult {
  tags: { label: string; score: number }[];
  /** Raw float32 tensors the plugin attached for host post-processing (absent when none). */
  outputs?: { name: string; shape: number[]; data: Float32Array }[];
  /** The boxes a detector found, best first (absent when none). */
  regions?: SmiRegion[];
  /** Set when the plugin failed this image (status + its last error message). */
  error?: string;
}

export interface SmiRunResult {
  results: SmiImageResult[];
  timing: { inferenceMs: number };
}

export interface SmiSubmitOptions extends SubmitOptions {
  /** The models the image runs through, in this order (1 to 256 ids); requests batch together only with the same list. */
  models: string[];
}

export interface SmiSubmitted {
  /** One per model, in opts.models order; a failed image has `error`. */
  result: SmiImageResult[];
  /** Time from submit() until its batch started. */
  queueMs: number;
  /** Images in the batch this one ran in. */
  batchSize: number;
  /** The whole batch's time inside the plugin (inferenceMs; the other stages are 0). */
  timing: RunTiming;
}

export type SmiLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SmiLoadOptions {
  /** JSON handed to initialize(); the plugin's typed config after validation. */
  configJson: string;
  /** Messages the plugin logs through the host's log service (called on the JS thread). */
  onLog?: (level: SmiLogLevel, message: string) => void;
  /** How host->session_create builds the plugin's ONNX Runtime sessions (providers, threads). */
  session?: SessionOptions;
}

export interface NativePlugin {
  readonly info: SmiPluginInfo;
  registerModel(spec: SmiModelSpec): Promise<void>;
  unregisterModel(id: string): Promise<void>;
  loadModel(id: string): Promise<void>;
  unloadModel(id: string): Promise<void>;
  /** get_model_info() as parsed JSON (the plugin writes JSON into a host buffer). */
  modelInfo(id: string): Promise<unknown>;
  /**
   * Low-level: these images as one batch now, through one model
   * (batch_inference when provided, else inference per image); per-image
   * failures fill `error`. The engine uses submit().
   */
  run(modelId: string, images: ImageInput[]): Promise<SmiRunResult>;
  /**
   * Queues one image for the plugin's dynamic batching, as session.submit():
   * a batcher thread per plugin runs requests with the same models together
   * once maxBatch are queued, the oldest has waited maxDelayMs, or flush()
   * was called; each batch goes through every model in turn. The pixels
   * are copied at the call unless opts.borrowPixels. Rejects (the code kept:
   * IMLAGE_ERR_PLUGIN_CALL, IMLAGE_ERR_CLOSED, ...) when the plugin failed
   * the whole batch; an image it failed alone resolves with that `error`.
   */
  submit(image: ImageInput, opts: SmiSubmitOptions): Promise<SmiSubmitted>;
  /** Runs whatever is queued now without waiting for company (no more images are coming). */
  flush(): void;
  /**
   * Refuses new work; queued submits run at once and settle. Waits for calls
   * and submits in flight, calls cleanup, dlcloses. Later calls reject with
   * IMLAGE_ERR_CLOSED.
   */
  close(): Promise<void>;
}

export interface NativeAddonPlugins {
  /** dlopen + validate + initialize on a worker thread; every refusal is an Error with a specific code. */
  loadPlugin(libraryPath: string, options: SmiLoadOptions): Promise<NativePlugin>;
  /** The SMI version this host implements. */
  smiVersion(): SmiVersion;
  /**
   * Points fd 1 at stderr and returns a new close-on-exec descriptor on what
   * fd 1 was: results written there stay clean of anything native code (an
   * in-process plugin) prints to stdout. The CLI calls it once.
   */
  divertStdout(): number;
  /** The compiler that built this binary ("gcc 14.2.0") and the N-API version it targets. */
  buildInfo(): { compiler: string; napiVersion: number };
}
