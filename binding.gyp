{
  # node-gyp / prebuildify build of the same sources as CMakeLists.txt.
  # ONNX Runtime headers come from an npm package (scripts/ort-include.cjs);
  # the ORT library is dlopen'ed at run time, never linked.
  "targets": [
    {
      "target_name": "imlage",
      "sources": [
        "native/src/addon.cc",
        "native/src/malloc_tuning.cc",
        "native/src/batch_queue.cc",
        "native/src/errors.cc",
        "native/src/js_args.cc",
        "native/src/session_wrap.cc",
        "native/src/preprocess.cc",
        "native/src/postprocess.cc",
        "native/src/ort/loader.cc",
        "native/src/ort/session.cc",
        "native/src/workers/create_session.cc",
        "native/src/workers/run.cc",
        "native/src/workers/run_tensors.cc",
        "native/src/plugin/abi_layout.cc",
        "native/src/plugin/host_api.cc",
        "native/src/plugin/loader.cc",
        "native/src/plugin/plugin.cc",
        "native/src/plugin/plugin_wrap.cc",
        "native/src/plugin/results.cc"
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
      "conditions": [
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
