// Fitting a bound computation into a byte budget.
//
// Most of a linear method's memory is the A matrices of its sweeps: rows x
// elements per row, for every value a sweep crosses. A sweep runs once per
// chunk of rows, so its buffers shrink with the chunk; the batch splits too
// (sub-batches run one after the other). The planner knows every buffer, so the
// choice is made on the plan: chunk sizes are halved, the largest sweep first,
// until the plan's memory (its liveness lower bound, with room for the static
// planner's slack) fits; then the program is compiled and its actual memory
// (arena plus prepared weights) checked. Rows are independent of each other, so
// the bounds do not depend on the chunking.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bf {

// "4G", "512M", "100000" -> bytes (K, M, G, T are powers of 1024; B optional).
// Throws bf::Error(Usage) naming `what` for anything else.
std::int64_t parse_byte_size(const std::string& text, const std::string& what);
// 4 GiB -> "4G"; 1536 MiB -> "1.5G": short and readable.
std::string format_bytes(std::int64_t bytes);

// The default budget when none is given: a share of the memory the machine has
// available now (MemAvailable), so a large network chunks itself instead of
// being killed.
std::int64_t default_memory_budget();

// How a linear computation is cut to fit.
struct Chunking {
  std::int64_t batch = 1;                          // samples per sub-batch
  std::map<ValueId, std::int64_t> rows_per_chunk;  // per sweep start value (absent: all rows at once)
};

// Rows per chunk never exceed this by default (BoundRequest::max_rows_per_chunk):
// past it the matrix products are as fast, and smaller chunks keep the A
// matrices in memory small.
inline constexpr std::int64_t kMaxRowsPerChunk = 1024;
// Nor, by default, do a chunk's buffers (SweepCost::bytes_per_row times the
// rows) pass this many bytes (BoundRequest::chunk_cache_bytes): every step of a
// sweep reads and writes whole chunks of A, at cache speed while a chunk stays
// in a core's share of the cache and at memory speed past it. Measured, one
// thread: cnn_cifar CROWN b1 695 -> 580 ms, cnn_small b64 270 -> 201 ms
// (1024-row chunks of 40-140 KB rows went through memory at every step); 1 MiB
// chunks came out slower (too many small calls), 4 and 2 MiB alike.
inline constexpr std::int64_t kChunkCacheBytes = std::int64_t{4} << 20;

// The caps on a sweep's rows per chunk before any budget cuts them.
struct RowCaps {
  std::int64_t max_rows = kMaxRowsPerChunk;
  std::int64_t cache_bytes = kChunkCacheBytes;  // 0: rows are not capped by bytes
};

// One sweep as the chunking sees it.
struct SweepCost {
  ValueId start = -1;
  std::int64_t rows_per_sample = 0;  // the most rows it has per sample (elements of the start value)
  std::int64_t bytes_per_row = 0;    // its buffers' bytes per row (A of every value it crosses, bias)
};

// A sweep's rows per chunk under `caps` for `batch` samples: at most all its
// rows, `caps.max_rows`, and the rows whose buffers fit `caps.cache_bytes`
// (at least one).
std::int64_t capped_rows(const SweepCost& sweep, std::int64_t batch, const RowCaps& caps);

// Chooses the chunking for `batch` samples. `memory_of(chunking)` returns the
// bytes a plan with that chunking needs. Halves the chunk of the sweep holding
// the most bytes first, then the batch. Throws bf::Error(Usage) naming the
// smallest budget that would work when even one row of one sample does not fit.
// `budget_name` names the budget in that message ("--max-memory", ...).
Chunking choose_chunking(std::int64_t budget, const std::string& budget_name, std::int64_t batch, const RowCaps& caps,
                         const std::vector<SweepCost>& sweeps,
                         const std::function<std::int64_t(const Chunking&)>& memory_of);

// Halves the chunk of the sweep holding the most bytes; false when every chunk is one row.
bool shrink_largest_sweep(Chunking& c, const std::vector<SweepCost>& sweeps);

}  // namespace bf
