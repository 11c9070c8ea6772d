// Row caps of a sweep's chunks (memory_budget.h): the row cap, the cache-bytes
// cap, and the budget cutting further below both.
#include "methods/memory_budget.h"

#include <gtest/gtest.h>

namespace bf {
namespace {

SweepCost sweep(ValueId start, std::int64_t rows_per_sample, std::int64_t bytes_per_row) {
  SweepCost s;
  s.start = start;
  s.rows_per_sample = rows_per_sample;
  s.bytes_per_row = bytes_per_row;
  return s;
}

TEST(CappedRows, TakesTheSmallestOfAllRowsTheRowCapAndTheCacheBytes) {
  const RowCaps caps{1024, 4 << 20};
  // Few rows: all of them.
  EXPECT_EQ(capped_rows(sweep(0, 10, 1000), 1, caps), 10);
  EXPECT_EQ(capped_rows(sweep(0, 10, 1000), 3, caps), 30);
  // Small rows, many of them: the row cap.
  EXPECT_EQ(capped_rows(sweep(0, 5000, 1000), 1, caps), 1024);
  // 40 KB rows: as many as fit 4 MiB.
  EXPECT_EQ(capped_rows(sweep(0, 16384, 40000), 1, caps), (4 << 20) / 40000);
  // A row over the cache bytes still runs, alone.
  EXPECT_EQ(capped_rows(sweep(0, 512, 8 << 20), 1, caps), 1);
  // 0 turns the bytes cap off.
  EXPECT_EQ(capped_rows(sweep(0, 16384, 40000), 1, RowCaps{1024, 0}), 1024);
}

TEST(ChooseChunking, StartsFromTheCapsAndCutsOnlyWhatTheBudgetNeeds) {
  const std::vector<SweepCost> sweeps = {sweep(1, 8192, 10000), sweep(2, 16384, 40000), sweep(3, 10, 1000)};
  const RowCaps caps{1024, 1 << 20};
  // Memory: each sweep's chunk of rows times bytes per row, summed.
  auto memory_of = [&](const Chunking& c) {
    std::int64_t bytes = 0;
    for (const auto& s : sweeps) bytes += c.rows_per_chunk.at(s.start) * s.bytes_per_row;
    return bytes;
  };
  const Chunking roomy = choose_chunking(std::int64_t{1} << 40, "test budget", 1, caps, sweeps, memory_of);
  EXPECT_EQ(roomy.batch, 1);
  EXPECT_EQ(roomy.rows_per_chunk.at(1), (1 << 20) / 10000);
  EXPECT_EQ(roomy.rows_per_chunk.at(2), (1 << 20) / 40000);
  EXPECT_EQ(roomy.rows_per_chunk.at(3), 10);
  for (const auto& s : sweeps) EXPECT_LE(roomy.rows_per_chunk.at(s.start) * s.bytes_per_row, 1 << 20);
  // A budget below that: the sweeps holding the most bytes are halved until it fits.
  const std::int64_t tight = memory_of(roomy) - 500000;
  const Chunking cut = choose_chunking(tight, "test budget", 1, caps, sweeps, memory_of);
  EXPECT_LE(memory_of(cut), tight);
  EXPECT_LT(cut.rows_per_chunk.at(1) + cut.rows_per_chunk.at(2),
            roomy.rows_per_chunk.at(1) + roomy.rows_per_chunk.at(2));
  EXPECT_EQ(cut.rows_per_chunk.at(3), 10);
}

}  // namespace
}  // namespace bf
