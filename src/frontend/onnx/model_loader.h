// Loading an ONNX file: bytes -> onnx::ModelProto, and the model-level checks
// (a graph, an IR version, a supported opset of the default domain).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace bf::onnx_import {

inline constexpr std::int64_t kMinOpset = 8;
inline constexpr std::int64_t kMaxOpset = 17;

// Parses the bytes of a model. Throws bf::Error(Parse) for empty or non-ONNX bytes
// and bf::Error(Invalid) for a model without graph, IR version or default opset.
onnx::ModelProto parse_model(const std::string& bytes);

// The opset of the default domain ("" or "ai.onnx"); throws Unsupported outside
// [kMinOpset, kMaxOpset].
std::int64_t default_opset(const onnx::ModelProto& model);

// True for the default ONNX operator domain.
bool is_default_domain(const std::string& domain);

}  // namespace bf::onnx_import
