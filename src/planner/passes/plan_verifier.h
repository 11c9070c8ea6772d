// PlanVerifier: the invariants every plan must satisfy, checked independently of
// the passes that built it. Throws bf::Error(Invalid) naming the first violation:
//   - the task graph is acyclic, edges point from a buffer's producer to a reader,
//     and every task's contract lists exactly what its ops read from / hand to others;
//   - every activation value has a logical buffer, every logical buffer a physical one
//     large enough and of the same dtype and device;
//   - every read follows its write in the schedule;
//   - no two logical buffers alive at the same time share a physical buffer;
//   - graph inputs and outputs are never shared with any other buffer.
// It recomputes liveness itself rather than trusting the bundle's.
#pragma once

#include "planner/plan_bundle.h"

namespace bf {

void verify_plan(const PlanBundle& bundle);

}  // namespace bf
