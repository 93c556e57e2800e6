// Several faces in a video against OpenFace 2.2's FaceLandmarkVidMulti
// (reference/openface22/FaceLandmarkVidMulti/multi_face.csv: up to 4 faces over 702 frames,
// 2119 rows). Rows are matched by frame and face position (nearest landmark centroid); the
// matched rows' landmarks must agree to 0.5 px on average, nearly every row must match, with
// OpenFace's face_id and success, and the AUs (static models) must correlate.
#include "facemirror/analysis/multi_face_session.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/error.h"
#include "facemirror/io/video_reader.h"
#include "facemirror/models/model_paths.h"
#include "facemirror/pipeline/engine.h"

#include "support/au_fidelity.h"
#include "support/reference_csv.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

std::shared_ptr<const analysis_models> multi_face_models(const std::filesystem::path& shared) {
  return std::make_shared<const analysis_models>(resolve_model_paths(shared / "models/openface"),
                                                 /*compute_aus=*/true, /*static_aus=*/true,
                                                 /*use_clnf=*/true);
}

cv::Point2d centroid(const landmarks_2d& landmarks) {
  cv::Point2d sum;
  for (const auto& p : landmarks)
    sum += p;
  return sum / static_cast<double>(landmarks.size());
}

double face_width(const landmarks_2d& landmarks) {
  double lo = landmarks[0].x, hi = landmarks[0].x;
  for (const auto& p : landmarks)
    lo = std::min(lo, p.x), hi = std::max(hi, p.x);
  return hi - lo;
}

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line + "\n";
}

TEST(multi_face_session, follows_the_faces_face_landmark_vid_multi_follows) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto shared = *test::shared_dir();
  const std::filesystem::path reference_file =
      shared / "reference/openface22/FaceLandmarkVidMulti/multi_face.csv";
  const test::reference_csv ref(reference_file);
  make_libraries_single_threaded();  // the CLI's values, to the last printed digit
  const auto models = multi_face_models(shared);
  multi_face_session session(models);
  video_reader reader(probe_video(shared / "videos/openface-samples/multi_face.avi"));

  csv_columns columns;
  columns.layout = csv_layout::multi_face_video;
  columns.mode_count = models->pdm->mode_count();
  columns.au_intensity_names = models->aus->intensity_names();
  columns.au_presence_names = models->aus->presence_names();
  std::string csv = csv_header(columns);
  EXPECT_EQ(csv, first_line(reference_file)) << "not FaceLandmarkVidMulti's 714 columns";

  std::map<int64_t, std::vector<frame_record>> ours;  // by 0-based frame
  size_t our_rows = 0;
  while (auto frame = reader.read()) {
    std::vector<frame_record> rows = session.track(frame->bgr, frame->timestamp_s);
    for (size_t k = 0; k < rows.size(); ++k) {
      if (k > 0) {
        EXPECT_LT(rows[k - 1].face_id, rows[k].face_id) << "rows not in face_id order";
      }
      EXPECT_LT(rows[k].face_id, 4);
      append_csv_row(csv, rows[k], columns);
    }
    our_rows += rows.size();
    ours[frame->index] = std::move(rows);
  }
  if (const char* out = std::getenv("FACEMIRROR_MULTI_FACE_CSV"))
    std::ofstream(out) << csv;

  std::map<int64_t, std::vector<size_t>> reference_rows;  // by 0-based frame
  for (size_t row = 0; row < ref.rows(); ++row)
    reference_rows[static_cast<int64_t>(ref.at(row, "frame")) - 1].push_back(row);

  // Per frame, the closest pairs of faces first; a pair counts when the centroids lie within a
  // quarter of the reference face's width (faces in this video are 60-120 px wide and apart).
  size_t matched = 0, same_id = 0, same_success = 0;
  double distance_sum = 0;
  std::vector<std::vector<double>> ours_au(17), ref_au(17);
  for (const auto& [frame, rows] : reference_rows) {
    const std::vector<frame_record>& faces = ours[frame];
    struct pair {
      double centroid_distance;
      size_t row, face;
    };
    std::vector<pair> pairs;
    for (size_t row : rows) {
      const landmarks_2d want = ref.landmarks(row);
      for (size_t f = 0; f < faces.size(); ++f) {
        const double d = cv::norm(centroid(faces[f].landmarks) - centroid(want));
        if (d < 0.25 * face_width(want))
          pairs.push_back({d, row, f});
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const pair& a, const pair& b) {
      return a.centroid_distance < b.centroid_distance;
    });
    std::vector<bool> row_taken(ref.rows()), face_taken(faces.size());
    for (const pair& p : pairs) {
      if (row_taken[p.row] || face_taken[p.face])
        continue;
      row_taken[p.row] = face_taken[p.face] = true;
      const frame_record& face = faces[p.face];
      const double d = mean_landmark_distance(face.landmarks, ref.landmarks(p.row));
      distance_sum += d;
      ++matched;
      same_id += face.face_id == static_cast<int>(ref.at(p.row, "face_id")) ? 1 : 0;
      same_success += face.success == (ref.at(p.row, "success") > 0.5) ? 1 : 0;
      for (size_t k = 0; k < 17; ++k) {
        ours_au[k].push_back(face.au_intensity.at(k));
        ref_au[k].push_back(ref.at(p.row, columns.au_intensity_names[k] + "_r"));
      }
    }
  }
  ASSERT_GT(matched, 0u);
  double r_sum = 0, r_min = 1;
  int r_count = 0;
  for (size_t k = 0; k < 17; ++k) {
    if (const auto r = test::pearson(ours_au[k], ref_au[k])) {
      r_sum += *r, ++r_count;
      r_min = std::min(r_min, *r);
    }
  }
  const double mean_distance = distance_sum / static_cast<double>(matched);
  const double mean_r = r_sum / r_count;
  std::printf(
      "OpenFace %zu rows, ours %zu: %zu matched (%zu same face_id, %zu same success), %zu of "
      "OpenFace's and %zu of ours unmatched; matched landmarks %.3f px mean, AU intensity r "
      "%.4f mean (min %.4f)\n",
      ref.rows(), our_rows, matched, same_id, same_success, ref.rows() - matched,
      our_rows - matched, mean_distance, mean_r, r_min);
  // Measured: 2113 of 2119 matched, all with OpenFace's face_id, 9 rows of ours unmatched,
  // 0.063 px, r 0.9955 (min 0.987). The 15 unmatched rows are two trackers OpenFace frees by a
  // rule not reproduced and one validator verdict (frame 473) that ends a track early here.
  EXPECT_LE(mean_distance, 0.5);
  EXPECT_GE(matched, ref.rows() * 99 / 100);
  EXPECT_LE(our_rows - matched, ref.rows() / 100);
  EXPECT_GE(same_id, matched * 99 / 100);
  EXPECT_GE(same_success, matched * 99 / 100);
  EXPECT_GE(mean_r, 0.98);
}

TEST(multi_face_session, refuses_the_dynamic_au_models_and_bad_options) {
  FACEMIRROR_REQUIRE_SHARED();
  const auto shared = *test::shared_dir();
  auto dynamic = std::make_shared<const analysis_models>(
      resolve_model_paths(shared / "models/openface"), true, /*static_aus=*/false, true);
  EXPECT_THROW(multi_face_session{dynamic}, error);
  multi_face_options none;
  none.max_faces = 0;
  EXPECT_THROW((multi_face_session{multi_face_models(shared), none}), error);
}

}  // namespace
}  // namespace facemirror
