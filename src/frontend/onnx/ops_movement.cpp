// Converters for data movement: Flatten, Reshape, Squeeze, Unsqueeze, Transpose,
// Concat, Slice, Gather, Identity and Dropout. Operands that ONNX passes at run
// time (Reshape's shape, Slice's starts, Squeeze's axes) must be constants here
// and become canonical attributes.
#include <algorithm>
#include <limits>
#include <numeric>

#include "frontend/onnx/op_converters.h"
#include "support/error.h"

namespace bf::onnx_import {
namespace {

std::int64_t rank_of(const TensorType& t) { return static_cast<std::int64_t>(t.shape.size()); }

void convert_identity(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  n.emit(OpKind::Identity, {}, {n.input(0)});
}

void convert_dropout(NodeContext& n) {
  n.expect_outputs(1, 2);
  // Inference only: the ratio and seed do not matter, the mask must not be read.
  if (n.opset() < 12) {
    n.expect_inputs(1, 1);
    n.attrs().ignore("ratio");
  } else {
    n.expect_inputs(1, 3);
    n.attrs().ignore("seed");
    if (n.has_input(2)) {
      const Tensor& mode = n.constant_input(2, "training_mode");
      BF_CHECK(mode.numel() == 1 && mode.to_double_vector()[0] == 0.0, ErrorKind::Unsupported,
               "Dropout in training mode is not supported");
    }
    if (n.has_input(1)) n.input(1);  // must exist; its value is irrelevant in inference
  }
  n.require_output_unused(1, "mask");
  n.emit(OpKind::Dropout, {}, {n.input(0)});
}

void convert_flatten(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  std::int64_t rank = rank_of(n.input_type(0));
  std::int64_t axis = n.attrs().get_int("axis", 1);
  BF_CHECK(axis >= -rank && axis <= rank, ErrorKind::Invalid, "Flatten axis {} is out of range for rank {}", axis,
           rank);
  if (axis < 0) axis += rank;
  Attributes a;
  a.set("axis", axis);
  n.emit(OpKind::Flatten, a, {n.input(0)});
}

void convert_reshape(NodeContext& n) {
  n.expect_inputs(2, 2);
  n.expect_outputs(1, 1);
  const Shape& in = n.input_type(0).shape;
  std::vector<std::int64_t> target = n.constant_input(1, "target shape").to_int64_vector();
  bool allowzero = n.attrs().get_int("allowzero", 0) != 0;
  Shape out(target.size());
  std::optional<std::size_t> inferred;
  bool has_zero = false;
  for (std::size_t i = 0; i < target.size(); ++i) {
    std::int64_t d = target[i];
    if (d == -1) {
      BF_CHECK(!inferred, ErrorKind::Invalid, "Reshape target {} has more than one -1", shape_str(target));
      inferred = i;
      out[i] = 1;
    } else if (d == 0 && !allowzero) {
      // 0 copies the input's dimension at the same index.
      BF_CHECK(i < in.size(), ErrorKind::Invalid, "Reshape target {} copies dimension {} of an input of rank {}",
               shape_str(target), i, in.size());
      out[i] = in[i];
    } else {
      BF_CHECK(d >= 0, ErrorKind::Invalid, "Reshape target {} has a negative dimension", shape_str(target));
      has_zero = has_zero || d == 0;
      out[i] = d;
    }
  }
  BF_CHECK(!(allowzero && has_zero && inferred), ErrorKind::Invalid,
           "Reshape target {} has both 0 and -1 with allowzero=1", shape_str(target));
  if (inferred) {
    std::int64_t known = numel(out);
    std::int64_t total = numel(in);
    BF_CHECK(known != 0 && total % known == 0, ErrorKind::Shape, "cannot reshape {} to {}", shape_str(in),
             shape_str(target));
    out[*inferred] = total / known;
  }
  BF_CHECK(numel(out) == numel(in), ErrorKind::Shape, "cannot reshape {} to {}", shape_str(in), shape_str(target));
  Attributes a;
  a.set("shape", std::vector<std::int64_t>(out.begin(), out.end()));
  n.emit(OpKind::Reshape, a, {n.input(0)});
}

// Squeeze/Unsqueeze axes: an attribute before opset 13, an operand from 13.
std::optional<std::vector<std::int64_t>> squeeze_axes(NodeContext& n) {
  if (n.opset() < 13) {
    n.expect_inputs(1, 1);
    return n.attrs().get_ints("axes");
  }
  n.expect_inputs(1, 2);
  if (!n.has_input(1)) return std::nullopt;
  return n.constant_input(1, "axes").to_int64_vector();
}

void convert_squeeze(NodeContext& n) {
  n.expect_outputs(1, 1);
  const Shape& in = n.input_type(0).shape;
  std::int64_t rank = static_cast<std::int64_t>(in.size());
  std::vector<std::int64_t> axes;
  if (auto given = squeeze_axes(n)) {
    axes = normalize_axes(*given, rank, "Squeeze axes");
    for (auto a : axes) {
      BF_CHECK(in[static_cast<std::size_t>(a)] == 1, ErrorKind::Shape, "cannot squeeze axis {} of shape {}", a,
               shape_str(in));
    }
  } else {
    for (std::int64_t i = 0; i < rank; ++i) {
      if (in[static_cast<std::size_t>(i)] == 1) axes.push_back(i);
    }
  }
  if (axes.empty()) {
    n.emit(OpKind::Identity, {}, {n.input(0)});
    return;
  }
  Attributes a;
  a.set("axes", axes);
  n.emit(OpKind::Squeeze, a, {n.input(0)});
}

void convert_unsqueeze(NodeContext& n) {
  n.expect_outputs(1, 1);
  auto given = squeeze_axes(n);
  BF_CHECK(given.has_value(), ErrorKind::Invalid, "Unsqueeze needs axes");
  std::int64_t out_rank = rank_of(n.input_type(0)) + static_cast<std::int64_t>(given->size());
  Attributes a;
  a.set("axes", normalize_axes(*given, out_rank, "Unsqueeze axes"));
  n.emit(OpKind::Unsqueeze, a, {n.input(0)});
}

void convert_transpose(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  std::int64_t rank = rank_of(n.input_type(0));
  std::vector<std::int64_t> reversed(static_cast<std::size_t>(rank));
  for (std::int64_t i = 0; i < rank; ++i) reversed[static_cast<std::size_t>(i)] = rank - 1 - i;
  Attributes a;
  a.set("perm", n.attrs().get_ints("perm").value_or(reversed));
  n.emit(OpKind::Transpose, a, {n.input(0)});
}

void convert_concat(NodeContext& n) {
  n.expect_inputs(1, std::numeric_limits<int>::max());
  n.expect_outputs(1, 1);
  std::int64_t rank = rank_of(n.input_type(0));
  auto axis = n.attrs().get_int("axis");
  BF_CHECK(axis.has_value(), ErrorKind::Invalid, "Concat needs the attribute 'axis'");
  BF_CHECK(*axis >= -rank && *axis < rank, ErrorKind::Invalid, "Concat axis {} is out of range for rank {}", *axis,
           rank);
  std::vector<ValueId> inputs;
  for (int i = 0; i < static_cast<int>(n.input_count()); ++i) inputs.push_back(n.input(i));
  Attributes a;
  a.set("axis", *axis < 0 ? *axis + rank : *axis);
  n.emit(OpKind::Concat, a, inputs);
}

// Clamps one axis of a Slice exactly as the ONNX specification says.
void clamp_slice(std::int64_t dim, std::int64_t& start, std::int64_t& end, std::int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
  } else if (dim == 0) {
    start = 0;
    end = 0;
  } else {
    start = std::clamp<std::int64_t>(start, 0, dim - 1);
    end = std::clamp<std::int64_t>(end, -1, dim - 1);
  }
}

void convert_slice(NodeContext& n) {
  n.expect_outputs(1, 1);
  const Shape& in = n.input_type(0).shape;
  std::int64_t rank = static_cast<std::int64_t>(in.size());
  std::vector<std::int64_t> starts, ends, axes, steps;
  bool has_axes = false;
  if (n.opset() < 10) {
    n.expect_inputs(1, 1);
    auto s = n.attrs().get_ints("starts");
    auto e = n.attrs().get_ints("ends");
    BF_CHECK(s && e, ErrorKind::Invalid, "Slice needs the attributes 'starts' and 'ends'");
    starts = *s;
    ends = *e;
    if (auto a = n.attrs().get_ints("axes")) {
      axes = *a;
      has_axes = true;
    }
  } else {
    n.expect_inputs(3, 5);
    starts = n.constant_input(1, "starts").to_int64_vector();
    ends = n.constant_input(2, "ends").to_int64_vector();
    if (n.has_input(3)) {
      axes = n.constant_input(3, "axes").to_int64_vector();
      has_axes = true;
    }
    if (n.has_input(4)) steps = n.constant_input(4, "steps").to_int64_vector();
  }
  if (!has_axes) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  BF_CHECK(ends.size() == starts.size() && axes.size() == starts.size() && steps.size() == starts.size(),
           ErrorKind::Invalid, "Slice starts, ends, axes and steps differ in length ({}, {}, {}, {})", starts.size(),
           ends.size(), axes.size(), steps.size());
  // Canonical order: by axis.
  std::vector<std::size_t> order(axes.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<std::int64_t> norm_axes = axes;
  for (auto& a : norm_axes) {
    BF_CHECK(a >= -rank && a < rank, ErrorKind::Invalid, "Slice axis {} is out of range for rank {}", a, rank);
    if (a < 0) a += rank;
  }
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return norm_axes[x] < norm_axes[y]; });
  std::vector<std::int64_t> c_starts, c_ends, c_axes, c_steps;
  for (std::size_t k : order) {
    std::int64_t axis = norm_axes[k];
    BF_CHECK(c_axes.empty() || c_axes.back() != axis, ErrorKind::Invalid, "Slice axes {} repeat an axis",
             shape_str(axes));
    BF_CHECK(steps[k] != 0, ErrorKind::Invalid, "Slice step is 0");
    std::int64_t start = starts[k], end = ends[k];
    clamp_slice(in[static_cast<std::size_t>(axis)], start, end, steps[k]);
    c_starts.push_back(start);
    c_ends.push_back(end);
    c_axes.push_back(axis);
    c_steps.push_back(steps[k]);
  }
  Attributes a;
  a.set("starts", c_starts);
  a.set("ends", c_ends);
  a.set("axes", c_axes);
  a.set("steps", c_steps);
  n.emit(OpKind::Slice, a, {n.input(0)});
}

void convert_gather(NodeContext& n) {
  n.expect_inputs(2, 2);
  n.expect_outputs(1, 1);
  const Shape& data = n.input_type(0).shape;
  std::int64_t rank = static_cast<std::int64_t>(data.size());
  std::int64_t axis = n.attrs().get_int("axis", 0);
  BF_CHECK(axis >= -rank && axis < rank, ErrorKind::Invalid, "Gather axis {} is out of range for rank {}", axis, rank);
  if (axis < 0) axis += rank;
  ValueId indices_id = n.input(1);
  const Tensor& indices = n.constant_input(1, "indices");
  BF_CHECK(indices.dtype() == DType::I64 || indices.dtype() == DType::I32, ErrorKind::Invalid,
           "Gather indices must be int32 or int64, are {}", dtype_name(indices.dtype()));
  // The canonical form holds non-negative indices; a negative one counts from the end.
  std::int64_t extent = data[static_cast<std::size_t>(axis)];
  std::vector<std::int64_t> values = indices.to_int64_vector();
  bool any_negative = false;
  for (auto& v : values) {
    BF_CHECK(v >= -extent && v < extent, ErrorKind::Invalid, "Gather index {} is out of range for a dimension of {}", v,
             extent);
    if (v < 0) {
      v += extent;
      any_negative = true;
    }
  }
  if (any_negative) {
    indices_id =
        n.add_constant("indices", Tensor::from_vector<std::int64_t>(indices.shape(), values).cast(indices.dtype()));
  }
  Attributes a;
  a.set("axis", axis);
  n.emit(OpKind::Gather, a, {n.input(0), indices_id});
}
constexpr ConverterEntry kMovementConverters[] = {
    {"Identity", convert_identity},   {"Dropout", convert_dropout}, {"Flatten", convert_flatten},
    {"Reshape", convert_reshape},     {"Squeeze", convert_squeeze}, {"Unsqueeze", convert_unsqueeze},
    {"Transpose", convert_transpose}, {"Concat", convert_concat},   {"Slice", convert_slice},
    {"Gather", convert_gather},
};

}  // namespace

std::span<const ConverterEntry> movement_converters() { return kMovementConverters; }

}  // namespace bf::onnx_import
