#include "support/test_paths.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace bf::test {

std::string source_dir() { return BF_SOURCE_DIR; }
std::string shared_dir() { return BF_SHARED_DIR; }
std::string onnx_testdata_dir() { return BF_ONNX_TESTDATA_DIR; }

std::string scratch_dir(const std::string& name) {
  fs::path p = fs::path(BF_BINARY_DIR) / "test_scratch" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

std::vector<std::string> shared_networks() {
  std::vector<std::string> out;
  for (const char* sub : {"benchmarks", "golden"}) {
    fs::path root = fs::path(shared_dir()) / sub;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      std::string p = e.path().string();
      auto ends = [&](const std::string& s) {
        return p.size() >= s.size() && p.compare(p.size() - s.size(), s.size(), s) == 0;
      };
      if (ends(".onnx") || ends(".onnx.gz")) out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bf::test
