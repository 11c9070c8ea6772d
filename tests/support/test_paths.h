// Where tests find their data: the source tree, ../shared and Debian's ONNX test data.
#pragma once

#include <string>
#include <vector>

namespace bf::test {

std::string source_dir();
std::string shared_dir();
std::string onnx_testdata_dir();
// A fresh, empty directory under the build tree for one test's files.
std::string scratch_dir(const std::string& name);

// Every ONNX network under shared/benchmarks and shared/golden (sorted, deduplicated).
std::vector<std::string> shared_networks();

}  // namespace bf::test
