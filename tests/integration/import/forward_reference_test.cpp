// Imported shared networks compute what their exporters' runtimes computed:
// the golden networks reproduce auto_LiRPA's y0 = f(x0) (PyTorch), and the
// benchmark counterexamples reproduce their Y from their X (ONNX Runtime). This
// checks the importer's semantics (transposes, flattening, normalisation
// prologues, symbolic batch) end to end, not only the shapes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "frontend/onnx/onnx_importer.h"
#include "reference_eval.h"
#include "support/file_io.h"
#include "support/test_paths.h"

namespace bf {
namespace {

namespace fs = std::filesystem;

// Both references are float32 computations with their own summation orders.
constexpr double kAtol = 1e-4;
constexpr double kRtol = 1e-4;

Tensor f32_tensor(const Shape& shape, const std::vector<double>& values) {
  std::vector<float> v(values.begin(), values.end());
  return Tensor::from_vector<float>(shape, v);
}

TEST(ForwardReference, GoldenNetworksReproduceY0) {
  fs::path golden = fs::path(test::shared_dir()) / "golden";
  int checked = 0;
  for (const char* name : {"mlp_256x2", "mlp_256x6", "cnn_small", "cnn_cifar"}) {
    auto info = nlohmann::json::parse(read_file((golden / (std::string(name) + ".b1.input.json")).string()));
    Graph g = import_onnx((golden / info["onnx"].get<std::string>()).string());
    Shape in_shape = {1};
    for (auto d : info["input_shape"]) in_shape.push_back(d.get<std::int64_t>());
    ASSERT_EQ(g.type(g.inputs()[0]).shape, in_shape) << name;
    Shape out_shape = info["output_shape"].get<Shape>();
    std::vector<Tensor> y = test::evaluate_graph(g, {f32_tensor(in_shape, info["x0"].get<std::vector<double>>())});
    ASSERT_EQ(y.size(), 1u);
    test::expect_close(y[0], f32_tensor(out_shape, info["y0"].get<std::vector<double>>()), kAtol, kRtol, name);
    ++checked;
  }
  std::printf("golden networks checked: %d\n", checked);
}

// ((X_0 v) (X_1 v) ... (Y_0 v) ...) -> the X and Y values in index order.
void parse_counterexample(const std::string& text, std::vector<double>& xs, std::vector<double>& ys) {
  std::map<int, double> x, y;
  for (std::size_t p = text.find('('); p != std::string::npos; p = text.find('(', p + 1)) {
    std::size_t q = p + 1;
    if (q + 2 >= text.size() || (text[q] != 'X' && text[q] != 'Y') || text[q + 1] != '_') continue;
    char* end = nullptr;
    int index = static_cast<int>(std::strtol(text.c_str() + q + 2, &end, 10));
    double value = std::strtod(end, nullptr);
    (text[q] == 'X' ? x : y)[index] = value;
  }
  for (const auto& [i, v] : x) xs.push_back(v);
  for (const auto& [i, v] : y) ys.push_back(v);
}

TEST(ForwardReference, CounterexamplesReproduceTheirOutputs) {
  int checked = 0;
  for (const char* bench : {"acasxu", "mnist_fc", "oval21"}) {
    fs::path dir = fs::path(test::shared_dir()) / "benchmarks" / bench;
    // Networks by file stem; a counterexample file starts with its network's stem.
    std::map<std::string, std::string> networks;
    for (const auto& e : fs::directory_iterator(dir / "onnx")) {
      std::string file = e.path().filename().string();
      networks[file.substr(0, file.find(".onnx"))] = e.path().string();
    }
    for (const auto& e : fs::directory_iterator(dir / "counterexamples")) {
      std::string file = e.path().filename().string();
      std::string network;
      for (const auto& [stem, path] : networks) {
        if (file.rfind(stem, 0) == 0 && stem.size() > network.size()) network = stem;
      }
      ASSERT_FALSE(network.empty()) << "no network for " << file;
      std::vector<double> xs, ys;
      parse_counterexample(read_file(e.path().string()), xs, ys);
      Graph g = import_onnx(networks[network]);
      const Shape& in_shape = g.type(g.inputs()[0]).shape;
      const Shape& out_shape = g.type(g.outputs()[0]).shape;
      ASSERT_EQ(static_cast<std::int64_t>(xs.size()), numel(in_shape)) << file;
      ASSERT_EQ(static_cast<std::int64_t>(ys.size()), numel(out_shape)) << file;
      std::vector<Tensor> y = test::evaluate_graph(g, {f32_tensor(in_shape, xs)});
      test::expect_close(y[0], f32_tensor(out_shape, ys), kAtol, kRtol, file);
      ++checked;
    }
  }
  std::printf("counterexamples checked: %d\n", checked);
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace bf
