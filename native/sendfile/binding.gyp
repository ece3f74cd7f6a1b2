{
  "targets": [
    {
      "target_name": "fieldboot_sendfile",
      "sources": [
        "src/sendfile.c"
      ],
      "cflags_c": [
        "-std=gnu11",
        "-Wall",
        "-Wextra",
        "-O2"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ],
      "libraries": [
        "-lpthread"
      ],
      "include_dirs": [
        "../common"
      ]
    }
  ]
}
