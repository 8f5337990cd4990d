{
  # node-gyp / prebuildify build of the same sources as CMakeLists.txt.
  # ONNX Runtime headers come from an npm package (scripts/ort-include.cjs);
  # the ORT library is dlopen'ed at run time, never linked.
  # The native JPEG decoder links libjpeg-turbo statically when
  # scripts/jpeg-static.cjs finds it, as CMakeLists.txt does; else it is
  # compiled out (IMLAGE_HAVE_JPEG=0).
  "variables": {
    "jpeg_lib": "<!(node scripts/jpeg-static.cjs lib)",
    "jpeg_include": "<!(node scripts/jpeg-static.cjs include)"
  },
  "targets": [
    {
      "target_name": "imlage",
      "sources": [
        "native/src/napi/addon.cc",
        "native/src/napi/malloc_tuning.cc",
        "native/src/core/batch_queue.cc",
        "native/src/core/compiled_spec.cc",
        "native/src/core/errors.cc",
        "native/src/napi/js_args.cc",
        "native/src/napi/session_wrap.cc",
        "native/src/ort/session_runner.cc",
        "native/src/napi/submit_encoded.cc",
        "native/src/core/preprocess.cc",
        "native/src/core/postprocess.cc",
        "native/src/detect/blazeface.cc",
        "native/src/napi/detect_js.cc",
        "native/src/detect/nanodet.cc",
        "native/src/detect/nms.cc",
        "native/src/detect/registry.cc",
        "native/src/ort/loader.cc",
        "native/src/ort/session.cc",
        "native/src/napi/workers/create_session.cc",
        "native/src/napi/workers/run.cc",
        "native/src/napi/workers/run_tensors.cc",
        "native/src/smi/abi_layout.cc",
        "native/src/smi/host_api.cc",
        "native/src/smi/loader.cc",
        "native/src/napi/outcome_js.cc",
        "native/src/smi/plugin.cc",
        "native/src/smi/plugin_runner.cc",
        "native/src/napi/plugin_wrap.cc",
        "native/src/smi/results.cc",
        "native/src/decode/decode_pool.cc",
        "native/src/decode/decode_to_size.cc",
        "native/src/decode/jpeg.cc",
        "native/src/decode/orient.cc",
        "native/src/decode/resize.cc"
      ],
      "include_dirs": [
        "native/src",
        "native/include",
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node scripts/ort-include.cjs)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-fvisibility=hidden",
        "-fvisibility-inlines-hidden",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-ffp-contract=off"
      ],
      "variables": {
        # PNG decoder (issue #9): scripts/find-libdeflate.cjs decides, as in CMakeLists.txt.
        "imlage_libdeflate_lib": "<!(node scripts/find-libdeflate.cjs --lib)"
      },
      "conditions": [
        ["jpeg_lib!=''", {
          "defines": ["IMLAGE_HAVE_JPEG=1"],
          "include_dirs": ["<(jpeg_include)"],
          "libraries": ["<(jpeg_lib)"],
          "conditions": [["OS=='linux'", { "ldflags": ["-Wl,--exclude-libs,libjpeg.a"] }]]
        }, {
          "defines": ["IMLAGE_HAVE_JPEG=0"]
        }],
        # ---- PNG decoder: our reader + libdeflate, linked statically ----
        ["imlage_libdeflate_lib!=''", {
          "sources": [
            "native/src/decode/png.cc",
            "native/src/decode/png_chunks.cc",
            "native/src/decode/png_pixels.cc",
            "native/src/decode/png_unfilter.cc"
          ],
          "defines": ["IMLAGE_DECODE_PNG"],
          "include_dirs": ["<!@(node scripts/find-libdeflate.cjs --include)"],
          "libraries": ["<(imlage_libdeflate_lib)"],
          "conditions": [
            ["OS=='linux'", { "ldflags": ["-Wl,--exclude-libs,libdeflate.a"] }]
          ]
        }],
        # ---- end PNG decoder ----
        ["OS=='linux'", { "libraries": ["-ldl"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra", "-Werror", "-ffp-contract=off"],
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": {
            "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/fp:precise"] }
          }
        }]
      ]
    }
  ]
}
