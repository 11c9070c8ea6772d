#include "support/test_models.h"

#include "frontend/onnx/onnx_importer.h"
#include "support/test_paths.h"
#include "transform/normalize.h"

namespace bf::test {

std::shared_ptr<Graph> load_normalized(const std::string& path) {
  auto g = std::make_shared<Graph>(import_onnx(path));
  normalize(*g);
  return g;
}

std::string short_name(const std::string& path) {
  for (const char* root : {"/benchmarks/", "/golden/"}) {
    auto pos = path.find(root);
    if (pos != std::string::npos) return path.substr(pos + std::string(root).size());
  }
  return path;
}

}  // namespace bf::test
