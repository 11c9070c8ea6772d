#include "kernels/interval/dnnl_support.h"

#include "kernels/dnnl_engine.h"

namespace bf::interval_detail {

dnnl::engine& cpu_engine() { return dnnl_cpu_engine(); }
dnnl::stream& cpu_stream() { return dnnl_cpu_stream(); }

}  // namespace bf::interval_detail
