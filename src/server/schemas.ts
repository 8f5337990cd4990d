// JSON schemas shared by validation, response serialisation and the
// OpenAPI document (one source for all three).

import { TAG_CATEGORIES } from '../plugins/manifest-output.js';

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'what went wrong and how to fix it' },
    code: { type: 'string', description: 'stable error code (IMLAGE_ERR_*)' },
    request_id: { type: 'string' },
  },
} as const;

export const tagResultSchema = {
  $id: 'TagResult',
  type: 'object',
  description: "One image's result: the same contract as `imlage tag`'s output.",
  required: ['file', 'results'],
  properties: {
    file: { type: 'string', description: 'the file name given (path under the root, multipart filename, or ?name=)' },
    error: { type: 'string', description: 'set when the image itself failed: no plugin ran' },
    results: {
      type: 'object',
      description: 'per plugin: its tags, or { error } when that plugin failed on this image',
      additionalProperties: {
        type: 'object',
        properties: {
          tags: {
            type: 'array',
            items: {
              type: 'object',
              required: ['label', 'confidence'],
              properties: {
                label: { type: 'string' },
                confidence: { type: 'number' },
                category: { type: 'string', enum: [...TAG_CATEGORIES] },
                count: { type: 'integer', description: 'a detector: how many of its regions carry this tag (e.g. how many faces)' },
              },
            },
          },
          regions: {
            type: 'array',
            description: 'a detector: the boxes behind its tags, best first; box is [x, y, width, height] in pixels of the image as displayed',
            items: {
              type: 'object',
              required: ['label', 'confidence', 'box'],
              properties: {
                label: { type: 'string' },
                confidence: { type: 'number' },
                box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 },
              },
            },
          },
          model: { type: 'string' },
          models: { type: 'array', items: { type: 'string' }, description: 'an ensemble: every model that voted' },
          version: { type: 'string' },
          inference_time_ms: { type: 'number' },
          error: { type: 'string' },
        },
      },
    },
  },
} as const;

export const tagResponseSchema = {
  $id: 'TagResponse',
  type: 'object',
  required: ['results'],
  properties: { results: { type: 'array', items: { $ref: 'TagResult#' } } },
} as const;

const tagOptionProps = {
  threshold: { type: 'number', minimum: 0, maximum: 1, description: "this request's score threshold for every plugin, instead of the plugins' own (their per-label thresholds too)" },
  limit: { type: 'integer', minimum: 1, maximum: 100000, description: "at most this many tags per plugin per image, instead of the plugins' own top_k" },
  mode: { type: 'string', enum: ['exact', 'fast'], description: "preprocessing for this request's images: exact (the models' original preprocessing) or fast (decoded straight to model size); default: the server's mode" },
  timeout: { type: 'integer', minimum: 1, maximum: 600000, description: "deadline for this request in ms (default: the server's timeout_ms); 504 when exceeded" },
} as const;

export const tagQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    plugins: { type: 'string', description: 'comma-separated plugins to run on the images (only those run; default: all the server runs)' },
    name: { type: 'string', maxLength: 1024, description: 'the name to report a raw-body image under (default "<body>")' },
    ...tagOptionProps,
  },
} as const;

export const tagJsonBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['files'],
  properties: {
    files: {
      type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 4096 },
      description: "paths relative to the server's root folder ([serve] root / --root); nothing outside it is opened",
    },
    plugins: { type: 'array', minItems: 1, items: { type: 'string' }, description: 'plugins to run on the images (only those run; default: all the server runs)' },
    ...tagOptionProps,
  },
} as const;

const pluginSummaryProps = {
  name: { type: 'string' },
  version: { type: 'string' },
  kind: { type: 'string', enum: ['onnx', 'native'] },
  description: { type: 'string' },
  state: { type: 'string', enum: ['discovered', 'loading', 'active', 'error', 'disabled'] },
  serving: { type: 'boolean', description: 'whether POST /v1/tag runs this plugin' },
  error: { type: 'string' },
  model: { type: 'string', description: 'while active: the weights or library it runs' },
  provider: { type: 'string', description: "while active: the execution provider actually used ('cpu', 'cuda', 'native', 'native, isolated')" },
} as const;

export const pluginSummarySchema = {
  $id: 'PluginSummary',
  type: 'object',
  required: ['name', 'version', 'kind', 'state', 'serving'],
  properties: pluginSummaryProps,
} as const;

export const pluginDetailSchema = {
  $id: 'PluginDetail',
  type: 'object',
  required: ['name', 'version', 'kind', 'state', 'serving', 'manifest'],
  properties: {
    ...pluginSummaryProps,
    warnings: { type: 'array', items: { type: 'string' } },
    restarts: { type: 'integer', description: 'isolated plugins: restarts of its process after a crash or hang' },
    manifest: {
      type: 'object',
      properties: {
        file: { type: 'string' },
        capabilities: { type: 'array', items: { type: 'string' } },
        isolation: { type: 'string' },
        default_enabled: { type: 'boolean' },
        author: { type: 'string' },
        license: { type: 'string' },
      },
    },
    settings: {
      type: 'array',
      description: "the settings the plugin declares ([plugins.<name>] in config.toml) and their defaults",
      items: {
        type: 'object',
        properties: { key: { type: 'string' }, type: { type: 'string' }, default: {}, description: { type: 'string' } },
      },
    },
  },
} as const;

export const readinessSchema = {
  $id: 'Readiness',
  type: 'object',
  required: ['ready', 'plugins'],
  properties: {
    ready: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' }, description: 'why not ready, one line per plugin' },
    plugins: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { state: { type: 'string' }, ready: { type: 'boolean' }, reason: { type: 'string' } },
      },
    },
  },
} as const;

export const pluginNameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } },
} as const;

export const tensorMetadataSchema = {
  $id: 'TensorMetadata',
  type: 'object',
  properties: { name: { type: 'string' }, datatype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } } },
} as const;

export const SHARED_SCHEMAS = [tensorMetadataSchema, errorSchema, tagResultSchema, tagResponseSchema, pluginSummarySchema, pluginDetailSchema, readinessSchema];
