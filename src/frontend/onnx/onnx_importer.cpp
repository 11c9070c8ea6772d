#include "frontend/onnx/onnx_importer.h"

#include <exception>

#include "frontend/onnx/graph_importer.h"
#include "frontend/onnx/model_loader.h"
#include "support/error.h"
#include "support/file_io.h"

namespace bf {

Graph import_onnx(const std::string& path, const ImportOptions& options) {
  try {
    onnx::ModelProto model = onnx_import::parse_model(read_file(path));
    return onnx_import::import_model(model, options);
  } catch (Error& e) {
    e.with_file(path);
    throw;
  } catch (const std::exception& e) {
    // Never let a library exception (bad_alloc, out_of_range) escape without the file.
    throw Error(ErrorKind::Internal, std::string("unexpected failure: ") + e.what()).with_file(path);
  }
}

}  // namespace bf
