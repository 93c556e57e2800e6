#include "models/sha256.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "facemirror/error.h"

#include <openssl/evp.h>

namespace facemirror::detail {
namespace {

struct digest_context {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  digest_context() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
  void update(const void* data, size_t size) { EVP_DigestUpdate(ctx.get(), data, size); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &length);
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      char b[3];
      std::snprintf(b, sizeof(b), "%02x", digest[i]);
      out += b;
    }
    return out;
  }
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  digest_context digest;
  digest.update(bytes.data(), bytes.size());
  return digest.hex();
}

std::string sha256_of_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw error(error_code::io, "cannot read '" + file.string() + "'");
  digest_context digest;
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    digest.update(buffer.data(), static_cast<size_t>(in.gcount()));
  if (in.bad())
    throw error(error_code::io, "cannot read '" + file.string() + "'");
  return digest.hex();
}

}  // namespace facemirror::detail
