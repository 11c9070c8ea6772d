#include "ir/attributes.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "support/error.h"

namespace bf {
namespace {

template <typename T>
const T& expect(const AttrValue& v, const std::string& name, const char* type_name) {
  const T* p = std::get_if<T>(&v);
  BF_CHECK(p != nullptr, ErrorKind::Invalid, "attribute '{}' is not of type {}", name, type_name);
  return *p;
}

}  // namespace

const AttrValue& Attributes::lookup(const std::string& name) const {
  auto it = values_.find(name);
  BF_CHECK(it != values_.end(), ErrorKind::Invalid, "missing attribute '{}'", name);
  return it->second;
}

std::int64_t Attributes::get_int(const std::string& name) const {
  return expect<std::int64_t>(lookup(name), name, "int");
}

std::int64_t Attributes::get_int(const std::string& name, std::int64_t fallback) const {
  return has(name) ? get_int(name) : fallback;
}

double Attributes::get_float(const std::string& name) const {
  const AttrValue& v = lookup(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return expect<double>(v, name, "float");
}

double Attributes::get_float(const std::string& name, double fallback) const {
  return has(name) ? get_float(name) : fallback;
}

const std::string& Attributes::get_string(const std::string& name) const {
  return expect<std::string>(lookup(name), name, "string");
}

const std::vector<std::int64_t>& Attributes::get_ints(const std::string& name) const {
  return expect<std::vector<std::int64_t>>(lookup(name), name, "ints");
}

std::vector<std::int64_t> Attributes::get_ints(const std::string& name, std::vector<std::int64_t> fallback) const {
  return has(name) ? get_ints(name) : fallback;
}

const std::vector<double>& Attributes::get_floats(const std::string& name) const {
  return expect<std::vector<double>>(lookup(name), name, "floats");
}

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  // 17 significant digits always round-trip a double; try shorter first for readability.
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_float(float v) {
  if (!std::isfinite(v)) return format_double(v);
  char buf[48];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_attributes(const Attributes& attrs) {
  if (attrs.all().empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : attrs.all()) {
    if (!first) out += ", ";
    first = false;
    out += name + "=";
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::int64_t>) {
            out += std::to_string(v);
          } else if constexpr (std::is_same_v<T, double>) {
            out += format_double(v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            out += "\"" + v + "\"";
          } else {
            out += "[";
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (i) out += ",";
              if constexpr (std::is_same_v<T, std::vector<double>>) {
                out += format_double(v[i]);
              } else {
                out += std::to_string(v[i]);
              }
            }
            out += "]";
          }
        },
        value);
  }
  return out + "}";
}

}  // namespace bf
