// A VNN-LIB property as a bound computation: its input boxes become the batch
// of an input region (one sample per box), and the rows of every output
// polytope become the rows of one output spec C (rows shared between polytopes
// appear once). Bounding C·y over the region bounds every polytope row of every
// case in one run.
#pragma once

#include <vector>

#include "bound/input_region.h"
#include "frontend/vnnlib/vnnlib.h"
#include "ir/graph.h"

namespace bf {

struct PropertySpec {
  InputRegion region;  // batch = number of cases
  Tensor c;            // [rows, num_outputs]
  // For case k, polytope p, constraint i: its row of C.
  std::vector<std::vector<std::vector<std::int64_t>>> row_of;
};

// Throws bf::Error(Shape) when the property does not fit the network's single
// input and output.
// `outward`: the boxes rounded outward to `dtype` (the region then holds every
// point of the property's boxes: sound floating point), else to nearest.
PropertySpec property_spec(const VnnlibProperty& property, const Graph& graph, DType dtype, bool outward = false);

// "y4 - y0" for a row of C.
std::string row_text(const std::vector<double>& row);

}  // namespace bf
