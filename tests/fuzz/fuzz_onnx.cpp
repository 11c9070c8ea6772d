// libFuzzer target: the ONNX importer on arbitrary bytes (protobuf parsing,
// every converter, constant folding), through the same path as the CLI.
// Anything but a bf::Error is a bug and ends the run.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/onnx/onnx_importer.h"
#include "support/error.h"
#include "support/file_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/bf_fuzz_onnx_" + std::to_string(getpid()) + ".onnx";
  bf::write_file(path, std::string(reinterpret_cast<const char*>(data), size));
  try {
    bf::import_onnx(path);
  } catch (const bf::Error&) {
  }
  return 0;
}
