{
  "targets": [
    {
      "target_name": "raftwire_wal",
      "sources": ["src/wal/native/wal-writer.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "libraries": ["-lpthread"]
    }
  ]
}
