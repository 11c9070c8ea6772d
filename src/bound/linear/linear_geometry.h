// Where the rows of a linear-bounds buffer live in the value they bound.
//
// A sweep carries, for each value between its start and the graph input, the
// lower and upper A matrices of its rows: [batch, rows, elements per row]. A
// row of a non-spatial value covers every element (dense). A row of a spatial
// value ([1, C, H, W]) covers a window of every channel (LinearWindow in
// planner/buffer_spec.h): a row that starts at one neuron of a convolution's
// output only reaches a small patch of the layers below it, and the patch grows
// by each layer's kernel. Keeping rows as windows makes a sweep's cost and
// memory scale with the patch, not the image (auto_LiRPA's "patches" mode).
// The whole image is the window of size H x W at offset 0, laid out exactly
// like a dense row.
//
// This file is the static part: window sizes and offsets follow from the
// network's shapes alone, so the program builder computes them once and the
// planner sizes buffers from them.
#pragma once

#include <cstdint>

#include "ir/graph.h"
#include "planner/buffer_spec.h"

namespace bf {

// [1, C, H, W]: the only rank whose rows may be windows.
bool is_spatial_value(const Shape& shape);

// Rows covering the whole value: the full image of a spatial value, else dense.
LinearWindow whole_value_window(const Shape& shape);

// Elements one row holds.
std::int64_t row_elements(const LinearWindow& w, const Shape& value_shape);

// The one-element window at each row's own position in a spatial start value
// (C channels, one pixel): the seed of a sweep that starts there.
LinearWindow seed_window(const Shape& start_shape);

// Where a row sits in the start value: its pixel for a spatial start (0, 0 otherwise).
struct StartDims {
  std::int64_t height = 1, width = 1;  // spatial size of the start value (1 x 1 when not spatial)
};
StartDims start_dims(const Shape& start_shape);

struct RowOrigin {
  std::int64_t h = 0, w = 0;
};
// Corner of row `neuron`'s window (neuron: flat element index in the start value).
inline RowOrigin row_origin(const LinearWindow& w, const StartDims& s, std::int64_t neuron) {
  const std::int64_t h0 = (neuron / s.width) % s.height, w0 = neuron % s.width;
  return {h0 * w.scale_h + w.shift_h, w0 * w.scale_w + w.shift_w};
}

// A window grown through a sliding-window op (convolution, pooling): rows of
// the op's output covering `out` reach, in its input of height x width, the
// window of size (out-1)*stride + (k-1)*dilation + 1 at offset out*stride - pad.
// Becomes the whole input when it would cover it anyway (or already did).
struct SlidingWindow {
  std::int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, dilation_h = 1, dilation_w = 1;
};
LinearWindow window_through_sliding(const LinearWindow& out, const SlidingWindow& op, const Shape& in_shape);

// The same rows shifted by a constant per axis (Pad: output position p reads
// input position p - pad_begin). Whole-image windows stay whole.
LinearWindow window_shifted(const LinearWindow& out, std::int64_t dh, std::int64_t dw, const Shape& in_shape);

// The smallest window holding both (rows that reach a value through two paths,
// as in a residual block). Windows of different scales, or any non-spatial
// one, give the whole value.
LinearWindow window_union(const LinearWindow& a, const LinearWindow& b, const Shape& value_shape);

// Whether every element `inner` covers for a row is inside `outer` for that row.
bool window_contains(const LinearWindow& outer, const LinearWindow& inner);

}  // namespace bf
