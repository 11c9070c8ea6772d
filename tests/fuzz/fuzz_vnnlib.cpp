// libFuzzer target: the VNN-LIB reader on arbitrary bytes, through the same
// path as `verify` (a file, gunzipped when it starts with gzip's magic).
// Anything but a bf::Error is a bug and ends the run: a crash, a sanitizer
// report, another exception type, or a hang (libFuzzer's -timeout).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/vnnlib/vnnlib.h"
#include "support/error.h"
#include "support/file_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/bf_fuzz_vnnlib_" + std::to_string(getpid()) + ".vnnlib";
  bf::write_file(path, std::string(reinterpret_cast<const char*>(data), size));
  try {
    const bf::VnnlibProperty p = bf::parse_vnnlib(path, size % 2 == 0 ? -1 : 2, size % 3 == 0 ? -1 : 3);
    if (p.cases.empty()) __builtin_trap();  // a property always has a case, or it is an error
  } catch (const bf::Error&) {
  }
  return 0;
}
