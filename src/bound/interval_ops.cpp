#include "bound/interval_ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/interval/centre_radius.h"
#include "support/error.h"

namespace bf {
namespace {

// Which plane of an operand to hand to the primal op.
enum class Plane { Lower, Upper };

struct Ctx {
  const Node& node;
  std::span<const IbpOperand> in;
  std::span<const IntervalOut> out;
  std::span<const Shape* const> out_shapes;
  DType dtype;
  std::int64_t batch;
  AbsWeightCache& abs_cache;
  IbpScratch& scratch;

  std::int64_t out_elems(std::size_t i = 0) const { return batch * numel(*out_shapes[i]); }
  std::int64_t in_elems(std::size_t i) const { return batch * numel(*in[i].shape); }
  template <typename T>
  T* take(std::int64_t n) const {
    return static_cast<T*>(scratch.take(n * static_cast<std::int64_t>(sizeof(T))));
  }
};

constexpr std::int64_t kScratchAlign = 64;
std::int64_t aligned(std::int64_t bytes) { return (bytes + kScratchAlign - 1) / kScratchAlign * kScratchAlign; }

ConstOperand constant_operand(const Tensor& t) { return ConstOperand{t.raw_data(), t.dtype(), &t.shape(), false}; }

ConstOperand plane_operand(const Ctx& c, std::size_t i, Plane plane) {
  const IbpOperand& op = c.in[i];
  if (!op.present) return ConstOperand{nullptr, c.dtype, nullptr, false};
  if (op.is_constant) return constant_operand(*op.constant);
  return ConstOperand{plane == Plane::Lower ? op.bounds.lower : op.bounds.upper, c.dtype, op.shape, true};
}

void eval_into(const Node& node, const std::vector<ConstOperand>& ins, void* out, DType dtype, const Shape* shape,
               std::int64_t batch) {
  MutOperand o{out, dtype, shape};
  eval_op(node, ins, std::span<const MutOperand>(&o, 1), batch);
}

// Applies the primal op to the lower planes and to the upper planes: exact for ops
// non-decreasing in every activation operand.
void monotone(const Ctx& c) {
  BF_ASSERT(c.out.size() == 1);
  for (Plane plane : {Plane::Lower, Plane::Upper}) {
    std::vector<ConstOperand> ins;
    for (std::size_t i = 0; i < c.in.size(); ++i) ins.push_back(plane_operand(c, i, plane));
    eval_into(c.node, ins, plane == Plane::Lower ? c.out[0].lower : c.out[0].upper, c.dtype, c.out_shapes[0], c.batch);
  }
}

// Index of the single activation operand among `candidates`; -1 when all are constant,
// -2 when more than one is an activation.
int single_activation(const Ctx& c, std::initializer_list<std::size_t> candidates) {
  int found = -1;
  for (std::size_t i : candidates) {
    if (i < c.in.size() && c.in[i].present && !c.in[i].is_constant) {
      if (found >= 0) return -2;
      found = static_cast<int>(i);
    }
  }
  return found;
}

// Centre and radius planes of activation operand i, in scratch.
template <typename T>
std::pair<T*, T*> centre_radius_inputs(const Ctx& c, std::size_t i) {
  const std::int64_t n = c.in_elems(i);
  const T* l = static_cast<const T*>(c.in[i].bounds.lower);
  const T* u = static_cast<const T*>(c.in[i].bounds.upper);
  T* centre = c.take<T>(n);
  T* radius = c.take<T>(n);
  for (std::int64_t k = 0; k < n; ++k) {
    centre[k] = centre_of(l[k], u[k]);
    radius[k] = radius_of(l[k], u[k]);
  }
  return {centre, radius};
}

template <typename T>
void write_centre_radius(const Ctx& c, const T* centre, const T* radius) {
  T* lo = static_cast<T*>(c.out[0].lower);
  T* hi = static_cast<T*>(c.out[0].upper);
  for (std::int64_t k = 0; k < c.out_elems(); ++k) {
    lo[k] = centre[k] - radius[k];
    hi[k] = centre[k] + radius[k];
  }
}

// Ops affine in their one activation operand x, with constant weights:
//   f(x) = L(x) + bias,   c' = f(c),   r' = |L|(r)
// where |L| is the same op with every weight replaced by its absolute value,
// the bias dropped and Gemm's alpha by |alpha|.
template <typename T>
void affine_in_one_operand(const Ctx& c, std::size_t x, std::initializer_list<std::size_t> weights,
                           std::initializer_list<std::size_t> biases) {
  auto [centre, radius] = centre_radius_inputs<T>(c, x);
  T* out_centre = c.take<T>(c.out_elems());
  T* out_radius = c.take<T>(c.out_elems());

  std::vector<ConstOperand> ins(c.in.size());
  for (std::size_t i = 0; i < c.in.size(); ++i) ins[i] = plane_operand(c, i, Plane::Lower);
  ins[x] = ConstOperand{centre, c.dtype, c.in[x].shape, true};
  eval_into(c.node, ins, out_centre, c.dtype, c.out_shapes[0], c.batch);

  Node abs_node = c.node;
  if (abs_node.op == OpKind::Gemm) abs_node.attrs.set("alpha", std::fabs(abs_node.attrs.get_float("alpha", 1.0)));
  ins[x] = ConstOperand{radius, c.dtype, c.in[x].shape, true};
  for (std::size_t w : weights) {
    if (w < c.in.size() && c.in[w].present) ins[w] = constant_operand(c.abs_cache.abs_of(*c.in[w].constant));
  }
  for (std::size_t b : biases) {
    if (b < c.in.size()) ins[b] = ConstOperand{nullptr, c.dtype, nullptr, false};
  }
  eval_into(abs_node, ins, out_radius, c.dtype, c.out_shapes[0], c.batch);
  write_centre_radius(c, out_centre, out_radius);
}

// Interval matrix product of two activations: with A = Ac ± Ar and B = Bc ± Br,
// A·B lies in Ac·Bc ± (|Ac|·Br + Ar·|Bc| + Ar·Br).
template <typename T>
void bilinear_matmul(const Ctx& c) {
  auto [ac, ar] = centre_radius_inputs<T>(c, 0);
  auto [bc, br] = centre_radius_inputs<T>(c, 1);
  const std::int64_t na = c.in_elems(0), nb = c.in_elems(1), n_out = c.out_elems();
  T* abs_ac = c.take<T>(na);
  T* abs_bc = c.take<T>(nb);
  for (std::int64_t k = 0; k < na; ++k) abs_ac[k] = std::fabs(ac[k]);
  for (std::int64_t k = 0; k < nb; ++k) abs_bc[k] = std::fabs(bc[k]);
  T* centre = c.take<T>(n_out);
  T* radius = c.take<T>(n_out);
  T* term = c.take<T>(n_out);
  auto product = [&](const T* a, const T* b, T* dst) {
    std::vector<ConstOperand> ins = {ConstOperand{a, c.dtype, c.in[0].shape, true},
                                     ConstOperand{b, c.dtype, c.in[1].shape, true}};
    eval_into(c.node, ins, dst, c.dtype, c.out_shapes[0], c.batch);
  };
  product(ac, bc, centre);
  std::fill(radius, radius + n_out, T(0));
  for (auto [a, b] : {std::pair<const T*, const T*>{abs_ac, br}, {ar, abs_bc}, {ar, br}}) {
    product(a, b, term);
    for (std::int64_t k = 0; k < n_out; ++k) radius[k] += term[k];
  }
  write_centre_radius(c, centre, radius);
}

// Mul and Div: the result's bounds are the min and max over the four bound
// combinations (two when an operand is a constant). A divisor interval that
// contains zero has unbounded quotients.
template <typename T>
void products(const Ctx& c) {
  const std::int64_t n_out = c.out_elems();
  T* cand[4];
  int j = 0;
  for (Plane pa : {Plane::Lower, Plane::Upper}) {
    for (Plane pb : {Plane::Lower, Plane::Upper}) {
      cand[j] = c.take<T>(n_out);
      eval_into(c.node, {plane_operand(c, 0, pa), plane_operand(c, 1, pb)}, cand[j], c.dtype, c.out_shapes[0], c.batch);
      ++j;
    }
  }
  T* lo = static_cast<T*>(c.out[0].lower);
  T* hi = static_cast<T*>(c.out[0].upper);
  constexpr T kInf = std::numeric_limits<T>::infinity();
  for (std::int64_t k = 0; k < n_out; ++k) {
    T mn = cand[0][k], mx = cand[0][k];
    bool nan = std::isnan(mn);
    for (int q = 1; q < 4; ++q) {
      mn = std::min(mn, cand[q][k]);
      mx = std::max(mx, cand[q][k]);
      nan |= std::isnan(cand[q][k]);
    }
    lo[k] = nan ? -kInf : mn;
    hi[k] = nan ? kInf : mx;
  }
  if (c.node.op != OpKind::Div || c.in[1].is_constant) return;
  // Divisor interval containing zero: the quotient is unbounded there. The
  // divisor's bounds are broadcast to the output shape by multiplying ones shaped
  // like the dividend with them (Mul broadcasts exactly as Div does).
  Node mul = c.node;
  mul.op = OpKind::Mul;
  T* ones = c.take<T>(c.in_elems(0));
  std::fill(ones, ones + c.in_elems(0), T(1));
  ConstOperand one{ones, c.dtype, c.in[0].shape, true};
  T* dl = c.take<T>(n_out);
  T* du = c.take<T>(n_out);
  eval_into(mul, {one, plane_operand(c, 1, Plane::Lower)}, dl, c.dtype, c.out_shapes[0], c.batch);
  eval_into(mul, {one, plane_operand(c, 1, Plane::Upper)}, du, c.dtype, c.out_shapes[0], c.batch);
  for (std::int64_t k = 0; k < n_out; ++k) {
    if (dl[k] <= T(0) && du[k] >= T(0)) {
      lo[k] = -kInf;
      hi[k] = kInf;
    }
  }
}

void sub(const Ctx& c) {
  // [a] - [b] = [a.lower - b.upper, a.upper - b.lower]
  eval_into(c.node, {plane_operand(c, 0, Plane::Lower), plane_operand(c, 1, Plane::Upper)}, c.out[0].lower, c.dtype,
            c.out_shapes[0], c.batch);
  eval_into(c.node, {plane_operand(c, 0, Plane::Upper), plane_operand(c, 1, Plane::Lower)}, c.out[0].upper, c.dtype,
            c.out_shapes[0], c.batch);
}

void neg(const Ctx& c) {
  eval_into(c.node, {plane_operand(c, 0, Plane::Upper)}, c.out[0].lower, c.dtype, c.out_shapes[0], c.batch);
  eval_into(c.node, {plane_operand(c, 0, Plane::Lower)}, c.out[0].upper, c.dtype, c.out_shapes[0], c.batch);
}

// LeakyRelu with a negative slope is not monotone: f(x) = alpha*x >= 0 for x < 0.
template <typename T>
void leaky_relu_negative_slope(const Ctx& c, T alpha) {
  const T* l = static_cast<const T*>(c.in[0].bounds.lower);
  const T* u = static_cast<const T*>(c.in[0].bounds.upper);
  T* lo = static_cast<T*>(c.out[0].lower);
  T* hi = static_cast<T*>(c.out[0].upper);
  auto f = [alpha](T x) { return x >= T(0) ? x : alpha * x; };
  for (std::int64_t k = 0; k < c.out_elems(); ++k) {
    T fl = f(l[k]), fu = f(u[k]);
    lo[k] = (l[k] <= T(0) && u[k] >= T(0)) ? T(0) : std::min(fl, fu);
    hi[k] = std::max(fl, fu);
  }
}

// y = x * s + t per element: the sign of s decides which bound maps where.
template <typename T>
void scale_shift(const Ctx& c) {
  const Shape& shape = *c.in[0].shape;
  const Tensor& scale = *c.in[1].constant;
  const Tensor& shift = *c.in[2].constant;
  const auto ss = broadcast_strides(scale.shape(), shape);
  const auto ts = broadcast_strides(shift.shape(), shape);
  const auto strides = contiguous_strides(shape);
  const std::int64_t n = numel(shape);
  const T* l = static_cast<const T*>(c.in[0].bounds.lower);
  const T* u = static_cast<const T*>(c.in[0].bounds.upper);
  T* lo = static_cast<T*>(c.out[0].lower);
  T* hi = static_cast<T*>(c.out[0].upper);
  const T* sp = scale.data<T>();
  const T* tp = shift.data<T>();
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t si = 0, ti = 0, rem = k;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      std::int64_t idx = rem / strides[d];
      rem %= strides[d];
      si += idx * ss[d];
      ti += idx * ts[d];
    }
    const T s = sp[si], t = tp[ti];
    for (std::int64_t b = 0; b < c.batch; ++b) {
      const std::int64_t e = b * n + k;
      T a = l[e] * s + t, z = u[e] * s + t;
      lo[e] = std::min(a, z);
      hi[e] = std::max(a, z);
    }
  }
}

// Inference BatchNormalization is per-channel affine: y = s_c * x + (beta_c - s_c * mean_c),
// s_c = scale_c / sqrt(var_c + eps). Centre through the primal op, radius scaled by |s_c|.
template <typename T>
void batch_norm(const Ctx& c) {
  auto [centre, radius] = centre_radius_inputs<T>(c, 0);
  const std::int64_t n_out = c.out_elems();
  T* out_centre = c.take<T>(n_out);
  std::vector<ConstOperand> ins;
  ins.push_back(ConstOperand{centre, c.dtype, c.in[0].shape, true});
  for (std::size_t i = 1; i < 5; ++i) ins.push_back(plane_operand(c, i, Plane::Lower));
  eval_into(c.node, ins, out_centre, c.dtype, c.out_shapes[0], c.batch);
  const Shape& shape = *c.in[0].shape;
  const std::int64_t channels = shape[1];
  const std::int64_t inner = numel(shape) / (shape[0] * channels);
  const T eps = static_cast<T>(c.node.attrs.get_float("epsilon", 1e-5));
  const T* scale = c.in[1].constant->data<T>();
  const T* var = c.in[4].constant->data<T>();
  for (std::int64_t k = 0; k < n_out; ++k) {
    const std::int64_t ch = (k / inner) % channels;
    radius[k] *= std::fabs(scale[ch] / std::sqrt(var[ch] + eps));
  }
  write_centre_radius(c, out_centre, radius);
}

// Softmax over a run of axes. For output i of a group with bounds [l, u]:
//   y_i >= 1 / (1 + sum_{j != i} exp(u_j - l_i)),   y_i <= 1 / (1 + sum_{j != i} exp(l_j - u_i)).
template <typename T>
void softmax(const Ctx& c) {
  const Shape& shape = *c.in[0].shape;
  const auto& axes = c.node.attrs.get_ints("axes");
  std::int64_t outer = 1, group = 1, inner = 1;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
    if (d < axes.front())
      outer *= shape[static_cast<std::size_t>(d)];
    else if (d <= axes.back())
      group *= shape[static_cast<std::size_t>(d)];
    else
      inner *= shape[static_cast<std::size_t>(d)];
  }
  const T* l = static_cast<const T*>(c.in[0].bounds.lower);
  const T* u = static_cast<const T*>(c.in[0].bounds.upper);
  T* lo = static_cast<T*>(c.out[0].lower);
  T* hi = static_cast<T*>(c.out[0].upper);
  for (std::int64_t o = 0; o < c.batch * outer; ++o) {
    for (std::int64_t in = 0; in < inner; ++in) {
      auto at = [&](std::int64_t g) { return (o * group + g) * inner + in; };
      for (std::int64_t i = 0; i < group; ++i) {
        T sum_lo = 0, sum_hi = 0;
        for (std::int64_t j = 0; j < group; ++j) {
          if (j == i) continue;
          sum_lo += std::exp(u[at(j)] - l[at(i)]);
          sum_hi += std::exp(l[at(j)] - u[at(i)]);
        }
        lo[at(i)] = T(1) / (T(1) + sum_lo);
        hi[at(i)] = T(1) / (T(1) + sum_hi);
      }
    }
  }
}

// --- the rules of ops that are not monotone, one function each -------------------

template <typename T>
void affine_rule(const Ctx& c) {  // Affine, Conv, ConvTranspose: weights and bias constant
  BF_CHECK(!c.in[0].is_constant && c.in[1].is_constant && (c.in.size() < 3 || !c.in[2].present || c.in[2].is_constant),
           ErrorKind::Unsupported, "{} with non-constant weights has no interval rule", op_name(c.node.op));
  affine_in_one_operand<T>(c, 0, {1}, {2});
}

template <typename T>
void gemm_rule(const Ctx& c) {
  int x = single_activation(c, {0, 1});
  BF_CHECK(x >= 0 && (c.in.size() < 3 || !c.in[2].present || c.in[2].is_constant), ErrorKind::Unsupported,
           "Gemm needs exactly one activation operand among A and B and a constant C");
  affine_in_one_operand<T>(c, static_cast<std::size_t>(x), {x == 0 ? 1u : 0u}, {2});
}

template <typename T>
void matmul_rule(const Ctx& c) {
  int x = single_activation(c, {0, 1});
  if (x == -2) {
    bilinear_matmul<T>(c);
    return;
  }
  BF_ASSERT(x >= 0);
  affine_in_one_operand<T>(c, static_cast<std::size_t>(x), {x == 0 ? 1u : 0u}, {});
}

template <typename T>
void sub_rule(const Ctx& c) {
  sub(c);
}
template <typename T>
void neg_rule(const Ctx& c) {
  neg(c);
}
template <typename T>
void leaky_relu_rule(const Ctx& c) {  // alpha < 0 here: alpha >= 0 is monotone
  leaky_relu_negative_slope<T>(c, static_cast<T>(c.node.attrs.get_float("alpha", 0.01)));
}
template <typename T>
void monotone_rule(const Ctx& c) {
  monotone(c);
}

// --- scratch each rule takes, declared next to the rules ---------------------------

struct ScratchArgs {
  std::span<const IbpOperand> inputs;
  std::int64_t elem;  // bytes per element
  std::int64_t batch;
  std::int64_t out;  // aligned bytes of one output plane
  std::int64_t in_plane(std::size_t i) const { return aligned(batch * numel(*inputs[i].shape) * elem); }
  bool activation(std::size_t i) const { return i < inputs.size() && inputs[i].present && !inputs[i].is_constant; }
};
// affine_in_one_operand: centre and radius of the input, centre and radius of the output.
std::int64_t affine_scratch(const ScratchArgs& a) { return 2 * a.in_plane(0) + 2 * a.out; }
std::int64_t gemm_scratch(const ScratchArgs& a) { return 2 * a.in_plane(a.activation(0) ? 0 : 1) + 2 * a.out; }
std::int64_t matmul_scratch(const ScratchArgs& a) {
  // bilinear_matmul: centre, radius and |centre| of both inputs; centre, radius, term of the output.
  if (a.activation(0) && a.activation(1)) return 3 * a.in_plane(0) + 3 * a.in_plane(1) + 3 * a.out;
  return 2 * a.in_plane(a.activation(0) ? 0 : 1) + 2 * a.out;
}
// products: four candidate planes; Div by an activation also broadcasts the divisor's bounds.
std::int64_t mul_scratch(const ScratchArgs& a) { return 4 * a.out; }
std::int64_t div_scratch(const ScratchArgs& a) { return 4 * a.out + (a.activation(1) ? a.in_plane(0) + 2 * a.out : 0); }
// batch_norm: centre and radius of the input, centre of the output.
std::int64_t batch_norm_scratch(const ScratchArgs& a) { return 2 * a.in_plane(0) + a.out; }

bool always(const Node&) { return true; }
bool never(const Node&) { return false; }
bool leaky_relu_is_monotone(const Node& node) { return node.attrs.get_float("alpha", 0.01) >= 0; }

// The interval domain, one entry per op (kOps order): the rule in f32 and f64,
// the scratch it takes (nullptr: none), and when it is the monotone rule (the
// primal op applied to each plane), which select_kernels also reads.
struct IntervalRule {
  OpKind op;
  void (*f32)(const Ctx&);
  void (*f64)(const Ctx&);
  std::int64_t (*scratch)(const ScratchArgs&);
  bool (*is_monotone)(const Node&);
};

#define BF_RULE(OP, FN, SCRATCH, MONO) \
  { OpKind::OP, &FN<float>, &FN<double>, SCRATCH, MONO }
constexpr std::array<IntervalRule, kNumOpKinds> kIntervalRules = {{
    BF_RULE(Gemm, gemm_rule, &gemm_scratch, never),
    BF_RULE(MatMul, matmul_rule, &matmul_scratch, never),
    BF_RULE(Add, monotone_rule, nullptr, always),
    BF_RULE(Sub, sub_rule, nullptr, never),
    BF_RULE(Mul, products, &mul_scratch, never),
    BF_RULE(Div, products, &div_scratch, never),
    BF_RULE(Neg, neg_rule, nullptr, never),
    BF_RULE(Relu, monotone_rule, nullptr, always),
    BF_RULE(LeakyRelu, leaky_relu_rule, nullptr, leaky_relu_is_monotone),
    BF_RULE(Sigmoid, monotone_rule, nullptr, always),
    BF_RULE(Tanh, monotone_rule, nullptr, always),
    BF_RULE(Clip, monotone_rule, nullptr, always),
    BF_RULE(Flatten, monotone_rule, nullptr, always),
    BF_RULE(Reshape, monotone_rule, nullptr, always),
    BF_RULE(Squeeze, monotone_rule, nullptr, always),
    BF_RULE(Unsqueeze, monotone_rule, nullptr, always),
    BF_RULE(Transpose, monotone_rule, nullptr, always),
    BF_RULE(Concat, monotone_rule, nullptr, always),
    BF_RULE(Slice, monotone_rule, nullptr, always),
    BF_RULE(Gather, monotone_rule, nullptr, always),
    BF_RULE(Identity, monotone_rule, nullptr, always),
    BF_RULE(Dropout, monotone_rule, nullptr, always),
    BF_RULE(Conv, affine_rule, &affine_scratch, never),
    BF_RULE(ConvTranspose, affine_rule, &affine_scratch, never),
    BF_RULE(BatchNormalization, batch_norm, &batch_norm_scratch, never),
    BF_RULE(MaxPool, monotone_rule, nullptr, always),
    BF_RULE(AveragePool, monotone_rule, nullptr, always),
    BF_RULE(GlobalAveragePool, monotone_rule, nullptr, always),
    BF_RULE(Pad, monotone_rule, nullptr, always),
    BF_RULE(Softmax, softmax, nullptr, never),
    BF_RULE(ReduceMean, monotone_rule, nullptr, always),
    BF_RULE(ReduceSum, monotone_rule, nullptr, always),
    BF_RULE(Affine, affine_rule, &affine_scratch, never),
    BF_RULE(ScaleShift, scale_shift, nullptr, never),
}};
#undef BF_RULE

constexpr bool rules_in_op_order() {
  for (std::size_t i = 0; i < kIntervalRules.size(); ++i) {
    if (static_cast<std::size_t>(kIntervalRules[i].op) != i) return false;
  }
  return true;
}
static_assert(rules_in_op_order(), "kIntervalRules must list every op in OpKind order");

const IntervalRule& rule_of(OpKind op) { return kIntervalRules[static_cast<std::size_t>(op)]; }

template <typename T>
void dispatch(const Ctx& c) {
  // An op of constants only (kept when it computes a graph output) has one
  // value: [v, v], which evaluating it on both planes gives.
  bool any_activation = false;
  for (const auto& operand : c.in) any_activation |= operand.present && !operand.is_constant;
  const IntervalRule& rule = rule_of(c.node.op);
  if (!any_activation || rule.is_monotone(c.node)) {
    monotone(c);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    rule.f32(c);
  } else {
    rule.f64(c);
  }
}

}  // namespace

bool ibp_rule_is_monotone(const Node& node) { return rule_of(node.op).is_monotone(node); }

const Tensor& AbsWeightCache::abs_of(const Tensor& weight) {
  const Key key{weight.raw_data(), weight.dtype(), weight.shape()};
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  Tensor abs = weight.clone();
  visit_dtype(abs.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      T* p = abs.mutable_data<T>();
      for (std::int64_t i = 0; i < abs.numel(); ++i) p[i] = std::fabs(p[i]);
    } else {
      fail(ErrorKind::Unsupported, "|W| of a {} weight", dtype_name(abs.dtype()));
    }
  });
  return cache_.emplace(key, std::move(abs)).first->second;
}

std::int64_t AbsWeightCache::bytes() const {
  std::int64_t total = 0;
  for (const auto& [k, t] : cache_) total += static_cast<std::int64_t>(t.nbytes());
  return total;
}

void* IbpScratch::take(std::int64_t bytes) {
  const std::int64_t size = aligned(bytes);
  BF_CHECK(used_ + size <= capacity_, ErrorKind::Internal,
           "interval rule asked for {} scratch bytes beyond the {} promised", used_ + size, capacity_);
  void* p = base_ + used_;
  used_ += size;
  return p;
}

std::int64_t ibp_scratch_bytes(const Node& node, std::span<const IbpOperand> inputs,
                               std::span<const Shape* const> output_shapes, DType dtype, std::int64_t batch) {
  const IntervalRule& rule = rule_of(node.op);
  if (rule.scratch == nullptr) return 0;
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(dtype));
  ScratchArgs a{inputs, elem, batch, output_shapes.empty() ? 0 : aligned(batch * numel(*output_shapes[0]) * elem)};
  return rule.scratch(a);
}

bool ibp_rule_allocates_internally(const Node& node, DType dtype) {
  if (dtype != DType::F32) return false;  // f64 runs plain loops
  switch (node.op) {
    case OpKind::Gemm:
    case OpKind::MatMul:
    case OpKind::Affine:
    case OpKind::Conv:
    case OpKind::ConvTranspose:
      return true;
    default:
      return false;
  }
}

void ibp_eval_op(const Node& node, std::span<const IbpOperand> inputs, std::span<const IntervalOut> outputs,
                 std::span<const Shape* const> output_shapes, DType dtype, std::int64_t batch,
                 AbsWeightCache& abs_cache, IbpScratch& scratch) {
  Ctx c{node, inputs, outputs, output_shapes, dtype, batch, abs_cache, scratch};
  BF_ASSERT(outputs.size() == output_shapes.size());
  for (const auto& op : inputs) {
    if (op.present && op.is_constant) {
      BF_CHECK(op.constant->dtype() == dtype || !is_floating(op.constant->dtype()), ErrorKind::Internal,
               "constant of dtype {} in a {} interval computation", dtype_name(op.constant->dtype()),
               dtype_name(dtype));
    }
  }
  try {
    if (dtype == DType::F32) {
      dispatch<float>(c);
    } else if (dtype == DType::F64) {
      dispatch<double>(c);
    } else {
      fail(ErrorKind::Unsupported, "interval bounds in {}", dtype_name(dtype));
    }
  } catch (Error& e) {
    e.with_node(node.name, std::string(op_name(node.op)));
    throw;
  }
}

}  // namespace bf
