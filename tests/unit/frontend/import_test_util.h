// Shared helpers for the importer's unit tests: write a built model to a scratch
// file named after the running test, import it, and pick nodes out of the IR.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"
#include "onnx_builder.h"
#include "support/error.h"
#include "support/test_paths.h"

namespace bf::test {

// Writes the model as <scratch>/<test name>/model.onnx and returns the path.
inline std::string write_model(const OnnxBuilder& b, const std::string& file_name = "model.onnx") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = scratch_dir(std::string("frontend_") + info->test_suite_name() + "_" + info->name());
  return b.write(dir, file_name);
}

inline Graph import_built(const OnnxBuilder& b, const ImportOptions& options = {}) {
  return import_onnx(write_model(b), options);
}

// The only node of kind `op`; fails the test when there is not exactly one.
inline const Node& single_node(const Graph& g, OpKind op) {
  const Node* found = nullptr;
  int count = 0;
  for (const auto& n : g.nodes()) {
    if (n.op == op) {
      found = &n;
      ++count;
    }
  }
  if (count != 1)
    throw std::runtime_error("expected one " + std::string(op_name(op)) + " node, found " + std::to_string(count));
  return *found;
}

inline Shape output_shape(const Graph& g, std::size_t i = 0) { return g.type(g.outputs().at(i)).shape; }

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The bf::Error importing `path` throws; a test failure when it throws nothing.
inline Error import_error(const std::string& path, const ImportOptions& options = {}) {
  try {
    import_onnx(path, options);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "importing " << path << " did not fail";
  return Error(ErrorKind::Internal, "no error");
}

}  // namespace bf::test
