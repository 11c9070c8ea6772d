#include "dyadic.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace bf::test {
namespace {

using Mag = std::vector<std::uint32_t>;

void trim(Mag& a) {
  while (!a.empty() && a.back() == 0) a.pop_back();
}

int mag_cmp(const Mag& a, const Mag& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

Mag mag_add(const Mag& a, const Mag& b) {
  const Mag& big = a.size() >= b.size() ? a : b;
  const Mag& small = a.size() >= b.size() ? b : a;
  Mag r(big.size() + 1, 0);
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < big.size(); ++i) {
    const std::uint64_t s = static_cast<std::uint64_t>(big[i]) + (i < small.size() ? small[i] : 0u) + carry;
    r[i] = static_cast<std::uint32_t>(s);
    carry = s >> 32;
  }
  r[big.size()] = static_cast<std::uint32_t>(carry);
  trim(r);
  return r;
}

// a - b, a >= b.
Mag mag_sub(const Mag& a, const Mag& b) {
  Mag r(a.size(), 0);
  std::int64_t borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::int64_t d = static_cast<std::int64_t>(a[i]) - (i < b.size() ? b[i] : 0u) - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += (std::int64_t{1} << 32);
    r[i] = static_cast<std::uint32_t>(d);
  }
  if (borrow != 0) throw std::logic_error("Dyadic: mag_sub underflow");
  trim(r);
  return r;
}

Mag mag_mul(const Mag& a, const Mag& b) {
  if (a.empty() || b.empty()) return {};
  Mag r(a.size() + b.size(), 0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::uint64_t carry = 0;
    for (std::size_t j = 0; j < b.size(); ++j) {
      const std::uint64_t t = static_cast<std::uint64_t>(a[i]) * b[j] + r[i + j] + carry;
      r[i + j] = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    std::size_t k = i + b.size();
    while (carry != 0) {
      const std::uint64_t t = static_cast<std::uint64_t>(r[k]) + carry;
      r[k++] = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
  }
  trim(r);
  return r;
}

Mag mag_shl(const Mag& a, std::uint64_t bits) {
  if (a.empty()) return {};
  const std::size_t limbs = bits / 32, s = bits % 32;
  Mag r(a.size() + limbs + 1, 0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::uint64_t v = static_cast<std::uint64_t>(a[i]) << s;
    r[i + limbs] |= static_cast<std::uint32_t>(v);
    r[i + limbs + 1] |= static_cast<std::uint32_t>(v >> 32);
  }
  trim(r);
  return r;
}

std::int64_t mag_bits(const Mag& a) {
  if (a.empty()) return 0;
  std::uint32_t top = a.back();
  std::int64_t b = 0;
  while (top != 0) {
    ++b;
    top >>= 1;
  }
  return static_cast<std::int64_t>(a.size() - 1) * 32 + b;
}

bool bit(const Mag& a, std::int64_t i) { return ((a[static_cast<std::size_t>(i / 32)] >> (i % 32)) & 1u) != 0; }

}  // namespace

Dyadic::Dyadic(double d) {
  if (!std::isfinite(d)) throw std::invalid_argument("Dyadic: not finite");
  if (d == 0.0) return;
  int e = 0;
  const double f = std::frexp(std::fabs(d), &e);                 // |d| = f * 2^e, f in [0.5, 1)
  const auto m = static_cast<std::uint64_t>(std::ldexp(f, 53));  // exact: f has at most 53 bits
  neg_ = d < 0;
  mag_ = {static_cast<std::uint32_t>(m), static_cast<std::uint32_t>(m >> 32)};
  exp_ = e - 53;
  normalize();
}

void Dyadic::normalize() {
  trim(mag_);
  if (mag_.empty()) {
    neg_ = false;
    exp_ = 0;
    return;
  }
  std::size_t zl = 0;
  while (mag_[zl] == 0) ++zl;
  std::uint32_t low = mag_[zl];
  int zb = 0;
  while ((low & 1u) == 0) {
    low >>= 1;
    ++zb;
  }
  if (zl == 0 && zb == 0) return;
  Mag r(mag_.size() - zl, 0);
  for (std::size_t i = zl; i < mag_.size(); ++i) {
    const std::uint64_t v = mag_[i] | (i + 1 < mag_.size() ? static_cast<std::uint64_t>(mag_[i + 1]) << 32 : 0);
    r[i - zl] = static_cast<std::uint32_t>(v >> zb);
  }
  mag_ = std::move(r);
  trim(mag_);
  exp_ += static_cast<std::int64_t>(zl) * 32 + zb;
}

Dyadic Dyadic::abs() const {
  Dyadic r = *this;
  r.neg_ = false;
  return r;
}

Dyadic Dyadic::operator-() const {
  Dyadic r = *this;
  if (!r.mag_.empty()) r.neg_ = !r.neg_;
  return r;
}

Dyadic Dyadic::add(const Dyadic& a, const Dyadic& b, bool negate_b) {
  const bool bneg = b.mag_.empty() ? false : (b.neg_ != negate_b);
  if (b.mag_.empty()) return a;
  if (a.mag_.empty()) {
    Dyadic r = b;
    r.neg_ = bneg;
    return r;
  }
  const std::int64_t e = std::min(a.exp_, b.exp_);
  const Mag am = a.exp_ == e ? a.mag_ : mag_shl(a.mag_, static_cast<std::uint64_t>(a.exp_ - e));
  const Mag bm = b.exp_ == e ? b.mag_ : mag_shl(b.mag_, static_cast<std::uint64_t>(b.exp_ - e));
  Dyadic r;
  r.exp_ = e;
  if (a.neg_ == bneg) {
    r.mag_ = mag_add(am, bm);
    r.neg_ = a.neg_;
  } else {
    const int c = mag_cmp(am, bm);
    if (c == 0) return Dyadic();
    if (c > 0) {
      r.mag_ = mag_sub(am, bm);
      r.neg_ = a.neg_;
    } else {
      r.mag_ = mag_sub(bm, am);
      r.neg_ = bneg;
    }
  }
  r.normalize();
  return r;
}

Dyadic operator+(const Dyadic& a, const Dyadic& b) { return Dyadic::add(a, b, false); }
Dyadic operator-(const Dyadic& a, const Dyadic& b) { return Dyadic::add(a, b, true); }
Dyadic& Dyadic::operator+=(const Dyadic& b) { return *this = add(*this, b, false); }
Dyadic& Dyadic::operator-=(const Dyadic& b) { return *this = add(*this, b, true); }

Dyadic operator*(const Dyadic& a, const Dyadic& b) {
  Dyadic r;
  if (a.mag_.empty() || b.mag_.empty()) return r;
  r.mag_ = mag_mul(a.mag_, b.mag_);
  r.exp_ = a.exp_ + b.exp_;
  r.neg_ = a.neg_ != b.neg_;
  r.normalize();  // both odd: the product is odd, nothing to shift
  return r;
}

int compare(const Dyadic& a, const Dyadic& b) {
  if (a.sign() != b.sign()) return a.sign() < b.sign() ? -1 : 1;
  return (a - b).sign();
}

std::int64_t Dyadic::bits() const { return mag_bits(mag_); }

double Dyadic::to_double() const {
  if (mag_.empty()) return 0.0;
  const std::int64_t nb = mag_bits(mag_);
  std::uint64_t top = 0;
  std::int64_t shift = 0;
  if (nb <= 64) {
    for (std::size_t i = mag_.size(); i-- > 0;) top = (top << 32) | mag_[i];
  } else {
    shift = nb - 64;
    for (std::int64_t i = nb - 1; i >= shift; --i) top = (top << 1) | (bit(mag_, i) ? 1u : 0u);
    // The bits below: only whether any is set matters (sticky bit), and the
    // mantissa is odd, so some is.
    top |= 1u;
  }
  const double r =
      std::ldexp(static_cast<double>(top),
                 static_cast<int>(std::max<std::int64_t>(std::min<std::int64_t>(exp_ + shift, 100000), -100000)));
  return neg_ ? -r : r;
}

std::string Dyadic::str() const {
  const double d = to_double();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%.17g", Dyadic(d) == *this ? "" : "~", d);
  return buf;
}

}  // namespace bf::test
