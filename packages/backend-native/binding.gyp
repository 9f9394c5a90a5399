{
  "targets": [
    {
      "target_name": "tessera_native",
      "sources": ["native/addon.cc", "native/model.cc", "native/bert.cc", "native/modernbert.cc", "native/scorer.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.mjs include)"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "_GLIBCXX_USE_CXX11_ABI=1"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<!(node scripts/find-libtorch.mjs lib)",
        "-Wl,-rpath,<!(node scripts/find-libtorch.mjs lib)",
        "<!@(node scripts/find-libtorch.mjs libs)"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}
