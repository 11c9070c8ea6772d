// Where every buffer of a plan lives. Logical buffers are one per activation
// value; physical buffers are what gets allocated. The logical->physical map
// is filled by BufferReusePass; an empty map means physical = logical.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "ir/graph.h"
#include "planner/buffer_spec.h"

namespace bf {

class StoragePlan {
 public:
  std::vector<BufferSpec> logical_buffers;
  std::vector<BufferSpec> physical_buffers;     // empty until a reuse pass runs (then it is the truth)
  std::vector<BufferId> logical_to_physical;    // empty: identity
  std::map<ValueId, BufferId> value_to_buffer;  // every non-constant value -> its logical buffer

  BufferId to_physical(BufferId logical) const;
  const BufferSpec& physical(BufferId id) const;
  std::int32_t num_logical_buffers() const { return static_cast<std::int32_t>(logical_buffers.size()); }
  std::int32_t num_physical_buffers() const;
  std::int64_t logical_bytes() const;
  std::int64_t physical_bytes() const;
  BufferId buffer_of(ValueId value) const;
  // Logical buffers mapped to each physical buffer, in logical-id order.
  std::vector<std::vector<BufferId>> occupants() const;
};

}  // namespace bf
