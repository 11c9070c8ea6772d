#include "planner/storage_plan.h"

#include "support/error.h"

namespace bf {

BufferId StoragePlan::to_physical(BufferId logical) const {
  BF_CHECK(logical >= 0 && logical < num_logical_buffers(), ErrorKind::Internal, "logical buffer {} out of range",
           logical);
  if (logical_to_physical.empty()) return logical;
  return logical_to_physical[static_cast<std::size_t>(logical)];
}

const BufferSpec& StoragePlan::physical(BufferId id) const {
  const auto& list = physical_buffers.empty() ? logical_buffers : physical_buffers;
  BF_CHECK(id >= 0 && static_cast<std::size_t>(id) < list.size(), ErrorKind::Internal,
           "physical buffer {} out of range", id);
  return list[static_cast<std::size_t>(id)];
}

std::int32_t StoragePlan::num_physical_buffers() const {
  return static_cast<std::int32_t>(physical_buffers.empty() ? logical_buffers.size() : physical_buffers.size());
}

std::int64_t StoragePlan::logical_bytes() const {
  std::int64_t total = 0;
  for (const auto& b : logical_buffers) total += b.bytes;
  return total;
}

std::int64_t StoragePlan::physical_bytes() const {
  if (physical_buffers.empty()) return logical_bytes();
  std::int64_t total = 0;
  for (const auto& b : physical_buffers) total += b.bytes;
  return total;
}

BufferId StoragePlan::buffer_of(ValueId value) const {
  auto it = value_to_buffer.find(value);
  BF_CHECK(it != value_to_buffer.end(), ErrorKind::Internal, "value {} has no buffer in the storage plan", value);
  return it->second;
}

std::vector<std::vector<BufferId>> StoragePlan::occupants() const {
  std::vector<std::vector<BufferId>> out(static_cast<std::size_t>(num_physical_buffers()));
  for (BufferId l = 0; l < num_logical_buffers(); ++l) {
    BufferId p = to_physical(l);
    BF_CHECK(p >= 0 && p < num_physical_buffers(), ErrorKind::Invalid, "logical buffer {} maps to missing physical {}",
             l, p);
    out[static_cast<std::size_t>(p)].push_back(l);
  }
  return out;
}

}  // namespace bf
