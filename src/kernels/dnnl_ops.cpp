#include "kernels/dnnl_ops.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "kernels/dnnl_engine.h"
#include "support/error.h"

namespace bf::kernels {
namespace {

using dnnl::memory;
using dt = memory::data_type;

dnnl::engine& cpu_engine() { return dnnl_cpu_engine(); }
dnnl::stream& cpu_stream() { return dnnl_cpu_stream(); }

memory::dims dims_of(const Shape& s) { return memory::dims(s.begin(), s.end()); }

// Plain C-order descriptor of a tensor with the given logical dims.
memory::desc plain_desc(const memory::dims& dims) {
  std::vector<std::int64_t> strides(dims.size(), 1);
  for (std::int64_t i = static_cast<std::int64_t>(dims.size()) - 2; i >= 0; --i) {
    strides[static_cast<std::size_t>(i)] =
        strides[static_cast<std::size_t>(i) + 1] * dims[static_cast<std::size_t>(i) + 1];
  }
  return memory::desc(dims, dt::f32, memory::dims(strides.begin(), strides.end()));
}

// Wraps `data` (laid out as `user`) in the layout the primitive wants, reordering
// into a fresh buffer when they differ.
memory as_layout(const memory::desc& user, const void* data, const memory::desc& wanted) {
  memory user_mem(user, cpu_engine(), const_cast<void*>(data));
  if (user == wanted) return user_mem;
  memory m(wanted, cpu_engine());
  dnnl::reorder(user_mem, m).execute(cpu_stream(), user_mem, m);
  return m;
}

template <typename Fn>
void with_dnnl_errors(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const dnnl::error& e) {
    fail(ErrorKind::Unsupported, "oneDNN rejected the {}: {}", what, e.what());
  }
}

}  // namespace

void dnnl_matmul_f32(const DnnlMatmul& p) {
  with_dnnl_errors("matrix product", [&] {
    const std::int64_t ba = p.a_strides[0] == 0 ? 1 : p.batch;
    const std::int64_t bw = p.w_strides[0] == 0 ? 1 : p.batch;
    // A shared (batch-1) operand gets a nonzero dummy batch stride: oneDNN rejects 0.
    memory::desc a_md({ba, p.m, p.k}, dt::f32,
                      {p.a_strides[0] == 0 ? p.m * p.k : p.a_strides[0], p.a_strides[1], p.a_strides[2]});
    memory::desc w_md({bw, p.k, p.n}, dt::f32,
                      {p.w_strides[0] == 0 ? p.k * p.n : p.w_strides[0], p.w_strides[1], p.w_strides[2]});
    memory::desc c_md = plain_desc({p.batch, p.m, p.n});
    memory::desc bias_md = p.bias ? plain_desc({1, 1, p.n}) : memory::desc();
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, w_md, bias_md, c_md), cpu_engine());
    memory a_mem(a_md, cpu_engine(), const_cast<float*>(p.a));
    memory w_mem(w_md, cpu_engine(), const_cast<float*>(p.w));
    memory c_mem(c_md, cpu_engine(), p.c);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DST, c_mem}};
    if (p.bias) args.insert({DNNL_ARG_BIAS, memory(bias_md, cpu_engine(), const_cast<float*>(p.bias))});
    dnnl::matmul(pd).execute(cpu_stream(), args);
    cpu_stream().wait();
  });
}

void dnnl_conv_f32(const DnnlConv& p) {
  BF_ASSERT(dnnl_conv_supported(p.in_spatial.size()));
  with_dnnl_errors(p.transposed ? "deconvolution" : "convolution", [&] {
    const std::int64_t g = p.group;
    Shape src{p.n, p.cin}, dst{p.n, p.cout};
    src.insert(src.end(), p.in_spatial.begin(), p.in_spatial.end());
    dst.insert(dst.end(), p.out_spatial.begin(), p.out_spatial.end());
    // oneDNN's grouped weights are logically [g, cout/g, cin/g, k...]. ONNX stores Conv
    // weights in exactly that order and ConvTranspose weights as [g, cin/g, cout/g, k...],
    // so the latter is described with the two channel strides swapped.
    const std::int64_t co = p.cout / g, ci = p.cin / g, ks = numel(p.kernel);
    memory::dims w_dims{g, co, ci};
    memory::dims w_strides =
        p.transposed ? memory::dims{ci * co * ks, ks, co * ks} : memory::dims{co * ci * ks, ci * ks, ks};
    const auto kstrides = contiguous_strides(p.kernel);
    for (std::size_t i = 0; i < p.kernel.size(); ++i) {
      w_dims.push_back(p.kernel[i]);
      w_strides.push_back(kstrides[i]);
    }
    memory::desc w_user(w_dims, dt::f32, w_strides);
    memory::desc x_user = plain_desc(dims_of(src));
    memory::desc y_user = plain_desc(dims_of(dst));
    memory::desc bias_md = p.bias ? plain_desc({p.cout}) : memory::desc();
    const std::size_t ns = p.kernel.size();
    auto any = [](const memory::dims& d) { return memory::desc(d, dt::f32, memory::format_tag::any); };
    // oneDNN counts dilation from 0 (no gap), ONNX from 1.
    memory::dims dil(ns);
    for (std::size_t i = 0; i < ns; ++i) dil[i] = p.dilations[i] - 1;
    const memory::dims strides = dims_of(p.strides), pl = dims_of(p.pad_begin), pr = dims_of(p.pad_end);

    dnnl::primitive prim;
    memory::desc x_want, w_want, y_want;
    if (!p.transposed) {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        any(dims_of(src)), any(w_dims), bias_md, any(dims_of(dst)), strides, dil, pl,
                                        pr);
      dnnl::convolution_forward::primitive_desc pd(d, cpu_engine());
      x_want = pd.src_desc(), w_want = pd.weights_desc(), y_want = pd.dst_desc();
      prim = dnnl::convolution_forward(pd);
    } else {
      dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                          any(dims_of(src)), any(w_dims), bias_md, any(dims_of(dst)), strides, dil, pl,
                                          pr);
      dnnl::deconvolution_forward::primitive_desc pd(d, cpu_engine());
      x_want = pd.src_desc(), w_want = pd.weights_desc(), y_want = pd.dst_desc();
      prim = dnnl::deconvolution_forward(pd);
    }
    memory x_mem = as_layout(x_user, p.x, x_want);
    memory w_mem = as_layout(w_user, p.w, w_want);
    memory y_user_mem(y_user, cpu_engine(), p.y);
    memory y_mem = y_want == y_user ? y_user_mem : memory(y_want, cpu_engine());
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DST, y_mem}};
    if (p.bias) args.insert({DNNL_ARG_BIAS, memory(bias_md, cpu_engine(), const_cast<float*>(p.bias))});
    prim.execute(cpu_stream(), args);
    if (!(y_want == y_user)) dnnl::reorder(y_mem, y_user_mem).execute(cpu_stream(), y_mem, y_user_mem);
    cpu_stream().wait();
  });
}

}  // namespace bf::kernels
