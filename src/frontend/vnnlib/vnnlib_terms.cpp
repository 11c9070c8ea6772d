#include "frontend/vnnlib/vnnlib_terms.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

namespace bf {
namespace {

enum class Op { Assert, And, Or, Not, Compare, Plus, Minus, Times, Divide };
enum class Cmp { Le, Ge, Lt, Gt, Eq, Ne };

// Atoms in the clauses of one normal form, at most (ints: 128 MB).
constexpr std::size_t kMaxProductAtoms = std::size_t{1} << 25;

bool boolean_op(Op op) { return op == Op::Assert || op == Op::And || op == Op::Or || op == Op::Not; }

// A linear term: sum c_v v + k.
struct Linear {
  std::map<VnnlibVar, double> c;
  double k = 0.0;
  // Every number above is the exact real result of the arithmetic on the
  // literals (each checked by its rounding error): an atom is built only from
  // exact terms, so no bound ends an ulp inside the property's region.
  bool exact = true;
  bool constant() const { return c.empty(); }
};

// a + b, and whether double addition was exact (TwoSum's error term is 0).
bool exact_sum(double a, double b, double s) {
  const double bb = s - a;
  return std::isfinite(s) && (a - (s - bb)) + (b - bb) == 0.0;
}
// a * b, and whether double multiplication was exact (the fma residual is 0; 0 products exact).
bool exact_product(double a, double b, double p) {
  if (a == 0.0 || b == 0.0) return true;
  return std::isfinite(p) && std::fabs(p) > 1e-290 && std::fma(a, b, -p) == 0.0;
}

struct Frame {
  Op op = Op::Assert;
  Cmp cmp = Cmp::Le;
  bool negated = false;  // under an odd number of `not`s (boolean frames)
  std::int64_t line = 0;
  std::string head;
  int children = 0;
  std::optional<VnnlibDnf> acc;  // boolean frames: what the operands so far give
  std::vector<Linear> terms;     // term and comparison frames: the operands
};

class AssertReader {
 public:
  AssertReader(VnnlibTokenizer& tokens, const VnnlibResolver& resolve, std::vector<VnnlibAtom>& atoms,
               std::size_t max_cases)
      : t_(tokens), resolve_(resolve), atoms_(atoms), max_cases_(max_cases) {}

  VnnlibDnf read(std::int64_t line) {
    Frame root;
    root.line = line;
    root.head = "assert";
    stack_.push_back(std::move(root));
    for (;;) {
      VnnlibToken tok = t_.next();
      if (tok.kind == VnnlibToken::End) bad(line, "end of file inside the assert that starts here");
      if (tok.kind == VnnlibToken::Open) {
        open(t_.next());
      } else if (tok.kind == VnnlibToken::Symbol) {
        symbol(tok);
      } else if (stack_.size() == 1) {
        Frame& a = stack_.back();
        if (a.children != 1) bad(tok.line, "an assert holds one formula");
        return std::move(*a.acc);
      } else {
        close();
      }
    }
  }

 private:
  [[noreturn]] void bad(std::int64_t line, const std::string& what) const { vnnlib_error(t_.path(), line, what); }
  [[noreturn]] void unsupported(std::int64_t line, const std::string& what) const {
    vnnlib_unsupported(t_.path(), line, what);
  }

  void open(const VnnlibToken& head) {
    if (head.kind != VnnlibToken::Symbol)
      bad(head.line, fmt::format("expected an operator after '(', got {}", head.shown()));
    const Frame& parent = stack_.back();
    Frame f;
    f.line = head.line;
    f.head = head.text;
    static const std::map<std::string, std::pair<Op, Cmp>> kOps = {
        {"and", {Op::And, Cmp::Le}},          {"or", {Op::Or, Cmp::Le}},
        {"not", {Op::Not, Cmp::Le}},          {"<=", {Op::Compare, Cmp::Le}},
        {">=", {Op::Compare, Cmp::Ge}},       {"<", {Op::Compare, Cmp::Lt}},
        {">", {Op::Compare, Cmp::Gt}},        {"=", {Op::Compare, Cmp::Eq}},
        {"==", {Op::Compare, Cmp::Eq}},       {"!=", {Op::Compare, Cmp::Ne}},
        {"distinct", {Op::Compare, Cmp::Ne}}, {"+", {Op::Plus, Cmp::Le}},
        {"-", {Op::Minus, Cmp::Le}},          {"*", {Op::Times, Cmp::Le}},
        {"/", {Op::Divide, Cmp::Le}},
    };
    const auto it = head.quoted ? kOps.end() : kOps.find(head.text);
    if (it == kOps.end()) {
      bad(head.line,
          fmt::format("unsupported operator '{}' (expected and, or, not, a comparison, +, -, * or /)", head.text));
    }
    f.op = it->second.first;
    f.cmp = it->second.second;
    const bool formula = boolean_op(f.op) || f.op == Op::Compare;
    if (boolean_op(parent.op) && !formula)
      bad(head.line, fmt::format("'{}' makes a number where a formula belongs", head.text));
    if (!boolean_op(parent.op) && formula)
      bad(head.line, fmt::format("'{}' makes a formula where a number belongs", head.text));
    f.negated = parent.op == Op::Not ? !parent.negated : boolean_op(parent.op) && parent.negated;
    stack_.push_back(std::move(f));
  }

  void symbol(const VnnlibToken& tok) {
    Frame& f = stack_.back();
    if (boolean_op(f.op)) {
      if (tok.text != "true" && tok.text != "false")
        bad(tok.line, fmt::format("expected a formula in {}, got '{}'", f.head, tok.text));
      const bool negated = f.op == Op::Not ? !f.negated : f.negated;
      const bool truth = (tok.text == "true") != negated;
      give(truth ? VnnlibDnf{{}} : VnnlibDnf{}, tok.line);
      return;
    }
    Linear x;
    if (const auto v = resolve_(tok)) {
      x.c[*v] = 1.0;
    } else {
      x.k = number(tok);
    }
    f.terms.push_back(std::move(x));
  }

  double number(const VnnlibToken& tok) const {
    const std::string& s = tok.text;
    // strtod also takes inf, nan and hex floats, which VNN-LIB does not write.
    const bool digits = !s.empty() && s.find_first_not_of("0123456789+-.eE") == std::string::npos;
    char* end = nullptr;
    errno = 0;
    const double v = digits && !tok.quoted ? std::strtod(s.c_str(), &end) : 0.0;
    if (!digits || tok.quoted || end == s.c_str() || *end != '\0')
      bad(tok.line, fmt::format("'{}' is neither a declared variable nor a number", s));
    if (errno == ERANGE || !std::isfinite(v)) bad(tok.line, fmt::format("number {} is out of range", s));
    return v;
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    switch (f.op) {
      case Op::And:
      case Op::Or:
        if (f.children == 0) bad(f.line, fmt::format("empty {}", f.head));
        give(std::move(*f.acc), f.line);
        return;
      case Op::Not:
        if (f.children != 1) bad(f.line, "not takes one formula");
        give(std::move(*f.acc), f.line);
        return;
      case Op::Compare:
        give(compare(f), f.line);
        return;
      case Op::Plus:
      case Op::Minus:
      case Op::Times:
      case Op::Divide:
        stack_.back().terms.push_back(arithmetic(f));
        return;
      case Op::Assert:
        break;
    }
    bad(f.line, "internal: an assert closed twice");
  }

  // A formula's value into the frame on top: And folds by product, Or by union.
  void give(VnnlibDnf d, std::int64_t line) {
    Frame& f = stack_.back();
    ++f.children;
    const bool and_like = (f.op == Op::And) != f.negated;
    if (f.op == Op::Assert || f.op == Op::Not) {
      if (f.children > 1) bad(line, fmt::format("{} takes one formula", f.head));
      f.acc = std::move(d);
    } else if (!f.acc) {
      f.acc = std::move(d);
    } else if (and_like) {
      f.acc = product(*f.acc, d, line);
    } else {
      append(*f.acc, std::move(d), line);
    }
  }

  void append(VnnlibDnf& into, VnnlibDnf d, std::int64_t line) const {
    // The smaller side moves, so a deep chain of `or`s costs its clause count, not its square.
    if (into.size() < d.size()) {
      for (auto it = into.rbegin(); it != into.rend(); ++it) d.push_front(std::move(*it));
      into = std::move(d);
    } else {
      for (auto& c : d) into.push_back(std::move(c));
    }
    if (into.size() > max_cases_) bad(line, fmt::format("more than {} cases", max_cases_));
  }

  VnnlibDnf product(const VnnlibDnf& a, const VnnlibDnf& b, std::int64_t line) const {
    if (a.size() * b.size() > max_cases_) bad(line, fmt::format("more than {} cases", max_cases_));
    // The product's atoms, counted before they are copied: a clause count under the cap can still hold too many.
    std::size_t atoms_a = 0, atoms_b = 0;
    for (const auto& x : a) atoms_a += x.size();
    for (const auto& y : b) atoms_b += y.size();
    if (static_cast<double>(atoms_a) * static_cast<double>(b.size()) +
            static_cast<double>(atoms_b) * static_cast<double>(a.size()) >
        static_cast<double>(kMaxProductAtoms))
      bad(line,
          fmt::format("a conjunction of disjunctions with more than {} atoms in its normal form", kMaxProductAtoms));
    VnnlibDnf out;
    for (const auto& x : a) {
      for (const auto& y : b) {
        VnnlibClause c;
        c.reserve(x.size() + y.size());
        c.insert(c.end(), x.begin(), x.end());
        c.insert(c.end(), y.begin(), y.end());
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  Linear arithmetic(Frame& f) const {
    if (f.terms.empty()) bad(f.line, fmt::format("'{}' without operands", f.head));
    Linear out = std::move(f.terms[0]);
    if (f.op == Op::Minus && f.terms.size() == 1) return scaled(out, -1.0, f.line);
    for (std::size_t i = 1; i < f.terms.size(); ++i) {
      Linear& x = f.terms[i];
      switch (f.op) {
        case Op::Plus:
        case Op::Minus:
          out = sum(out, f.op == Op::Plus ? x : scaled(x, -1.0, f.line), f.line);
          break;
        case Op::Times: {
          if (!out.constant() && !x.constant())
            unsupported(f.line, "a product of two variables: nonlinear terms are not supported yet");
          const bool factor_exact = out.constant() ? out.exact : x.exact;
          out = out.constant() ? scaled(x, out.k, f.line) : scaled(out, x.k, f.line);
          out.exact = out.exact && factor_exact;
          break;
        }
        case Op::Divide: {
          if (!x.constant()) unsupported(f.line, "a division by a variable: nonlinear terms are not supported yet");
          if (x.k == 0.0) bad(f.line, "a division by zero");
          const double inverse = 1.0 / x.k;
          const bool inverse_exact = x.exact && exact_product(inverse, x.k, 1.0) && inverse * x.k == 1.0;
          out = scaled(out, inverse, f.line);
          out.exact = out.exact && inverse_exact;
          break;
        }
        default:
          bad(f.line, "internal: not an arithmetic operator");
      }
    }
    return out;
  }

  Linear scaled(const Linear& x, double s, std::int64_t line) const {
    Linear out;
    out.exact = x.exact;
    out.k = finite(x.k * s, line);
    out.exact = out.exact && exact_product(x.k, s, out.k);
    for (const auto& [v, c] : x.c) {
      const double m = finite(c * s, line);
      out.exact = out.exact && exact_product(c, s, m);
      if (m != 0.0) out.c[v] = m;
    }
    return out;
  }

  Linear sum(Linear a, const Linear& b, std::int64_t line) const {
    const double k = finite(a.k + b.k, line);
    a.exact = a.exact && b.exact && exact_sum(a.k, b.k, k);
    a.k = k;
    for (const auto& [v, c] : b.c) {
      const double before = a.c.count(v) ? a.c[v] : 0.0;
      const double s = finite(before + c, line);
      a.exact = a.exact && exact_sum(before, c, s);
      if (s == 0.0) {
        a.c.erase(v);
      } else {
        a.c[v] = s;
      }
    }
    return a;
  }

  double finite(double v, std::int64_t line) const {
    if (!std::isfinite(v)) bad(line, "a coefficient out of range");
    return v;
  }

  // The comparison's formula: its chain of pairs, each pair's atoms, negated if under `not`.
  VnnlibDnf compare(const Frame& f) {
    if (f.terms.size() < 2) bad(f.line, fmt::format("'{}' needs two operands", f.head));
    if (f.cmp == Cmp::Ne && f.terms.size() != 2) bad(f.line, fmt::format("'{}' takes two operands", f.head));
    std::optional<VnnlibDnf> out;
    for (std::size_t i = 0; i + 1 < f.terms.size(); ++i) {
      VnnlibDnf pair = compare_pair(f.cmp, f.negated, f.terms[i], f.terms[i + 1], f.line);
      if (!out) {
        out = std::move(pair);
      } else if (f.negated) {
        append(*out, std::move(pair), f.line);  // not (p and q) = not p or not q
      } else {
        out = product(*out, pair, f.line);
      }
    }
    return std::move(*out);
  }

  VnnlibDnf compare_pair(Cmp cmp, bool negated, const Linear& a, const Linear& b, std::int64_t line) {
    if (negated) {
      static const std::map<Cmp, Cmp> kNot = {{Cmp::Le, Cmp::Gt}, {Cmp::Ge, Cmp::Lt}, {Cmp::Lt, Cmp::Ge},
                                              {Cmp::Gt, Cmp::Le}, {Cmp::Eq, Cmp::Ne}, {Cmp::Ne, Cmp::Eq}};
      cmp = kNot.at(cmp);
    }
    const Linear d = sum(a, scaled(b, -1.0, line), line);  // a - b
    // A comparison stands on exact numbers only: a rounded constant or
    // coefficient could move its boundary an ulp inside the region.
    if (!d.exact)
      unsupported(line,
                  "arithmetic on constants here rounds in double precision (a bound or a coefficient that "
                  "doubles cannot hold exactly)");
    if (d.constant()) {
      const double v = d.k;
      bool truth = false;
      switch (cmp) {
        case Cmp::Le:
          truth = v <= 0.0;
          break;
        case Cmp::Ge:
          truth = v >= 0.0;
          break;
        case Cmp::Lt:
          truth = v < 0.0;
          break;
        case Cmp::Gt:
          truth = v > 0.0;
          break;
        case Cmp::Eq:
          truth = v == 0.0;
          break;
        case Cmp::Ne:
          truth = v != 0.0;
          break;
      }
      return truth ? VnnlibDnf{{}} : VnnlibDnf{};
    }
    // Closures: < as <=, > as >=, != as (<= or >=).
    const std::int32_t le = atom(d, 1.0, line), ge = atom(d, -1.0, line);  // d <= 0, -d <= 0
    switch (cmp) {
      case Cmp::Le:
      case Cmp::Lt:
        return {{le}};
      case Cmp::Ge:
      case Cmp::Gt:
        return {{ge}};
      case Cmp::Eq:
        return {{le, ge}};
      case Cmp::Ne:
        return {{le}, {ge}};
    }
    bad(line, "internal: unknown comparison");
  }

  // s * d <= 0 as an atom: sum (s c_v) v <= -s k.
  std::int32_t atom(const Linear& d, double s, std::int64_t line) {
    VnnlibAtom a;
    a.line = line;
    a.rhs = -s * d.k;
    for (const auto& [v, c] : d.c) a.coeffs.emplace_back(v, s * c);
    atoms_.push_back(std::move(a));
    return static_cast<std::int32_t>(atoms_.size() - 1);
  }

  VnnlibTokenizer& t_;
  const VnnlibResolver& resolve_;
  std::vector<VnnlibAtom>& atoms_;
  std::size_t max_cases_;
  std::vector<Frame> stack_;
};

}  // namespace

VnnlibDnf read_vnnlib_assert(VnnlibTokenizer& tokens, const VnnlibResolver& resolve, std::vector<VnnlibAtom>& atoms,
                             std::size_t max_cases) {
  return AssertReader(tokens, resolve, atoms, max_cases).read(tokens.line());
}

}  // namespace bf
