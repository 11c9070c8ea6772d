#include "ir/shape_inference.h"

#include <algorithm>
#include <numeric>

#include "support/error.h"

namespace bf {
namespace {

using Types = std::vector<const TensorType*>;

const TensorType& in(const Types& inputs, std::size_t i) {
  BF_CHECK(i < inputs.size() && inputs[i] != nullptr, ErrorKind::Shape, "missing operand {}", i);
  return *inputs[i];
}

void require_float(const TensorType& t, const char* what) {
  BF_CHECK(is_floating(t.dtype), ErrorKind::Unsupported, "{} must be f32 or f64, got {}", what, dtype_name(t.dtype));
}

void require_same_dtype(const TensorType& a, const TensorType& b) {
  BF_CHECK(a.dtype == b.dtype, ErrorKind::Shape, "operand dtypes differ: {} vs {}", dtype_name(a.dtype),
           dtype_name(b.dtype));
}

std::int64_t rank_of(const TensorType& t) { return static_cast<std::int64_t>(t.shape.size()); }

TensorType infer_gemm(const Attributes& a, const Types& ins) {
  const auto& A = in(ins, 0);
  const auto& B = in(ins, 1);
  require_float(A, "Gemm input");
  require_same_dtype(A, B);
  BF_CHECK(rank_of(A) == 2 && rank_of(B) == 2, ErrorKind::Shape, "Gemm needs rank-2 A and B, got {} and {}", A.str(),
           B.str());
  bool ta = a.get_int("transA", 0) != 0;
  bool tb = a.get_int("transB", 0) != 0;
  std::int64_t m = ta ? A.shape[1] : A.shape[0];
  std::int64_t ka = ta ? A.shape[0] : A.shape[1];
  std::int64_t kb = tb ? B.shape[1] : B.shape[0];
  std::int64_t n = tb ? B.shape[0] : B.shape[1];
  BF_CHECK(ka == kb, ErrorKind::Shape, "Gemm inner dimensions differ: A {} B {} (transA={}, transB={})", A.str(),
           B.str(), ta, tb);
  if (ins.size() > 2 && ins[2] != nullptr) {
    const auto& C = *ins[2];
    require_same_dtype(A, C);
    Shape out = broadcast_shapes(C.shape, {m, n});
    BF_CHECK(out == Shape({m, n}), ErrorKind::Shape, "Gemm bias {} does not broadcast to [{},{}]", C.str(), m, n);
  }
  return {A.dtype, {m, n}};
}

TensorType infer_matmul(const Types& ins) {
  const auto& A = in(ins, 0);
  const auto& B = in(ins, 1);
  require_float(A, "MatMul input");
  require_same_dtype(A, B);
  BF_CHECK(rank_of(A) >= 1 && rank_of(B) >= 1, ErrorKind::Shape, "MatMul operands must have rank >= 1");
  Shape a = A.shape, b = B.shape;
  bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  std::int64_t m = a[a.size() - 2], k = a.back(), k2 = b[b.size() - 2], n = b.back();
  BF_CHECK(k == k2, ErrorKind::Shape, "MatMul inner dimensions differ: {} x {}", A.str(), B.str());
  Shape batch = broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  Shape out = batch;
  if (!a_vec) out.push_back(m);
  if (!b_vec) out.push_back(n);
  return {A.dtype, out};
}

TensorType infer_conv(const Attributes& attrs, const Types& ins, bool transposed) {
  const auto& X = in(ins, 0);
  const auto& W = in(ins, 1);
  require_float(X, transposed ? "ConvTranspose input" : "Conv input");
  require_same_dtype(X, W);
  std::int64_t rank = rank_of(X);
  BF_CHECK(rank >= 3, ErrorKind::Shape, "convolution input must have rank >= 3, got {}", X.str());
  BF_CHECK(rank_of(W) == rank, ErrorKind::Shape, "weight {} and input {} ranks differ", W.str(), X.str());
  std::size_t ns = static_cast<std::size_t>(rank - 2);
  const auto& kernel = attrs.get_ints("kernel_shape");
  const auto& strides = attrs.get_ints("strides");
  const auto& pads = attrs.get_ints("pads");
  const auto& dil = attrs.get_ints("dilations");
  std::int64_t group = attrs.get_int("group");
  BF_CHECK(kernel.size() == ns && strides.size() == ns && dil.size() == ns && pads.size() == 2 * ns, ErrorKind::Shape,
           "convolution attributes do not match {} spatial dims", ns);
  BF_CHECK(group >= 1, ErrorKind::Shape, "group must be >= 1");
  std::int64_t c = X.shape[1];
  Shape out = {X.shape[0]};
  if (!transposed) {
    BF_CHECK(c == W.shape[1] * group, ErrorKind::Shape, "input channels {} != weight {} x group {}", c, W.str(), group);
    BF_CHECK(W.shape[0] % group == 0, ErrorKind::Shape, "output channels not divisible by group");
    out.push_back(W.shape[0]);
  } else {
    BF_CHECK(c == W.shape[0], ErrorKind::Shape, "input channels {} != weight {} dim 0", c, W.str());
    BF_CHECK(c % group == 0, ErrorKind::Shape, "input channels not divisible by group");
    out.push_back(W.shape[1] * group);
  }
  const auto out_pad = transposed ? attrs.get_ints("output_padding") : std::vector<std::int64_t>(ns, 0);
  BF_CHECK(out_pad.size() == ns, ErrorKind::Shape, "output_padding does not match spatial dims");
  for (std::size_t i = 0; i < ns; ++i) {
    BF_CHECK(W.shape[i + 2] == kernel[i], ErrorKind::Shape, "kernel_shape disagrees with weight {}", W.str());
    BF_CHECK(strides[i] >= 1 && dil[i] >= 1, ErrorKind::Shape, "strides and dilations must be >= 1");
    std::int64_t extent;
    if (!transposed) {
      extent = window_output_size(X.shape[i + 2], kernel[i], strides[i], pads[i], pads[i + ns], dil[i], false);
    } else {
      extent = strides[i] * (X.shape[i + 2] - 1) + out_pad[i] + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[i + ns];
    }
    BF_CHECK(extent >= 1, ErrorKind::Shape, "convolution output would be empty along spatial dim {}", i);
    out.push_back(extent);
  }
  if (ins.size() > 2 && ins[2] != nullptr) {
    BF_CHECK(ins[2]->shape == Shape({out[1]}), ErrorKind::Shape, "bias {} does not match {} output channels",
             ins[2]->str(), out[1]);
  }
  return {X.dtype, out};
}

TensorType infer_pool(const Attributes& attrs, const Types& ins, bool has_dilations) {
  const auto& X = in(ins, 0);
  require_float(X, "pooling input");
  std::int64_t rank = rank_of(X);
  BF_CHECK(rank >= 3, ErrorKind::Shape, "pooling input must have rank >= 3, got {}", X.str());
  std::size_t ns = static_cast<std::size_t>(rank - 2);
  const auto& kernel = attrs.get_ints("kernel_shape");
  const auto& strides = attrs.get_ints("strides");
  const auto& pads = attrs.get_ints("pads");
  auto dil = has_dilations ? attrs.get_ints("dilations") : std::vector<std::int64_t>(ns, 1);
  bool ceil_mode = attrs.get_int("ceil_mode", 0) != 0;
  BF_CHECK(kernel.size() == ns && strides.size() == ns && pads.size() == 2 * ns && dil.size() == ns, ErrorKind::Shape,
           "pooling attributes do not match {} spatial dims", ns);
  Shape out = {X.shape[0], X.shape[1]};
  for (std::size_t i = 0; i < ns; ++i) {
    std::int64_t e =
        window_output_size(X.shape[i + 2], kernel[i], strides[i], pads[i], pads[i + ns], dil[i], ceil_mode);
    BF_CHECK(e >= 1, ErrorKind::Shape, "pooling output would be empty along spatial dim {}", i);
    out.push_back(e);
  }
  return {X.dtype, out};
}

TensorType infer_reduce(const Attributes& attrs, const TensorType& X) {
  require_float(X, "reduction input");
  const auto& axes = attrs.get_ints("axes");
  bool keep = attrs.get_int("keepdims") != 0;
  Shape out;
  for (std::int64_t i = 0; i < rank_of(X); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced)
      out.push_back(X.shape[static_cast<std::size_t>(i)]);
    else if (keep)
      out.push_back(1);
  }
  for (auto a : axes) BF_CHECK(a >= 0 && a < rank_of(X), ErrorKind::Shape, "reduce axis {} out of range", a);
  return {X.dtype, out};
}

}  // namespace

std::int64_t window_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad_begin,
                                std::int64_t pad_end, std::int64_t dilation, bool ceil_mode) {
  std::int64_t span = (kernel - 1) * dilation + 1;
  std::int64_t room = in + pad_begin + pad_end - span;
  if (room < 0) return 0;
  std::int64_t out = ceil_mode ? (room + stride - 1) / stride + 1 : room / stride + 1;
  // A window may not start inside the end padding (PyTorch and ONNX >= 18 agree).
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

std::int64_t slice_length(std::int64_t start, std::int64_t end, std::int64_t step) {
  if (step > 0) return std::max<std::int64_t>(0, (end - start + step - 1) / step);
  return std::max<std::int64_t>(0, (start - end + (-step) - 1) / (-step));
}

std::vector<TensorType> infer_output_types(OpKind op, const Attributes& attrs, const Types& ins) {
  OpArity arity = op_arity(op);
  BF_CHECK(static_cast<int>(ins.size()) >= arity.min_inputs &&
               (arity.max_inputs < 0 || static_cast<int>(ins.size()) <= arity.max_inputs),
           ErrorKind::Shape, "{} takes {}..{} operands, got {}", op_name(op), arity.min_inputs, arity.max_inputs,
           ins.size());
  switch (op) {
    case OpKind::Gemm:
      return {infer_gemm(attrs, ins)};
    case OpKind::MatMul:
      return {infer_matmul(ins)};
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: {
      const auto& A = in(ins, 0);
      const auto& B = in(ins, 1);
      require_same_dtype(A, B);
      BF_CHECK(A.dtype != DType::Bool, ErrorKind::Unsupported, "arithmetic on bool tensors");
      return {{A.dtype, broadcast_shapes(A.shape, B.shape)}};
    }
    case OpKind::Neg:
    case OpKind::Identity:
    case OpKind::Dropout:
      return {in(ins, 0)};
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
    case OpKind::Softmax:
      require_float(in(ins, 0), "activation input");
      if (op == OpKind::Softmax) {
        const auto& axes = attrs.get_ints("axes");
        BF_CHECK(!axes.empty(), ErrorKind::Shape, "Softmax needs at least one axis");
        for (std::size_t i = 0; i < axes.size(); ++i) {
          BF_CHECK(axes[i] >= 0 && axes[i] < rank_of(in(ins, 0)) && (i == 0 || axes[i] == axes[i - 1] + 1),
                   ErrorKind::Shape, "Softmax axes must be a contiguous run of valid axes");
        }
      }
      return {in(ins, 0)};
    case OpKind::Flatten: {
      const auto& X = in(ins, 0);
      std::int64_t axis = attrs.get_int("axis");
      BF_CHECK(axis >= 0 && axis <= rank_of(X), ErrorKind::Shape, "Flatten axis {} out of range for {}", axis, X.str());
      auto mid = X.shape.begin() + axis;
      std::int64_t outer = std::accumulate(X.shape.begin(), mid, std::int64_t{1}, std::multiplies<>());
      std::int64_t inner = std::accumulate(mid, X.shape.end(), std::int64_t{1}, std::multiplies<>());
      return {{X.dtype, {outer, inner}}};
    }
    case OpKind::Reshape: {
      const auto& X = in(ins, 0);
      const auto& shape = attrs.get_ints("shape");
      for (auto d : shape) BF_CHECK(d >= 0, ErrorKind::Shape, "Reshape target {} is not resolved", shape_str(shape));
      BF_CHECK(numel(shape) == X.numel(), ErrorKind::Shape, "cannot reshape {} to {}", X.str(), shape_str(shape));
      return {{X.dtype, shape}};
    }
    case OpKind::Squeeze: {
      const auto& X = in(ins, 0);
      const auto& axes = attrs.get_ints("axes");
      Shape out;
      for (std::int64_t i = 0; i < rank_of(X); ++i) {
        if (std::find(axes.begin(), axes.end(), i) != axes.end()) {
          BF_CHECK(X.shape[static_cast<std::size_t>(i)] == 1, ErrorKind::Shape, "cannot squeeze axis {} of {}", i,
                   X.str());
        } else {
          out.push_back(X.shape[static_cast<std::size_t>(i)]);
        }
      }
      for (auto a : axes) BF_CHECK(a >= 0 && a < rank_of(X), ErrorKind::Shape, "squeeze axis {} out of range", a);
      return {{X.dtype, out}};
    }
    case OpKind::Unsqueeze: {
      const auto& X = in(ins, 0);
      const auto& axes = attrs.get_ints("axes");
      std::int64_t out_rank = rank_of(X) + static_cast<std::int64_t>(axes.size());
      Shape out;
      std::size_t next = 0;
      for (std::int64_t i = 0; i < out_rank; ++i) {
        if (std::find(axes.begin(), axes.end(), i) != axes.end()) {
          out.push_back(1);
        } else {
          BF_CHECK(next < X.shape.size(), ErrorKind::Shape, "bad Unsqueeze axes for {}", X.str());
          out.push_back(X.shape[next++]);
        }
      }
      BF_CHECK(next == X.shape.size(), ErrorKind::Shape, "bad Unsqueeze axes for {}", X.str());
      return {{X.dtype, out}};
    }
    case OpKind::Transpose: {
      const auto& X = in(ins, 0);
      const auto& perm = attrs.get_ints("perm");
      BF_CHECK(static_cast<std::int64_t>(perm.size()) == rank_of(X), ErrorKind::Shape, "perm {} for {}",
               shape_str(perm), X.str());
      std::vector<bool> seen(perm.size(), false);
      Shape out;
      for (auto p : perm) {
        BF_CHECK(p >= 0 && p < rank_of(X) && !seen[static_cast<std::size_t>(p)], ErrorKind::Shape,
                 "perm {} is not a permutation", shape_str(perm));
        seen[static_cast<std::size_t>(p)] = true;
        out.push_back(X.shape[static_cast<std::size_t>(p)]);
      }
      return {{X.dtype, out}};
    }
    case OpKind::Concat: {
      const auto& X0 = in(ins, 0);
      std::int64_t axis = attrs.get_int("axis");
      BF_CHECK(axis >= 0 && axis < rank_of(X0), ErrorKind::Shape, "Concat axis {} out of range", axis);
      Shape out = X0.shape;
      for (std::size_t i = 1; i < ins.size(); ++i) {
        const auto& Xi = in(ins, i);
        require_same_dtype(X0, Xi);
        BF_CHECK(rank_of(Xi) == rank_of(X0), ErrorKind::Shape, "Concat operands {} and {} differ in rank", X0.str(),
                 Xi.str());
        for (std::int64_t d = 0; d < rank_of(X0); ++d) {
          if (d == axis) continue;
          BF_CHECK(Xi.shape[static_cast<std::size_t>(d)] == X0.shape[static_cast<std::size_t>(d)], ErrorKind::Shape,
                   "Concat operands {} and {} differ off the axis", X0.str(), Xi.str());
        }
        out[static_cast<std::size_t>(axis)] += Xi.shape[static_cast<std::size_t>(axis)];
      }
      return {{X0.dtype, out}};
    }
    case OpKind::Slice: {
      const auto& X = in(ins, 0);
      const auto& starts = attrs.get_ints("starts");
      const auto& ends = attrs.get_ints("ends");
      const auto& axes = attrs.get_ints("axes");
      const auto& steps = attrs.get_ints("steps");
      BF_CHECK(starts.size() == axes.size() && ends.size() == axes.size() && steps.size() == axes.size(),
               ErrorKind::Shape, "Slice attribute lengths differ");
      Shape out = X.shape;
      for (std::size_t i = 0; i < axes.size(); ++i) {
        BF_CHECK(axes[i] >= 0 && axes[i] < rank_of(X), ErrorKind::Shape, "Slice axis {} out of range", axes[i]);
        BF_CHECK(steps[i] != 0, ErrorKind::Shape, "Slice step 0");
        out[static_cast<std::size_t>(axes[i])] = slice_length(starts[i], ends[i], steps[i]);
      }
      return {{X.dtype, out}};
    }
    case OpKind::Gather: {
      const auto& X = in(ins, 0);
      const auto& I = in(ins, 1);
      BF_CHECK(I.dtype == DType::I64 || I.dtype == DType::I32, ErrorKind::Unsupported, "Gather indices of type {}",
               dtype_name(I.dtype));
      std::int64_t axis = attrs.get_int("axis");
      BF_CHECK(axis >= 0 && axis < rank_of(X), ErrorKind::Shape, "Gather axis {} out of range for {}", axis, X.str());
      Shape out(X.shape.begin(), X.shape.begin() + axis);
      out.insert(out.end(), I.shape.begin(), I.shape.end());
      out.insert(out.end(), X.shape.begin() + axis + 1, X.shape.end());
      return {{X.dtype, out}};
    }
    case OpKind::Conv:
      return {infer_conv(attrs, ins, false)};
    case OpKind::ConvTranspose:
      return {infer_conv(attrs, ins, true)};
    case OpKind::BatchNormalization: {
      const auto& X = in(ins, 0);
      require_float(X, "BatchNormalization input");
      BF_CHECK(rank_of(X) >= 2, ErrorKind::Shape, "BatchNormalization input {} needs rank >= 2", X.str());
      for (std::size_t i = 1; i < 5; ++i) {
        BF_CHECK(in(ins, i).shape == Shape({X.shape[1]}), ErrorKind::Shape,
                 "BatchNormalization parameter {} is {} but the input has {} channels", i, in(ins, i).str(),
                 X.shape[1]);
      }
      return {X};
    }
    case OpKind::MaxPool:
      return {infer_pool(attrs, ins, true)};
    case OpKind::AveragePool:
      return {infer_pool(attrs, ins, false)};
    case OpKind::GlobalAveragePool: {
      const auto& X = in(ins, 0);
      require_float(X, "GlobalAveragePool input");
      BF_CHECK(rank_of(X) >= 3, ErrorKind::Shape, "GlobalAveragePool input {} needs rank >= 3", X.str());
      Shape out = X.shape;
      for (std::size_t i = 2; i < out.size(); ++i) out[i] = 1;
      return {{X.dtype, out}};
    }
    case OpKind::Pad: {
      const auto& X = in(ins, 0);
      const auto& pads = attrs.get_ints("pads");
      BF_CHECK(static_cast<std::int64_t>(pads.size()) == 2 * rank_of(X), ErrorKind::Shape,
               "Pad needs {} pads for {}, got {}", 2 * rank_of(X), X.str(), pads.size());
      Shape out = X.shape;
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] += pads[i] + pads[i + out.size()];
        BF_CHECK(out[i] >= 0, ErrorKind::Shape, "Pad removes more than dimension {} of {} holds", i, X.str());
      }
      return {{X.dtype, out}};
    }
    case OpKind::ReduceMean:
    case OpKind::ReduceSum:
      return {infer_reduce(attrs, in(ins, 0))};
    case OpKind::Affine: {
      const auto& X = in(ins, 0);
      const auto& W = in(ins, 1);
      require_float(X, "Affine input");
      require_same_dtype(X, W);
      BF_CHECK(rank_of(W) == 2 && rank_of(X) >= 1 && X.shape.back() == W.shape[1], ErrorKind::Shape,
               "Affine weight {} does not fit input {}", W.str(), X.str());
      if (ins.size() > 2 && ins[2] != nullptr) {
        BF_CHECK(ins[2]->shape == Shape({W.shape[0]}), ErrorKind::Shape, "Affine bias {} for weight {}", ins[2]->str(),
                 W.str());
      }
      Shape out = X.shape;
      out.back() = W.shape[0];
      return {{X.dtype, out}};
    }
    case OpKind::ScaleShift: {
      const auto& X = in(ins, 0);
      require_float(X, "ScaleShift input");
      for (std::size_t i = 1; i < 3; ++i) {
        const auto& P = in(ins, i);
        require_same_dtype(X, P);
        BF_CHECK(broadcast_shapes(X.shape, P.shape) == X.shape, ErrorKind::Shape,
                 "ScaleShift parameter {} does not broadcast to {}", P.str(), X.str());
      }
      return {X};
    }
  }
  fail(ErrorKind::Internal, "shape inference: unhandled op {}", op_name(op));
}

std::vector<TensorType> infer_output_types(const Graph& graph, const Node& node) {
  Types ins;
  ins.reserve(node.inputs.size());
  for (ValueId id : node.inputs) ins.push_back(id == kNoValue ? nullptr : &graph.type(id));
  return infer_output_types(node.op, node.attrs, ins);
}

}  // namespace bf
