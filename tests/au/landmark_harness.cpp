#include "landmark_harness.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <opencv2/videoio.hpp>

namespace facemirror::test {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  const auto b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

}  // namespace

const std::vector<double>& csv_table::col(const std::string& name) const {
  auto it = columns.find(name);
  if (it == columns.end())
    throw std::runtime_error("missing column " + name);
  return it->second;
}

csv_table read_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("cannot open " + file.string());
  csv_table t;
  std::string line, cell;
  std::getline(in, line);
  std::istringstream head(line);
  while (std::getline(head, cell, ','))
    t.header.push_back(trim(cell));
  for (const auto& h : t.header)
    t.columns[h];
  while (std::getline(in, line)) {
    if (trim(line).empty())
      continue;
    std::istringstream row(line);
    for (const auto& h : t.header) {
      if (!std::getline(row, cell, ','))
        cell = "nan";
      t.columns[h].push_back(std::strtod(trim(cell).c_str(), nullptr));
    }
  }
  return t;
}

landmark_track landmarks_from_reference(const csv_table& ref) {
  landmark_track t;
  const size_t n = ref.rows();
  const auto& frame = ref.col("frame");
  const auto& success = ref.col("success");
  for (size_t i = 0; i < n; ++i) {
    t.frame.push_back(static_cast<int>(frame[i]));
    t.success.push_back(success[i] == 1.0 ? 1 : 0);
    landmarks_2d lm;
    for (int p = 0; p < landmark_count; ++p)
      lm[p] = {ref.col("x_" + std::to_string(p))[i], ref.col("y_" + std::to_string(p))[i]};
    t.landmarks.push_back(lm);
    pdm_params prm;
    prm.scale = ref.col("p_scale")[i];
    prm.rx = ref.col("p_rx")[i];
    prm.ry = ref.col("p_ry")[i];
    prm.rz = ref.col("p_rz")[i];
    prm.tx = ref.col("p_tx")[i];
    prm.ty = ref.col("p_ty")[i];
    for (int m = 0; ref.columns.count("p_" + std::to_string(m)); ++m)
      prm.local.push_back(ref.col("p_" + std::to_string(m))[i]);
    t.params.push_back(prm);
  }
  return t;
}

landmark_fed_result run_landmark_fed(const std::shared_ptr<const au_model_set>& models,
                                     const std::filesystem::path& video,
                                     const landmark_track& track, bool use_reference_params) {
  cv::VideoCapture cap(video.string());
  if (!cap.isOpened())
    throw std::runtime_error("cannot open video " + video.string());
  const au_feature_extractor extractor(models);
  au_video_predictor predictor(models);
  landmark_fed_result r;
  using clock = std::chrono::steady_clock;
  clock::duration t_extract{}, t_predict{};
  cv::Mat frame;
  for (size_t i = 0; i < track.frame.size(); ++i) {
    if (!cap.read(frame))
      throw std::runtime_error("video ended before the reference rows");
    const auto t0 = clock::now();
    const au_features f =
        use_reference_params ? extractor.extract_with_params(frame, track.landmarks[i],
                                                             track.params[i], track.success[i] != 0)
                             : extractor.extract(frame, track.landmarks[i], track.success[i] != 0);
    const auto t1 = clock::now();
    predictor.add_frame(f);
    t_extract += t1 - t0;
    t_predict += clock::now() - t1;
    r.success.push_back(f.success ? 1 : 0);
    r.frame.push_back(track.frame[i]);
  }
  r.values = predictor.finish();
  const double n = static_cast<double>(std::max<size_t>(1, track.frame.size()));
  r.extract_ms = std::chrono::duration<double, std::milli>(t_extract).count() / n;
  r.predict_ms = std::chrono::duration<double, std::milli>(t_predict).count() / n;
  return r;
}

void write_au_csv(const std::filesystem::path& file, const au_model_set& models,
                  const landmark_fed_result& result) {
  std::ofstream out(file);
  out << "frame, success";
  for (const auto& n : models.intensity_names())
    out << ", " << n << "_r";
  for (const auto& n : models.presence_names())
    out << ", " << n << "_c";
  out << '\n';
  char buf[32];
  for (size_t i = 0; i < result.values.size(); ++i) {
    out << result.frame[i] << ", " << int(result.success[i]);
    for (double v : result.values[i].intensity) {
      std::snprintf(buf, sizeof buf, ", %.2f", v);
      out << buf;
    }
    for (double v : result.values[i].presence) {
      std::snprintf(buf, sizeof buf, ", %.2f", v);
      out << buf;
    }
    out << '\n';
  }
}

fidelity compare_with_reference(const csv_table& ref, const au_model_set& models,
                                const landmark_fed_result& result) {
  fidelity f;
  const auto& ref_success = ref.col("success");
  std::vector<size_t> both;
  for (size_t i = 0; i < result.values.size() && i < ref.rows(); ++i)
    if (ref_success[i] == 1.0 && result.success[i])
      both.push_back(i);
  std::ostringstream detail;
  double r_sum = 0, mae_sum = 0;
  f.min_r = 1.0;
  const auto& names = models.intensity_names();
  for (size_t k = 0; k < names.size(); ++k) {
    const auto& a_col = ref.col(names[k] + "_r");
    std::vector<double> a, b;
    for (size_t i : both) {
      a.push_back(a_col[i]);
      b.push_back(round2(result.values[i].intensity[k]));
    }
    const double n = static_cast<double>(a.size());
    double ma = 0, mb = 0, mae = 0;
    for (size_t i = 0; i < a.size(); ++i)
      ma += a[i], mb += b[i], mae += std::abs(a[i] - b[i]);
    ma /= n, mb /= n, mae /= n;
    double va = 0, vb = 0, cov = 0;
    for (size_t i = 0; i < a.size(); ++i)
      va += (a[i] - ma) * (a[i] - ma), vb += (b[i] - mb) * (b[i] - mb),
          cov += (a[i] - ma) * (b[i] - mb);
    const double sd = std::sqrt(va / n);
    const double r = (va > 0 && vb > 0) ? cov / std::sqrt(va * vb) : std::nan("");
    mae_sum += mae;
    if (sd >= 0.05 && std::isfinite(r)) {
      r_sum += r;
      ++f.aus_in_mean;
      if (r < f.min_r)
        f.min_r = r, f.worst_au = names[k];
    }
    char line[128];
    std::snprintf(line, sizeof line, "%s_r r=%.4f mae=%.4f ref_std=%.3f\n", names[k].c_str(), r,
                  mae, sd);
    detail << line;
  }
  f.mean_r = f.aus_in_mean ? r_sum / f.aus_in_mean : std::nan("");
  f.mae = mae_sum / static_cast<double>(names.size());
  size_t agree = 0, cells = 0;
  const auto& pnames = models.presence_names();
  for (size_t k = 0; k < pnames.size(); ++k) {
    const auto& a_col = ref.col(pnames[k] + "_c");
    size_t ok = 0;
    for (size_t i : both)
      ok += (a_col[i] == round2(result.values[i].presence[k])) ? 1 : 0;
    agree += ok;
    cells += both.size();
    char line[128];
    std::snprintf(line, sizeof line, "%s_c agree=%.4f\n", pnames[k].c_str(),
                  both.empty() ? 0.0 : double(ok) / both.size());
    detail << line;
  }
  f.presence_agreement = cells ? double(agree) / cells : 0.0;
  f.detail = detail.str();
  return f;
}

}  // namespace facemirror::test
