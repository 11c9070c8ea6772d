// How an Account op of a sound program (methods/crown_program.cpp) names its
// buffers, for the executors: per operand of its node, in operand order, one
// read per activation (the activation's interval when the program has one,
// else its producer's account); then the node's relaxation when it has one,
// and its output's interval when an interval op just wrote it (read and
// written: the account widens it). Writes: the account, then that interval.
#pragma once

#include <vector>

#include "planner/plan_bundle.h"

namespace bf {

struct AccountOpLayout {
  struct Operand {
    bool present = false, constant = false;
    std::int64_t read = -1;  // activations: index into op.reads
    bool interval = false;   // the read is an interval (else a producer's account)
  };
  std::vector<Operand> operands;  // one per node input
  std::int64_t relax_read = -1;   // index into op.reads, or -1
  std::int64_t widen_write = -1;  // index into op.writes, or -1
};

AccountOpLayout account_op_layout(const PlanBundle& plan, const TaskOp& op);

}  // namespace bf
