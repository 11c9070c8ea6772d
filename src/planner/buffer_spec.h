// What one buffer of a plan holds: the storage-level description of a value,
// independent of where it ends up in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace bf {

using BufferId = std::int32_t;

enum class BufferScope : std::uint8_t {
  Input,         // a graph input: written by the caller, alive for the whole run, never reused
  Output,        // a graph output: read by the caller after the run, never reused
  Intermediate,  // produced and consumed inside the run: candidates for reuse
  Param,         // prepared constant data (weights, |W|): read-only, owned by the plan
};
const char* buffer_scope_name(BufferScope scope);

// How a buffer lays out a value. Plain: `batch` samples of `shape`, C-order.
// Interval: the lower-bound plane of `batch` samples followed by the upper plane.
enum class BufferLayout : std::uint8_t { Plain, Interval, Flat };
const char* buffer_layout_name(BufferLayout layout);

struct BufferSpec {
  BufferId id = -1;
  std::string name;  // the IR value's name for logical buffers; "p<N>" for physical ones
  BufferScope scope = BufferScope::Intermediate;
  DType dtype = DType::F32;
  Shape shape;             // per-sample IR shape (Flat: element count)
  std::int64_t batch = 1;  // samples held
  std::string device = "cpu";
  BufferLayout layout = BufferLayout::Plain;
  std::vector<std::int64_t> strides;  // element strides of one sample (C-order)
  std::int64_t alignment = 64;        // bytes
  std::int64_t bytes = 0;             // storage size, rounded up to `alignment`

  // Elements of one plane (batch * numel(shape)).
  std::int64_t plane_elements() const;
};

// Fills strides and bytes from the other fields.
void finalize_buffer_spec(BufferSpec& spec);

// True when every storage-relevant field agrees (the `exact` reuse key):
// scope, dtype, shape, batch, device, layout, strides, alignment.
bool same_storage_key(const BufferSpec& a, const BufferSpec& b);

}  // namespace bf
