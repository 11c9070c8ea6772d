#include "frontend/onnx/model_loader.h"

#include <limits>

#include "support/error.h"

namespace bf::onnx_import {

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

onnx::ModelProto parse_model(const std::string& bytes) {
  BF_CHECK(!bytes.empty(), ErrorKind::Parse, "empty file");
  BF_CHECK(bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), ErrorKind::Unsupported,
           "model of {} bytes is larger than protobuf's 2 GiB limit", bytes.size());
  onnx::ModelProto model;
  BF_CHECK(model.ParseFromString(bytes), ErrorKind::Parse, "not a valid ONNX model (protobuf parse failed)");
  // Protobuf accepts many byte strings that are not models (every field is optional),
  // so a model must also carry the fields every ONNX exporter writes.
  BF_CHECK(model.has_ir_version() && model.ir_version() > 0, ErrorKind::Invalid,
           "not a valid ONNX model (no ir_version)");
  BF_CHECK(model.has_graph(), ErrorKind::Invalid, "not a valid ONNX model (no graph)");
  default_opset(model);
  return model;
}

std::int64_t default_opset(const onnx::ModelProto& model) {
  std::int64_t opset = -1;
  for (const auto& entry : model.opset_import()) {
    if (!is_default_domain(entry.domain())) continue;
    BF_CHECK(opset < 0 || opset == entry.version(), ErrorKind::Invalid,
             "the model imports two opsets ({} and {}) of the default ONNX domain", opset, entry.version());
    opset = entry.version();
  }
  BF_CHECK(opset >= 0, ErrorKind::Invalid, "not a valid ONNX model (no opset_import for the default domain)");
  BF_CHECK(opset >= kMinOpset && opset <= kMaxOpset, ErrorKind::Unsupported,
           "opset {} of the default ONNX domain is not supported (supported: {}..{})", opset, kMinOpset, kMaxOpset);
  return opset;
}

}  // namespace bf::onnx_import
