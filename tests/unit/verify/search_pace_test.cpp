#include "verify/search_pace.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace bf {
namespace {

// A search closing at an even pace that ends at `finish_ms`, asked every 10 ms
// from 0 to `until_ms`: the first time it says it is behind (-1: never).
double first_behind(SearchPace& pace, double finish_ms, double until_ms) {
  for (double t = 0.0; t <= until_ms; t += 10.0) {
    if (pace.behind(t, std::min(1.0, t / finish_ms))) return t;
  }
  return -1.0;
}

TEST(SearchPace, KeepsASearchThatClosesInTimeAndStopsOneThatWouldNot) {
  // Finishes at 250 ms of a 300 ms deadline: never behind.
  SearchPace in_time(0.0, 30.0, 300.0);
  EXPECT_EQ(first_behind(in_time, 250.0, 240.0), -1.0);
  // Would finish at 400 ms: behind as soon as it may give way (30 ms).
  SearchPace late(0.0, 30.0, 300.0);
  EXPECT_EQ(first_behind(late, 400.0, 240.0), 30.0);
}

TEST(SearchPace, AStallIsSeenFromTheLastHalfOfTheTime) {
  // 90% closed in the first 20 ms, then nothing: the share so far would
  // project an end long before the deadline; the last half's pace is zero.
  SearchPace pace(0.0, 30.0, 300.0);
  EXPECT_FALSE(pace.behind(10.0, 0.5));
  EXPECT_FALSE(pace.behind(20.0, 0.9));
  EXPECT_TRUE(pace.behind(40.0, 0.9));
}

TEST(SearchPace, NeverBehindBeforeItsLeastTime) {
  SearchPace pace(100.0, 50.0, 400.0);
  EXPECT_FALSE(pace.behind(120.0, 0.0));
  EXPECT_FALSE(pace.behind(149.0, 0.0));
  EXPECT_TRUE(pace.behind(150.0, 0.0));
}

// Less than 2 x the least time left: the programs could not pay any more.
TEST(SearchPace, NeverBehindInTheLastStretch) {
  SearchPace pace(0.0, 30.0, 300.0);
  EXPECT_TRUE(pace.behind(239.0, 0.0));
  EXPECT_FALSE(pace.behind(241.0, 0.0));
  EXPECT_FALSE(pace.behind(290.0, 0.0));
}

}  // namespace
}  // namespace bf
