// An assert's formula, read as it streams in, without recursion: a stack of
// open forms, each folding in its operands as they close, so any nesting
// depth costs memory in proportion to the depth and no C++ stack.
//   - Terms are linear: numbers, variables (resolved by the caller), `+`,
//     `-` (also unary), `*` with at most one non-constant factor, `/` by a
//     non-zero constant. A product of variables is named with its line.
//   - Comparisons `<=` `>=` `<` `>` (strict ones read as their closure: a
//     point on the boundary counts as violating, which can only make `unsat`
//     harder to claim), `=` / `==` (both sides), `!=` / `distinct` (either
//     side), chained as in SMT-LIB (`(<= a b c)` is a <= b and b <= c).
//   - `and`, `or`, `not` (pushed down to the comparisons), `true`, `false`.
// The result is the formula's disjunctive normal form over atoms
// `sum c_v v <= rhs`, capped at `max_cases` clauses (one line past it).
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frontend/vnnlib/vnnlib_tokens.h"

namespace bf {

// An element of a declared tensor (the caller numbers the tensors).
struct VnnlibVar {
  std::int32_t tensor = 0;
  std::int64_t element = 0;
  auto operator<=>(const VnnlibVar&) const = default;
};

// sum coeffs . v <= rhs, variables in increasing order, no zero coefficient.
struct VnnlibAtom {
  std::vector<std::pair<VnnlibVar, double>> coeffs;
  double rhs = 0.0;
  std::int64_t line = 0;
};

using VnnlibClause = std::vector<std::int32_t>;  // a conjunction of atom ids
using VnnlibDnf = std::deque<VnnlibClause>;      // a disjunction of clauses: {} false, {{}} true

// The variable a symbol names, or nullopt when it names none (then it must be a number).
using VnnlibResolver = std::function<std::optional<VnnlibVar>(const VnnlibToken&)>;

// Reads the formula of an assert whose "(assert" was just read, and its
// closing ')'. Atoms are appended to `atoms`.
VnnlibDnf read_vnnlib_assert(VnnlibTokenizer& tokens, const VnnlibResolver& resolve, std::vector<VnnlibAtom>& atoms,
                             std::size_t max_cases);

}  // namespace bf
