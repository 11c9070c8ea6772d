#include "bound/linear/dual.h"

#include <vector>

#include "bound/linear/backward_util.h"
#include "bound/linear/relaxation.h"
#include "kernels/op_eval.h"

namespace bf {

using namespace linear_detail;

namespace {

template <typename T>
void linear_typed(const DualArgs& a) {
  const std::int64_t rows = a.chunk.rows;
  if (rows == 0) return;
  const Shape& out_shape = a.out.value_shape;
  const std::int64_t out_n = numel(out_shape);
  for (int s : sides(a.chunk)) {
    // Each activation operand's rows as full values (zero outside the window:
    // nothing the output window reads, or the zero padding), evaluated as a batch.
    std::vector<std::vector<T>> full(a.in.size());
    std::vector<ConstOperand> ops(a.in.size());
    for (std::size_t i = 0; i < a.in.size(); ++i) {
      if (a.shapes[i] == nullptr) continue;
      if (a.constants[i] != nullptr) {
        ops[i] = ConstOperand{a.constants[i]->raw_data(), a.constants[i]->dtype(), a.shapes[i], false};
        continue;
      }
      const LinearView& v = a.in[i];
      const std::int64_t n = numel(*a.shapes[i]);
      full[i].assign(static_cast<std::size_t>(rows * n), T(0));
      RowCoords rc(v, a.chunk);
      for (std::int64_t r = 0; r < rows; ++r) {
        rc.set_row(r);
        const T* src = row_of<T>(static_cast<const void*>(v.side(s)), v, r);
        T* dst = full[i].data() + r * n;
        for (std::int64_t e = 0; e < v.elements; ++e) {
          const std::int64_t k = rc.value_index(e);
          if (k >= 0) dst[k] = src[e];
        }
      }
      ops[i] = ConstOperand{full[i].data(), a.dtype, a.shapes[i], true};
    }
    std::vector<T> y(static_cast<std::size_t>(rows * out_n));
    const MutOperand out_op{y.data(), a.dtype, &out_shape};
    eval_op(a.node, ops, std::span<const MutOperand>(&out_op, 1), rows);
    RowCoords oc(a.out, a.chunk);
    for (std::int64_t r = 0; r < rows; ++r) {
      oc.set_row(r);
      T* dst = row_of<T>(a.out.side(s), a.out, r);
      for (std::int64_t e = 0; e < a.out.elements; ++e) {
        const std::int64_t k = oc.value_index(e);
        dst[e] = k >= 0 ? y[static_cast<std::size_t>(r * out_n + k)] : T(0);
      }
    }
  }
}

template <typename T>
void relaxed_typed(const DualArgs& a) {
  const std::int64_t n = numel(*a.shapes[0]);
  const bool opt = a.alpha.params > 0;
  const std::int64_t pe = a.alpha.elements;
  // The input's window may be wider than the output's (other consumers): z is read by value index.
  RowCoords oc(a.out, a.chunk), ic(a.in[0], a.chunk);
  for (int s : sides(a.chunk)) {
    for (std::int64_t r = 0; r < a.chunk.rows; ++r) {
      oc.set_row(r);
      ic.set_row(r);
      const std::int64_t b = a.chunk.samples[r];
      const T* z = row_of<T>(static_cast<const void*>(a.in[0].side(s)), a.in[0], r);
      const T* g = row_of<T>(static_cast<const void*>(a.coeff->side(s)), *a.coeff, r);
      T* d = row_of<T>(a.out.side(s), a.out, r);
      T* p = opt ? a.alpha.row<T>(s, a.chunk.slots[r]) : nullptr;
      T* grad = opt ? a.grad.row<T>(s, a.chunk.slots[r]) : nullptr;
      for (std::int64_t e = 0; e < a.out.elements; ++e) {
        const std::int64_t k = oc.value_index(e);
        if (opt) {
          grad[e] = T(0);
          if (a.alpha.params > 1) grad[pe + e] = T(0);
        }
        if (k < 0) {
          d[e] = T(0);
          continue;
        }
        const bool lower_line = (s == 0) == (g[e] > T(0));
        const std::int64_t at = ic.entry_of(k);
        BF_ASSERT(at >= 0);
        const T x = z[at];
        if (!opt) {
          const std::int64_t j = b * n + k;
          const T slope = static_cast<const T*>(lower_line ? a.relax.lower_slope : a.relax.upper_slope)[j];
          const T icpt = static_cast<const T*>(lower_line ? a.relax.lower_icpt : a.relax.upper_icpt)[j];
          d[e] = slope * x + icpt;
          continue;
        }
        T params[2] = {p[e], a.alpha.params > 1 ? p[pe + e] : T(0)};
        const OptRelaxation<T> lines = alpha_relax(a.node, static_cast<const T*>(a.input.lower)[b * n + k],
                                                   static_cast<const T*>(a.input.upper)[b * n + k], params);
        const OptLine<T>& line = lower_line ? lines.lower : lines.upper;
        d[e] = line.slope * x + line.icpt;
        if (line.param >= 0) grad[line.param * pe + e] = g[e] * (line.dslope * x + line.dicpt);
      }
    }
  }
}

// MaxPool's lines pick one input element (or a constant): D follows the pick.
template <typename T>
void max_pool_typed(const DualArgs& a) {
  const std::int64_t n = numel(a.out.value_shape);
  RowCoords oc(a.out, a.chunk), ic(a.in[0], a.chunk);
  for (int s : sides(a.chunk)) {
    for (std::int64_t r = 0; r < a.chunk.rows; ++r) {
      oc.set_row(r);
      ic.set_row(r);
      const std::int64_t b = a.chunk.samples[r];
      const T* z = row_of<T>(static_cast<const void*>(a.in[0].side(s)), a.in[0], r);
      const T* g = row_of<T>(static_cast<const void*>(a.coeff->side(s)), *a.coeff, r);
      T* d = row_of<T>(a.out.side(s), a.out, r);
      const T* lower_src = static_cast<const T*>(a.relax.lower_slope) + b * n;
      const T* upper_src = static_cast<const T*>(a.relax.upper_slope) + b * n;
      const T* upper_const = static_cast<const T*>(a.relax.upper_icpt) + b * n;
      for (std::int64_t e = 0; e < a.out.elements; ++e) {
        const std::int64_t k = oc.value_index(e);
        if (k < 0) {
          d[e] = T(0);
          continue;
        }
        const bool lower_line = (s == 0) == (g[e] > T(0));
        const T src = lower_line ? lower_src[k] : upper_src[k];
        if (src < T(0)) {
          d[e] = upper_const[k];
          continue;
        }
        const std::int64_t entry = ic.entry_of(static_cast<std::int64_t>(src));
        BF_ASSERT(entry >= 0);
        d[e] = z[entry];
      }
    }
  }
}

template <typename T>
void seed_typed(const SweepChunk& chunk, const LinearView& a_input, IntervalView box, const LinearView& d) {
  const std::int64_t n = numel(a_input.value_shape);
  RowCoords rc(a_input, chunk);
  for (int s : sides(chunk)) {
    for (std::int64_t r = 0; r < chunk.rows; ++r) {
      rc.set_row(r);
      const std::int64_t b = chunk.samples[r];
      const T* xl = static_cast<const T*>(box.lower) + b * n;
      const T* xu = static_cast<const T*>(box.upper) + b * n;
      const T* coeff = row_of<T>(static_cast<const void*>(a_input.side(s)), a_input, r);
      T* out = row_of<T>(d.side(s), d, r);
      for (std::int64_t e = 0; e < a_input.elements; ++e) {
        const std::int64_t k = rc.value_index(e);
        if (k < 0) {
          out[e] = T(0);
          continue;
        }
        // The lower side's bound is smallest at xl where A >= 0; the upper side's largest at xu.
        const bool at_lower = (s == 0) == (coeff[e] >= T(0));
        out[e] = at_lower ? xl[k] : xu[k];
      }
    }
  }
}

}  // namespace

void dual_linear(const DualArgs& a) {
  visit_real(a.dtype, [&](auto t) { linear_typed<decltype(t)>(a); });
}
void dual_relaxed(const DualArgs& a) {
  visit_real(a.dtype, [&](auto t) { relaxed_typed<decltype(t)>(a); });
}
void dual_max_pool(const DualArgs& a) {
  visit_real(a.dtype, [&](auto t) { max_pool_typed<decltype(t)>(a); });
}

void dual_seed(const SweepChunk& chunk, DType dtype, const LinearView& a_input, IntervalView box,
               const LinearView& d_input) {
  visit_real(dtype, [&](auto t) { seed_typed<decltype(t)>(chunk, a_input, box, d_input); });
}

}  // namespace bf
