// Backward rules of the ops that are linear in their activation operand: the
// Jacobian applied to A exactly, plus the op's constant terms added to the bias.
#include <algorithm>
#include <cmath>

#include "bound/linear/backward_util.h"

namespace bf {

using namespace linear_detail;

void prepare_targets(const BackwardArgs& a) {
  const std::int64_t elem = static_cast<std::int64_t>(dtype_size(a.dtype));
  for (const auto& t : a.in) {
    if (!t.active || t.accumulate) continue;
    const auto bytes = static_cast<std::size_t>(a.chunk.row_capacity * t.view.elements * elem);
    for (int s : sides(a.chunk)) std::memset(t.view.side(s), 0, bytes);
  }
}

namespace {

template <typename T>
const T* data_of(const BackwardArgs& a, std::size_t i) {
  return a.constants[i] != nullptr ? a.constants[i]->data<T>() : nullptr;
}

// y[..., n] = sum_k x[..., k] W[n, k] + b[n].
template <typename T>
void affine_typed(const BackwardArgs& a) {
  BF_CHECK(a.in[0].active && !a.in[1].active && (a.in.size() < 3 || !a.in[2].active), ErrorKind::Unsupported,
           "Affine '{}' needs constant weights for linear bounds", a.node.name);
  const Shape& ws = *a.shapes[1];
  const std::int64_t n_out = ws[0], k_in = ws[1];
  const T* w = data_of<T>(a, 1);
  const T* bias = a.in.size() > 2 ? data_of<T>(a, 2) : nullptr;
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      const std::int64_t p = k / n_out, n = k % n_out;
      const T* wr = w + n * k_in;
      if (T* t = target.dense()) {
        t += p * k_in;
        for (std::int64_t j = 0; j < k_in; ++j) t[j] += v * wr[j];
      } else {
        for (std::int64_t j = 0; j < k_in; ++j) target.add(p * k_in + j, v * wr[j]);
      }
      if (bias) acc += v * bias[n];
    }
  });
}

// y = alpha op(A) op(B) + beta C, one of A and B an activation, per sample 2-D.
template <typename T>
void gemm_typed(const BackwardArgs& a) {
  const int x = active_operand(a);
  BF_CHECK((x == 0 || x == 1) && (a.in.size() < 3 || !a.in[2].active), ErrorKind::Unsupported,
           "Gemm '{}' needs one activation among A and B and a constant C for linear bounds", a.node.name);
  const auto& attrs = a.node.attrs;
  const T alpha = static_cast<T>(attrs.get_float("alpha", 1.0)), beta = static_cast<T>(attrs.get_float("beta", 1.0));
  const bool ta = attrs.get_int("transA", 0) != 0, tb = attrs.get_int("transB", 0) != 0;
  const Shape &as = *a.shapes[0], &bs = *a.shapes[1];
  const std::int64_t m_dim = ta ? as[1] : as[0], k_dim = ta ? as[0] : as[1], n_dim = tb ? bs[0] : bs[1];
  const T* other = data_of<T>(a, x == 0 ? 1 : 0);
  const T* c = a.in.size() > 2 ? data_of<T>(a, 2) : nullptr;
  std::optional<Broadcast> cb;
  if (c) cb.emplace(*a.shapes[2], Shape{m_dim, n_dim});
  auto a_index = [&](std::int64_t m, std::int64_t k) { return ta ? k * m_dim + m : m * k_dim + k; };
  auto b_index = [&](std::int64_t k, std::int64_t n) { return tb ? n * k_dim + k : k * n_dim + n; };
  TargetRow<T> target(a.in[static_cast<std::size_t>(x)], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t kk = oc.value_index(e);
      const std::int64_t m = kk / n_dim, n = kk % n_dim;
      for (std::int64_t k = 0; k < k_dim; ++k) {
        if (x == 0) {
          target.add(a_index(m, k), alpha * v * other[b_index(k, n)]);
        } else {
          target.add(b_index(k, n), alpha * v * other[a_index(m, k)]);
        }
      }
      if (c) acc += beta * v * c[(*cb)(kk)];
    }
  });
}

// MatMul with one constant 2-D operand: X[..., M, K] W[K, N] or W[M, K] X[K, N].
template <typename T>
void matmul_typed(const BackwardArgs& a) {
  const int x = active_operand(a);
  BF_CHECK(x == 0 || x == 1, ErrorKind::Unsupported, "MatMul '{}' without an activation operand", a.node.name);
  const Shape& xs = *a.shapes[static_cast<std::size_t>(x)];
  const Shape& ws = *a.shapes[x == 0 ? 1 : 0];
  BF_CHECK(ws.size() == 2 && xs.size() >= 2 && (x == 0 || xs.size() == 2), ErrorKind::Unsupported,
           "linear bounds of MatMul '{}' need a 2-D constant operand (activation {}, constant {})", a.node.name,
           shape_str(xs), shape_str(ws));
  const T* w = data_of<T>(a, x == 0 ? 1 : 0);
  TargetRow<T> target(a.in[static_cast<std::size_t>(x)], a.chunk);
  if (x == 0) {
    const std::int64_t k_dim = ws[0], n_dim = ws[1];
    for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
      target.set(s, r);
      for (std::int64_t e = 0; e < oc.elements(); ++e) {
        const T v = row[e];
        if (v == T(0)) continue;
        const std::int64_t kk = oc.value_index(e);
        const std::int64_t pm = kk / n_dim, n = kk % n_dim;  // pm: leading dims and m together
        for (std::int64_t k = 0; k < k_dim; ++k) target.add(pm * k_dim + k, v * w[k * n_dim + n]);
      }
    });
  } else {
    const std::int64_t m_dim = ws[0], k_dim = ws[1], n_dim = xs[1];
    for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
      target.set(s, r);
      for (std::int64_t e = 0; e < oc.elements(); ++e) {
        const T v = row[e];
        if (v == T(0)) continue;
        const std::int64_t kk = oc.value_index(e);
        const std::int64_t m = kk / n_dim, n = kk % n_dim;
        for (std::int64_t k = 0; k < k_dim; ++k) target.add(k * n_dim + n, v * w[m * k_dim + k]);
      }
    });
    (void)m_dim;
  }
}

struct ConvGeometry {
  std::int64_t cin, hin, win, cout, hout, wout, kh, kw, sh, sw, pt, pl, dh, dw, group;
};

ConvGeometry conv_geometry(const BackwardArgs& a, const Shape& in_shape, const Shape& out_shape) {
  BF_CHECK(in_shape.size() == 4 && out_shape.size() == 4, ErrorKind::Unsupported,
           "linear bounds of {} '{}' are implemented for 2-D images (input {})", op_name(a.node.op), a.node.name,
           shape_str(in_shape));
  const auto& attrs = a.node.attrs;
  const auto& k = attrs.get_ints("kernel_shape");
  const auto& st = attrs.get_ints("strides");
  const auto& pads = attrs.get_ints("pads");
  const auto& dil = attrs.get_ints("dilations");
  return ConvGeometry{in_shape[1],  in_shape[2], in_shape[3], out_shape[1], out_shape[2],
                      out_shape[3], k[0],        k[1],        st[0],        st[1],
                      pads[0],      pads[1],     dil[0],      dil[1],       attrs.get_int("group", 1)};
}

template <typename T>
void conv_typed(const BackwardArgs& a) {
  BF_CHECK(a.in[0].active && !a.in[1].active && (a.in.size() < 3 || !a.in[2].active), ErrorKind::Unsupported,
           "Conv '{}' needs constant weights for linear bounds", a.node.name);
  const ConvGeometry g = conv_geometry(a, *a.shapes[0], a.out.value_shape);
  const T* w = data_of<T>(a, 1);
  const T* bias = a.in.size() > 2 ? data_of<T>(a, 2) : nullptr;
  const std::int64_t cin_g = g.cin / g.group, cout_g = g.cout / g.group;
  const std::int64_t out_plane = g.hout * g.wout, in_plane = g.hin * g.win;
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      const std::int64_t co = k / out_plane, ho = (k % out_plane) / g.wout, wo = k % g.wout;
      const std::int64_t grp = co / cout_g;
      for (std::int64_t cig = 0; cig < cin_g; ++cig) {
        const std::int64_t ci = grp * cin_g + cig;
        const T* wk = w + (co * cin_g + cig) * g.kh * g.kw;
        for (std::int64_t i = 0; i < g.kh; ++i) {
          const std::int64_t hi = ho * g.sh - g.pt + i * g.dh;
          if (hi < 0 || hi >= g.hin) continue;
          for (std::int64_t j = 0; j < g.kw; ++j) {
            const std::int64_t wi = wo * g.sw - g.pl + j * g.dw;
            if (wi < 0 || wi >= g.win) continue;
            target.add(ci * in_plane + hi * g.win + wi, v * wk[i * g.kw + j]);
          }
        }
      }
      if (bias) acc += v * bias[co];
    }
  });
}

// y[co, ho, wo] = sum over (ci, i, j) with ho = hi*s - pad + i*d of x[ci, hi, wi] W[ci, co_g, i, j] + b[co].
template <typename T>
void conv_transpose_typed(const BackwardArgs& a) {
  BF_CHECK(a.in[0].active && !a.in[1].active && (a.in.size() < 3 || !a.in[2].active), ErrorKind::Unsupported,
           "ConvTranspose '{}' needs constant weights for linear bounds", a.node.name);
  const ConvGeometry g = conv_geometry(a, *a.shapes[0], a.out.value_shape);
  const T* w = data_of<T>(a, 1);
  const T* bias = a.in.size() > 2 ? data_of<T>(a, 2) : nullptr;
  const std::int64_t cin_g = g.cin / g.group, cout_g = g.cout / g.group;
  const std::int64_t out_plane = g.hout * g.wout, in_plane = g.hin * g.win;
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      const std::int64_t co = k / out_plane, ho = (k % out_plane) / g.wout, wo = k % g.wout;
      const std::int64_t grp = co / cout_g, cog = co % cout_g;
      for (std::int64_t cig = 0; cig < cin_g; ++cig) {
        const std::int64_t ci = grp * cin_g + cig;
        const T* wk = w + (ci * cout_g + cog) * g.kh * g.kw;
        for (std::int64_t i = 0; i < g.kh; ++i) {
          const std::int64_t hnum = ho + g.pt - i * g.dh;
          if (hnum < 0 || hnum % g.sh != 0 || hnum / g.sh >= g.hin) continue;
          for (std::int64_t j = 0; j < g.kw; ++j) {
            const std::int64_t wnum = wo + g.pl - j * g.dw;
            if (wnum < 0 || wnum % g.sw != 0 || wnum / g.sw >= g.win) continue;
            target.add(ci * in_plane + (hnum / g.sh) * g.win + wnum / g.sw, v * wk[i * g.kw + j]);
          }
        }
      }
      if (bias) acc += v * bias[co];
    }
  });
}

// Operand i of Add/Sub/Mul/Div read at output element k (numpy broadcasting).
struct OperandMap {
  Broadcast map;
  OperandMap(const Shape& from, const Shape& to) : map(from, to) {}
};

template <typename T>
void add_sub_typed(const BackwardArgs& a) {
  const bool sub = a.node.op == OpKind::Sub;
  const Shape& ys = a.out.value_shape;
  std::vector<Broadcast> maps;
  for (std::size_t i = 0; i < 2; ++i) maps.emplace_back(*a.shapes[i], ys);
  std::vector<std::optional<TargetRow<T>>> targets(2);
  for (std::size_t i = 0; i < 2; ++i) {
    if (a.in[i].active) targets[i].emplace(a.in[i], a.chunk);
  }
  // A residual join: two activations of the output's shape whose rows share
  // the output's window, so entry e of a row is entry e of both targets. The
  // row is added (subtracted) run by run over the entries inside the value
  // (the general path below spent 0.7 ms a call on resnet_small in
  // coordinate arithmetic).
  const auto same_rows = [&](std::size_t i) {
    return a.in[i].active && *a.shapes[i] == ys && a.in[i].view.window == a.out.window &&
           a.in[i].view.elements == a.out.elements;
  };
  if (same_rows(0) && same_rows(1)) {
    for_each_row<T>(a, [&](int s, std::int64_t, std::int64_t r, const T* row, const RowCoords& oc) {
      T* d0 = row_of<T>(a.in[0].view.side(s), a.in[0].view, r);
      T* d1 = row_of<T>(a.in[1].view.side(s), a.in[1].view, r);
      oc.for_each_inside_run([&](std::int64_t from, std::int64_t to) {
        for (std::int64_t e = from; e < to; ++e) {
          d0[e] += row[e];
          d1[e] += sub ? -row[e] : row[e];
        }
      });
    });
    return;
  }
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    for (auto& t : targets) {
      if (t) t->set(s, r);
    }
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      for (std::size_t i = 0; i < 2; ++i) {
        const T signed_v = (sub && i == 1) ? -v : v;
        if (targets[i]) {
          targets[i]->add(maps[i](k), signed_v);
        } else {
          acc += signed_v * data_of<T>(a, i)[maps[i](k)];
        }
      }
    }
  });
}

template <typename T>
void mul_div_typed(const BackwardArgs& a) {
  const int x = active_operand(a);
  BF_CHECK(x == 0 || (x == 1 && a.node.op == OpKind::Mul), ErrorKind::Unsupported,
           "{} '{}': linear bounds need a constant {}", op_name(a.node.op), a.node.name,
           a.node.op == OpKind::Div ? "divisor" : "factor");
  const std::size_t c = x == 0 ? 1 : 0;
  const Shape& ys = a.out.value_shape;
  Broadcast xm(*a.shapes[static_cast<std::size_t>(x)], ys), cm(*a.shapes[c], ys);
  const T* cv = data_of<T>(a, c);
  const bool div = a.node.op == OpKind::Div;
  TargetRow<T> target(a.in[static_cast<std::size_t>(x)], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      const T f = cv[cm(k)];
      target.add(xm(k), div ? v / f : v * f);
    }
  });
}

template <typename T>
void neg_typed(const BackwardArgs& a) {
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const std::int64_t k = oc.value_index(e);
      if (k >= 0 && row[e] != T(0)) target.add(k, -row[e]);
    }
  });
}

// y = x * scale + shift (constants broadcast to x).
template <typename T>
void scale_shift_typed(const BackwardArgs& a) {
  const Shape& xs = *a.shapes[0];
  // Scale and shift broadcast to the value once per call (the index
  // arithmetic per element and row cost more than the rule).
  const std::int64_t n = numel(xs);
  std::vector<T> scale(static_cast<std::size_t>(n)), shift(static_cast<std::size_t>(n));
  {
    Broadcast sm(*a.shapes[1], xs), tm(*a.shapes[2], xs);
    const T* sc = data_of<T>(a, 1);
    const T* sh = data_of<T>(a, 2);
    for (std::int64_t k = 0; k < n; ++k) {
      scale[static_cast<std::size_t>(k)] = sc[sm(k)];
      shift[static_cast<std::size_t>(k)] = sh[tm(k)];
    }
  }
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      target.add(k, v * scale[static_cast<std::size_t>(k)]);
      acc += v * shift[static_cast<std::size_t>(k)];
    }
  });
}

// Inference BatchNormalization: y = s_c x + (B_c - s_c mean_c), s_c = scale_c / sqrt(var_c + eps).
template <typename T>
void batch_norm_typed(const BackwardArgs& a) {
  const Shape& xs = *a.shapes[0];
  const std::int64_t channels = xs[1];
  const std::int64_t inner = numel(xs) / (xs[0] * channels);
  const T eps = static_cast<T>(a.node.attrs.get_float("epsilon", 1e-5));
  const T *scale = data_of<T>(a, 1), *beta = data_of<T>(a, 2), *mean = data_of<T>(a, 3), *var = data_of<T>(a, 4);
  TargetRow<T> target(a.in[0], a.chunk);
  for_each_row<T>(a, [&](int s, std::int64_t b, std::int64_t r, const T* row, const RowCoords& oc) {
    target.set(s, r);
    T& acc = bias_at<T>(a, s, r);
    for (std::int64_t e = 0; e < oc.elements(); ++e) {
      const T v = row[e];
      if (v == T(0)) continue;
      const std::int64_t k = oc.value_index(e);
      if (k < 0) continue;
      const std::int64_t c = (k / inner) % channels;
      const T sc = scale[c] / std::sqrt(var[c] + eps);
      target.add(k, v * sc);
      acc += v * (beta[c] - sc * mean[c]);
    }
  });
}

}  // namespace

void backward_affine(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { affine_typed<decltype(t)>(a); });
}
void backward_gemm(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { gemm_typed<decltype(t)>(a); });
}
void backward_matmul(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { matmul_typed<decltype(t)>(a); });
}
void backward_conv(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { conv_typed<decltype(t)>(a); });
}
void backward_conv_transpose(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { conv_transpose_typed<decltype(t)>(a); });
}
void backward_add_sub(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { add_sub_typed<decltype(t)>(a); });
}
void backward_mul_div(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { mul_div_typed<decltype(t)>(a); });
}
void backward_neg(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { neg_typed<decltype(t)>(a); });
}
void backward_scale_shift(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { scale_shift_typed<decltype(t)>(a); });
}
void backward_batch_norm(const BackwardArgs& a) {
  visit_real(a.dtype, [&](auto t) { batch_norm_typed<decltype(t)>(a); });
}

}  // namespace bf
