// Typed node attributes, kept in a sorted map so printing and hashing are deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace bf {

using AttrValue = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>>;

class Attributes {
 public:
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  // Required getters throw bf::Error(Invalid) naming the attribute when it is
  // absent or of another type; the defaulted ones only when the type is wrong.
  std::int64_t get_int(const std::string& name) const;
  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;
  double get_float(const std::string& name) const;
  double get_float(const std::string& name, double fallback) const;
  const std::string& get_string(const std::string& name) const;
  const std::vector<std::int64_t>& get_ints(const std::string& name) const;
  std::vector<std::int64_t> get_ints(const std::string& name, std::vector<std::int64_t> fallback) const;
  const std::vector<double>& get_floats(const std::string& name) const;

  void set(const std::string& name, AttrValue value) { values_[name] = std::move(value); }
  void erase(const std::string& name) { values_.erase(name); }

  const std::map<std::string, AttrValue>& all() const { return values_; }
  bool operator==(const Attributes& other) const = default;

 private:
  const AttrValue& lookup(const std::string& name) const;

  std::map<std::string, AttrValue> values_;
};

// "{axis=1, pads=[0,0,1,1]}" with floats printed to round-trip; "" when empty.
std::string format_attributes(const Attributes& attrs);
// Shortest text that reads back as the same double; "inf" / "-inf" / "nan".
std::string format_double(double v);
// Shortest text that reads back as the same float (0.1f prints "0.1", not its
// 17-digit double expansion); "inf" / "-inf" / "nan".
std::string format_float(float v);

}  // namespace bf
