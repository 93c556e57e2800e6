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
  const cv::Mat_<double> variation = pdm.shape_variation(weights);
  std::vector<double> out(variation.begin(), variation.end());
  out.insert(out.end(), weights.begin(), weights.end());
  return out;
}

}  // namespace facemirror
