// Loading real networks for integration tests: import + the default
// normalisation pipeline, as the CLI does.
#pragma once

#include <memory>
#include <string>

#include "ir/graph.h"

namespace bf::test {

std::shared_ptr<Graph> load_normalized(const std::string& path);

// "mnist_fc/mnist-net_256x2.onnx.gz" style label: the path below shared/.
std::string short_name(const std::string& path);

}  // namespace bf::test
