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
  State,         // bound to the caller's memory across runs (alpha-CROWN's parameters and gradients, fixed row
                 // lists, best bounds so far): read and written in place, alive for the whole run, never reused
};
const char* buffer_scope_name(BufferScope scope);

// How a buffer lays out what it holds. Every layout is a number of planes, each
// `batch` samples of `shape` in C order, plane after plane:
//   Plain       1 plane: a concrete value
//   Interval    2 planes: lower bounds, then upper bounds of a value
//   Flat        1 plane of raw elements (a reuse pool's storage)
//   Linear      2 planes: lower A, then upper A of a value for the rows of one
//               sweep; `shape` is [rows, elements per row]
//   Relaxation  4 planes: lower slope, lower intercept, upper slope, upper
//               intercept of a nonlinear node's linear relaxation
//   Raw         1 plane of bookkeeping (a sweep's row list and masks)
//   Dual        laid out as Linear: alpha-CROWN's relaxed values of a sweep's
//               rows at a value (bound/linear/dual.h)
//   Alpha       2 planes (lower side, upper side) of [rows, params * elements]:
//               alpha-CROWN's line parameters of a relaxed node for one sweep,
//               or their gradients
//   Account     2 planes of [numel + 1] per sample: a node's rounding account
//               (bound/rounding/rounding_account.h), R then B
enum class BufferLayout : std::uint8_t { Plain, Interval, Flat, Linear, Relaxation, Raw, Dual, Alpha, Account };
const char* buffer_layout_name(BufferLayout layout);
std::int64_t layout_planes(BufferLayout layout);

// Which elements of a rank-4 [1, C, H, W] value one row of a Linear buffer
// covers: a win_h x win_w window of every channel, whose corner for a row is
// its start position * scale + shift on each axis (positions outside the value
// hold nothing). Rows of a non-spatial buffer cover the whole value (`spatial`
// false). A spatial window with scale 0, shift 0 and the value's size is the
// whole image, laid out exactly like a dense row.
struct LinearWindow {
  bool spatial = false;
  std::int64_t channels = 0, height = 0, width = 0;  // the value's C, H, W
  std::int64_t win_h = 0, win_w = 0;
  std::int64_t scale_h = 0, shift_h = 0, scale_w = 0, shift_w = 0;
  bool operator==(const LinearWindow&) const = default;
  // True for the whole-image window (dense layout).
  bool full() const {
    return spatial && scale_h == 0 && scale_w == 0 && shift_h == 0 && shift_w == 0 && win_h == height && win_w == width;
  }
  // Rows hold every element of the value in flat order (no window, or the whole image).
  bool dense() const { return !spatial || full(); }
};

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
  // What the buffer describes, for Linear/Relaxation/Raw buffers: the IR value
  // (kNoValue-like -1 when none), the sweep it belongs to (-1 when none) and,
  // for Linear buffers, the part of the value each row covers.
  std::int32_t value = -1;
  std::int32_t sweep = -1;
  LinearWindow window;

  // Elements of one plane (batch * numel(shape)).
  std::int64_t plane_elements() const;
  // Bytes of one plane (unaligned).
  std::int64_t plane_bytes() const;
};

// Fills strides and bytes from the other fields.
void finalize_buffer_spec(BufferSpec& spec);

// True when every storage-relevant field agrees (the `exact` reuse key):
// scope, dtype, shape, batch, device, layout, strides, alignment, window.
bool same_storage_key(const BufferSpec& a, const BufferSpec& b);

}  // namespace bf
