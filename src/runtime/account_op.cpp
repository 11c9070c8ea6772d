#include "runtime/account_op.h"

#include "support/error.h"

namespace bf {

AccountOpLayout account_op_layout(const PlanBundle& plan, const TaskOp& op) {
  const Graph& g = *plan.graph;
  const Node& node = g.node(op.node);
  const auto& buffers = plan.storage.logical_buffers;
  auto layout_of = [&](BufferId b) { return buffers.at(static_cast<std::size_t>(b)).layout; };
  AccountOpLayout l;
  std::size_t next = 0;
  for (ValueId v : node.inputs) {
    AccountOpLayout::Operand o;
    o.present = v != kNoValue;
    o.constant = o.present && g.is_constant(v);
    if (o.present && !o.constant) {
      BF_CHECK(next < op.reads.size(), ErrorKind::Internal, "account op of '{}' lacks an operand's read", node.name);
      o.read = static_cast<std::int64_t>(next);
      o.interval = layout_of(op.reads[next]) == BufferLayout::Interval;
      ++next;
    }
    l.operands.push_back(o);
  }
  for (; next < op.reads.size(); ++next) {
    if (layout_of(op.reads[next]) == BufferLayout::Relaxation) l.relax_read = static_cast<std::int64_t>(next);
  }
  BF_CHECK(!op.writes.empty() && layout_of(op.writes[0]) == BufferLayout::Account, ErrorKind::Internal,
           "account op of '{}' does not write an account", node.name);
  if (op.writes.size() > 1) l.widen_write = 1;
  return l;
}

}  // namespace bf
