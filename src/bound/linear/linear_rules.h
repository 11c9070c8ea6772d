// CROWN's knowledge of each primal op, in one table indexed by OpKind: the
// backward rule, the relaxation it needs, how the rows' window changes from the
// op's output to its input, and, for an op without a rule, why. Adding an op
// to the linear methods touches one entry here (and its rule's file); a unit
// test checks that every op has a rule or a reason.
#pragma once

#include <optional>
#include <string>

#include "bound/linear/backward.h"
#include "bound/linear/dual.h"
#include "bound/linear/relaxation.h"

namespace bf {

// How the rows' window at the op's input follows from the one at its output.
enum class WindowFlow : std::uint8_t {
  Same,     // elementwise: same window (operands broadcast to the output keep the whole value)
  Sliding,  // convolution or pooling: grown by the kernel (linear_geometry.h)
  Shift,    // Pad: shifted by the padding
  Whole,    // everything else: the input rows cover the whole value
};

struct LinearRule {
  OpKind op;
  BackwardRule backward;    // nullptr: no linear rule
  const char* unsupported;  // why not, when backward is nullptr
  RelaxKind relax;
  WindowFlow window;
  DualRule dual;  // alpha-CROWN's adjoint of the backward rule (dual.h)
};

const LinearRule& linear_rule(OpKind op);

// Why this node (with its operands in `graph`) has no linear bounds: the op
// has no rule, or this form of it (two activation operands, a non-2-D image,
// a LeakyRelu slope outside [0, 1], ...) is not covered. nullopt when it has.
std::optional<std::string> linear_unsupported(const Graph& graph, const Node& node);

}  // namespace bf
