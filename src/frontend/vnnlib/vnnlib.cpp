#include "frontend/vnnlib/vnnlib.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "frontend/vnnlib/vnnlib_terms.h"
#include "frontend/vnnlib/vnnlib_tokens.h"
#include "support/error.h"

namespace bf {
namespace {

constexpr std::size_t kMaxCases = 1000000;
// Cases x (inputs + atoms per case), at most: what enumerating the cases costs.
constexpr double kMaxCaseWork = 1e7;
// Elements of a declared tensor, at most: 4M (a 3x1024x1024 image). Every
// output row and input bound vector is that long in doubles (32 MB).
constexpr std::int64_t kMaxElements = std::int64_t{1} << 22;
// The two tensors of the one network: its input and its output.
constexpr std::int32_t kInput = 0, kOutput = 1;

// An atom as the cases use it: a bound on one input, or a row over the outputs.
struct Constraint {
  enum Kind { InputBound, OutputRow } kind = InputBound;
  std::int64_t input = -1;
  bool upper = false;  // InputBound: x <= value (else x >= value)
  double value = 0.0;
  std::vector<std::pair<std::int64_t, double>> coeffs;  // OutputRow: sum coeffs . y <= value
};

// c x <= r as a bound on x, rounded outward unless the quotient is exact:
// the residual r - q c of a rounded division is a double, so fma gives it
// exactly (away from underflow, where the bound is nudged regardless).
std::pair<bool, double> bound_of(double c, double r) {
  const bool upper = c > 0.0;
  double q = r / c;
  const bool exact =
      std::isfinite(q) && (r == 0.0 || (std::fabs(r) > 1e-290 && std::fabs(q) > 1e-290 && std::fma(q, c, -r) == 0.0));
  if (!exact) {
    q = std::nextafter(q, upper ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity());
  }
  return {upper, q};
}

class Parser {
 public:
  Parser(const std::string& path, std::int64_t expected_inputs, std::int64_t expected_outputs)
      : path_(path), tokens_(path), expected_inputs_(expected_inputs), expected_outputs_(expected_outputs) {}

  VnnlibProperty parse() {
    for (bool first = true;; first = false) {
      VnnlibToken t = tokens_.next();
      if (t.kind == VnnlibToken::End) break;
      if (t.kind != VnnlibToken::Open) bad(t.line, fmt::format("expected '(' at the top level, got {}", t.shown()));
      VnnlibToken head = symbol("a command");
      if (head.text == "vnnlib-version") {
        if (!first) bad(head.line, "vnnlib-version must be the first form of the file");
        version(head.line);
      } else if (head.text == "declare-const") {
        if (version_ == 2) bad(head.line, "declare-const is VNN-LIB 1.0; a 2.0 file declares a network");
        version_ = 1;
        declare_const(head.line);
      } else if (head.text == "declare-network") {
        if (!x_declared_.empty() || !y_declared_.empty()) bad(head.line, "declare-network in a VNN-LIB 1.0 file");
        version_ = 2;
        declare_network(head.line);
      } else if (head.text == "assert") {
        assertion(head.line);
      } else {
        bad(head.line,
            fmt::format("unsupported command '{}' (expected declare-const, declare-network or assert)", head.text));
      }
    }
    return build();
  }

 private:
  [[noreturn]] void bad(std::int64_t line, const std::string& what) const { vnnlib_error(path_, line, what); }
  [[noreturn]] void unsupported(std::int64_t line, const std::string& what) const {
    vnnlib_unsupported(path_, line, what);
  }

  VnnlibToken symbol(const char* what) {
    VnnlibToken t = tokens_.next();
    if (t.kind != VnnlibToken::Symbol) bad(t.line, fmt::format("expected {}, got {}", what, t.shown()));
    return t;
  }
  void close(const std::string& form) {
    VnnlibToken t = tokens_.next();
    if (t.kind != VnnlibToken::Close) bad(t.line, fmt::format("expected ')' to close {}, got {}", form, t.shown()));
  }

  // (vnnlib-version <2.0>), also written 2.0.
  void version(std::int64_t line) {
    VnnlibToken v = symbol("a version such as <2.0>");
    close("vnnlib-version");
    std::string s = v.text;
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
    const auto dot = s.find('.');
    const bool digits =
        dot != std::string::npos && dot > 0 && dot + 1 < s.size() &&
        std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
    if (!digits || s.find('.', dot + 1) != std::string::npos)
      bad(line, fmt::format("version '{}' is not <major.minor>", v.text));
    const std::string major = s.substr(0, dot);
    if (major != "1" && major != "2")
      bad(line, fmt::format("VNN-LIB version {} is not supported (1.x and 2.x are)", s));
    version_ = major == "1" ? 1 : 2;
  }

  // --- 1.0: scalar declarations X_i, Y_j ---------------------------------

  // X_12 -> ('X', 12); anything else -> nullopt.
  static std::optional<std::pair<char, std::int64_t>> scalar_name(const std::string& s) {
    if (s.size() < 3 || (s[0] != 'X' && s[0] != 'Y') || s[1] != '_') return std::nullopt;
    std::int64_t v = 0;
    for (std::size_t i = 2; i < s.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i])) || v > 1000000000) return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return std::make_pair(s[0], v);
  }

  void declare_const(std::int64_t line) {
    VnnlibToken name = symbol("a variable name");
    VnnlibToken type = symbol("a type");
    close("declare-const");
    const auto var = scalar_name(name.text);
    if (!var) bad(line, fmt::format("variable '{}' is neither X_<i> nor Y_<j>", name.text));
    if (type.text != "Real")
      bad(line, fmt::format("variable {} has type {}; only Real is supported", name.text, type.text));
    auto& declared = var->first == 'X' ? x_declared_ : y_declared_;
    if (!declared.insert(var->second).second) bad(line, fmt::format("{} declared twice", name.text));
  }

  // --- 2.0: (declare-network N (declare-input X T [..]) (declare-output Y T [..])) --

  std::vector<std::int64_t> shape(const VnnlibToken& t) {
    const std::string& s = t.text;
    if (s.size() < 2 || s.front() != '[' || s.back() != ']')
      bad(t.line, fmt::format("expected a shape such as [1,784], got '{}'", s));
    std::vector<std::int64_t> dims;
    std::int64_t numel = 1;
    const std::string body = s.substr(1, s.size() - 2);
    std::size_t at = 0;
    while (!body.empty() && at <= body.size()) {
      const std::size_t comma = std::min(body.find(',', at), body.size());
      const std::string d = body.substr(at, comma - at);
      if (d.empty() || d.size() > 10 ||
          !std::all_of(d.begin(), d.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        bad(t.line, fmt::format("shape {}: '{}' is not a dimension", s, d));
      const std::int64_t n = std::stoll(d);
      if (n < 1) bad(t.line, fmt::format("shape {} has a dimension of 0", s));
      numel *= n;
      if (numel > kMaxElements) bad(t.line, fmt::format("shape {} has more than {} elements", s, kMaxElements));
      dims.push_back(n);
      at = comma + 1;
    }
    return dims;
  }

  VnnlibTensor tensor_declaration(const std::string& form, bool hidden) {
    VnnlibTensor x;
    VnnlibToken name = symbol("a tensor name");
    x.name = name.text;
    VnnlibToken type = symbol("an element type");
    x.type = type.text;
    static const std::set<std::string> kTypes = {"float16", "bfloat16", "float32", "float64",
                                                 "float",   "double",   "real",    "Real"};
    if (!kTypes.count(x.type))
      unsupported(type.line,
                  fmt::format("{} has type {}; only floating-point and real tensors are supported", x.name, x.type));
    x.shape = shape(symbol("a shape such as [1,784]"));
    if (hidden) symbol("the ONNX name of the hidden value, quoted");
    VnnlibToken t = tokens_.next();
    if (form == "declare-input" && t.kind == VnnlibToken::Symbol && t.text == "initialized") t = tokens_.next();
    if (t.kind != VnnlibToken::Close) bad(t.line, fmt::format("expected ')' to close {}, got {}", form, t.shown()));
    unique_name(name);
    return x;
  }

  void unique_name(const VnnlibToken& name) {
    if (!names_.insert(name.text).second) bad(name.line, fmt::format("the name {} is declared twice", name.text));
  }

  void declare_network(std::int64_t line) {
    VnnlibToken name = symbol("a network name");
    if (!network_.empty()) {
      unsupported(line, fmt::format("a second network '{}' (after '{}'): properties over several networks are not "
                                    "supported yet",
                                    name.text, network_));
    }
    unique_name(name);
    network_ = name.text;
    int inputs = 0, outputs = 0;
    for (;;) {
      VnnlibToken t = tokens_.next();
      if (t.kind == VnnlibToken::Close) break;
      if (t.kind != VnnlibToken::Open)
        bad(t.line, fmt::format("expected a declaration in declare-network {}, got {}", network_, t.shown()));
      VnnlibToken head = symbol("declare-input, declare-hidden or declare-output");
      if (head.text == "equal-to" || head.text == "isomorphic-to") {
        VnnlibToken other = symbol("a network name");
        bad(head.line,
            fmt::format("{} {}: no network {} is declared before {}", head.text, other.text, other.text, network_));
      } else if (head.text == "declare-input") {
        if (outputs > 0) bad(head.line, "declare-input after declare-output (inputs come first)");
        VnnlibTensor x = tensor_declaration(head.text, false);
        if (++inputs > 1)
          unsupported(head.line,
                      fmt::format("a second input '{}': networks with several inputs are not supported yet", x.name));
        input_ = std::move(x);
      } else if (head.text == "declare-hidden") {
        VnnlibTensor h = tensor_declaration(head.text, true);
        unsupported(head.line,
                    fmt::format("declare-hidden {}: constraints on hidden values are not supported yet", h.name));
      } else if (head.text == "declare-output") {
        if (inputs == 0) bad(head.line, "declare-output before any declare-input");
        VnnlibTensor y = tensor_declaration(head.text, false);
        if (++outputs > 1)
          unsupported(head.line,
                      fmt::format("a second output '{}': networks with several outputs are not supported yet", y.name));
        output_ = std::move(y);
      } else {
        bad(head.line, fmt::format("unsupported declaration '{}' in declare-network", head.text));
      }
    }
    if (inputs == 0 || outputs == 0)
      bad(line, fmt::format("network {} declares no {}", network_, inputs == 0 ? "input" : "output"));
  }

  static std::int64_t numel(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }

  // --- variables --------------------------------------------------------

  std::optional<VnnlibVar> resolve(const VnnlibToken& t) const {
    if (t.quoted) return std::nullopt;
    if (version_ != 2) {
      const auto v = scalar_name(t.text);
      if (!v) return std::nullopt;
      const auto& declared = v->first == 'X' ? x_declared_ : y_declared_;
      if (!declared.count(v->second)) bad(t.line, fmt::format("undeclared variable {}", t.text));
      return VnnlibVar{v->first == 'X' ? kInput : kOutput, v->second};
    }
    const auto open = t.text.find('[');
    const std::string name = t.text.substr(0, open);
    const VnnlibTensor* x = name == input_.name ? &input_ : name == output_.name ? &output_ : nullptr;
    if (x != nullptr) return VnnlibVar{x == &input_ ? kInput : kOutput, flat_index(t, *x, open)};
    if (name == network_) bad(t.line, fmt::format("{} is a network, not a value", name));
    if (open != std::string::npos) bad(t.line, fmt::format("undeclared variable {}", name));
    return std::nullopt;  // a number (the term reader names anything else)
  }

  std::int64_t flat_index(const VnnlibToken& t, const VnnlibTensor& x, std::size_t open) const {
    if (open == std::string::npos) {
      if (!x.shape.empty())
        bad(t.line, fmt::format("{} has shape {}: name one element of it, as in {}[0,...]", x.name, shape_text(x.shape),
                                x.name));
      return 0;
    }
    const std::string s = t.text.substr(open);
    if (s.back() != ']') bad(t.line, fmt::format("'{}' is not an element such as {}[0,1]", t.text, x.name));
    const std::string body = s.substr(1, s.size() - 2);
    std::vector<std::int64_t> index;
    std::size_t at = 0;
    while (at <= body.size()) {
      const std::size_t comma = std::min(body.find(',', at), body.size());
      const std::string d = body.substr(at, comma - at);
      if (d.empty() || d.size() > 10 ||
          !std::all_of(d.begin(), d.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        bad(t.line, fmt::format("'{}': '{}' is not an index", t.text, d));
      index.push_back(std::stoll(d));
      at = comma + 1;
    }
    if (index.size() != x.shape.size())
      bad(t.line,
          fmt::format("'{}' has {} indices; {} has shape {}", t.text, index.size(), x.name, shape_text(x.shape)));
    std::int64_t flat = 0;
    for (std::size_t k = 0; k < index.size(); ++k) {
      if (index[k] >= x.shape[k])
        bad(t.line, fmt::format("'{}' is outside {}, of shape {}", t.text, x.name, shape_text(x.shape)));
      flat = flat * x.shape[k] + index[k];
    }
    return flat;
  }

  static std::string shape_text(const std::vector<std::int64_t>& shape) {
    return fmt::format("[{}]", fmt::join(shape, ","));
  }

  std::string name_of(VnnlibVar v) const {
    if (version_ != 2) return fmt::format("{}_{}", v.tensor == kInput ? 'X' : 'Y', v.element);
    const VnnlibTensor& x = v.tensor == kInput ? input_ : output_;
    if (x.shape.empty()) return x.name;
    std::vector<std::int64_t> index(x.shape.size());
    std::int64_t rest = v.element;
    for (std::size_t k = x.shape.size(); k-- > 0;) {
      index[k] = rest % x.shape[k];
      rest /= x.shape[k];
    }
    return fmt::format("{}[{}]", x.name, fmt::join(index, ","));
  }

  // --- asserts ------------------------------------------------------------

  void assertion(std::int64_t line) {
    if (version_ == 2 && network_.empty()) bad(line, "assert before declare-network");
    const std::size_t first_atom = atoms_.size();
    VnnlibResolver resolve = [this](const VnnlibToken& t) { return this->resolve(t); };
    VnnlibDnf dnf = read_vnnlib_assert(tokens_, resolve, atoms_, kMaxCases);
    for (std::size_t a = first_atom; a < atoms_.size(); ++a) constraints_.push_back(constraint(atoms_[a]));
    if (dnf.empty()) {
      always_false_ = true;  // nothing can violate: no case
      return;
    }
    if (dnf.size() == 1) {
      common_.insert(common_.end(), dnf[0].begin(), dnf[0].end());
      return;
    }
    disjunctions_.emplace_back(std::make_move_iterator(dnf.begin()), std::make_move_iterator(dnf.end()));
    std::size_t product = 1;
    for (const auto& d : disjunctions_) product = std::min(kMaxCases + 1, product * std::max<std::size_t>(1, d.size()));
    if (product > kMaxCases) bad(line, fmt::format("more than {} cases", kMaxCases));
  }

  // What an atom constrains: one input (a bound) or outputs only (a row).
  Constraint constraint(const VnnlibAtom& a) const {
    Constraint c;
    bool inputs = false, outputs = false;
    for (const auto& [v, k] : a.coeffs) (v.tensor == kInput ? inputs : outputs) = true;
    if (inputs && outputs) {
      unsupported(a.line,
                  fmt::format("a constraint relating inputs and outputs ({} and {}): only outputs may be compared "
                              "with each other, inputs only bounded",
                              name_of(a.coeffs.front().first), name_of(a.coeffs.back().first)));
    }
    if (inputs) {
      if (a.coeffs.size() > 1) {
        unsupported(a.line,
                    fmt::format("a constraint over several inputs ({} and {}): only bounds of one input each make "
                                "the input box",
                                name_of(a.coeffs[0].first), name_of(a.coeffs[1].first)));
      }
      c.kind = Constraint::InputBound;
      c.input = a.coeffs[0].first.element;
      std::tie(c.upper, c.value) = bound_of(a.coeffs[0].second, a.rhs);
      return c;
    }
    c.kind = Constraint::OutputRow;
    for (const auto& [v, k] : a.coeffs) c.coeffs.emplace_back(v.element, k);
    c.value = a.rhs;
    return c;
  }

  // --- the cases ------------------------------------------------------------

  std::int64_t count(const std::set<std::int64_t>& declared, char prefix) const {
    const auto n = static_cast<std::int64_t>(declared.size());
    for (std::int64_t i = 0; i < n; ++i) {
      if (!declared.count(i))
        bad(tokens_.line(), fmt::format("{}_{} is not declared but {}_{} is", prefix, i, prefix, *declared.rbegin()));
    }
    return n;
  }

  VnnlibProperty build() {
    VnnlibProperty p;
    p.path = path_;
    p.version = version_ == 2 ? 2 : 1;
    const std::int64_t end_line = tokens_.line();
    if (version_ == 2) {
      if (network_.empty()) bad(end_line, "a VNN-LIB 2.0 file without declare-network");
      p.network = network_;
      p.input = input_;
      p.output = output_;
      p.num_inputs = numel(input_.shape);
      p.num_outputs = numel(output_.shape);
      check_inputs(p, end_line);
      if (expected_outputs_ >= 0 && p.num_outputs != expected_outputs_) {
        bad(end_line, fmt::format("{} has {} elements but the network has {} outputs", output_.name, p.num_outputs,
                                  expected_outputs_));
      }
    } else {
      p.num_inputs = count(x_declared_, 'X');
      p.num_outputs = count(y_declared_, 'Y');
      if (p.num_inputs == 0) bad(end_line, "no input variable (X_0 ...) declared");
      check_inputs(p, end_line);
      if (expected_outputs_ >= 0 && p.num_outputs > expected_outputs_) {
        bad(end_line,
            fmt::format("declares Y_{} but the network has {} outputs", p.num_outputs - 1, expected_outputs_));
      }
    }
    // The common bounds (plain asserts) must describe a box on their own terms.
    std::vector<double> lo(static_cast<std::size_t>(p.num_inputs), -std::numeric_limits<double>::infinity());
    std::vector<double> hi(static_cast<std::size_t>(p.num_inputs), std::numeric_limits<double>::infinity());
    for (auto id : common_) apply_bound(constraints_[static_cast<std::size_t>(id)], lo, hi);
    for (std::int64_t i = 0; i < p.num_inputs; ++i) {
      if (lo[static_cast<std::size_t>(i)] > hi[static_cast<std::size_t>(i)]) {
        bad(end_line,
            fmt::format("the input box is empty: {} >= {} and {} <= {}", name_of({kInput, i}),
                        lo[static_cast<std::size_t>(i)], name_of({kInput, i}), hi[static_cast<std::size_t>(i)]));
      }
    }
    if (always_false_) bad(end_line, "an assert that is always false: nothing can violate the property");
    // Every combination of one disjunct per `or` assert, each a box of every
    // input and its atoms: bounded work (a 3 KB file of 20 small `or`s makes
    // a million cases, and a million 784-input boxes would not fit in memory).
    double work = 1.0, per_case = static_cast<double>(p.num_inputs + static_cast<std::int64_t>(common_.size()));
    for (const auto& d : disjunctions_) {
      work *= static_cast<double>(d.size());
      std::size_t widest = 0;
      for (const auto& c : d) widest = std::max(widest, c.size());
      per_case += static_cast<double>(widest);
    }
    if (work * per_case > kMaxCaseWork) {
      unsupported(end_line, fmt::format("{:.0f} cases of {} inputs: more than this reader enumerates ({:.0e} values)",
                                        work, p.num_inputs, kMaxCaseWork));
    }
    std::vector<std::size_t> pick(disjunctions_.size(), 0);
    std::map<std::pair<std::vector<double>, std::vector<double>>, std::size_t> case_of_box;
    std::size_t empty = 0, total = 0;
    for (;;) {
      ++total;
      std::vector<std::int32_t> ids = common_;
      for (std::size_t d = 0; d < disjunctions_.size(); ++d) {
        const auto& c = disjunctions_[d][pick[d]];
        ids.insert(ids.end(), c.begin(), c.end());
      }
      add_case(p, ids, case_of_box, empty);
      std::size_t d = 0;
      while (d < pick.size() && ++pick[d] == disjunctions_[d].size()) pick[d++] = 0;
      if (d == pick.size()) break;
    }
    if (p.cases.empty()) {
      bad(end_line, empty == total ? "every case has an empty input box" : "every case is contradictory");
    }
    return p;
  }

  void check_inputs(const VnnlibProperty& p, std::int64_t line) const {
    if (expected_inputs_ >= 0 && p.num_inputs != expected_inputs_)
      bad(line, fmt::format("declares {} inputs but the network has {}", p.num_inputs, expected_inputs_));
  }

  static void apply_bound(const Constraint& a, std::vector<double>& lo, std::vector<double>& hi) {
    if (a.kind != Constraint::InputBound) return;
    auto& v = a.upper ? hi[static_cast<std::size_t>(a.input)] : lo[static_cast<std::size_t>(a.input)];
    v = a.upper ? std::min(v, a.value) : std::max(v, a.value);
  }

  void add_case(VnnlibProperty& p, const std::vector<std::int32_t>& ids,
                std::map<std::pair<std::vector<double>, std::vector<double>>, std::size_t>& case_of_box,
                std::size_t& empty) {
    std::vector<double> lo(static_cast<std::size_t>(p.num_inputs), -std::numeric_limits<double>::infinity());
    std::vector<double> hi(static_cast<std::size_t>(p.num_inputs), std::numeric_limits<double>::infinity());
    OutputPolytope poly;
    for (auto id : ids) {
      const Constraint& a = constraints_[static_cast<std::size_t>(id)];
      if (a.kind == Constraint::InputBound) apply_bound(a, lo, hi);
      if (a.kind == Constraint::OutputRow) {
        std::vector<double> row(static_cast<std::size_t>(p.num_outputs), 0.0);
        for (const auto& [j, c] : a.coeffs) row[static_cast<std::size_t>(j)] += c;
        poly.rows.push_back(std::move(row));
        poly.rhs.push_back(a.value);
      }
    }
    for (std::int64_t i = 0; i < p.num_inputs; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (lo[k] > hi[k]) {
        ++empty;  // disjuncts that exclude each other: an empty case, dropped
        return;
      }
      if (!std::isfinite(lo[k]) || !std::isfinite(hi[k])) {
        bad(tokens_.line(), fmt::format("{} has no {} bound: every input must be bounded on both sides",
                                        name_of({kInput, i}), std::isfinite(lo[k]) ? "upper" : "lower"));
      }
    }
    auto key = std::make_pair(lo, hi);
    auto it = case_of_box.find(key);
    if (it == case_of_box.end()) {
      case_of_box.emplace(key, p.cases.size());
      p.cases.push_back(VnnlibCase{std::move(lo), std::move(hi), {}});
      polytope_of_rows_.emplace_back();
      it = case_of_box.find(key);
    }
    add_polytope(p.cases[it->second], polytope_of_rows_[it->second], std::move(poly));
  }

  // A polytope joins its case's disjunction, unless the union already holds
  // it: the same rows and bounds, or one half-space with the same normal (the
  // union of c y <= a and c y <= b is c y <= max(a, b)). Generated properties
  // repeat disjuncts by the thousand, and each would cost a row of every bound.
  static void add_polytope(VnnlibCase& c, std::map<std::vector<std::vector<double>>, std::vector<std::size_t>>& by_rows,
                           OutputPolytope poly) {
    auto& same = by_rows[poly.rows];
    for (std::size_t k : same) {
      OutputPolytope& q = c.polytopes[k];
      if (q.rhs == poly.rhs) return;
      if (poly.rows.size() == 1) {
        q.rhs[0] = std::max(q.rhs[0], poly.rhs[0]);
        return;
      }
    }
    same.push_back(c.polytopes.size());
    c.polytopes.push_back(std::move(poly));
  }

  std::string path_;
  VnnlibTokenizer tokens_;
  std::int64_t expected_inputs_, expected_outputs_;
  int version_ = 0;                                 // 0: not yet known (no version form, no declaration yet)
  std::set<std::int64_t> x_declared_, y_declared_;  // 1.0
  std::string network_;                             // 2.0
  VnnlibTensor input_, output_;
  std::set<std::string> names_;
  std::vector<VnnlibAtom> atoms_;
  std::vector<Constraint> constraints_;  // per atom
  std::vector<std::int32_t> common_;
  std::vector<std::vector<VnnlibClause>> disjunctions_;
  bool always_false_ = false;
  // Per case: its polytopes by their rows (add_polytope).
  std::vector<std::map<std::vector<std::vector<double>>, std::vector<std::size_t>>> polytope_of_rows_;
};

}  // namespace

VnnlibProperty parse_vnnlib(const std::string& path, std::int64_t expected_inputs, std::int64_t expected_outputs) {
  return Parser(path, expected_inputs, expected_outputs).parse();
}

}  // namespace bf
