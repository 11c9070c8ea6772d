// A domain of the input split's search (verify/input_split.h): a sub-box of a
// case's input box.
#pragma once

#include <vector>

namespace bf {

struct SplitDomain {
  std::vector<double> lo, hi;
  double score = 0.0;   // least slack over polytopes (more negative: harder)
  double volume = 1.0;  // fraction of the case's box
  // Searched by the sound program itself (children inherit it): a claim the
  // sound program refused lies where its relaxations differ from the plain
  // search's (a ReLU's slope choice can flip on a rounding), and the plain
  // search would claim the same subdomains again and again.
  bool sound = false;
};

}  // namespace bf
