// The one oneDNN CPU engine BoundFlow uses, and a stream per thread: shared by
// the reference kernels (dnnl_ops.cpp) and the prepared interval kernels.
// Including this pulls in oneDNN's headers; only .cpp files that run oneDNN do.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace bf {

dnnl::engine& dnnl_cpu_engine();
// Streams must not be shared between threads; one per thread, created on first use.
dnnl::stream& dnnl_cpu_stream();

}  // namespace bf
