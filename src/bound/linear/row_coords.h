// Index arithmetic between one row of a linear-bounds buffer and the value it
// bounds: entry e of the row <-> flat element k of the value (per sample).
// Rules written against flat element indices work for dense rows and windows
// alike; this is how the reference rules stay short.
#pragma once

#include <algorithm>
#include <cstdint>

#include "bound/linear/linear_view.h"

namespace bf {

class RowCoords {
 public:
  RowCoords(const LinearView& v, const SweepChunk& chunk) : w_(v.window), start_(chunk.start), chunk_(chunk) {
    elements_ = v.elements;
    // A whole-image window maps entry e to element e: no index arithmetic.
    if (w_.full()) w_.spatial = false;
    if (w_.spatial) {
      plane_ = w_.win_h * w_.win_w;
      image_ = w_.height * w_.width;
    }
  }

  std::int64_t elements() const { return elements_; }
  // Entry e holds element e (no window, or the whole image).
  bool dense() const { return !w_.spatial; }

  // Chooses the row (chunk-local index r).
  void set_row(std::int64_t r) {
    if (w_.spatial) origin_ = row_origin(w_, start_, chunk_.neurons[r]);
  }

  // Flat element of the value held by entry e of the current row; -1 when the
  // window reaches outside the value there.
  std::int64_t value_index(std::int64_t e) const {
    if (!w_.spatial) return e;
    const std::int64_t c = e / plane_, rem = e % plane_;
    const std::int64_t h = origin_.h + rem / w_.win_w, x = origin_.w + rem % w_.win_w;
    if (h < 0 || h >= w_.height || x < 0 || x >= w_.width) return -1;
    return c * image_ + h * w_.width + x;
  }

  // run(from, to) for each run of consecutive entries of the current row that
  // lie inside the value: the whole row when rows are dense, else one run per
  // channel and window line, clipped to the image.
  template <typename Run>
  void for_each_inside_run(Run&& run) const {
    if (w_.dense()) {
      run(std::int64_t{0}, elements_);
      return;
    }
    const std::int64_t i0 = std::max<std::int64_t>(0, -origin_.h), i1 = std::min(w_.win_h, w_.height - origin_.h);
    const std::int64_t j0 = std::max<std::int64_t>(0, -origin_.w), j1 = std::min(w_.win_w, w_.width - origin_.w);
    if (j0 >= j1) return;
    for (std::int64_t c = 0; c < elements_ / plane_; ++c) {
      for (std::int64_t i = i0; i < i1; ++i) run(c * plane_ + i * w_.win_w + j0, c * plane_ + i * w_.win_w + j1);
    }
  }

  // Entry of the current row holding flat element k; -1 when outside the window.
  std::int64_t entry_of(std::int64_t k) const {
    if (!w_.spatial) return k;
    const std::int64_t c = k / image_, rem = k % image_;
    const std::int64_t i = rem / w_.width - origin_.h, j = rem % w_.width - origin_.w;
    if (i < 0 || i >= w_.win_h || j < 0 || j >= w_.win_w) return -1;
    return c * plane_ + i * w_.win_w + j;
  }

 private:
  LinearWindow w_;
  StartDims start_;
  const SweepChunk& chunk_;
  std::int64_t elements_ = 0, plane_ = 0, image_ = 0;
  RowOrigin origin_;
};

// Row r of one side of a view, typed.
template <typename T>
T* row_of(void* side, const LinearView& v, std::int64_t r) {
  return static_cast<T*>(side) + r * v.elements;
}
template <typename T>
const T* row_of(const void* side, const LinearView& v, std::int64_t r) {
  return static_cast<const T*>(side) + r * v.elements;
}

}  // namespace bf
