// VNN-COMP counterexample files: "((X_0 v) (X_1 v) ... (Y_0 v) ...)", the
// input assignment X of a violation and the network output Y at it, any
// whitespace (newlines included) between tokens, possibly gzip-compressed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bf {

// A declared tensor of a VNN-LIB 2.0 property, as its counterexample names it.
struct CounterexampleTensor {
  std::string name, type;
  std::vector<std::int64_t> shape;
};

struct Counterexample {
  std::vector<double> x;  // X_0, X_1, ... in index order
  std::vector<double> y;  // Y_0, Y_1, ... in index order (may be empty)
  // VNN-LIB 2.0: the input and the output tensor as declared (written as each
  // one's "NAME TYPE [d0,d1]" line, then its values one per line, row major);
  // empty: the 1.0 form.
  std::vector<CounterexampleTensor> layout;
};

// Parses the text of a counterexample. A leading "sat" line (as in VNN-COMP
// result files) is accepted. Every X_i and Y_j must appear exactly once with
// indices 0..n-1 (in any order) and a finite decimal value; at least one X.
// Anything else throws bf::Error(Parse) naming the line.
Counterexample parse_counterexample(std::string_view text);

// Reads (through bf::read_file, so .gz works) and parses a file; errors carry the path.
Counterexample read_counterexample(const std::string& path);

// "((X_0 v)\n (X_1 v)\n ... (Y_0 v))\n" with values printed so they read back
// exactly; with a 2.0 layout, "X float32 [1,2]\nv\nv\nY float32 [1,3]\nv\n...".
std::string format_counterexample(const Counterexample& cex);
void write_counterexample(const std::string& path, const Counterexample& cex);

}  // namespace bf
