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

// A cell as this project's CSV writer prints it: an optional '-', digits, and optionally a '.'
// with more digits. Read exactly, as an integer count of 10^-decimals.
struct fixed_decimal {
  int64_t scaled = 0;
  int decimals = 0;
};

fixed_decimal fixed_in(std::string_view cell, const std::filesystem::path& draw, int64_t line) {
  const std::string_view text = trimmed(cell);
  fixed_decimal out;
  bool digits = false, point = false;
  const size_t first = !text.empty() && text[0] == '-' ? 1 : 0;
  for (size_t i = first; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '.' && !point) {
      point = true;
    } else if (ch >= '0' && ch <= '9' && out.decimals < 9 && out.scaled < int64_t{1} << 50) {
      out.scaled = out.scaled * 10 + (ch - '0');
      out.decimals += point;
      digits = true;
    } else {
      malformed(draw, line,
                "cell '" + std::string(text) + "' is not a number with at most 9 decimals");
    }
  }
  if (!digits)
    malformed(draw, line, "cell '" + std::string(text) + "' is not a number");
  if (first == 1)
    out.scaled = -out.scaled;
  return out;
}

// The mean of two cells, exactly: at the larger of their precisions, and one digit more (a
// trailing 5) where their sum is odd. No rounding, so no bias and no locale.
std::string exact_mean(fixed_decimal a, fixed_decimal b) {
  for (; a.decimals < b.decimals; ++a.decimals)
    a.scaled *= 10;
  for (; b.decimals < a.decimals; ++b.decimals)
    b.scaled *= 10;
  int64_t sum = a.scaled + b.scaled;
  int decimals = a.decimals;
  if (sum % 2 != 0) {
    sum *= 5;  // sum / 2 = sum * 5 / 10
    ++decimals;
  } else {
    sum /= 2;
  }
  std::string digits = std::to_string(sum < 0 ? -sum : sum);
  if (digits.size() <= static_cast<size_t>(decimals))
    digits.insert(0, decimals + 1 - digits.size(), '0');
  if (decimals > 0)
    digits.insert(digits.size() - decimals, 1, '.');
  return sum < 0 ? "-" + digits : digits;
}

// 0/1 columns: detection success and AU presence (OpenFace's AUxx_c).
bool is_zero_one_column(std::string_view name) {
  return name == "success" || (name.size() > 2 && name.substr(name.size() - 2) == "_c");
}

}  // namespace

int consensus_offset_ulps(int draw) {
  return draw % 2 == 1 ? (draw + 1) / 2 : -(draw / 2);
}

merged_csv write_median_csv(const std::vector<std::filesystem::path>& draws,
                            const std::filesystem::path& target) {
  FACEMIRROR_CHECK(!draws.empty(), "write_median_csv: needs a draw");
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
  std::vector<bool> zero_one;
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
      for (size_t c = 0; c < cells[0].size(); ++c) {
        zero_one.push_back(is_zero_one_column(trimmed(cells[0][c])));
        if (trimmed(cells[0][c]) == "success")
          success_column = c;
      }
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
        if (c > 0)
          merged += ',';
        if (n % 2 == 1 || zero_one[c]) {
          // Odd: the middle draw's cell. Even, a 0/1 cell: the earlier of the two middle draws'.
          const size_t median =
              n % 2 == 1 ? order[n / 2] : std::min(order[n / 2 - 1], order[n / 2]);
          merged += cells[median][c];
          if (c == success_column)
            counts.successful += values[median] == 1.0;
        } else {
          const std::string_view cell = cells[order[n / 2]][c];
          merged += cell.substr(0, cell.find_first_not_of(' '));  // the layout's spacing
          merged += exact_mean(fixed_in(cells[order[n / 2 - 1]][c], draws[order[n / 2 - 1]], line),
                               fixed_in(cell, draws[order[n / 2]], line));
        }
      }
    }
    merged += '\n';
    out.write(merged);
  }
  out.commit();
  return counts;
}

}  // namespace facemirror::detail
