// A convolution test case shared by the IntervalConvF32 tests: shapes, the
// canonical Conv attributes and node, and a label for failure messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bf::test {

struct ConvCase {
  Shape x, w;  // per-sample input [N, C, H, W]; weight [OC, C/group, kh, kw]
  std::vector<std::int64_t> strides, pads, dilations;
  std::int64_t group = 1;
  std::int64_t batch = 1;
};

inline Attributes conv_attrs(const ConvCase& c) {
  Attributes a;
  a.set("kernel_shape", std::vector<std::int64_t>{c.w[2], c.w[3]});
  a.set("strides", c.strides);
  a.set("pads", c.pads);
  a.set("dilations", c.dilations);
  a.set("group", c.group);
  return a;
}

inline Node conv_node(const ConvCase& c) { return Node{OpKind::Conv, "conv", conv_attrs(c), {1, 2, 3}, {4}}; }

inline std::string label(const ConvCase& c) {
  return "x " + shape_str(c.x) + " w " + shape_str(c.w) + " strides " + shape_str(c.strides) + " pads " +
         shape_str(c.pads) + " dilations " + shape_str(c.dilations) + " group " + std::to_string(c.group) + " batch " +
         std::to_string(c.batch);
}

}  // namespace bf::test
