// Prepared forms of constant tensors (f32 copies, GEMM panels, transposed
// convolution matrices), shared by every kernel that prepares the same form of
// the same constant. A CROWN program passes each layer once per sweep (a
// six-layer MLP has 21 backward affine kernels over 6 weights), and a budgeted
// run compiles a program per sub-batch size: without sharing, each kernel held
// its own copy and the smallest workable budget was mostly duplicate weights.
//
// An entry holds the source tensor's storage (so its address cannot be reused
// by another constant while the entry lives) and a weak reference to the
// prepared floats: kernels own them; an entry whose floats every kernel has
// dropped is removed at the next lookup. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace bf {

using PreparedFloats = std::shared_ptr<const std::vector<float>>;

class PreparedStore {
 public:
  static PreparedStore& global();

  // The prepared form `form` of `source` (a constant), made by `make` on first use.
  PreparedFloats get(const Tensor& source, const std::string& form, const std::function<std::vector<float>()>& make);

  std::size_t entries();

 private:
  struct Entry {
    Tensor source;
    std::weak_ptr<const std::vector<float>> floats;
  };
  std::mutex mu_;
  std::map<std::pair<const void*, std::string>, Entry> entries_;
};

// Bytes of the distinct prepared buffers in `all` (each counted once).
std::int64_t distinct_prepared_bytes(const std::vector<PreparedFloats>& all);

}  // namespace bf
