// Backward rules of ops that only move elements (views, Transpose, Slice,
// Gather, Concat, Pad) and of the reductions. A moving op's rule is its
// forward op run once on element indices: output element k came from input
// element map[k] (or from a constant: Pad's value, a Concat operand), so A flows
// back along the same map. One rule for every such op, and it cannot disagree
// with the op's own semantics (kernels/data_movement.cpp).
#include <cmath>

#include "bound/linear/backward_util.h"
#include "kernels/op_eval.h"

namespace bf {

using namespace linear_detail;

namespace {

// For operand `which`: output element -> its element (-1 when it comes from
// elsewhere). Other activation operands read as -1; constant operands keep
// their values when `keep_constants` (Gather's indices), else read as -1.
std::vector<std::int64_t> index_map(const BackwardArgs& a, std::size_t which, const Node& node) {
  std::vector<Tensor> tensors(a.shapes.size());
  std::vector<ConstOperand> ins(a.shapes.size());
  for (std::size_t i = 0; i < a.shapes.size(); ++i) {
    if (a.shapes[i] == nullptr) continue;
    const bool index_operand = node.op == OpKind::Gather && i == 1;
    if (index_operand) {
      const Tensor* c = a.constants[i];
      BF_CHECK(c != nullptr, ErrorKind::Unsupported, "Gather '{}' with non-constant indices has no linear rule",
               node.name);
      ins[i] = ConstOperand{c->raw_data(), c->dtype(), &c->shape(), false};
      continue;
    }
    Tensor t(DType::F64, *a.shapes[i]);
    double* p = t.mutable_data<double>();
    for (std::int64_t k = 0; k < t.numel(); ++k) p[k] = i == which ? static_cast<double>(k) : -1.0;
    tensors[i] = t;
    ins[i] = ConstOperand{tensors[i].raw_data(), DType::F64, a.shapes[i], false};
  }
  Tensor out(DType::F64, a.out.value_shape);
  MutOperand o{out.raw_mutable_data(), DType::F64, &a.out.value_shape};
  eval_op(node, ins, std::span<const MutOperand>(&o, 1), 1);
  std::vector<std::int64_t> map(static_cast<std::size_t>(out.numel()));
  const double* p = out.data<double>();
  for (std::size_t k = 0; k < map.size(); ++k) map[k] = static_cast<std::int64_t>(p[k]);
  return map;
}

template <typename T>
void movement_typed(const BackwardArgs& a) {
  const std::size_t operands = a.node.op == OpKind::Gather ? 1 : a.shapes.size();
  // Pad's constant fill: run it with fill -1 to find the padded positions.
  Node node = a.node;
  T pad_value = T(0);
  if (node.op == OpKind::Pad) {
    pad_value = static_cast<T>(node.attrs.get_float("value", 0.0));
    node.attrs.set("value", -1.0);
  }
  std::vector<std::vector<std::int64_t>> maps(operands);
  std::vector<std::optional<TargetRow<T>>> targets(operands);
  for (std::size_t i = 0; i < operands; ++i) {
    if (a.shapes[i] == nullptr) continue;
    maps[i] = index_map(a, i, node);
    if (a.in[i].active) targets[i].emplace(a.in[i], a.chunk);
  }
  // Output element k's coefficient v goes to its source: add(i, src, v) for
  // operand i's row, into the bias for a constant Concat operand or Pad's fill
  // (Slice/Gather/views map every output).
  const auto move = [&](std::int64_t k, T v, T& acc, auto&& add) {
    bool placed = false;
    for (std::size_t i = 0; i < operands; ++i) {
      if (maps[i].empty()) continue;
      const std::int64_t src = maps[i][static_cast<std::size_t>(k)];
      if (src < 0) continue;
      placed = true;
      if (targets[i]) {
        add(i, src, v);
      } else {
        acc += v * a.constants[i]->data<T>()[src];
      }
    }
    if (!placed) acc += v * pad_value;
  };
  // Dense rows everywhere: a row's entry e is the value's flat element e, so
  // the maps apply to the rows directly, without the coordinate arithmetic
  // of windows (the attacks' reverse pass through Pad spent 168 ms a call in
  // it).
  bool dense = a.out.window.dense();
  for (std::size_t i = 0; i < operands; ++i) dense = dense && (!targets[i] || a.in[i].view.window.dense());
  std::vector<T*> dst(operands, nullptr);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    for (std::size_t i = 0; i < operands; ++i) {
      if (!targets[i]) continue;
      targets[i]->set(s, r);
      if (dense) dst[i] = row_of<T>(a.in[i].view.side(s), a.in[i].view, r);
    }
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      if (row[e] == T(0)) continue;
      const std::int64_t k = dense ? e : oc.value_index(e);
      if (k < 0) continue;
      move(k, row[e], acc, [&](std::size_t i, std::int64_t src, T v) {
        if (dense) {
          dst[i][src] += v;
        } else {
          targets[i]->add(src, v);
        }
      });
    }
  });
}

// ReduceSum / ReduceMean over `axes` (keepdims or not).
template <typename T>
void reduce_typed(const BackwardArgs& a) {
  const Shape& xs = *a.shapes[0];
  const auto& axes = a.node.attrs.get_ints("axes");
  const bool keep = a.node.attrs.get_int("keepdims", 1) != 0;
  std::vector<bool> reduced(xs.size(), false);
  std::int64_t count = 1;
  for (auto ax : axes) {
    reduced[static_cast<std::size_t>(ax)] = true;
    count *= xs[static_cast<std::size_t>(ax)];
  }
  Shape kept;
  for (std::size_t d = 0; d < xs.size(); ++d) kept.push_back(reduced[d] ? 1 : xs[d]);
  const auto in_strides = contiguous_strides(xs), kept_strides = contiguous_strides(kept);
  // out index of every input element (keepdims only changes the shape, not the order).
  std::vector<std::int64_t> out_of(static_cast<std::size_t>(numel(xs)));
  for (std::int64_t k = 0; k < numel(xs); ++k) {
    std::int64_t rem = k, o = 0;
    for (std::size_t d = 0; d < xs.size(); ++d) {
      const std::int64_t i = rem / in_strides[d];
      rem %= in_strides[d];
      if (!reduced[d]) o += i * kept_strides[d];
    }
    out_of[static_cast<std::size_t>(k)] = o;
  }
  (void)keep;
  const T scale = a.node.op == OpKind::ReduceMean ? T(1) / static_cast<T>(count) : T(1);
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    for (std::int64_t k = 0; k < numel(xs); ++k) {
      const std::int64_t e = oc.entry_of(out_of[static_cast<std::size_t>(k)]);
      if (e < 0 || row[e] == T(0)) continue;
      target.add(k, row[e] * scale);
    }
  });
}

}  // namespace

void backward_movement(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { movement_typed<decltype(t)>(a); });
}
void backward_reduce(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { reduce_typed<decltype(t)>(a); });
}

}  // namespace bf
