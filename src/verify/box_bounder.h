// Bounds a case's spec rows over batches of input boxes with programs
// prepared once per batch size (a ladder: a call takes the smallest size that
// holds its boxes, the last box repeated to fill it). The input split's search
// and the sound prover's certificates both bound many small batches of boxes
// of one network: planning and compiling per call would cost more than the
// bounds.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "methods/bound_method.h"
#include "verify/case_problem.h"

namespace bf {

struct BoxBounderSetup {
  std::string method = "crown";  // crown or alpha-crown (then `alpha`)
  AlphaOptions alpha;
  DType dtype = DType::F32;
  bool sound_fp = false;            // the sound program (BoundRequest::sound_fp)
  bool upper = true;                // upper bounds of the rows too
  bool input_coefficients = false;  // the rows' coefficients in x (BoundRequest::export_input_coefficients)
  std::int64_t batch = 1;           // the most boxes one call bounds
  std::int64_t smallest = 4;        // the smallest prepared size
  std::int64_t ladder = 4;          // each prepared size this many times the last
  bool reuse_larger = false;        // pad to a prepared size up to 4x larger rather than prepare one
  std::int64_t max_memory = 0;
  CompileCache* cache = nullptr;  // null: the process-wide cache
};

class BoxBounder {
 public:
  BoxBounder(std::shared_ptr<const Graph> graph, const CaseProblem& problem, BoxBounderSetup setup);

  // Bounds of the boxes (each lower, upper; at most batch() of them). The
  // result holds a whole ladder size of samples: the first lower.size() are
  // the boxes'.
  BoundResult bound(const std::vector<const std::vector<double>*>& lower,
                    const std::vector<const std::vector<double>*>& upper);

  std::int64_t batch() const { return setup_.batch; }

 private:
  PreparedBounds& prepared_for(std::int64_t size);

  std::shared_ptr<const Graph> graph_;
  const CaseProblem& problem_;
  BoxBounderSetup setup_;
  Shape shape_;
  std::map<std::int64_t, std::unique_ptr<PreparedBounds>> prepared_;
};

}  // namespace bf
