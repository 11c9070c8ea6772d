// Converts a parsed ONNX model into the primal IR: graph inputs with bound
// symbolic dimensions, initializers as constants, every node through its
// converter (in topological order), declared shapes checked, unused constants
// dropped, and the result validated.
#pragma once

#include <onnx/onnx_pb.h>

#include "frontend/onnx/onnx_importer.h"
#include "ir/graph.h"

namespace bf::onnx_import {

// Errors carry node context where a node is at fault; the caller adds the file.
Graph import_model(const onnx::ModelProto& model, const ImportOptions& options);

}  // namespace bf::onnx_import
