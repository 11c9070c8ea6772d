// `boundflow verify`: a verdict for a network and a VNN-LIB property, within a
// time limit. Per case (input box): CROWN over the whole box first (milliseconds);
// for the cases it leaves open, a short attack, then alpha-CROWN (--method auto,
// large inputs); what is left goes to input-split
// branch and bound when the input is small (verify/input_split.h), or to longer
// attacks. `unsat` when every case is proved, `sat` with the first
// counterexample that survives the f64 re-check, else `timeout` or `unknown`.
#pragma once

#include <memory>

#include "frontend/vnnlib/vnnlib.h"
#include "ir/graph.h"
#include "verify/verdict.h"

namespace bf {

VerifyResult verify(std::shared_ptr<const Graph> graph, const VnnlibProperty& property, const VerifyOptions& options);

}  // namespace bf
