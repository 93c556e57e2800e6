#include "consensus.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>
#include <string_view>

#include "facemirror/error.h"
#include "facemirror/output/atomic_file.h"

namespace facemirror::detail {
namespace {

// The cells of one line as written, surrounding spaces included: the merge repeats them verbatim.
std::vector<std::string_view> cells_of(std::string_view line) {
  std::vector<std::string_view> cells;
  size_t from = 0;
  for (;;) {
    const size_t comma = line.find(',', from);
    cells.push_back(line.substr(from, comma == std::string_view::npos ? comma : comma - from));
    if (comma == std::string_view::npos)
      return cells;
    from = comma + 1;
  }
}

std::string_view trimmed(std::string_view cell) {
  const size_t first = cell.find_first_not_of(' ');
  if (first == std::string_view::npos)
    return {};
  return cell.substr(first, cell.find_last_not_of(' ') - first + 1);
}

[[noreturn]] void malformed(const std::filesystem::path& draw, int64_t line,
                            const std::string& why) {
  throw error(error_code::internal,
              "'" + draw.string() + "': line " + std::to_string(line) + ": " + why);
}

double number_in(std::string_view cell, const std::filesystem::path& draw, int64_t line) {
  const std::string text(trimmed(cell));
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    malformed(draw, line, "cell '" + text + "' is not a number");
  return value;
}

}  // namespace

int consensus_offset_ulps(int draw) {
  return draw % 2 == 1 ? (draw + 1) / 2 : -(draw / 2);
}

merged_csv write_median_csv(const std::vector<std::filesystem::path>& draws,
                            const std::filesystem::path& target) {
  FACEMIRROR_CHECK(draws.size() % 2 == 1, "write_median_csv: needs an odd number of draws");
  const size_t n = draws.size();
  std::vector<std::ifstream> in;
  in.reserve(n);
  for (const auto& draw : draws) {
    in.emplace_back(draw, std::ios::binary);
    if (!in.back())
      throw error(error_code::io, "'" + draw.string() + "': cannot be read");
  }
  atomic_file out(target);
  std::vector<std::string> lines(n);
  std::vector<std::vector<std::string_view>> cells(n);
  std::vector<size_t> order(n);
  std::vector<double> values(n);
  std::string merged;
  merged_csv counts;
  size_t success_column = std::string_view::npos;
  for (int64_t line = 1;; ++line) {
    size_t read = 0;
    for (size_t d = 0; d < n; ++d)
      read += static_cast<bool>(std::getline(in[d], lines[d]));
    if (read == 0)
      break;
    for (size_t d = 0; d < n; ++d) {
      if (in[d].bad())
        throw error(error_code::io, "'" + draws[d].string() + "': cannot be read");
      if (read != n && !in[d])
        malformed(draws[d], line, "ends before the other draws");
      cells[d] = cells_of(lines[d]);
      if (cells[d].size() != cells[0].size())
        malformed(draws[d], line, "has another number of cells than '" + draws[0].string() + "'");
    }
    merged.clear();
    if (line == 1) {  // the header: the same in every draw
      for (size_t d = 1; d < n; ++d)
        if (lines[d] != lines[0])
          malformed(draws[d], line, "has other columns than '" + draws[0].string() + "'");
      for (size_t c = 0; c < cells[0].size(); ++c)
        if (trimmed(cells[0][c]) == "success")
          success_column = c;
      merged = lines[0];
    } else {
      for (size_t d = 1; d < n; ++d)
        if (trimmed(cells[d][0]) != trimmed(cells[0][0]))
          malformed(draws[d], line, "holds another frame than '" + draws[0].string() + "'");
      for (size_t c = 0; c < cells[0].size(); ++c) {
        for (size_t d = 0; d < n; ++d)
          values[d] = number_in(cells[d][c], draws[d], line);
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return values[a] < values[b]; });
        const size_t median = order[n / 2];
        if (c > 0)
          merged += ',';
        merged += cells[median][c];
        if (c == success_column)
          counts.successful += values[median] == 1.0;
      }
    }
    merged += '\n';
    out.write(merged);
  }
  out.commit();
  return counts;
}

}  // namespace facemirror::detail
