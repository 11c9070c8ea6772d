// Converters for sliding-window ops (Conv, ConvTranspose, MaxPool, AveragePool,
// GlobalAveragePool), Pad and BatchNormalization. auto_pad, output_shape and
// absent kernel shapes are resolved here into explicit canonical attributes.
#include <algorithm>

#include "frontend/onnx/op_converters.h"
#include "support/error.h"

namespace bf::onnx_import {
namespace {

enum class AutoPad { NotSet, Valid, SameUpper, SameLower };

AutoPad read_auto_pad(NodeAttributes& attrs) {
  std::string v = attrs.get_string("auto_pad", "NOTSET");
  if (v == "NOTSET") return AutoPad::NotSet;
  if (v == "VALID") return AutoPad::Valid;
  if (v == "SAME_UPPER") return AutoPad::SameUpper;
  if (v == "SAME_LOWER") return AutoPad::SameLower;
  unsupported_attribute_value("auto_pad", v);
}

// A per-spatial-dimension attribute: absent -> `fallback` repeated, else exactly `count` values.
std::vector<std::int64_t> spatial_ints(NodeAttributes& attrs, const std::string& name, std::size_t count,
                                       std::int64_t fallback) {
  auto v = attrs.get_ints(name);
  if (!v) return std::vector<std::int64_t>(count, fallback);
  BF_CHECK(v->size() == count, ErrorKind::Invalid, "attribute '{}' has {} values, expected {}", name, v->size(), count);
  return *v;
}

// Splits a total padding between the two sides; SAME_UPPER puts the odd one at the end.
void split_padding(std::int64_t total, AutoPad mode, std::int64_t& begin, std::int64_t& end) {
  if (mode == AutoPad::SameUpper) {
    begin = total / 2;
    end = total - begin;
  } else {
    end = total / 2;
    begin = total - end;
  }
}

struct Window {
  std::vector<std::int64_t> kernel, strides, pads, dilations;
};

// kernel_shape, strides, dilations and pads of a forward sliding window, with
// auto_pad resolved: SAME_* pads so that output = ceil(input / stride).
Window read_window(NodeContext& n, const Shape& x, std::optional<std::vector<std::int64_t>> kernel_from_weight,
                   bool has_dilations) {
  BF_CHECK(x.size() >= 3, ErrorKind::Shape, "{} needs an input of rank >= 3, got {}", n.op_type(), shape_str(x));
  std::size_t ns = x.size() - 2;
  auto& attrs = n.attrs();
  Window w;
  if (auto k = attrs.get_ints("kernel_shape")) {
    w.kernel = *k;
  } else {
    BF_CHECK(kernel_from_weight.has_value(), ErrorKind::Invalid, "{} needs the attribute 'kernel_shape'", n.op_type());
    w.kernel = *kernel_from_weight;
  }
  BF_CHECK(w.kernel.size() == ns, ErrorKind::Invalid, "kernel_shape {} does not match {} spatial dimensions",
           shape_str(w.kernel), ns);
  w.strides = spatial_ints(attrs, "strides", ns, 1);
  w.dilations = has_dilations ? spatial_ints(attrs, "dilations", ns, 1) : std::vector<std::int64_t>(ns, 1);
  for (std::size_t i = 0; i < ns; ++i) {
    BF_CHECK(w.kernel[i] >= 1 && w.strides[i] >= 1 && w.dilations[i] >= 1, ErrorKind::Invalid,
             "kernel_shape, strides and dilations must be >= 1");
  }
  AutoPad mode = read_auto_pad(attrs);
  w.pads = spatial_ints(attrs, "pads", 2 * ns, 0);
  for (auto p : w.pads) BF_CHECK(p >= 0, ErrorKind::Invalid, "pads {} are negative", shape_str(w.pads));
  if (mode != AutoPad::NotSet) {
    BF_CHECK(std::all_of(w.pads.begin(), w.pads.end(), [](std::int64_t p) { return p == 0; }), ErrorKind::Invalid,
             "explicit pads {} cannot be combined with auto_pad", shape_str(w.pads));
  }
  if (mode == AutoPad::SameUpper || mode == AutoPad::SameLower) {
    for (std::size_t i = 0; i < ns; ++i) {
      std::int64_t in = x[i + 2];
      std::int64_t out = (in + w.strides[i] - 1) / w.strides[i];
      std::int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
      std::int64_t total = std::max<std::int64_t>(0, (out - 1) * w.strides[i] + span - in);
      split_padding(total, mode, w.pads[i], w.pads[i + ns]);
    }
  }
  return w;
}

void set_window(Attributes& a, const Window& w, bool with_dilations) {
  a.set("kernel_shape", w.kernel);
  a.set("strides", w.strides);
  a.set("pads", w.pads);
  if (with_dilations) a.set("dilations", w.dilations);
}

std::vector<std::int64_t> kernel_of(const Shape& weight) {
  BF_CHECK(weight.size() >= 3, ErrorKind::Shape, "convolution weight {} needs rank >= 3", shape_str(weight));
  return std::vector<std::int64_t>(weight.begin() + 2, weight.end());
}

void convert_conv(NodeContext& n) {
  n.expect_inputs(2, 3);
  n.expect_outputs(1, 1);
  const Shape& x = n.input_type(0).shape;
  Window w = read_window(n, x, kernel_of(n.input_type(1).shape), true);
  Attributes a;
  set_window(a, w, true);
  a.set("group", n.attrs().get_int("group", 1));
  n.emit(OpKind::Conv, a, {n.input(0), n.input(1), n.optional_input(2)});
}

// ConvTranspose: output_shape and auto_pad are resolved into pads (and, for an
// output_shape larger than the natural size, extra output_padding at the end).
void convert_conv_transpose(NodeContext& n) {
  n.expect_inputs(2, 3);
  n.expect_outputs(1, 1);
  const Shape& x = n.input_type(0).shape;
  BF_CHECK(x.size() >= 3, ErrorKind::Shape, "ConvTranspose needs an input of rank >= 3, got {}", shape_str(x));
  const std::size_t ns = x.size() - 2;
  auto& attrs = n.attrs();
  Window w;
  w.kernel = attrs.get_ints("kernel_shape").value_or(kernel_of(n.input_type(1).shape));
  BF_CHECK(w.kernel.size() == ns, ErrorKind::Invalid, "kernel_shape {} does not match {} spatial dimensions",
           shape_str(w.kernel), ns);
  w.strides = spatial_ints(attrs, "strides", ns, 1);
  w.dilations = spatial_ints(attrs, "dilations", ns, 1);
  for (std::size_t i = 0; i < ns; ++i) {
    BF_CHECK(w.kernel[i] >= 1 && w.strides[i] >= 1 && w.dilations[i] >= 1, ErrorKind::Invalid,
             "kernel_shape, strides and dilations must be >= 1");
  }
  std::vector<std::int64_t> out_pad = spatial_ints(attrs, "output_padding", ns, 0);
  for (auto p : out_pad) BF_CHECK(p >= 0, ErrorKind::Invalid, "output_padding {} is negative", shape_str(out_pad));
  AutoPad mode = read_auto_pad(attrs);
  w.pads = spatial_ints(attrs, "pads", 2 * ns, 0);
  for (auto p : w.pads) BF_CHECK(p >= 0, ErrorKind::Invalid, "pads {} are negative", shape_str(w.pads));
  if (mode != AutoPad::NotSet) {
    BF_CHECK(std::all_of(w.pads.begin(), w.pads.end(), [](std::int64_t p) { return p == 0; }), ErrorKind::Invalid,
             "explicit pads {} cannot be combined with auto_pad", shape_str(w.pads));
  }
  auto output_shape = attrs.get_ints("output_shape");
  if (output_shape) {
    // Some exporters give the full [N, C, spatial...] shape instead of the spatial part.
    if (output_shape->size() == ns + 2) output_shape->erase(output_shape->begin(), output_shape->begin() + 2);
    BF_CHECK(output_shape->size() == ns, ErrorKind::Invalid, "output_shape {} does not match {} spatial dimensions",
             shape_str(*output_shape), ns);
  } else if (mode == AutoPad::SameUpper || mode == AutoPad::SameLower) {
    output_shape = std::vector<std::int64_t>(ns);
    for (std::size_t i = 0; i < ns; ++i) (*output_shape)[i] = x[i + 2] * w.strides[i];
  } else if (mode == AutoPad::Valid) {
    std::fill(w.pads.begin(), w.pads.end(), 0);
  }
  if (output_shape) {
    // The ONNX specification: total = stride*(in-1) + output_padding + ((k-1)*d+1) - output_shape,
    // split with the odd unit at the end for SAME_UPPER and at the beginning otherwise.
    for (std::size_t i = 0; i < ns; ++i) {
      std::int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
      std::int64_t total = w.strides[i] * (x[i + 2] - 1) + out_pad[i] + span - (*output_shape)[i];
      if (total >= 0) {
        split_padding(total, mode, w.pads[i], w.pads[i + ns]);
      } else {
        // A requested output larger than the natural one grows at the end, as output_padding does.
        BF_CHECK(mode == AutoPad::NotSet, ErrorKind::Unsupported,
                 "ConvTranspose with auto_pad SAME and an output {} larger than the kernel covers is not supported",
                 shape_str(*output_shape));
        w.pads[i] = w.pads[i + ns] = 0;
        out_pad[i] -= total;
      }
    }
  }
  Attributes a;
  set_window(a, w, true);
  a.set("output_padding", out_pad);
  a.set("group", attrs.get_int("group", 1));
  n.emit(OpKind::ConvTranspose, a, {n.input(0), n.input(1), n.optional_input(2)});
}

void convert_max_pool(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 2);
  n.require_output_unused(1, "Indices");
  Window w = read_window(n, n.input_type(0).shape, std::nullopt, true);
  // storage_order only affects the Indices output, which BoundFlow does not produce.
  std::int64_t storage_order = n.attrs().get_int("storage_order", 0);
  if (storage_order != 0) unsupported_attribute_value("storage_order", storage_order);
  Attributes a;
  set_window(a, w, true);
  a.set("ceil_mode", std::int64_t{n.attrs().get_int("ceil_mode", 0) != 0});
  n.emit(OpKind::MaxPool, a, {n.input(0)});
}

void convert_average_pool(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  Window w = read_window(n, n.input_type(0).shape, std::nullopt, false);
  Attributes a;
  set_window(a, w, false);
  a.set("count_include_pad", std::int64_t{n.attrs().get_int("count_include_pad", 0) != 0});
  a.set("ceil_mode", std::int64_t{n.attrs().get_int("ceil_mode", 0) != 0});
  n.emit(OpKind::AveragePool, a, {n.input(0)});
}

void convert_global_average_pool(NodeContext& n) {
  n.expect_inputs(1, 1);
  n.expect_outputs(1, 1);
  n.emit(OpKind::GlobalAveragePool, {}, {n.input(0)});
}

void convert_pad(NodeContext& n) {
  n.expect_outputs(1, 1);
  std::string mode = n.attrs().get_string("mode", "constant");
  if (mode != "constant") unsupported_attribute_value("mode", mode);
  std::vector<std::int64_t> pads;
  double value = 0.0;
  if (n.opset() < 11) {
    n.expect_inputs(1, 1);
    auto p = n.attrs().get_ints("pads");
    BF_CHECK(p.has_value(), ErrorKind::Invalid, "Pad needs the attribute 'pads'");
    pads = *p;
    value = n.attrs().get_float("value", 0.0f);
  } else {
    n.expect_inputs(2, 3);
    pads = n.constant_input(1, "pads").to_int64_vector();
    if (n.has_input(2)) {
      const Tensor& v = n.constant_input(2, "constant_value");
      BF_CHECK(v.numel() == 1, ErrorKind::Invalid, "Pad constant_value must hold one value, has shape {}",
               shape_str(v.shape()));
      value = v.to_double_vector()[0];
    }
  }
  std::size_t rank = n.input_type(0).shape.size();
  BF_CHECK(pads.size() == 2 * rank, ErrorKind::Invalid, "Pad needs {} pads for an input of rank {}, got {}", 2 * rank,
           rank, pads.size());
  Attributes a;
  a.set("pads", pads);
  a.set("value", value);
  n.emit(OpKind::Pad, a, {n.input(0)});
}

void convert_batch_norm(NodeContext& n) {
  n.expect_inputs(5, 5);
  n.expect_outputs(1, n.opset() < 14 ? 5 : 3);
  auto& attrs = n.attrs();
  // Inference form only: statistics are the given running mean and variance.
  if (std::int64_t spatial = attrs.get_int("spatial", 1); spatial != 1) unsupported_attribute_value("spatial", spatial);
  if (std::int64_t training = attrs.get_int("training_mode", 0); training != 0) {
    unsupported_attribute_value("training_mode", training);
  }
  attrs.ignore("momentum");
  const char* roles[] = {"running mean", "running variance", "saved mean", "saved variance"};
  for (int i = 1; i <= 4; ++i) n.require_output_unused(i, roles[i - 1]);
  const char* params[] = {"scale", "bias", "mean", "variance"};
  std::vector<ValueId> inputs = {n.input(0)};
  for (int i = 1; i <= 4; ++i) {
    n.constant_input(i, params[i - 1]);
    inputs.push_back(n.input(i));
  }
  Attributes a;
  a.set("epsilon", static_cast<double>(attrs.get_float("epsilon", 1e-5f)));
  n.emit(OpKind::BatchNormalization, a, inputs);
}

constexpr ConverterEntry kConvConverters[] = {
    {"Conv", convert_conv},
    {"ConvTranspose", convert_conv_transpose},
    {"MaxPool", convert_max_pool},
    {"AveragePool", convert_average_pool},
    {"GlobalAveragePool", convert_global_average_pool},
    {"Pad", convert_pad},
    {"BatchNormalization", convert_batch_norm},
};

}  // namespace

std::span<const ConverterEntry> conv_converters() { return kConvConverters; }

}  // namespace bf::onnx_import
