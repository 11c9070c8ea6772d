// Every network under ../shared (VNN-COMP benchmarks and the golden auto_LiRPA
// networks) imports and validates. Import speed lives in bench/import_bench.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"
#include "support/test_paths.h"

namespace bf {
namespace {

TEST(ImportSharedNetworks, EveryNetworkImportsAndValidates) {
  std::vector<std::string> networks = test::shared_networks();
  ASSERT_FALSE(networks.empty()) << "no networks under " << test::shared_dir();
  int imported = 0;
  for (const auto& path : networks) {
    auto start = std::chrono::steady_clock::now();
    try {
      Graph g = import_onnx(path);
      validate(g);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      ASSERT_EQ(g.inputs().size(), 1u) << path;
      std::printf("%-80s %3zu nodes  in %-16s out %-12s %7.1f ms\n", path.c_str(), g.nodes().size(),
                  g.type(g.inputs()[0]).str().c_str(), g.type(g.outputs()[0]).str().c_str(), ms);
      ++imported;
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
  std::printf("imported and validated %d of %zu networks\n", imported, networks.size());
  EXPECT_EQ(imported, static_cast<int>(networks.size()));
}

TEST(ImportSharedNetworks, LargestNetworkHasItsShape) {
  // cnn_cifar.onnx is 9 MB of weights; its import speed is measured by bench/import_bench.cpp.
  Graph g = import_onnx(test::shared_dir() + "/golden/cnn_cifar.onnx");
  EXPECT_EQ(g.type(g.inputs()[0]).shape, Shape({1, 3, 32, 32}));
  EXPECT_EQ(g.type(g.outputs()[0]).shape, Shape({1, 10}));
}

}  // namespace
}  // namespace bf
