#include "bound/linear/linear_geometry.h"

#include <algorithm>

#include "support/error.h"

namespace bf {

bool is_spatial_value(const Shape& shape) { return shape.size() == 4 && shape[0] == 1; }

LinearWindow whole_value_window(const Shape& shape) {
  LinearWindow w;
  if (!is_spatial_value(shape)) return w;
  w.spatial = true;
  w.channels = shape[1];
  w.height = shape[2];
  w.width = shape[3];
  w.win_h = shape[2];
  w.win_w = shape[3];
  return w;
}

std::int64_t row_elements(const LinearWindow& w, const Shape& value_shape) {
  return w.spatial ? w.channels * w.win_h * w.win_w : numel(value_shape);
}

LinearWindow seed_window(const Shape& start_shape) {
  LinearWindow w = whole_value_window(start_shape);
  if (!w.spatial) return w;
  w.win_h = w.win_w = 1;
  w.scale_h = w.scale_w = 1;
  return w;
}

StartDims start_dims(const Shape& start_shape) {
  if (!is_spatial_value(start_shape)) return {};
  return {start_shape[2], start_shape[3]};
}

namespace {

// The whole image when `w` would cover it for every row anyway.
LinearWindow maybe_whole(LinearWindow w) {
  if (w.scale_h == 0 && w.scale_w == 0) {
    // Every row has the same window: keep exactly the image.
    w.shift_h = w.shift_w = 0;
    w.win_h = w.height;
    w.win_w = w.width;
    return w;
  }
  if (w.win_h >= w.height && w.win_w >= w.width) {
    w.scale_h = w.scale_w = w.shift_h = w.shift_w = 0;
    w.win_h = w.height;
    w.win_w = w.width;
  }
  return w;
}

}  // namespace

LinearWindow window_through_sliding(const LinearWindow& out, const SlidingWindow& op, const Shape& in_shape) {
  LinearWindow in = whole_value_window(in_shape);
  if (!out.spatial || !in.spatial || out.full()) return in;
  in.win_h = (out.win_h - 1) * op.stride_h + (op.kernel_h - 1) * op.dilation_h + 1;
  in.win_w = (out.win_w - 1) * op.stride_w + (op.kernel_w - 1) * op.dilation_w + 1;
  in.scale_h = out.scale_h * op.stride_h;
  in.scale_w = out.scale_w * op.stride_w;
  in.shift_h = out.shift_h * op.stride_h - op.pad_top;
  in.shift_w = out.shift_w * op.stride_w - op.pad_left;
  return maybe_whole(in);
}

LinearWindow window_shifted(const LinearWindow& out, std::int64_t dh, std::int64_t dw, const Shape& in_shape) {
  LinearWindow in = whole_value_window(in_shape);
  if (!out.spatial || !in.spatial || out.full()) return in;
  in.win_h = out.win_h;
  in.win_w = out.win_w;
  in.scale_h = out.scale_h;
  in.scale_w = out.scale_w;
  in.shift_h = out.shift_h + dh;
  in.shift_w = out.shift_w + dw;
  return maybe_whole(in);
}

LinearWindow window_union(const LinearWindow& a, const LinearWindow& b, const Shape& value_shape) {
  if (a == b) return a;
  LinearWindow whole = whole_value_window(value_shape);
  if (!a.spatial || !b.spatial || a.full() || b.full() || a.scale_h != b.scale_h || a.scale_w != b.scale_w) {
    return whole;
  }
  LinearWindow u = a;
  u.shift_h = std::min(a.shift_h, b.shift_h);
  u.shift_w = std::min(a.shift_w, b.shift_w);
  u.win_h = std::max(a.shift_h + a.win_h, b.shift_h + b.win_h) - u.shift_h;
  u.win_w = std::max(a.shift_w + a.win_w, b.shift_w + b.win_w) - u.shift_w;
  return maybe_whole(u);
}

bool window_contains(const LinearWindow& outer, const LinearWindow& inner) {
  if (!outer.spatial || outer.full()) return true;
  if (!inner.spatial || inner.full()) return false;
  return outer.scale_h == inner.scale_h && outer.scale_w == inner.scale_w && outer.shift_h <= inner.shift_h &&
         outer.shift_w <= inner.shift_w && inner.shift_h + inner.win_h <= outer.shift_h + outer.win_h &&
         inner.shift_w + inner.win_w <= outer.shift_w + outer.win_w;
}

}  // namespace bf
