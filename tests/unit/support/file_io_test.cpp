#include "support/file_io.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/error.h"
#include "support/test_paths.h"

namespace bf {
namespace {

std::string gzip_bytes(const std::string& plain) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(compressBound(static_cast<uLong>(plain.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(FileIo, ReadsPlainAndGzip) {
  std::string dir = test::scratch_dir("file_io_plain_gz");
  std::string text(100000, 'x');
  text += "end";
  write_file(dir + "/a.txt", text);
  write_file(dir + "/a.txt.gz", gzip_bytes(text));
  EXPECT_EQ(read_file(dir + "/a.txt"), text);
  EXPECT_EQ(read_file(dir + "/a.txt.gz"), text);
}

TEST(FileIo, MissingFileNamesThePath) {
  try {
    read_file("/nonexistent/dir/model.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/model.onnx: file not found"), std::string::npos);
  }
}

TEST(FileIo, GzNameWithoutGzipContentFails) {
  std::string dir = test::scratch_dir("file_io_fake_gz");
  write_file(dir + "/fake.onnx.gz", "this is not gzip");
  try {
    read_file(dir + "/fake.onnx.gz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Parse);
    EXPECT_NE(std::string(e.what()).find("not a gzip file"), std::string::npos);
  }
}

TEST(FileIo, TruncatedGzipFails) {
  std::string dir = test::scratch_dir("file_io_truncated_gz");
  std::string gz = gzip_bytes(std::string(50000, 'y'));
  write_file(dir + "/t.gz", gz.substr(0, gz.size() / 2));
  try {
    read_file(dir + "/t.gz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Parse);
    EXPECT_NE(std::string(e.what()).find("truncated gzip"), std::string::npos);
  }
}

TEST(FileIo, ResolveMaybeGz) {
  std::string dir = test::scratch_dir("file_io_resolve");
  write_file(dir + "/n.onnx.gz", gzip_bytes("z"));
  EXPECT_EQ(resolve_maybe_gz(dir + "/n.onnx"), dir + "/n.onnx.gz");
  EXPECT_EQ(resolve_maybe_gz(dir + "/missing.onnx"), dir + "/missing.onnx");
}

}  // namespace
}  // namespace bf
