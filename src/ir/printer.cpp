#include "ir/printer.h"

#include <fmt/format.h>

#include "support/hash.h"

namespace bf {
namespace {

bool plain_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '/' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string small_constant_values(const Tensor& t) {
  constexpr std::int64_t kMaxShown = 8;
  if (t.numel() > kMaxShown) return "";
  std::string out = " = [";
  auto values = t.to_double_vector();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    out += t.dtype() == DType::F32 ? format_float(static_cast<float>(values[i])) : format_double(values[i]);
  }
  return out + "]";
}

}  // namespace

std::string tensor_fingerprint(const Tensor& t) {
  Hasher h;
  h.add(t.dtype()).add(t.shape());
  if (t.nbytes()) h.bytes(t.raw_data(), t.nbytes());
  return fmt::format("{:016x}", h.digest());
}

std::string value_ref(const Graph& graph, ValueId id) {
  if (id == kNoValue) return "_";
  const std::string& name = graph.value(id).name;
  return "%" + (plain_name(name) ? name : quote(name));
}

std::string print_graph(const Graph& g) {
  std::string out = fmt::format("graph {} opset {}\n", quote(g.name), g.opset);
  for (ValueId v : g.inputs()) out += fmt::format("  input  {} : {}\n", value_ref(g, v), g.type(v).str());
  for (const auto& [v, t] : g.constants()) {
    out += fmt::format("  const  {} : {} #{}{}\n", value_ref(g, v), g.type(v).str(), tensor_fingerprint(t),
                       small_constant_values(t));
  }
  for (const auto& n : g.nodes()) {
    std::string outs, ins, types;
    for (std::size_t i = 0; i < n.outputs.size(); ++i) {
      if (i) {
        outs += ", ";
        types += ", ";
      }
      outs += value_ref(g, n.outputs[i]);
      types += g.type(n.outputs[i]).str();
    }
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      if (i) ins += ", ";
      ins += value_ref(g, n.inputs[i]);
    }
    std::string attrs = format_attributes(n.attrs);
    out += fmt::format("  {} = {}({}){}{} : {}  // {}\n", outs, op_name(n.op), ins, attrs.empty() ? "" : " ", attrs,
                       types, plain_name(n.name) ? n.name : quote(n.name));
  }
  for (ValueId v : g.outputs()) out += fmt::format("  output {}\n", value_ref(g, v));
  return out;
}

}  // namespace bf
