#include "support/golden_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_paths.h"

namespace bf::test {
namespace {

std::string line_at(const std::string& text, std::size_t pos) {
  const std::size_t begin = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
  const std::size_t end = text.find('\n', pos);
  return text.substr(from, (end == std::string::npos ? text.size() : end) - from);
}

}  // namespace

std::string golden_path(const std::string& name) { return source_dir() + "/tests/golden/" + name; }

void expect_golden_text(const std::string& actual, const std::string& name) {
  const std::string path = golden_path(name);
  const char* update = std::getenv("BF_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "golden file " << path << " is missing (BF_UPDATE_GOLDEN=1 writes it)";
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string expected = ss.str();
  if (expected == actual) return;
  std::size_t pos = 0;
  while (pos < expected.size() && pos < actual.size() && expected[pos] == actual[pos]) ++pos;
  const auto line_no = 1 + std::count(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
  ADD_FAILURE() << "dump differs from " << path << " at line " << line_no << ":\n  golden: " << line_at(expected, pos)
                << "\n  actual: " << line_at(actual, pos)
                << "\n(after an intended format change: BF_UPDATE_GOLDEN=1 rewrites the file)";
}

}  // namespace bf::test
