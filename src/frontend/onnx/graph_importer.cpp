#include "frontend/onnx/graph_importer.h"

#include <fmt/format.h>

#include <functional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "frontend/onnx/import_context.h"
#include "frontend/onnx/model_loader.h"
#include "frontend/onnx/op_converters.h"
#include "frontend/onnx/symbolic_dims.h"
#include "support/error.h"

namespace bf::onnx_import {
namespace {

// Node indices in an order where every producer precedes its consumers. ONNX
// requires sorted nodes, so this is usually 0..n-1; otherwise a stable Kahn sort
// (lowest index first) repairs it, and a cycle is an Error(Invalid).
std::vector<int> topological_order(const onnx::GraphProto& g) {
  const int n = g.node_size();
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i) {
    for (const auto& out : g.node(i).output()) {
      if (!out.empty()) producer.emplace(out, i);
    }
  }
  std::vector<std::vector<int>> consumers(static_cast<std::size_t>(n));
  std::vector<int> pending(static_cast<std::size_t>(n), 0);
  bool sorted = true;
  for (int i = 0; i < n; ++i) {
    for (const auto& in : g.node(i).input()) {
      auto it = in.empty() ? producer.end() : producer.find(in);
      if (it == producer.end()) continue;
      if (it->second >= i) sorted = false;
      consumers[static_cast<std::size_t>(it->second)].push_back(i);
      ++pending[static_cast<std::size_t>(i)];
    }
  }
  std::vector<int> order;
  order.reserve(static_cast<std::size_t>(n));
  if (sorted) {
    for (int i = 0; i < n; ++i) order.push_back(i);
    return order;
  }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int i = 0; i < n; ++i) {
    if (pending[static_cast<std::size_t>(i)] == 0) ready.push(i);
  }
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int c : consumers[static_cast<std::size_t>(i)]) {
      if (--pending[static_cast<std::size_t>(c)] == 0) ready.push(c);
    }
  }
  if (static_cast<int>(order.size()) < n) {
    for (int i = 0; i < n; ++i) {
      if (pending[static_cast<std::size_t>(i)] > 0) {
        fail(ErrorKind::Invalid, "the graph has a cycle through node '{}' ({})", g.node(i).name(), g.node(i).op_type());
      }
    }
  }
  return order;
}

// Names come from the file and may hold any bytes; error context must stay on one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string node_name(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? fmt::format("{}_{}", node.op_type(), index) : node.name();
}

void convert_node(ImportContext& ctx, const onnx::NodeProto& node, const std::string& name) {
  BF_CHECK(is_default_domain(node.domain()), ErrorKind::Unsupported, "operator '{}' of domain '{}' is not supported",
           node.op_type(), node.domain());
  Converter convert = find_converter(node.op_type());
  BF_CHECK(convert != nullptr, ErrorKind::Unsupported, "unsupported operator '{}'", node.op_type());
  NodeContext nc(ctx, node, name);
  convert(nc);
  nc.attrs().finish();
}

}  // namespace

Graph import_model(const onnx::ModelProto& model, const ImportOptions& options) {
  const onnx::GraphProto& g = model.graph();
  Graph graph;
  graph.name = g.name();
  graph.opset = default_opset(model);
  ImportContext ctx(graph, graph.opset, options);
  BF_CHECK(g.sparse_initializer_size() == 0, ErrorKind::Unsupported, "sparse initializers are not supported");

  for (const auto& v : g.input()) ctx.reserve_name(v.name());
  for (const auto& t : g.initializer()) ctx.reserve_name(t.name());
  for (const auto& node : g.node()) {
    for (const auto& out : node.output()) ctx.reserve_name(out);
    for (const auto& in : node.input()) ctx.mark_used(in);
  }
  for (const auto& v : g.output()) ctx.mark_used(v.name());

  // Initializers first: IR versions < 4 also list them among the graph inputs.
  std::unordered_set<std::string> initializer_names;
  for (const auto& t : g.initializer()) {
    BF_CHECK(!t.name().empty(), ErrorKind::Invalid, "an initializer has no name");
    initializer_names.insert(t.name());
    ctx.bind(t.name(), graph.add_constant(t.name(), tensor_from_proto(t)));
  }
  for (const auto& v : g.input()) {
    if (initializer_names.count(v.name())) continue;
    BF_CHECK(!v.name().empty(), ErrorKind::Invalid, "a graph input has no name");
    ctx.bind(v.name(), graph.add_input(v.name(), bind_graph_input(v, options)));
  }

  for (int index : topological_order(g)) {
    const onnx::NodeProto& node = g.node(index);
    std::string name = node_name(node, index);
    try {
      convert_node(ctx, node, name);
    } catch (Error& e) {
      e.with_node(one_line(name), one_line(node.op_type()));
      throw;
    }
  }

  BF_CHECK(g.output_size() > 0, ErrorKind::Invalid, "the graph has no outputs");
  for (const auto& out : g.output()) {
    auto id = ctx.lookup(out.name());
    BF_CHECK(id.has_value(), ErrorKind::Invalid,
             "graph output '{}' is not produced by any node, graph input or initializer", out.name());
    graph.add_output(*id);
    check_declared_type(out, graph.type(*id));
  }
  for (const auto& info : g.value_info()) {
    if (auto id = ctx.lookup(info.name())) check_declared_type(info, graph.type(*id));
  }

  graph.compact();
  validate(graph);
  return graph;
}

}  // namespace bf::onnx_import
