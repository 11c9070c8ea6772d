#include "runtime/compiled/prepared_store.h"

#include <gtest/gtest.h>

namespace bf {
namespace {

TEST(PreparedStore, OneCopyPerConstantAndFormWhileAKernelHoldsIt) {
  PreparedStore store;
  Tensor w(DType::F32, {4});
  Tensor other(DType::F32, {4});
  int made = 0;
  auto make = [&] {
    ++made;
    return std::vector<float>(4, 1.0f);
  };
  PreparedFloats a = store.get(w, "f32", make);
  PreparedFloats b = store.get(w, "f32", make);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(made, 1);
  PreparedFloats c = store.get(w, "panels", make);
  PreparedFloats d = store.get(other, "f32", make);
  EXPECT_NE(a.get(), c.get());
  EXPECT_NE(a.get(), d.get());
  EXPECT_EQ(made, 3);
  EXPECT_EQ(distinct_prepared_bytes({a, b, c, d, nullptr}), 3 * 4 * static_cast<std::int64_t>(sizeof(float)));
  // Dropped by every holder: the entry goes (and with it the source's storage).
  a.reset();
  b.reset();
  c.reset();
  d.reset();
  EXPECT_EQ(store.entries(), 3u);  // removed at the next lookup
  PreparedFloats again = store.get(w, "f32", make);
  EXPECT_EQ(made, 4);  // made afresh
  EXPECT_EQ(store.entries(), 1u);
}

}  // namespace
}  // namespace bf
