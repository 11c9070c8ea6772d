// Internal to bf_interval_kernels: the oneDNN engine and per-thread stream the
// prepared kernels run on, and oneDNN errors turned into bf::Error.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "support/error.h"

namespace bf::interval_detail {

// The engine and per-thread stream shared with the reference kernels (kernels/dnnl_engine.h).
dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// Runs fn(), rethrowing a dnnl::error as bf::Error(Unsupported) that names `what`.
template <typename Fn>
decltype(auto) with_dnnl_errors(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    fail(ErrorKind::Unsupported, "oneDNN rejected the {}: {}", what, e.what());
  }
}

// The implementation oneDNN picked, e.g. "brg:avx512_core".
inline std::string impl_name(const dnnl::primitive_desc_base& pd) { return pd.impl_info_str(); }

}  // namespace bf::interval_detail
