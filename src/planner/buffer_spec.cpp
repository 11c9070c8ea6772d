#include "planner/buffer_spec.h"

namespace bf {

const char* buffer_scope_name(BufferScope scope) {
  switch (scope) {
    case BufferScope::Input:
      return "input";
    case BufferScope::Output:
      return "output";
    case BufferScope::Intermediate:
      return "intermediate";
    case BufferScope::Param:
      return "param";
    case BufferScope::State:
      return "state";
  }
  return "?";
}

const char* buffer_layout_name(BufferLayout layout) {
  switch (layout) {
    case BufferLayout::Plain:
      return "plain";
    case BufferLayout::Interval:
      return "interval";
    case BufferLayout::Flat:
      return "flat";
    case BufferLayout::Linear:
      return "linear";
    case BufferLayout::Relaxation:
      return "relax";
    case BufferLayout::Raw:
      return "raw";
    case BufferLayout::Dual:
      return "dual";
    case BufferLayout::Alpha:
      return "alpha";
    case BufferLayout::Account:
      return "account";
  }
  return "?";
}

std::int64_t layout_planes(BufferLayout layout) {
  switch (layout) {
    case BufferLayout::Interval:
    case BufferLayout::Linear:
    case BufferLayout::Dual:
    case BufferLayout::Alpha:
    case BufferLayout::Account:
      return 2;
    case BufferLayout::Relaxation:
      return 4;
    default:
      return 1;
  }
}

std::int64_t BufferSpec::plane_elements() const { return batch * numel(shape); }

std::int64_t BufferSpec::plane_bytes() const { return plane_elements() * static_cast<std::int64_t>(dtype_size(dtype)); }

void finalize_buffer_spec(BufferSpec& spec) {
  spec.strides = contiguous_strides(spec.shape);
  std::int64_t raw = layout_planes(spec.layout) * spec.plane_bytes();
  std::int64_t a = spec.alignment > 0 ? spec.alignment : 1;
  spec.bytes = (raw + a - 1) / a * a;
}

bool same_storage_key(const BufferSpec& a, const BufferSpec& b) {
  return a.scope == b.scope && a.dtype == b.dtype && a.shape == b.shape && a.batch == b.batch && a.device == b.device &&
         a.layout == b.layout && a.strides == b.strides && a.alignment == b.alignment && a.window == b.window;
}

}  // namespace bf
