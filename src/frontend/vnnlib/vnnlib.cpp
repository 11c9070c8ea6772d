#include "frontend/vnnlib/vnnlib.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "support/error.h"
#include "support/file_io.h"

namespace bf {
namespace {

constexpr std::size_t kMaxCases = 1000000;

[[noreturn]] void bad(const std::string& path, std::int64_t line, const std::string& what) {
  throw Error(ErrorKind::Parse, fmt::format("{}:{}: {}", path, line, what));
}

struct Token {
  enum Kind { Open, Close, Symbol, End } kind = End;
  std::string text;
  std::int64_t line = 0;
};

// Tokens from a byte stream: parentheses and symbols; ';' starts a comment.
class Tokenizer {
 public:
  explicit Tokenizer(const std::string& path) : path_(path), stream_(ByteStream::open(path)) {}

  Token next() {
    for (;;) {
      const int c = peek();
      if (c < 0) return {Token::End, "", line_};
      if (c == '\n') {
        ++line_;
        get();
      } else if (std::isspace(c)) {
        get();
      } else if (c == ';') {
        while (peek() >= 0 && peek() != '\n') get();
      } else {
        break;
      }
    }
    const int c = get();
    if (c == '(') return {Token::Open, "(", line_};
    if (c == ')') return {Token::Close, ")", line_};
    std::string text(1, static_cast<char>(c));
    for (;;) {
      const int d = peek();
      if (d < 0 || std::isspace(d) || d == '(' || d == ')' || d == ';') break;
      text += static_cast<char>(get());
      if (text.size() > 256) bad(path_, line_, "a token longer than 256 characters");
    }
    return {Token::Symbol, text, line_};
  }

  std::int64_t line() const { return line_; }

 private:
  int peek() {
    if (pos_ == size_) {
      size_ = stream_->read(buffer_, sizeof(buffer_));
      pos_ = 0;
      if (size_ == 0) return -1;
    }
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  int get() {
    const int c = peek();
    if (c >= 0) ++pos_;
    return c;
  }

  std::string path_;
  std::unique_ptr<ByteStream> stream_;
  char buffer_[1 << 16];
  std::size_t pos_ = 0, size_ = 0;
  std::int64_t line_ = 1;
};

// One comparison, normalised: an input bound, an output row, or a constant truth.
struct Atom {
  enum Kind { InputBound, OutputRow, AlwaysTrue, AlwaysFalse } kind = AlwaysTrue;
  std::int64_t input = -1;
  bool upper = false;  // InputBound: X_input <= value (else >=)
  double value = 0.0;
  std::vector<std::pair<std::int64_t, double>> coeffs;  // OutputRow: sum coeffs . y <= value
};

// A formula in disjunctive normal form: a list of conjunctions of atom ids.
using Dnf = std::vector<std::vector<std::int32_t>>;

class Parser {
 public:
  Parser(const std::string& path, std::int64_t expected_inputs, std::int64_t expected_outputs)
      : path_(path), tokens_(path), expected_inputs_(expected_inputs), expected_outputs_(expected_outputs) {}

  VnnlibProperty parse() {
    for (;;) {
      Token t = tokens_.next();
      if (t.kind == Token::End) break;
      if (t.kind != Token::Open) bad(path_, t.line, fmt::format("expected '(' at the top level, got '{}'", t.text));
      Token head = symbol("a command");
      if (head.text == "declare-const") {
        declare(head.line);
      } else if (head.text == "assert") {
        Dnf dnf = formula();
        close("assert");
        if (dnf.size() == 1) {
          common_.insert(common_.end(), dnf[0].begin(), dnf[0].end());
        } else {
          disjunctions_.push_back(std::move(dnf));
          disjunction_lines_.push_back(head.line);
          std::size_t product = 1;
          for (const auto& d : disjunctions_)
            product = std::min(kMaxCases + 1, product * std::max<std::size_t>(1, d.size()));
          if (product > kMaxCases) bad(path_, head.line, fmt::format("more than {} cases", kMaxCases));
        }
      } else {
        bad(path_, head.line, fmt::format("unsupported command '{}' (expected declare-const or assert)", head.text));
      }
    }
    return build();
  }

 private:
  Token symbol(const char* what) {
    Token t = tokens_.next();
    if (t.kind != Token::Symbol) {
      bad(path_, t.line,
          fmt::format("expected {}, got {}", what, t.kind == Token::End ? "end of file" : "'" + t.text + "'"));
    }
    return t;
  }
  void close(const char* form) {
    Token t = tokens_.next();
    if (t.kind != Token::Close) {
      bad(path_, t.line,
          fmt::format("expected ')' to close {}, got {}", form,
                      t.kind == Token::End ? "end of file" : "'" + t.text + "'"));
    }
  }

  // X_12 -> ('X', 12); anything else -> nullopt.
  static std::optional<std::pair<char, std::int64_t>> variable(const std::string& s) {
    if (s.size() < 3 || (s[0] != 'X' && s[0] != 'Y') || s[1] != '_') return std::nullopt;
    std::int64_t v = 0;
    for (std::size_t i = 2; i < s.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i])) || v > 1000000000) return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return std::make_pair(s[0], v);
  }

  void declare(std::int64_t line) {
    Token name = symbol("a variable name");
    Token type = symbol("a type");
    close("declare-const");
    const auto var = variable(name.text);
    if (!var) bad(path_, line, fmt::format("variable '{}' is neither X_<i> nor Y_<j>", name.text));
    if (type.text != "Real")
      bad(path_, line, fmt::format("variable {} has type {}; only Real is supported", name.text, type.text));
    auto& declared = var->first == 'X' ? x_declared_ : y_declared_;
    if (!declared.insert(var->second).second) bad(path_, line, fmt::format("{} declared twice", name.text));
  }

  // A formula: its '(' comes next, or was already read by and/or (pending_open_).
  Dnf formula() {
    if (pending_open_) {
      pending_open_ = false;
    } else {
      Token open = tokens_.next();
      if (open.kind != Token::Open) {
        bad(path_, open.line, fmt::format("expected '(' to start a formula, got '{}'", open.text));
      }
    }
    Token head = symbol("and, or, <= or >=");
    if (head.text == "and" || head.text == "or") {
      std::vector<Dnf> parts;
      for (;;) {
        Token t = tokens_.next();
        if (t.kind == Token::Close) break;
        if (t.kind != Token::Open)
          bad(path_, t.line, fmt::format("expected a formula in {}, got '{}'", head.text, t.text));
        pending_open_ = true;
        parts.push_back(formula());
      }
      if (parts.empty()) bad(path_, head.line, fmt::format("empty {}", head.text));
      if (head.text == "or") {
        Dnf out;
        for (auto& p : parts) {
          for (auto& c : p) out.push_back(std::move(c));
          if (out.size() > kMaxCases) bad(path_, head.line, fmt::format("more than {} cases", kMaxCases));
        }
        return out;
      }
      Dnf out = {{}};
      for (const auto& p : parts) {
        Dnf next;
        for (const auto& a : out) {
          for (const auto& b : p) {
            std::vector<std::int32_t> c = a;
            c.insert(c.end(), b.begin(), b.end());
            next.push_back(std::move(c));
            if (next.size() > kMaxCases) bad(path_, head.line, fmt::format("more than {} cases", kMaxCases));
          }
        }
        out = std::move(next);
      }
      return out;
    }
    if (head.text == "<=" || head.text == ">=") {
      Token a = operand(), b = operand();
      close(head.text.c_str());
      return {{comparison(head.text == "<=", a, b)}};
    }
    bad(path_, head.line, fmt::format("unsupported operator '{}' (expected and, or, <= or >=)", head.text));
  }

  Token operand() {
    Token t = tokens_.next();
    if (t.kind == Token::Open) {
      bad(path_, t.line, "only variables and numbers can be compared (no arithmetic expressions)");
    }
    if (t.kind != Token::Symbol) bad(path_, t.line, "a comparison needs two operands");
    return t;
  }

  std::int32_t comparison(bool less_equal, const Token& a, const Token& b) {
    const auto va = variable(a.text), vb = variable(b.text);
    auto number = [&](const Token& t) {
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(t.text.c_str(), &end);
      if (end == t.text.c_str() || *end != '\0')
        bad(path_, t.line, fmt::format("'{}' is neither a declared variable nor a number", t.text));
      if (errno == ERANGE || !std::isfinite(v)) bad(path_, t.line, fmt::format("number {} is out of range", t.text));
      return v;
    };
    auto check = [&](const std::pair<char, std::int64_t>& v, const Token& t) {
      const auto& declared = v.first == 'X' ? x_declared_ : y_declared_;
      if (!declared.count(v.second)) bad(path_, t.line, fmt::format("undeclared variable {}", t.text));
    };
    if (va) check(*va, a);
    if (vb) check(*vb, b);
    Atom atom;
    if (!va && !vb) {
      const double x = number(a), y = number(b);
      atom.kind = (less_equal ? x <= y : x >= y) ? Atom::AlwaysTrue : Atom::AlwaysFalse;
    } else if (va && vb) {
      if (va->first != 'Y' || vb->first != 'Y') {
        bad(path_, a.line,
            fmt::format("comparing {} with {}: only outputs may be compared with each other", a.text, b.text));
      }
      // a <= b: y_a - y_b <= 0; a >= b: y_b - y_a <= 0.
      atom.kind = Atom::OutputRow;
      atom.coeffs = {{va->second, less_equal ? 1.0 : -1.0}, {vb->second, less_equal ? -1.0 : 1.0}};
    } else {
      const auto& v = va ? *va : *vb;
      const double c = number(va ? b : a);
      // var <= c, or c <= var (var >= c) ...
      const bool var_at_most = va ? less_equal : !less_equal;
      if (v.first == 'X') {
        atom.kind = Atom::InputBound;
        atom.input = v.second;
        atom.upper = var_at_most;
        atom.value = c;
      } else {
        atom.kind = Atom::OutputRow;
        atom.coeffs = {{v.second, var_at_most ? 1.0 : -1.0}};
        atom.value = var_at_most ? c : -c;
      }
    }
    atoms_.push_back(std::move(atom));
    return static_cast<std::int32_t>(atoms_.size() - 1);
  }

  std::int64_t count(const std::set<std::int64_t>& declared, char prefix) const {
    const auto n = static_cast<std::int64_t>(declared.size());
    for (std::int64_t i = 0; i < n; ++i) {
      if (!declared.count(i))
        bad(path_, tokens_.line(),
            fmt::format("{}_{} is not declared but {}_{} is", prefix, i, prefix, *declared.rbegin()));
    }
    return n;
  }

  VnnlibProperty build() {
    VnnlibProperty p;
    p.path = path_;
    p.num_inputs = count(x_declared_, 'X');
    p.num_outputs = count(y_declared_, 'Y');
    const std::int64_t end_line = tokens_.line();
    if (p.num_inputs == 0) bad(path_, end_line, "no input variable (X_0 ...) declared");
    if (expected_inputs_ >= 0 && p.num_inputs != expected_inputs_) {
      bad(path_, end_line, fmt::format("declares {} inputs but the network has {}", p.num_inputs, expected_inputs_));
    }
    if (expected_outputs_ >= 0 && p.num_outputs > expected_outputs_) {
      bad(path_, end_line,
          fmt::format("declares Y_{} but the network has {} outputs", p.num_outputs - 1, expected_outputs_));
    }
    // The common bounds (plain asserts) must describe a box on their own terms.
    std::vector<double> lo(static_cast<std::size_t>(p.num_inputs), -std::numeric_limits<double>::infinity());
    std::vector<double> hi(static_cast<std::size_t>(p.num_inputs), std::numeric_limits<double>::infinity());
    for (auto id : common_) apply_bound(atoms_[static_cast<std::size_t>(id)], lo, hi);
    for (std::int64_t i = 0; i < p.num_inputs; ++i) {
      if (lo[static_cast<std::size_t>(i)] > hi[static_cast<std::size_t>(i)]) {
        bad(path_, end_line,
            fmt::format("the input box is empty: X_{} >= {} and X_{} <= {}", i, lo[static_cast<std::size_t>(i)], i,
                        hi[static_cast<std::size_t>(i)]));
      }
    }
    // Every combination of one disjunct per `or` assert.
    std::vector<std::size_t> pick(disjunctions_.size(), 0);
    std::map<std::pair<std::vector<double>, std::vector<double>>, std::size_t> case_of_box;
    std::size_t empty = 0, total = 0;
    for (;;) {
      ++total;
      std::vector<std::int32_t> atoms = common_;
      for (std::size_t d = 0; d < disjunctions_.size(); ++d) {
        const auto& c = disjunctions_[d][pick[d]];
        atoms.insert(atoms.end(), c.begin(), c.end());
      }
      add_case(p, atoms, case_of_box, empty);
      std::size_t d = 0;
      while (d < pick.size() && ++pick[d] == disjunctions_[d].size()) pick[d++] = 0;
      if (d == pick.size()) break;
    }
    if (p.cases.empty()) {
      bad(path_, end_line, empty == total ? "every case has an empty input box" : "every case is contradictory");
    }
    return p;
  }

  void apply_bound(const Atom& a, std::vector<double>& lo, std::vector<double>& hi) const {
    if (a.kind != Atom::InputBound) return;
    auto& v = a.upper ? hi[static_cast<std::size_t>(a.input)] : lo[static_cast<std::size_t>(a.input)];
    v = a.upper ? std::min(v, a.value) : std::max(v, a.value);
  }

  void add_case(VnnlibProperty& p, const std::vector<std::int32_t>& atoms,
                std::map<std::pair<std::vector<double>, std::vector<double>>, std::size_t>& case_of_box,
                std::size_t& empty) {
    std::vector<double> lo(static_cast<std::size_t>(p.num_inputs), -std::numeric_limits<double>::infinity());
    std::vector<double> hi(static_cast<std::size_t>(p.num_inputs), std::numeric_limits<double>::infinity());
    OutputPolytope poly;
    for (auto id : atoms) {
      const Atom& a = atoms_[static_cast<std::size_t>(id)];
      if (a.kind == Atom::AlwaysFalse) return;  // a contradictory case: nothing violates there
      if (a.kind == Atom::InputBound) apply_bound(a, lo, hi);
      if (a.kind == Atom::OutputRow) {
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
        bad(path_, tokens_.line(),
            fmt::format("X_{} has no {} bound: every input must be bounded on both sides", i,
                        std::isfinite(lo[k]) ? "upper" : "lower"));
      }
    }
    auto key = std::make_pair(lo, hi);
    auto it = case_of_box.find(key);
    if (it == case_of_box.end()) {
      case_of_box.emplace(key, p.cases.size());
      p.cases.push_back(VnnlibCase{std::move(lo), std::move(hi), {}});
      it = case_of_box.find(key);
    }
    p.cases[it->second].polytopes.push_back(std::move(poly));
  }

  std::string path_;
  Tokenizer tokens_;
  std::int64_t expected_inputs_, expected_outputs_;
  std::set<std::int64_t> x_declared_, y_declared_;
  std::vector<Atom> atoms_;
  std::vector<std::int32_t> common_;
  std::vector<Dnf> disjunctions_;
  std::vector<std::int64_t> disjunction_lines_;
  bool pending_open_ = false;
};

}  // namespace

VnnlibProperty parse_vnnlib(const std::string& path, std::int64_t expected_inputs, std::int64_t expected_outputs) {
  return Parser(path, expected_inputs, expected_outputs).parse();
}

}  // namespace bf
