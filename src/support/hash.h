// A small, stable 64-bit hasher (FNV-1a with a final avalanche) for structural
// keys: compile-cache keys and tensor fingerprints. The same bytes always give
// the same digest (unlike std::hash), so a digest of stable content, such as a
// constant's fingerprint in an IR dump, can be compared between runs.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <vector>

namespace bf {

class Hasher {
 public:
  Hasher& bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      state_ ^= p[i];
      state_ *= 0x100000001b3ULL;
    }
    return *this;
  }
  template <typename T>
  requires std::is_arithmetic_v<T> || std::is_enum_v<T> Hasher& add(T v) { return bytes(&v, sizeof(v)); }
  Hasher& add(std::string_view s) {
    add(static_cast<std::uint64_t>(s.size()));
    return bytes(s.data(), s.size());
  }
  template <typename T>
  Hasher& add(const std::vector<T>& v) {
    add(static_cast<std::uint64_t>(v.size()));
    for (const auto& x : v) add(x);
    return *this;
  }
  std::uint64_t digest() const {
    std::uint64_t h = state_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
  }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

}  // namespace bf
