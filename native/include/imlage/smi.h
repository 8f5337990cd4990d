/*
 * imlage Standard Model Interface (SMI) -- the native plugin ABI.
 *
 * This one header is the reference. It is plain C99 (it also compiles as
 * C++), depends on nothing but <stddef.h> and <stdint.h>, and names no ONNX
 * Runtime or Node type. A plugin is a shared library that includes it and
 * exports exactly one symbol:
 *
 *     const smi_plugin_descriptor* smi_plugin_init(void);
 *
 * (SMI_DEFINE_PLUGIN writes that function for you.) The descriptor names the
 * SMI version the plugin was built against, its flags, a table of entry
 * points (smi_plugin_interface) and an opaque context pointer that the host
 * hands back as the first argument of every entry point.
 *
 * ---------------------------------------------------------------------------
 * VERSION RULES
 *
 *  - SMI_VERSION_MAJOR changes only when the ABI breaks. The host refuses a
 *    plugin whose major differs from its own, naming both versions.
 *  - SMI_VERSION_MINOR grows when members are appended. A plugin built for a
 *    newer minor loads in an older host and vice versa:
 *      * every struct starts with uint32_t struct_size (= sizeof as the
 *        writer compiled it); members are only ever appended, never
 *        reordered, resized or removed;
 *      * a reader uses a member only if struct_size covers it
 *        (SMI_HAS_MEMBER); the host treats entry points beyond the plugin's
 *        struct_size as NULL, and a plugin must do the same with host
 *        structs (smi_host_api, smi_image, ...);
 *      * the first three members of smi_plugin_descriptor (struct_size,
 *        smi_version_major, smi_version_minor) are frozen across majors, so
 *        any host can read them to refuse a plugin politely.
 *  - Minimum sizes of the v1.0 structs are the SMI_*_V1_0_SIZE macros; the
 *    host refuses a descriptor or interface smaller than that.
 *  - History: 1.0 first release. 1.1 appended smi_image.original_width /
 *    original_height and smi_host_api.set_error (a 1.0 plugin never sees
 *    them and keeps working unchanged; a 1.1 plugin in a 1.0 host finds
 *    them missing through SMI_HAS_MEMBER). 1.2 appended
 *    smi_image_result.regions / region_count and added smi_region, the
 *    boxes a detector found (an older plugin leaves them zero, as the host
 *    filled them; a 1.2 plugin in an older host sees a result struct_size
 *    that does not cover them and reports tags only).
 *
 * STATUS AND ERRORS
 *
 *  Entry points return smi_status; SMI_OK is 0. No C++ exception, longjmp or
 *  signal may cross the ABI (the host additionally wraps every call in a
 *  catch-all and reports a stray exception as SMI_ERROR_INTERNAL).
 *  A failed call explains itself in one of three ways, tried in this order:
 *    1. host->set_error(host_ctx, message) called during the failing call,
 *       on the thread that runs it (SMI 1.1; needs no thread-local storage,
 *       so it suits plain C99 plugins best);
 *    2. smi_image_result.error, for one image of inference/batch_inference;
 *    3. get_last_error(), which the host calls on the same thread right
 *       after the failure, before any other call into the plugin from that
 *       thread (a thread-safe plugin must then keep its last error per
 *       thread).
 *  Out-parameters are left untouched on failure unless stated otherwise.
 *
 * WHAT A PLUGIN MUST NOT DO
 *
 *  - Write to stdout (printf, puts, std::cout, println!). imlage's CLI
 *    streams JSON results there; it keeps them apart from plugin output
 *    (plugin stdout goes to stderr), but a plugin has no business on either
 *    stream: use host->log.
 *  - Call exit(), abort(), quick_exit() or raise signals. In-process (the
 *    default, isolation = "in-process") the plugin is code inside the host's
 *    process: exit() ends the whole host and every other plugin's work, with
 *    only a one-line note naming the plugin that was running. Report a
 *    failure through the status instead. A plugin that cannot be trusted to
 *    follow this is run with isolation = "process" (docs/plugins.md).
 *  - Keep pointers to host-owned data after the call that lent them.
 *
 * OWNERSHIP (summary; each symbol says it again)
 *
 *  | buffer                                   | allocated by | freed by / valid until              |
 *  |------------------------------------------|--------------|-------------------------------------|
 *  | descriptor, interface table, plugin_id   | plugin       | static; until the library unloads   |
 *  | config_json, model ids, smi_model_desc   | host         | only during the call                |
 *  | smi_image and its pixels                 | host         | only during the call                |
 *  | smi_image_result structs                 | host         | host (zeroed, struct_size set)      |
 *  | tags, labels, error, outputs in a result | plugin       | plugin, in release_results()        |
 *  | regions array, each smi_region, labels   | plugin       | plugin, in release_results()        |
 *  | get_model_info JSON                      | host buffer  | host                                |
 *  | name/version/frameworks/last-error text  | plugin       | name/version/frameworks: until      |
 *  |                                          |              | cleanup; last error: until the next |
 *  |                                          |              | call into the plugin on that thread |
 *  | host->alloc memory                       | host         | plugin calls host->free             |
 *  | smi_session                              | host         | plugin calls host->session_release  |
 *  | session input/output info strings        | host         | until session_release               |
 *  | smi_tensor_list from session_run         | host         | plugin calls host->tensors_release  |
 *  | input tensors given to session_run       | plugin       | plugin; only read during the call   |
 *
 * THREADING
 *
 *  - Without SMI_PLUGIN_THREAD_SAFE the host serialises every call into the
 *    plugin: at most one entry point runs at a time, although successive
 *    calls may come from different threads.
 *  - With SMI_PLUGIN_THREAD_SAFE the host may call inference(),
 *    batch_inference(), get_model_info(), get_last_error() and
 *    release_results() concurrently from several threads, for the same or
 *    different models. All other entry points (initialize, cleanup,
 *    register/unregister/load/unload_model, allocate/deallocate_resources)
 *    still run exclusively: no other call is in flight meanwhile.
 *  - initialize() happens-before every other entry point; cleanup()
 *    happens-after all of them returned. After cleanup() the library may be
 *    unloaded at any time: stop the plugin's own threads before returning.
 *  - One instance per process: the descriptor carries one plugin_ctx, so a
 *    host initialises a given library at most once at a time (a second load
 *    of the same file while the first is open is refused). After cleanup()
 *    the host may initialize() the same library again (it may or may not
 *    have been unloaded in between): initialize() must reset all state.
 *  - Host services (smi_host_api) may be called from any thread, including
 *    threads the plugin created, between initialize() and the end of
 *    cleanup(); they are all thread-safe.
 *
 * BUILDING
 *
 *     cc -std=c99 -shared -fPIC -fvisibility=hidden -I native/include \
 *        my_plugin.c -o libmy_plugin.so
 *
 *  Only smi_plugin_init should be exported (SMI_PLUGIN_EXPORT gives it
 *  default visibility; build with -fvisibility=hidden, and optionally a
 *  linker version script, so nothing else leaks). See docs/plugin-abi.md.
 */
#ifndef IMLAGE_SMI_H
#define IMLAGE_SMI_H

#include <stddef.h>
#include <stdint.h>

#define SMI_VERSION_MAJOR 1
#define SMI_VERSION_MINOR 2

/* Name of the one symbol a plugin exports. */
#define SMI_PLUGIN_INIT_SYMBOL "smi_plugin_init"

#ifdef __cplusplus
#define SMI_EXTERN_C extern "C"
#else
#define SMI_EXTERN_C
#endif

#if defined(_WIN32)
#define SMI_PLUGIN_EXPORT SMI_EXTERN_C __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define SMI_PLUGIN_EXPORT SMI_EXTERN_C __attribute__((visibility("default")))
#else
#define SMI_PLUGIN_EXPORT SMI_EXTERN_C
#endif

/* Size of a struct up to and including member (the size a writer of the
 * version that introduced member has at least). */
#define SMI_SIZE_THROUGH(type, member) \
  (offsetof(type, member) + sizeof(((type*)0)->member))

/* Whether a struct whose writer set struct_size covers member. */
#define SMI_HAS_MEMBER(ptr, type, member) \
  ((ptr) != NULL && (size_t)(ptr)->struct_size >= SMI_SIZE_THROUGH(type, member))

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status codes. Returned by entry points and host services; SMI_OK is 0.
 * Codes may be added in minor versions: treat unknown non-zero values as
 * SMI_ERROR. Values are fixed; the enum is 32 bits wide. */
typedef enum smi_status {
  SMI_OK = 0,
  SMI_ERROR = 1,                  /* unspecified failure */
  SMI_ERROR_INVALID_ARGUMENT = 2, /* a NULL pointer, bad size, bad image, bad JSON */
  SMI_ERROR_NOT_FOUND = 3,        /* unknown model id, missing file */
  SMI_ERROR_NOT_SUPPORTED = 4,    /* this plugin or host cannot do that */
  SMI_ERROR_OUT_OF_MEMORY = 5,
  SMI_ERROR_BUFFER_TOO_SMALL = 6, /* get_model_info: *required_size says how much */
  SMI_ERROR_NOT_LOADED = 7,       /* model registered but not loaded */
  SMI_ERROR_ALREADY_EXISTS = 8,   /* model id registered twice */
  SMI_ERROR_ABORTED = 9,          /* stopped because host->should_abort() said so */
  SMI_ERROR_INTERNAL = 10,        /* a bug; the host also uses it for a stray exception */
  SMI_STATUS_FORCE_32BIT = 0x7fffffff
} smi_status;

/* Descriptor flags. */
#define SMI_PLUGIN_THREAD_SAFE 0x1u /* inference may run concurrently (see THREADING) */

/* Log levels for smi_host_api.log. */
typedef enum smi_log_level {
  SMI_LOG_DEBUG = 0,
  SMI_LOG_INFO = 1,
  SMI_LOG_WARN = 2,
  SMI_LOG_ERROR = 3,
  SMI_LOG_FORCE_32BIT = 0x7fffffff
} smi_log_level;

/* Pixel formats of smi_image.pixels: 8 bits per channel, interleaved.
 * imlage's engine decodes every picture to sRGB RGB and hands plugins
 * SMI_PIXEL_RGB8 only: grey and CMYK are converted, and an alpha channel is
 * DROPPED (not composited over a background), so a transparent pixel arrives
 * with whatever colour it stored. The other formats exist for hosts and
 * callers that pass them (the addon's low-level loadPlugin().run() maps 1, 2,
 * 3 and 4 channels to GRAY8, GRAYA8, RGB8 and RGBA8); a plugin should check
 * pixel_format and fail with SMI_ERROR_NOT_SUPPORTED for the ones it does
 * not handle. */
typedef enum smi_pixel_format {
  SMI_PIXEL_NONE = 0,   /* no pixels: only the float tensor is given */
  SMI_PIXEL_RGB8 = 1,   /* channels == 3 */
  SMI_PIXEL_RGBA8 = 2,  /* channels == 4, straight (not premultiplied) alpha */
  SMI_PIXEL_GRAY8 = 3,  /* channels == 1 */
  SMI_PIXEL_GRAYA8 = 4, /* channels == 2 */
  SMI_PIXEL_BGR8 = 5,   /* channels == 3 */
  SMI_PIXEL_BGRA8 = 6,  /* channels == 4 */
  SMI_PIXEL_FORCE_32BIT = 0x7fffffff
} smi_pixel_format;

/* Element types of smi_tensor. */
typedef enum smi_dtype {
  SMI_DTYPE_UNDEFINED = 0,
  SMI_DTYPE_FLOAT32 = 1,
  SMI_DTYPE_UINT8 = 2,
  SMI_DTYPE_INT8 = 3,
  SMI_DTYPE_INT32 = 4,
  SMI_DTYPE_INT64 = 5,
  SMI_DTYPE_FLOAT64 = 6,
  SMI_DTYPE_OTHER = 100, /* a type SMI cannot hand over (strings, maps, ...) */
  SMI_DTYPE_FORCE_32BIT = 0x7fffffff
} smi_dtype;

/* Memory layout of a float image tensor. */
typedef enum smi_layout {
  SMI_LAYOUT_NONE = 0,
  SMI_LAYOUT_NCHW = 1,
  SMI_LAYOUT_NHWC = 2,
  SMI_LAYOUT_FORCE_32BIT = 0x7fffffff
} smi_layout;

/* ------------------------------------------------------------------------ */
/* Data handed to the plugin. */

/* One image. Host-owned: the struct, pixels and tensor arrays are valid only
 * during the inference/batch_inference call that receives them; copy what
 * you need to keep. Never written by the plugin.
 *
 * Pixels: row y starts at pixels + y * stride_bytes; a row holds
 * width * channels bytes in pixel_format order. width and height are >= 1.
 * The host resizes to the manifest's [input] width/height when those are
 * non-zero, so a plugin may rely on that size. It stretches each axis on its
 * own to that size (no crop, no letterbox: the aspect ratio may change), so
 * a point (x, y) of these pixels lies at (x * original_width / width,
 * y * original_height / height) in the picture (see smi_region).
 *
 * tensor*: an optional float32 rendering of the same image (shape, layout
 * and element strides as the manifest asks); NULL when not provided. The
 * v1.0 host always passes pixels and sets tensor to NULL.
 *
 * original_width / original_height (SMI 1.1; check with SMI_HAS_MEMBER):
 * the picture's size as decoded from its file (after EXIF rotation), before
 * the host resized it to width x height; 0 when the host does not know it
 * (e.g. the pixels were handed in raw). */
typedef struct smi_image {
  uint32_t struct_size;
  int32_t pixel_format;  /* smi_pixel_format */
  const uint8_t* pixels; /* NULL only when pixel_format is SMI_PIXEL_NONE */
  uint32_t width;
  uint32_t height;
  uint32_t channels;
  uint32_t reserved0;    /* 0 */
  uint64_t stride_bytes; /* >= width * channels */
  const float* tensor;
  const int64_t* tensor_shape;   /* tensor_rank entries */
  const int64_t* tensor_strides; /* in elements; NULL = packed row-major */
  uint32_t tensor_rank;
  int32_t tensor_layout; /* smi_layout */
  /* SMI 1.1 */
  uint32_t original_width;
  uint32_t original_height;
} smi_image;
#define SMI_IMAGE_V1_0_SIZE SMI_SIZE_THROUGH(smi_image, tensor_layout)
#define SMI_IMAGE_V1_1_SIZE SMI_SIZE_THROUGH(smi_image, original_height)

/* A model as the manifest describes it, handed to register_model().
 * Host-owned; valid only during that call (copy the id and paths). */
typedef struct smi_model_desc {
  uint32_t struct_size;
  uint32_t file_count;
  const char* model_id;      /* UTF-8, non-empty */
  const char* const* files;  /* file_count absolute paths (may be NULL if 0) */
  const char* config_json;   /* JSON object text, "{}" when none; never NULL */
} smi_model_desc;
#define SMI_MODEL_DESC_V1_0_SIZE SMI_SIZE_THROUGH(smi_model_desc, config_json)

/* ------------------------------------------------------------------------ */
/* Results written by the plugin. */

/* One tag. This struct is an array element and is therefore frozen: it has
 * no struct_size and will never grow (later versions add parallel arrays to
 * smi_image_result instead).
 *   label: NUL-terminated UTF-8, non-NULL, at most SMI_MAX_LABEL_BYTES bytes.
 *   score: finite, within [0, 1]; the plugin defines what it measures (a
 *          probability, a fraction of pixels, ...). */
typedef struct smi_tag {
  const char* label;
  float score;
} smi_tag;

#define SMI_MAX_LABEL_BYTES 1024u
#define SMI_MAX_TAGS 100000u

/* One region: a box in the image and what the plugin found there (a
 * detector's object or face). Plugin-owned, like the tags. Unlike smi_tag it
 * starts with struct_size (the plugin sets sizeof(smi_region) as it
 * compiled it) and may grow: smi_image_result.regions is therefore an array
 * of pointers, and the host reads only the members struct_size covers
 * (at least SMI_REGION_V1_2_SIZE, or the image fails).
 *
 *   label:      what is there, NUL-terminated UTF-8, non-NULL, at most
 *               SMI_MAX_LABEL_BYTES bytes (usually one of the image's tags).
 *   confidence: finite, within [0, 1].
 *   x, y, width, height: the box, in the pixel space of the smi_image the
 *               plugin was given (its width x height, whatever the
 *               original size): x, y the top-left corner, 0 at the left and
 *               top edges; pixel (i, j) covers [i, i+1) x [j, j+1), so the
 *               whole image is {0, 0, width, height}. All four finite;
 *               width and height >= 0.
 *
 * What the host does with a box: a non-finite value or a negative width or
 * height fails that image ("plugin returned region 3 ('cat') with box ...");
 * a box reaching past the image edges is clipped to the image (detectors
 * often overhang by a few pixels). It then maps the box to the picture's
 * own pixels, scaling x and width by original_width / width and y and
 * height by original_height / height of the smi_image (unchanged when the
 * original size is 0, i.e. unknown). */
typedef struct smi_region {
  uint32_t struct_size;
  float confidence;
  const char* label;
  float x;
  float y;
  float width;
  float height;
} smi_region;
#define SMI_REGION_V1_2_SIZE SMI_SIZE_THROUGH(smi_region, height)

#define SMI_MAX_REGIONS 10000u

/* A tensor: a name, an element type, a shape and a packed row-major buffer.
 * Who owns it depends on where it appears (see session_run and
 * smi_image_result.outputs). */
typedef struct smi_tensor {
  uint32_t struct_size;
  int32_t dtype;        /* smi_dtype */
  const char* name;     /* may be NULL for unnamed tensors */
  void* data;           /* byte_size bytes */
  const int64_t* shape; /* rank entries, all >= 0 */
  uint32_t rank;
  uint32_t reserved0;   /* 0 */
  uint64_t byte_size;   /* product(shape) * element size */
} smi_tensor;
#define SMI_TENSOR_V1_0_SIZE SMI_SIZE_THROUGH(smi_tensor, byte_size)

/* The result for one image. The HOST allocates it, zero-fills it and sets
 * struct_size; the plugin writes only members within that struct_size and
 * points them at PLUGIN-owned memory, which must stay valid until the host
 * calls release_results() for it. The host copies everything it needs
 * before release_results(), and calls release_results() exactly once for
 * every result it handed to the plugin, whatever the call returned.
 *
 *   status:  SMI_OK, or why this image failed (the other images of a batch
 *            are still used). For inference() the return value wins.
 *   error:   optional UTF-8 message for a failed image (else the host asks
 *            get_last_error()).
 *   tags / tag_count: the tags, best first or in any order; tag_count <=
 *            SMI_MAX_TAGS; tags may be NULL only when tag_count is 0.
 *   outputs / output_count: optional raw tensors for the host's own
 *            post-processing (float32 in v1.0; others are reported as an
 *            error for that image).
 *   plugin_data: for the plugin's bookkeeping (e.g. the allocation to free
 *            in release_results); the host never reads it.
 *   regions / region_count (SMI 1.2; write them only when
 *            SMI_HAS_MEMBER(result, smi_image_result, region_count): an
 *            older host hands a smaller struct, and writing past it
 *            corrupts the host's memory): the boxes behind the
 *            tags, region_count <= SMI_MAX_REGIONS pointers to plugin-owned
 *            smi_region structs, none NULL; regions may be NULL only when
 *            region_count is 0. Any order (the host sorts). A bad pointer,
 *            count, label, confidence or box fails that image only. The
 *            host reads them only when the struct_size it finds after the
 *            call covers region_count, so a plugin that rewrites
 *            struct_size to its own older size is read as that version. */
typedef struct smi_image_result {
  uint32_t struct_size;
  int32_t status; /* smi_status */
  const smi_tag* tags;
  uint64_t tag_count;
  const smi_tensor* const* outputs;
  uint64_t output_count;
  const char* error;
  void* plugin_data;
  /* SMI 1.2 */
  const smi_region* const* regions;
  uint64_t region_count;
} smi_image_result;
#define SMI_IMAGE_RESULT_V1_0_SIZE SMI_SIZE_THROUGH(smi_image_result, plugin_data)
#define SMI_IMAGE_RESULT_V1_2_SIZE SMI_SIZE_THROUGH(smi_image_result, region_count)

/* ------------------------------------------------------------------------ */
/* Host services. */

/* An ONNX Runtime session run by the host (opaque). */
typedef struct smi_session smi_session;

/* Input/output description of a session. The plugin sets struct_size before
 * the call; the host writes only members that struct_size covers. The
 * strings and the shape array belong to the session (valid until
 * session_release). Dynamic dimensions are -1. */
typedef struct smi_tensor_info {
  uint32_t struct_size;
  int32_t dtype; /* smi_dtype */
  const char* name;
  const int64_t* shape;
  uint32_t rank;
  uint32_t reserved0;
} smi_tensor_info;
#define SMI_TENSOR_INFO_V1_0_SIZE SMI_SIZE_THROUGH(smi_tensor_info, reserved0)

/* Output tensors of session_run. Host-owned, including every tensor, name,
 * shape and data buffer; released with host->tensors_release(). The plugin
 * may read and write the data in place until then. */
typedef struct smi_tensor_list {
  uint32_t struct_size;
  uint32_t count;
  const smi_tensor* const* tensors; /* count entries */
} smi_tensor_list;
#define SMI_TENSOR_LIST_V1_0_SIZE SMI_SIZE_THROUGH(smi_tensor_list, tensors)

/* What the host offers a plugin. Passed to initialize(); the struct and
 * every function stay valid until cleanup() returns (copy the pointer, not
 * the struct, or copy only struct_size bytes). Every function is
 * thread-safe and takes host_ctx (the member below) as its first argument.
 * Functions that can fail return smi_status and leave out-parameters
 * untouched on failure; host_get_last_error() then describes the failure
 * (per thread). Release functions accept NULL. */
typedef struct smi_host_api {
  uint32_t struct_size;
  uint32_t smi_version_major; /* the host's SMI version */
  uint32_t smi_version_minor;
  uint32_t reserved0;
  void* host_ctx;

  /* Logs one message (UTF-8, copied before return). The host forwards it to
   * the application asynchronously. */
  void (*log)(void* host_ctx, int32_t level, const char* message);

  /* Host memory, for plugins that want their usage accounted to the host.
   * alloc returns NULL on failure or for size 0; free accepts NULL. Memory
   * from alloc must be freed with free, never with the C library. */
  void* (*alloc)(void* host_ctx, size_t size);
  void (*free)(void* host_ctx, void* ptr);

  /* Non-zero when the host wants long work to stop (e.g. the plugin is being
   * closed). A plugin may poll it and return SMI_ERROR_ABORTED. */
  int32_t (*should_abort)(void* host_ctx);

  /* Message describing the last failed host service call on this thread
   * (valid until the next host service call on this thread; never NULL). */
  const char* (*get_last_error)(void* host_ctx);

  /* ONNX Runtime, run by the host (the plugin neither links nor loads it).
   * session_create: loads an .onnx file. Fails with SMI_ERROR_NOT_SUPPORTED
   * when the host has no ONNX Runtime loaded, SMI_ERROR_NOT_FOUND for a
   * missing file. *session is host-owned: release it with session_release
   * (before cleanup() returns at the latest). A session may be run from
   * several threads at once. */
  smi_status (*session_create)(void* host_ctx, const char* model_path, smi_session** session);
  smi_status (*session_input_count)(void* host_ctx, const smi_session* session, size_t* count);
  smi_status (*session_output_count)(void* host_ctx, const smi_session* session, size_t* count);
  smi_status (*session_input_info)(void* host_ctx, const smi_session* session, size_t index,
                                   smi_tensor_info* info);
  smi_status (*session_output_info)(void* host_ctx, const smi_session* session, size_t index,
                                    smi_tensor_info* info);
  /* Runs the session. inputs: input_count plugin-owned tensors (name = the
   * model input's name; dtype float32, uint8, int8, int32, int64 or float64;
   * data read only during the call). output_names: the outputs to compute
   * (NULL = all, in model order). On success *outputs is a host-owned list
   * of float32 tensors (other numeric output types are converted) in the
   * order asked; free it with tensors_release. */
  smi_status (*session_run)(void* host_ctx, const smi_session* session,
                            const smi_tensor* const* inputs, size_t input_count,
                            const char* const* output_names, size_t output_count,
                            smi_tensor_list** outputs);
  void (*tensors_release)(void* host_ctx, smi_tensor_list* outputs);
  void (*session_release)(void* host_ctx, smi_session* session);

  /* SMI 1.1 (check with SMI_HAS_MEMBER). Explains the failure of the entry
   * point that is running on this thread: call it, then return the non-OK
   * status. The host copies message (UTF-8, at most 4095 bytes are kept;
   * invalid UTF-8 is replaced) before it returns; a later call in the same
   * entry point replaces the earlier message. Ignored (never fails) when
   * message is NULL, or when called outside an entry point or from a thread
   * other than the one running it (such as the plugin's own workers). It
   * wins over smi_image_result.error and get_last_error(). */
  void (*set_error)(void* host_ctx, const char* message);
} smi_host_api;
#define SMI_HOST_API_V1_0_SIZE SMI_SIZE_THROUGH(smi_host_api, session_release)
#define SMI_HOST_API_V1_1_SIZE SMI_SIZE_THROUGH(smi_host_api, set_error)

/* ------------------------------------------------------------------------ */
/* The plugin's entry points. ctx is the descriptor's plugin_ctx. Entries
 * marked REQUIRED must be non-NULL or the host refuses the plugin; the host
 * copes with NULL for the others as described. Strings passed in are
 * host-owned UTF-8 valid only during the call. */
typedef struct smi_plugin_interface {
  uint32_t struct_size;
  uint32_t reserved0; /* 0 */

  /* REQUIRED. Called once, first, on a host worker thread. host stays valid
   * until cleanup() returns. config_json: the plugin's typed configuration
   * after validation against the manifest ([config.*] keys with defaults
   * filled in), a JSON object; never NULL. On failure the plugin frees what
   * it allocated and the host reports get_last_error() text, does NOT call
   * cleanup(), and unloads the library. */
  smi_status (*initialize)(void* ctx, const smi_host_api* host, const char* config_json);

  /* REQUIRED. Called once, last, after every other call returned (the host
   * does not call deallocate_resources/unload_model first: free everything
   * here). Stop the plugin's threads; the library may be unloaded next. */
  void (*cleanup)(void* ctx);

  /* Optional (NULL: models need no registration). Declares a model; the
   * desc is valid only during the call. SMI_ERROR_ALREADY_EXISTS for a
   * duplicate id. */
  smi_status (*register_model)(void* ctx, const smi_model_desc* desc);
  /* Optional. Forgets a model, unloading it first if needed. */
  smi_status (*unregister_model)(void* ctx, const char* model_id);

  /* Optional (NULL: nothing to load). Makes a registered model ready for
   * inference (read weights, create host sessions). */
  smi_status (*load_model)(void* ctx, const char* model_id);
  /* Optional. Frees what load_model created. */
  smi_status (*unload_model)(void* ctx, const char* model_id);

  /* One of inference / batch_inference is REQUIRED.
   * inference: tags one image. result is host-allocated (see
   * smi_image_result); on return the host reads it (if SMI_OK, and also for
   * an error message otherwise) and then calls release_results(ctx, &result,
   * 1). Without batch_inference the host calls this once per image. */
  smi_status (*inference)(void* ctx, const char* model_id, const smi_image* image,
                          smi_image_result* result);

  /* batch_inference: tags count >= 1 images. images[i] and results[i] are
   * separate host structs (arrays of pointers, so struct sizes may differ
   * between host and plugin). Per-image failures go into results[i].status;
   * a non-OK return fails the whole batch. The host then calls
   * release_results(ctx, results, count). Without it the host emulates a
   * batch with inference(). */
  smi_status (*batch_inference)(void* ctx, const char* model_id, const smi_image* const* images,
                                size_t count, smi_image_result* const* results);

  /* Optional. Called right after a successful load_model (reserve scratch
   * buffers, thread pools) and right before unload_model. */
  smi_status (*allocate_resources)(void* ctx, const char* model_id);
  smi_status (*deallocate_resources)(void* ctx, const char* model_id);

  /* Optional (NULL: the host reports no information). Writes a NUL-
   * terminated JSON value describing the model into the host's buffer of
   * buffer_size bytes and sets *required_size to the bytes needed including
   * the NUL. When buffer_size is too small (buffer may then be NULL) it
   * returns SMI_ERROR_BUFFER_TOO_SMALL with *required_size set, and the host
   * retries with a larger buffer. */
  smi_status (*get_model_info)(void* ctx, const char* model_id, char* buffer, size_t buffer_size,
                               size_t* required_size);

  /* REQUIRED. Static NUL-terminated UTF-8 strings, valid until cleanup()
   * returns; called after initialize(). */
  const char* (*get_plugin_name)(void* ctx);
  const char* (*get_plugin_version)(void* ctx);

  /* Optional (NULL: "none"). Comma-separated frameworks the plugin runs,
   * e.g. "onnx" or "none"; static, valid until cleanup(). */
  const char* (*get_supported_frameworks)(void* ctx);

  /* Optional. The SMI version the plugin was compiled against; the host
   * checks that it agrees with the descriptor. */
  void (*get_smi_version)(void* ctx, uint32_t* major, uint32_t* minor);

  /* Optional (NULL: the host reports only the status). Message for the last
   * failed call on this thread; plugin-owned, valid until the next call
   * into the plugin on this thread. NULL means no message. */
  const char* (*get_last_error)(void* ctx);

  /* REQUIRED. Frees what the plugin attached to results (tags, labels,
   * error, outputs, regions). Called exactly once for each result array
   * handed to inference/batch_inference, after the host copied it; with a
   * thread-safe plugin, possibly concurrently with other calls. */
  void (*release_results)(void* ctx, smi_image_result* const* results, size_t count);
} smi_plugin_interface;
#define SMI_PLUGIN_INTERFACE_V1_0_SIZE SMI_SIZE_THROUGH(smi_plugin_interface, release_results)

/* ------------------------------------------------------------------------ */
/* The descriptor smi_plugin_init() returns. Plugin-owned and static: it,
 * plugin_id and iface must stay valid and unchanged until the library is
 * unloaded. smi_plugin_init() itself must be cheap and side-effect free (no
 * threads, no I/O): real work belongs in initialize(). It may be called
 * more than once and must return the same descriptor. */
typedef struct smi_plugin_descriptor {
  uint32_t struct_size;       /* frozen across majors */
  uint32_t smi_version_major; /* frozen across majors: SMI_VERSION_MAJOR */
  uint32_t smi_version_minor; /* frozen across majors: SMI_VERSION_MINOR */
  uint32_t flags;             /* SMI_PLUGIN_THREAD_SAFE, ... */
  const char* plugin_id;      /* non-NULL UTF-8, 1 to 64 bytes, no control characters, e.g. "colors" */
  const smi_plugin_interface* iface; /* non-NULL */
  void* plugin_ctx;           /* passed as ctx to every entry point; may be NULL */
} smi_plugin_descriptor;
#define SMI_PLUGIN_DESCRIPTOR_V1_0_SIZE SMI_SIZE_THROUGH(smi_plugin_descriptor, plugin_ctx)

typedef const smi_plugin_descriptor* (*smi_plugin_init_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* Writes smi_plugin_init() returning a static descriptor, e.g.
 *
 *     static const smi_plugin_interface iface = {
 *         .struct_size = sizeof(smi_plugin_interface),
 *         .initialize = my_initialize,
 *         .cleanup = my_cleanup,
 *         .inference = my_inference,
 *         .get_plugin_name = my_name,
 *         .get_plugin_version = my_version,
 *         .release_results = my_release,
 *     };
 *     SMI_DEFINE_PLUGIN("colors", SMI_PLUGIN_THREAD_SAFE, &iface, NULL)
 *
 * plugin_id ("colors") is printable UTF-8 of 1 to 64 bytes. Members left out
 * of a designated initialiser are NULL. (C++ before C++20 has no designated
 * initialisers: list the members in order, or fill a zero-initialised table.) */
#define SMI_DEFINE_PLUGIN(id, plugin_flags, iface_ptr, ctx_ptr)                        \
  SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void);                \
  SMI_PLUGIN_EXPORT const smi_plugin_descriptor* smi_plugin_init(void) {               \
    static const smi_plugin_descriptor smi_descriptor_ = {                              \
        sizeof(smi_plugin_descriptor), SMI_VERSION_MAJOR, SMI_VERSION_MINOR,            \
        (plugin_flags), (id), (iface_ptr), (ctx_ptr)};                                  \
    return &smi_descriptor_;                                                            \
  }

#endif /* IMLAGE_SMI_H */
