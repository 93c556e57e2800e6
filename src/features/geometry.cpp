// PDM geometry descriptor for the AU models.
#include "facemirror/error.h"
#include "facemirror/features/au_descriptors.h"

namespace facemirror {

std::vector<double> geometry_descriptor(const point_distribution_model& pdm,
                                        const std::vector<double>& local) {
  const int modes = pdm.mode_count();
  const std::vector<double> weights = local.empty() ? std::vector<double>(modes, 0.0) : local;
  FACEMIRROR_CHECK(static_cast<int>(weights.size()) == modes,
                   "geometry_descriptor: local weight count != PDM modes");
  const cv::Mat_<double>& v = pdm.components();
  std::vector<double> out(static_cast<size_t>(v.rows + modes), 0.0);
  for (int r = 0; r < v.rows; ++r) {
    const double* row = v[r];
    double s = 0.0;
    for (int m = 0; m < modes; ++m)
      s += row[m] * weights[m];
    out[r] = s;
  }
  for (int m = 0; m < modes; ++m)
    out[v.rows + m] = weights[m];
  return out;
}

}  // namespace facemirror
