// A monotone activation fused after an interval kernel. For a non-decreasing f,
// f([l, u]) = [f(l), f(u)]: the epilogue is applied to the lower plane and to the
// upper plane alike, which is exactly what the reference IBP rule does for the
// activation node that follows (bound/interval_ops.cpp, `monotone`).
//
// Every activation computes bit for bit what the reference primal op computes
// (kernels/unary.cpp, f32): the same comparisons (so NaN and -0 come out the same)
// and the same libm calls. Relu, LeakyRelu and Clip run eight lanes at a time with
// AVX2 compares and blends, which select the same values the scalar ternaries do;
// Sigmoid and Tanh call std::exp / std::tanh one element at a time. The kernels'
// own fused passes use the same functors (activation_fns.h).
#pragma once

#include <cstdint>
#include <limits>

#include "ir/graph.h"

namespace bf {

struct Epilogue {
  enum Kind { None, Relu, LeakyRelu, Sigmoid, Tanh, Clip };
  Kind kind = None;
  float alpha = 0.0f;                                   // LeakyRelu slope, >= 0
  float min = -std::numeric_limits<float>::infinity();  // Clip
  float max = std::numeric_limits<float>::infinity();   // Clip

  static Epilogue none() { return {}; }
  static Epilogue relu() { return {Relu}; }
  // Throws bf::Error(Unsupported) for alpha < 0 (or NaN): not monotone.
  static Epilogue leaky_relu(float alpha);
  static Epilogue sigmoid() { return {Sigmoid}; }
  static Epilogue tanh() { return {Tanh}; }
  // min > max is allowed and, as in the reference, maps everything to max.
  static Epilogue clip(float min, float max);
};

// "none", "relu", "leaky_relu", "sigmoid", "tanh", "clip".
const char* epilogue_name(Epilogue::Kind kind);

// Whether `node` is an f32 activation an interval kernel can fuse: Relu, Sigmoid,
// Tanh, Clip, or LeakyRelu with alpha >= 0.
bool is_fusable_activation(const Node& node);
// The epilogue that computes `node`, with the attribute values the reference reads
// (LeakyRelu alpha, Clip min/max defaulting to -inf/+inf, converted to float).
// Throws bf::Error(Unsupported) when !is_fusable_activation(node).
Epilogue epilogue_from_node(const Node& node);

// data[i] = act(data[i]) for i < n.
void apply_epilogue(const Epilogue& epilogue, float* data, std::int64_t n);

// The centre-radius form of a box: centre = (u + l) / 2, radius = (u - l) / 2,
// computed as the reference rule computes them. Outputs may alias inputs.
void bounds_to_centre_radius(const float* lower, const float* upper, float* centre, float* radius, std::int64_t n);

// Back to bounds with the activation fused: lower = act(c - r), upper = act(c + r)
// (the reference writes c - r and c + r, then applies the activation to each plane).
// Outputs may alias inputs element for element.
void centre_radius_to_bounds(const Epilogue& epilogue, const float* centre, const float* radius, float* lower,
                             float* upper, std::int64_t n);

// The same for `rows` x `cols` matrices with a bias added to the centre first:
// lower[i][j] = act((c[i][j] + bias[j]) - r[i][j]), upper[i][j] = act((c[i][j] + bias[j]) + r[i][j]).
void centre_radius_bias_to_bounds(const Epilogue& epilogue, const float* centre, const float* radius, const float* bias,
                                  float* lower, float* upper, std::int64_t rows, std::int64_t cols);

}  // namespace bf
