#include "verify/counterexample.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>
#include <map>

#include "support/error.h"
#include "support/file_io.h"

namespace bf {
namespace {

struct Token {
  enum Kind { Open, Close, Atom, End } kind;
  std::string_view text;
  int line;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token next() {
    while (pos_ < text_.size() && is_space(text_[pos_])) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ == text_.size()) return {Token::End, {}, line_};
    const char c = text_[pos_];
    if (c == '(' || c == ')') {
      ++pos_;
      return {c == '(' ? Token::Open : Token::Close, text_.substr(pos_ - 1, 1), line_};
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != '(' && text_[pos_] != ')') ++pos_;
    return {Token::Atom, text_.substr(start, pos_ - start), line_};
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Token::Open:
      return "'('";
    case Token::Close:
      return "')'";
    case Token::Atom:
      return fmt::format("'{}'", t.text);
    case Token::End:
      return "end of file";
  }
  return "?";
}

[[noreturn]] void parse_error(const Token& at, std::string_view expected) {
  fail(ErrorKind::Parse, "counterexample line {}: expected {}, found {}", at.line, expected, describe(at));
}

double parse_value(const Token& t) {
  std::string_view s = t.text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) parse_error(t, "a decimal number");
  BF_CHECK(std::isfinite(v), ErrorKind::Parse, "counterexample line {}: value {} is not finite", t.line, t.text);
  return v;
}

std::vector<double> in_index_order(const std::map<std::int64_t, double>& values, char name) {
  std::vector<double> out;
  for (const auto& [index, v] : values) {
    BF_CHECK(index == static_cast<std::int64_t>(out.size()), ErrorKind::Parse,
             "counterexample: {}_{} is missing (indices must run from 0 without gaps)", name, out.size());
    out.push_back(v);
  }
  return out;
}

}  // namespace

Counterexample parse_counterexample(std::string_view text) {
  Lexer lex(text);
  Token t = lex.next();
  if (t.kind == Token::Atom && t.text == "sat") t = lex.next();
  if (t.kind != Token::Open) parse_error(t, "'(' opening the assignment");
  std::map<std::int64_t, double> xs, ys;
  while (true) {
    t = lex.next();
    if (t.kind == Token::Close) break;
    if (t.kind != Token::Open) parse_error(t, "'(' or the closing ')'");
    const Token name = lex.next();
    if (name.kind != Token::Atom || name.text.size() < 3 || (name.text[0] != 'X' && name.text[0] != 'Y') ||
        name.text[1] != '_') {
      parse_error(name, "a variable X_i or Y_i");
    }
    std::int64_t index = -1;
    std::string_view digits = name.text.substr(2);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc() || end != digits.data() + digits.size() || index < 0) {
      parse_error(name, "a variable X_i or Y_i");
    }
    const double v = parse_value(lex.next());
    const Token close = lex.next();
    if (close.kind != Token::Close) parse_error(close, "')' after the value");
    auto& target = name.text[0] == 'X' ? xs : ys;
    BF_CHECK(target.emplace(index, v).second, ErrorKind::Parse, "counterexample line {}: {} is given twice", name.line,
             name.text);
  }
  const Token rest = lex.next();
  if (rest.kind != Token::End) parse_error(rest, "end of file after the assignment");
  BF_CHECK(!xs.empty(), ErrorKind::Parse, "counterexample: no X_i values");
  return {in_index_order(xs, 'X'), in_index_order(ys, 'Y'), {}};
}

Counterexample read_counterexample(const std::string& path) {
  try {
    return parse_counterexample(read_file(path));
  } catch (Error& e) {
    e.with_file(path);
    throw;
  }
}

std::string format_counterexample(const Counterexample& cex) {
  if (!cex.layout.empty()) {
    BF_CHECK(cex.layout.size() == 2, ErrorKind::Internal, "a 2.0 counterexample of {} tensors", cex.layout.size());
    std::string out;
    for (std::size_t t = 0; t < 2; ++t) {
      const CounterexampleTensor& d = cex.layout[t];
      out += fmt::format("{} {} [{}]\n", d.name, d.type, fmt::join(d.shape, ","));
      for (double v : t == 0 ? cex.x : cex.y) out += fmt::format("{}\n", v);
    }
    return out;
  }
  std::string out = "(";
  auto entry = [&](char name, std::size_t i, double v) {
    if (out.size() > 1) out += "\n ";
    out += fmt::format("({}_{} {})", name, i, v);
  };
  for (std::size_t i = 0; i < cex.x.size(); ++i) entry('X', i, cex.x[i]);
  for (std::size_t i = 0; i < cex.y.size(); ++i) entry('Y', i, cex.y[i]);
  return out + ")\n";
}

void write_counterexample(const std::string& path, const Counterexample& cex) {
  write_file(path, format_counterexample(cex));
}

}  // namespace bf
