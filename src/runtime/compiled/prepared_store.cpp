#include "runtime/compiled/prepared_store.h"

#include <set>

namespace bf {

PreparedStore& PreparedStore::global() {
  static PreparedStore store;
  return store;
}

PreparedFloats PreparedStore::get(const Tensor& source, const std::string& form,
                                  const std::function<std::vector<float>()>& make) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.floats.expired() ? entries_.erase(it) : std::next(it);
  }
  const auto key = std::make_pair(source.raw_data(), form);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (auto live = it->second.floats.lock()) return live;
  }
  auto made = std::make_shared<const std::vector<float>>(make());
  entries_[key] = Entry{source, made};
  return made;
}

std::size_t PreparedStore::entries() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

std::int64_t distinct_prepared_bytes(const std::vector<PreparedFloats>& all) {
  std::set<const std::vector<float>*> seen;
  std::int64_t bytes = 0;
  for (const auto& f : all) {
    if (f && seen.insert(f.get()).second) bytes += static_cast<std::int64_t>(f->size() * sizeof(float));
  }
  return bytes;
}

}  // namespace bf
