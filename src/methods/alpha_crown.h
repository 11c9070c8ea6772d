// alpha-CROWN (docs/alpha_crown.md): CROWN whose relaxations of Relu,
// LeakyRelu, Sigmoid and Tanh are optimised per row of every sweep by
// projected gradient steps (Adam), with gradients from our own adjoint pass
// (bound/linear/dual.h), never looser than CROWN: every bound, intermediate
// and final, is the best seen, starting from CROWN's.
#pragma once

#include <memory>

#include "methods/bound_method.h"

namespace bf {

std::unique_ptr<BoundMethod> make_alpha_crown_method();

}  // namespace bf
