#include "methods/memory_budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/error.h"

namespace bf {

std::int64_t parse_byte_size(const std::string& text, const std::string& what) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number = text.substr(0, i), unit = text.substr(i);
  for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  if (unit.size() == 2 && unit.back() == 'I') unit.pop_back();  // "GiB"
  double scale = 1.0;
  if (unit == "K") {
    scale = 1024.0;
  } else if (unit == "M") {
    scale = 1024.0 * 1024.0;
  } else if (unit == "G") {
    scale = 1024.0 * 1024.0 * 1024.0;
  } else if (unit == "T") {
    scale = 1024.0 * 1024.0 * 1024.0 * 1024.0;
  } else if (!unit.empty()) {
    number.clear();
  }
  double value = 0.0;
  bool ok = !number.empty() && std::count(number.begin(), number.end(), '.') <= 1;
  if (ok) {
    std::istringstream in(number);
    ok = static_cast<bool>(in >> value) && in.eof();
  }
  const double bytes = value * scale;
  BF_CHECK(ok && std::isfinite(bytes) && bytes >= 1.0 && bytes < 9.0e18, ErrorKind::Usage,
           "{} must be a byte count such as 4G, 512M or 100000 (got {})", what, text);
  return static_cast<std::int64_t>(bytes);
}

std::string format_bytes(std::int64_t bytes) {
  const char* units[] = {"", "K", "M", "G", "T"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  if (u == 0) return fmt::format("{}", bytes);
  return v >= 100.0 || v == std::floor(v) ? fmt::format("{:.0f}{}", std::ceil(v), units[u])
                                          : fmt::format("{:.1f}{}", std::ceil(v * 10.0) / 10.0, units[u]);
}

std::int64_t default_memory_budget() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  std::int64_t kib = 0;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024 / 10 * 6;  // 60% of what is available
  }
  return std::int64_t{4} << 30;  // no /proc: assume 4 GiB
}

bool shrink_largest_sweep(Chunking& c, const std::vector<SweepCost>& sweeps) {
  const SweepCost* largest = nullptr;
  std::int64_t largest_bytes = 0;
  for (const auto& s : sweeps) {
    const std::int64_t rows = c.rows_per_chunk.at(s.start);
    if (rows <= 1) continue;
    const std::int64_t bytes = rows * s.bytes_per_row;
    if (bytes > largest_bytes) {
      largest = &s;
      largest_bytes = bytes;
    }
  }
  if (largest == nullptr) return false;
  auto& rows = c.rows_per_chunk.at(largest->start);
  rows = (rows + 1) / 2;
  return true;
}

std::int64_t capped_rows(const SweepCost& sweep, std::int64_t batch, const RowCaps& caps) {
  std::int64_t rows = std::min(sweep.rows_per_sample * batch, caps.max_rows);
  if (caps.cache_bytes > 0 && sweep.bytes_per_row > 0) {
    rows = std::min(rows, std::max<std::int64_t>(1, caps.cache_bytes / sweep.bytes_per_row));
  }
  return rows;
}

Chunking choose_chunking(std::int64_t budget, const std::string& budget_name, std::int64_t batch, const RowCaps& caps,
                         const std::vector<SweepCost>& sweeps,
                         const std::function<std::int64_t(const Chunking&)>& memory_of) {
  Chunking c;
  c.batch = batch;
  auto reset_rows = [&] {
    c.rows_per_chunk.clear();
    for (const auto& s : sweeps) c.rows_per_chunk[s.start] = capped_rows(s, c.batch, caps);
  };
  reset_rows();
  for (;;) {
    if (memory_of(c) <= budget) return c;
    if (shrink_largest_sweep(c, sweeps)) continue;
    if (c.batch > 1) {
      c.batch = (c.batch + 1) / 2;
      reset_rows();
      continue;
    }
    fail(ErrorKind::Usage, "{} {} is too small: this computation needs at least {} (one sample, one row at a time)",
         budget_name, format_bytes(budget), format_bytes(memory_of(c)));
  }
}

}  // namespace bf
