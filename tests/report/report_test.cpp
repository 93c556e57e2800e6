// The report's numbers on hand-computed series, and the structure of the pages and CSVs it
// writes from a small synthetic output folder.

#include "facemirror/report/report.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/error.h"
#include "facemirror/report/asymmetry.h"
#include "facemirror/report/au_series.h"
#include "facemirror/report/svg_chart.h"

#include "report/report_html.h"
#include "still_support.h"
#include <unistd.h>

namespace facemirror {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(Asymmetry, Percentile95InterpolatesBetweenOrderStatistics) {
  // position 0.95 * 4 = 3.8 between 4 and 5 -> 4.8
  EXPECT_DOUBLE_EQ(percentile95({5, 1, 4, 2, 3}), 4.8);
  EXPECT_DOUBLE_EQ(percentile95({2}), 2.0);
  EXPECT_DOUBLE_EQ(percentile95({}), 0.0);
}

TEST(Asymmetry, SideStatsUseOnlyFramesWithAFace) {
  // Frame 4 (value 9) has no face: it is neither the peak nor part of the mean.
  const std::vector<double> values = {0, 0, 2, 4, 9, 1};
  const std::vector<bool> success = {true, true, true, true, false, true};
  const std::vector<double> time = {0, 0.5, 1.0, 1.5, 2.0, 2.5};
  const side_stats s = compute_side_stats(values, success, time);
  EXPECT_EQ(s.frames_with_face, 5);
  EXPECT_DOUBLE_EQ(s.mean, 7.0 / 5.0);
  EXPECT_DOUBLE_EQ(s.peak, 4.0);
  EXPECT_DOUBLE_EQ(s.peak_time_s, 1.5);
  EXPECT_DOUBLE_EQ(s.baseline, 0.0);  // median of the first second: {0, 0}
  // sorted {0, 0, 1, 2, 4}: position 3.8 -> 2 + 0.8 * 2
  EXPECT_DOUBLE_EQ(s.p95, 3.6);
  EXPECT_DOUBLE_EQ(s.excursion, 3.6);
}

TEST(Asymmetry, BaselineIsTheMedianOfTheFirstSecondAndExcursionIsNeverNegative) {
  asymmetry_thresholds t;
  t.baseline_s = 1.0;
  const side_stats s = compute_side_stats({3, 1, 2, 0.5, 0.5}, {true, true, true, true, true},
                                          {0, 0.4, 0.8, 1.2, 1.6}, t);
  EXPECT_DOUBLE_EQ(s.baseline, 2.0);  // median of {3, 1, 2}
  // sorted {0.5, 0.5, 1, 2, 3}: 2 + 0.8 * 1 = 2.8 -> E = 0.8
  EXPECT_NEAR(s.excursion, 0.8, 1e-12);
  // A task plan's rest row is the rest instead: median of {0.5, 0.5} over [1.0, 2.0).
  const side_stats planned = compute_side_stats({3, 1, 2, 0.5, 0.5}, {true, true, true, true, true},
                                                {0, 0.4, 0.8, 1.2, 1.6}, t, time_window{1.0, 2.0});
  EXPECT_DOUBLE_EQ(planned.baseline, 0.5);
  EXPECT_NEAR(planned.excursion, 2.3, 1e-12);
  // A face that relaxes after a tense first second: its p95 (0: twenty zeros after one 3)
  // lies below its baseline (3), and the excursion stops at 0.
  std::vector<double> relaxing(21, 0.0), times(21);
  relaxing[0] = 3;
  for (size_t i = 0; i < times.size(); ++i)
    times[i] = static_cast<double>(i);
  const side_stats falling =
      compute_side_stats(relaxing, std::vector<bool>(relaxing.size(), true), times, t);
  EXPECT_DOUBLE_EQ(falling.baseline, 3.0);
  EXPECT_DOUBLE_EQ(falling.p95, 0.0);
  EXPECT_EQ(falling.excursion, 0.0);
}

TEST(Asymmetry, NoFaceGivesZeros) {
  const side_stats s = compute_side_stats({1, 2}, {false, false}, {0, 1});
  EXPECT_EQ(s.frames_with_face, 0);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_THROW((void)compute_side_stats({1, 2}, {true}, {0, 1}), error);
}

TEST(Asymmetry, IndexIsRightMinusLeftOverTheirSum) {
  EXPECT_DOUBLE_EQ(*asymmetry_index(1.0, 3.0), 0.5);
  EXPECT_DOUBLE_EQ(*asymmetry_index(2.0, 0.0), -1.0);
  EXPECT_DOUBLE_EQ(*asymmetry_index(1.5, 1.5), 0.0);
  EXPECT_FALSE(asymmetry_index(0.0, 0.0).has_value());
}

// Two resting sides make no ratio: 0.01 against 0.00 would print -1.00, "only the left moves".
TEST(Asymmetry, IndexOfTheMeansHasALevelGate) {
  const asymmetry_thresholds t;
  EXPECT_FALSE(gated_asymmetry_index(0.01, 0.0, true, t).has_value());
  EXPECT_FALSE(gated_asymmetry_index(0.3, 0.49, true, t).has_value());
  EXPECT_DOUBLE_EQ(*gated_asymmetry_index(0.0, 0.5, true, t), 1.0);  // one side at the gate
  EXPECT_DOUBLE_EQ(*gated_asymmetry_index(1.0, 3.0, true, t), 0.5);
  // Presences: the share of frames with the AU present.
  EXPECT_FALSE(gated_asymmetry_index(0.02, 0.0, false, t).has_value());
  EXPECT_DOUBLE_EQ(*gated_asymmetry_index(0.1, 0.3, false, t), 0.5);
  asymmetry_thresholds loose;
  loose.mean_intensity_min = 0.005;
  EXPECT_DOUBLE_EQ(*gated_asymmetry_index(0.01, 0.0, true, loose), -1.0);
}

TEST(Asymmetry, SymmetryRatioHasAnActivationGate) {
  const symmetry_ratio resting = compute_symmetry_ratio(0.2, 0.3);
  EXPECT_EQ(resting.state, engagement::not_engaged);
  EXPECT_EQ(resting.weaker_side, "");

  const symmetry_ratio still = compute_symmetry_ratio(1.0, 0.05);
  EXPECT_EQ(still.state, engagement::weaker_side_still);
  EXPECT_EQ(still.ratio, 0.0);
  EXPECT_EQ(still.weaker_side, "right");

  const symmetry_ratio half = compute_symmetry_ratio(1.0, 2.0);
  EXPECT_EQ(half.state, engagement::engaged);
  EXPECT_DOUBLE_EQ(half.ratio, 0.5);
  EXPECT_EQ(half.weaker_side, "left");

  asymmetry_thresholds strict;
  strict.engaged_min = 3.0;
  EXPECT_EQ(compute_symmetry_ratio(1.0, 2.0, strict).state, engagement::not_engaged);
}

TEST(AuSeries, ParsesOpenFaceLayoutAndNamesTheFileOnErrors) {
  const std::string csv =
      "frame, face_id, timestamp, confidence, success, pose_Ry, AU01_r, AU12_r, AU01_c\n"
      "1, 0, 0.000, 0.98, 1, 0.0524, 0.50, 1.25, 1\n"
      "2, 0, 0.033, 0.10, 0, 0.0000, 0.00, 0.00, 0\n";
  const au_series s = parse_au_series(csv, "x.csv");
  ASSERT_EQ(s.rows(), 2u);
  EXPECT_EQ(s.frames_with_face(), 1);
  ASSERT_EQ(s.aus.size(), 3u);
  EXPECT_EQ(s.aus[0].name, "AU01_r");
  EXPECT_TRUE(s.aus[0].intensity);
  EXPECT_FALSE(s.aus[2].intensity);
  EXPECT_DOUBLE_EQ(s.find("AU12_r")->values[0], 1.25);
  EXPECT_NEAR(s.yaw_rad[0], 0.0524, 1e-12);  // pose_Ry where the file has no head position
  // With it, the yaw is from the line of sight to the head, as the mirror job's banner shows:
  // a head 45 degrees to the side turned 45 degrees towards the camera faces it.
  const au_series placed = parse_au_series(
      "frame, timestamp, confidence, success, pose_Tx, pose_Tz, pose_Ry, AU01_r\n"
      "1, 0.000, 0.98, 1, 300.0, 300.0, 0.785398, 0.50\n",
      "p.csv");
  EXPECT_NEAR(placed.yaw_rad.at(0), 0.0, 1e-6);

  const auto message_of = [](const std::string& text) {
    try {
      (void)parse_au_series(text, "bad.csv");
    } catch (const error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of("frame, timestamp, success, AU01_r\n1, 0, 1\n").find("'bad.csv': line 2"),
            std::string::npos);
  EXPECT_NE(message_of("frame, timestamp, success, AU01_r\n1, 0, 1, x\n").find("not a number"),
            std::string::npos);
  // strtod reads these, but no OpenFace column holds them and a chart cannot place them.
  EXPECT_NE(message_of("frame, timestamp, success, AU01_r\n1, nan, 1, 0.5\n").find("not a number"),
            std::string::npos);
  EXPECT_NE(message_of("frame, timestamp, success, AU01_r\n1, 0, 1, -inf\n").find("not a number"),
            std::string::npos);
  EXPECT_NE(message_of("frame, confidence\n").find("bad.csv"), std::string::npos);
  EXPECT_NE(message_of("frame, timestamp, success\n1, 0, 1\n").find("no AU columns"),
            std::string::npos);
  EXPECT_THROW((void)read_au_series("/nonexistent/x.csv"), error);
}

// A CSV saved again on Windows or by a spreadsheet (CRLF line ends, tabs after the commas, a
// blank line at the end) holds the same numbers.
TEST(AuSeries, ReadsCrlfTabsAndBlankLines) {
  const au_series s = parse_au_series(
      "frame,\ttimestamp,\tsuccess,\tAU12_r\r\n1,\t0.5,\t1,\t2.25\r\n\r\n2,\t1.0,\t0,\t0\r\n\r\n",
      "saved.csv");
  ASSERT_EQ(s.rows(), 2u);
  EXPECT_DOUBLE_EQ(s.timestamp_s[0], 0.5);
  EXPECT_EQ(s.frames_with_face(), 1);
  ASSERT_NE(s.find("AU12_r"), nullptr);
  EXPECT_DOUBLE_EQ(s.find("AU12_r")->values[0], 2.25);
}

// A photograph's CSV (FaceLandmarkImg's layout): each listed face an instant at time 0, fitted.
TEST(AuSeries, ReadsAStillImagesFacesAsFittedInstants) {
  const au_series s = parse_au_series(
      "face, confidence, pose_Ry, AU01_r, AU01_c\n0, 0.917, 0.1000, 0.75, 1.0\n", "photo.csv");
  ASSERT_EQ(s.rows(), 1u);
  EXPECT_EQ(s.frames_with_face(), 1);
  EXPECT_DOUBLE_EQ(s.timestamp_s[0], 0.0);
  EXPECT_DOUBLE_EQ(s.confidence[0], 0.917);
  EXPECT_DOUBLE_EQ(s.find("AU01_r")->values[0], 0.75);
  // Without a `face` column a CSV with no time is still refused.
  EXPECT_THROW((void)parse_au_series("confidence, AU01_r\n0.9, 0.5\n", "x.csv"), error);
}

// A CSV of several tracked faces (aus --max-faces, FaceLandmarkVidMulti): a row per face and
// frame. Read one face at a time; read whole, the faces' rows would interleave.
TEST(AuSeries, ReadsOneFaceOfSeveral) {
  const std::string text =
      "frame, face_id, timestamp, confidence, success, AU12_r\n"
      "1, 0, 0.0, 0.9, 1, 1.0\n1, 1, 0.0, 0.8, 1, 3.0\n2, 0, 0.5, 0.9, 1, 1.5\n"
      "2, 1, 0.5, 0.1, 0, 0.0\n3, 0, 1.0, 0.9, 1, 2.0\n";
  const au_series first = parse_au_series(text, "multi.csv", 0);
  EXPECT_EQ(first.timestamp_s, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(first.find("AU12_r")->values, (std::vector<double>{1.0, 1.5, 2.0}));
  const au_series second = parse_au_series(text, "multi.csv", 1);
  EXPECT_EQ(second.find("AU12_r")->values, (std::vector<double>{3.0, 0.0}));
  EXPECT_EQ(second.frames_with_face(), 1);
  EXPECT_EQ(parse_au_series(text, "multi.csv").rows(), 5u);  // every row
  EXPECT_EQ(parse_au_series(text, "multi.csv", 7).rows(), 0u);

  const fs::path file = fs::temp_directory_path() /
                        ("facemirror_face_ids_test_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(file) << text;
  EXPECT_EQ(read_face_ids(file), (std::vector<int>{0, 1}));
  std::ofstream(file) << "frame, timestamp, success, AU12_r\n1, 0.0, 1, 1.0\n";
  EXPECT_TRUE(read_face_ids(file).empty());
  fs::remove(file);
  EXPECT_THROW((void)read_face_ids(file), error);
}

// Rows whose times fall outside [t0, t1] (an edited CSV out of order) still land in a column;
// one far outside once overflowed the conversion to a column (UBSan, in CI's sanitizer run).
TEST(SvgChart, ColumnReductionPlacesRowsOutsideTheTimeRange) {
  const std::vector<double> t = {0, 1, 1e300, 2, -1e300};
  const std::vector<double> v = {0.5, 1, 2, 1.5, 0.2};
  const std::vector<bool> ok(t.size(), true);
  const auto points = reduce_to_columns(t, v, ok, 0.0, 2.0, 10);
  for (long row = 0; row < 5; ++row)
    EXPECT_NE(std::find(points.begin(), points.end(), row), points.end()) << row;
  EXPECT_EQ(std::count(points.begin(), points.end(), -1), 0);
}

TEST(SvgChart, ColumnReductionBoundsPointsAndKeepsPeaks) {
  std::vector<double> t, v;
  std::vector<bool> ok;
  for (int i = 0; i < 10000; ++i) {
    t.push_back(i / 30.0);
    v.push_back(i == 4321 ? 5.0 : 0.1 * (i % 7));
    ok.push_back(i < 5000 || i > 5100);
  }
  const auto points = reduce_to_columns(t, v, ok, t.front(), t.back(), 100);
  EXPECT_LE(points.size(), 2u * 100 + 1);  // two per column and one gap marker
  EXPECT_NE(std::find(points.begin(), points.end(), 4321), points.end());
  EXPECT_EQ(std::count(points.begin(), points.end(), -1), 1);  // the no-face gap breaks the line
  long last = -1;
  for (const long p : points) {
    if (p < 0)
      continue;
    EXPECT_GT(p, last);  // time order
    last = p;
  }
}

// Every point of a line lies in the plot area (the <rect class="plot">), whichever series starts
// first or ends last, and however far a value goes past the axis's 0..5 (an edited CSV).
TEST(SvgChart, LinesStayInsideThePlotArea) {
  chart_series a{
      "Right", "#c00", {1, 2.5, 5, 7.5, 10}, {0, 1, 9, -2, 3}, {true, true, true, true, true}};
  chart_series b{"Left", "#00c", {0, 6, 12}, {1, 1, 1}, {true, true, true}};
  const std::string svg = line_chart_svg("c1", "au-chart", "AU12", {a, b}, chart_layout{});
  const auto attribute = [&](const std::string& name) {
    const size_t rect = svg.find("<rect class=\"plot\"");
    const size_t at = svg.find(" " + name + "=\"", rect) + name.size() + 3;
    return std::stod(svg.substr(at));
  };
  const double x0 = attribute("x"), y0 = attribute("y");
  const double x1 = x0 + attribute("width"), y1 = y0 + attribute("height");
  size_t points = 0;
  for (size_t at = svg.find(" d=\""); at != std::string::npos; at = svg.find(" d=\"", at + 1)) {
    std::istringstream path(svg.substr(at + 4, svg.find('"', at + 4) - at - 4));
    char command = 0;
    double x = 0, y = 0;
    while (path >> command >> x >> y) {
      ++points;
      EXPECT_GE(x, x0 - 0.05);
      EXPECT_LE(x, x1 + 0.05);
      EXPECT_GE(y, y0 - 0.05);
      EXPECT_LE(y, y1 + 0.05);
    }
  }
  EXPECT_EQ(points, 8u);
}

TEST(SvgChart, EscapesTextAndDrawsOnePathPerSeries) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  // UTF-8 as it is (2, 3 and 4 bytes); a byte of another encoding, a cut sequence, an overlong
  // one and a surrogate as U+FFFD, so that a page of such a file name is still UTF-8.
  EXPECT_EQ(html_escape("Jos\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "Jos\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(html_escape("bad\xFFname"), "bad\xEF\xBF\xBDname");
  EXPECT_EQ(html_escape("cut\xC3"), "cut\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("\xED\xA0\x80<"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD&lt;");
  chart_series a{"Right", "#c00", {0, 1, 2}, {0, 5, 1}, {true, true, true}};
  chart_series b{"Left", "#00c", {0, 1, 2}, {1, 1, 1}, {true, false, true}};
  const std::string svg = line_chart_svg("c1", "au-chart", "AU12 <x>", {a, b}, chart_layout{});
  EXPECT_EQ(count_of(svg, "<path class=\"series\""), 2u);
  EXPECT_NE(svg.find("<title>AU12 &lt;x&gt;</title>"), std::string::npos);
  const std::string bands = band_chart_svg("c2", "au-chart", "AU12_c", {a, b}, chart_layout{});
  EXPECT_EQ(count_of(bands, "class=\"present\""), 3u);  // a: [1,2] one run; b: frames 0 and 2
  EXPECT_EQ(count_of(bands, "class=\"noface\""), 1u);
}

// Every frame's presence is a band a frame wide, the last frame's too: the time axis runs to
// the recording's end, a frame after the last one starts (it once ended at the last start and
// drew the last frame zero wide).
TEST(SvgChart, TheLastFramesPresenceIsAFrameWide) {
  const chart_series last{"Right", "#c00", {0, 1, 2, 3}, {0, 0, 0, 1}, {true, true, true, true}};
  const chart_series first{"Right", "#c00", {0, 1, 2, 3}, {1, 0, 0, 0}, {true, true, true, true}};
  const auto present_width = [](const std::string& svg) {
    const size_t rect = svg.find("class=\"present\"");
    const size_t at = svg.find("width=\"", rect);
    return rect == std::string::npos ? -1.0 : std::stod(svg.substr(at + 7));
  };
  const double width = present_width(band_chart_svg("l", "au-chart", "x", {last}, {}));
  EXPECT_GT(width, 100.0);
  EXPECT_NEAR(width, present_width(band_chart_svg("f", "au-chart", "x", {first}, {})), 0.11);
}

// An excursion is printed on the side of the gates it lies on: 0.496 beside "not engaged"
// (below 0.50) reads 0.496, not 0.50; 0.0996 beside "no movement" (below 0.10) reads 0.0996.
TEST(ReportDetail, ExcursionsNearAGateShowWhichSideTheyLieOn) {
  const asymmetry_thresholds gates;  // engaged_min 0.5, weaker_min 0.1
  EXPECT_EQ(detail::excursion_text(0.4960, gates), "0.496");
  EXPECT_EQ(detail::excursion_text(0.49996, gates), "0.5000");  // four decimals at most
  EXPECT_EQ(detail::excursion_text(0.0996, gates), "0.0996");
  EXPECT_EQ(detail::excursion_text(0.5, gates), "0.50");
  EXPECT_EQ(detail::excursion_text(0.4949, gates), "0.49");
  EXPECT_EQ(detail::excursion_text(1.2345, gates), "1.23");
}

// A value that rounds to zero is printed without a sign ("-0.00" reads as a direction).
TEST(ReportDetail, NumbersRoundingToZeroHaveNoSign) {
  EXPECT_EQ(detail::num(-0.0045), "0.00");
  EXPECT_EQ(detail::num(-0.00001, 4), "0.0000");
  EXPECT_EQ(detail::num(-0.4, 0), "0");
  EXPECT_EQ(detail::num(-0.5), "-0.50");
  EXPECT_EQ(detail::num(-0.006), "-0.01");
  EXPECT_EQ(detail::num(0.0), "0.00");
}

TEST(ReportDetail, Base64AndStrongestAsymmetryFrames) {
  EXPECT_EQ(detail::base64("Man"), "TWFu");
  EXPECT_EQ(detail::base64("Ma"), "TWE=");
  EXPECT_EQ(detail::base64("M"), "TQ==");
  EXPECT_EQ(detail::base64(""), "");

  const std::string header = "frame, timestamp, confidence, success, AU01_r, AU12_r\n";
  // Differences |R - L| per frame: 0, 3, 0.5, 2.9 (frame 3 is only 0.1 s after frame 1), 1,
  // and frame 5 would be largest but the left face is missing there.
  const au_series left = parse_au_series(header +
                                             "1, 0.0, 1, 1, 0, 0\n2, 1.0, 1, 1, 0, 0\n"
                                             "3, 2.0, 1, 1, 0, 0\n4, 1.1, 1, 1, 0, 0\n"
                                             "5, 4.0, 1, 1, 0, 0\n6, 5.0, 1, 0, 0, 0\n",
                                         "l.csv");
  const au_series right = parse_au_series(header +
                                              "1, 0.0, 1, 1, 0, 0\n2, 1.0, 1, 1, 1, 2\n"
                                              "3, 2.0, 1, 1, 0.5, 0\n4, 1.1, 1, 1, 2.9, 0\n"
                                              "5, 4.0, 1, 1, 1, 0\n6, 5.0, 1, 1, 5, 5\n",
                                          "r.csv");
  EXPECT_EQ(detail::strongest_asymmetry_frames(left, right, 2, 0.5), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(detail::strongest_asymmetry_frames(left, right, 3, 0.5),
            (std::vector<int64_t>{1, 2, 4}));
}

// White at SR 1, towards the weaker side's colour as SR falls (left #1f5fbf, right #c8321e),
// 70% of it over white at SR 0.
TEST(ReportDetail, OverviewCellsAreTintedByTheWeakerSide) {
  const auto tint = [](double ratio, const char* weaker) {
    return detail::weaker_side_tint({engagement::engaged, ratio, weaker});
  };
  EXPECT_EQ(tint(1.0, "left"), "#ffffff");
  EXPECT_EQ(tint(1.0, ""), "#ffffff");
  EXPECT_EQ(tint(0.2, ""), "#ffffff");  // no weaker side, nothing to tint
  EXPECT_EQ(tint(0.0, "left"), "#628fd2");
  EXPECT_EQ(tint(0.5, "right"), "#ecb7b0");
  EXPECT_EQ(tint(-1.0, "right"), tint(0.0, "right"));  // clamped
}

// The overview's columns go by face region (brow, eye, mid-face and smile, lower face), each
// AU once whatever the videos hold; a video without an AU leaves its cell empty.
TEST(ReportDetail, OverviewColumnsGoByFaceRegion) {
  const auto row = [](const char* au) {
    au_summary r;
    r.au = au;
    return r;
  };
  const std::vector<au_summary> first = {row("AU09_r"), row("AU45_r"), row("AU01_r")};
  std::vector<au_summary> second = {row("AU26_r"), row("AU28_c"), row("AU45_r")};
  second[1].intensity = false;  // a presence: no column of its own
  const std::string html =
      detail::asymmetry_overview({{"a", &first, false}, {"b", &second, false}});
  EXPECT_NE(html.find("<th>AU01</th><th>AU45</th><th>AU09</th><th>AU26</th></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td class=\"l\">b</td><td></td>"), std::string::npos) << html;
  EXPECT_EQ(detail::asymmetry_overview({}), "");
}

// The score is over intensities on frames where both faces were found: a presence column's 0/1
// flip and a frame with only the left face must not pick the stills.
TEST(ReportDetail, StrongestAsymmetryIgnoresPresenceAndFramesWithoutBothFaces) {
  const std::string header = "frame, timestamp, confidence, success, AU12_r, AU12_c\n";
  // |R - L| of AU12_r: 0.5, 1, 0, 2; frame 3's presence flips (counted, it would tie frame 2),
  // frame 4's right face is missing.
  const au_series left = parse_au_series(header +
                                             "1, 0.0, 1, 1, 1.0, 0\n2, 1.0, 1, 1, 1.0, 0\n"
                                             "3, 2.0, 1, 1, 0.0, 0\n4, 3.0, 1, 1, 0.0, 0\n",
                                         "l.csv");
  const au_series right = parse_au_series(header +
                                              "1, 0.0, 1, 1, 1.5, 0\n2, 1.0, 1, 1, 2.0, 0\n"
                                              "3, 2.0, 1, 1, 0.0, 1\n4, 3.0, 1, 0, 2.0, 0\n",
                                          "r.csv");
  EXPECT_EQ(detail::strongest_asymmetry_frames(left, right, 1, 0.5), (std::vector<int64_t>{1}));
  EXPECT_EQ(detail::strongest_asymmetry_frames(left, right, 2, 0.5), (std::vector<int64_t>{0, 1}));
}

// The stills show movement, not a difference the face holds at rest: the left AU04 rests at 3
// and the right at 0, and only frame 3 moves (the left falls to 2). |R - L| alone would choose
// a resting frame (3 against frame 3's 2); against each side's rest, frame 3 is the one.
TEST(ReportDetail, StrongestAsymmetryIsInMovementAboveEachSidesRest) {
  const std::string header = "frame, timestamp, confidence, success, AU04_r\n";
  const au_series left = parse_au_series(
      header + "1, 0.0, 1, 1, 3\n2, 1.0, 1, 1, 3\n3, 2.0, 1, 1, 2\n4, 3.0, 1, 1, 3\n", "l.csv");
  const au_series right = parse_au_series(
      header + "1, 0.0, 1, 1, 0\n2, 1.0, 1, 1, 0\n3, 2.0, 1, 1, 0\n4, 3.0, 1, 1, 0\n", "r.csv");
  EXPECT_EQ(detail::strongest_asymmetry_frames(left, right, 1, 0.5), (std::vector<int64_t>{0}));
  EXPECT_EQ(detail::strongest_asymmetry_frames(left, right, 1, 0.5, {{"AU04_r", {3.0, 0.0}}}),
            (std::vector<int64_t>{2}));
}

// A synthetic mirror job's folder: two AU CSVs whose numbers are known.
class ReportFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("facemirror_report_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  // 4 frames at 1 fps; left AU12 rises to 2, right to 4; AU01 rests on both sides.
  void write_pair(const std::string& stem) {
    const std::string header =
        "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n";
    write(stem + "_left_mirrored.csv", header +
                                           "1, 0, 0.000, 0.90, 1, 0.10, 0.00, 0\n"
                                           "2, 0, 1.000, 0.95, 1, 0.10, 2.00, 1\n"
                                           "3, 0, 2.000, 0.98, 1, 0.10, 2.00, 1\n"
                                           "4, 0, 3.000, 0.97, 1, 0.10, 0.00, 0\n");
    write(stem + "_right_mirrored.csv", header +
                                            "1, 0, 0.000, 0.98, 1, 0.10, 0.00, 0\n"
                                            "2, 0, 1.000, 0.96, 1, 0.20, 4.00, 1\n"
                                            "3, 0, 2.000, 0.94, 1, 0.10, 4.00, 1\n"
                                            "4, 0, 3.000, 0.10, 0, 0.00, 0.00, 0\n");
    write(stem + "_head_pose.csv",
          "frame,timestamp,success,confidence,yaw_deg\n1,0.000,1,0.98,1.00\n2,1.000,1,0.98,4.00\n"
          "3,2.000,1,0.98,-7.50\n4,3.000,0,0.10,0.00\n");
  }

  // The error write_report raises on the folder ("" when it raises none).
  std::string report_error() {
    try {
      (void)write_report(dir_, fast());
    } catch (const error& e) {
      return e.what();
    }
    return "";
  }

  // The page of the folder's one video, `stem`, written by write_report (empty if it failed).
  std::string one_page(const std::string& stem) {
    const auto results = write_report(dir_, fast());
    EXPECT_EQ(results.size(), 1u);
    if (results.size() != 1 || !results[0].ok) {
      ADD_FAILURE() << (results.empty() ? "no video" : results[0].error);
      return {};
    }
    return read_text(dir_ / (stem + "_report.html"));
  }

  // Checksumming a real models folder is the integration test's job.
  report_options fast() const {
    report_options options;
    options.models_dir = dir_ / "no_models_here";
    return options;
  }

  fs::path dir_;
};

TEST_F(ReportFolder, WritesSelfContainedPagesAndTheNumbersAsCsv) {
  write_pair("patient");
  report_options options;
  options.command = "facemirror report out/";
  options.models_dir = dir_ / "no_models_here";
  const auto results = write_report(dir_, options);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].ok) << results[0].error;

  const std::string html = read_text(dir_ / "patient_report.html");
  EXPECT_EQ(count_of(html, "class=\"au-chart"), 3u);  // one chart per AU column
  EXPECT_NE(html.find("id=\"chart-AU12_r\""), std::string::npos);
  EXPECT_NE(html.find("id=\"chart-AU12_c\""), std::string::npos);
  EXPECT_NE(html.find("<table id=\"summary\""), std::string::npos);
  EXPECT_EQ(count_of(html, "<tr data-au="), 3u);
  EXPECT_NE(html.find("(R &minus; L) / (R + L)"), std::string::npos);  // the definition
  EXPECT_NE(html.find("facemirror report out/"), std::string::npos);   // provenance
  EXPECT_NE(html.find("not checked"), std::string::npos);              // no models there
  // Yaw bands: 1.0 good, 4.0 acceptable, -7.5 poor, one frame without a face.
  EXPECT_NE(html.find("<td class=\"l\">good</td><td>1</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">acceptable</td><td>1</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">poor</td><td>1</td>"), std::string::npos);
  // Self-contained: nothing to fetch, and a policy that forbids fetching.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);

  // AU12: left mean 1.0, right mean (0 + 4 + 4) / 3 over its 3 frames with a face.
  // AI = (8/3 - 1) / (8/3 + 1) = 5/11 = 0.4545. p95: left sorted {0,0,2,2} -> 2; right {0,4,4}
  // -> 4. Baselines (first second): 0 both. SR = 2/4 = 0.5, left weaker.
  const std::string csv = read_text(dir_ / "patient_asymmetry.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n') + 1), asymmetry_csv_header(false));
  EXPECT_NE(csv.find("AU12_r,intensity,4,1.0000,2.0000,2.0000,1.000,0.0000,2.0000,"
                     "3,2.6667,4.0000,4.0000,1.000,0.0000,4.0000,0.4545,0.5000,left,engaged\n"),
            std::string::npos)
      << csv;
  // AU01 rests (means 0.10 and 0.13): not engaged, no ratio, and no AI under its level gate.
  EXPECT_NE(csv.find(",0.0900,,,,not_engaged\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("AU12_c,presence,4,0.5000"), std::string::npos) << csv;

  const std::string summary = read_text(dir_ / "asymmetry_summary.csv");
  EXPECT_EQ(summary.rfind(asymmetry_csv_header(true), 0), 0u);
  EXPECT_EQ(count_of(summary, "\npatient,AU"), 3u);
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("href=\"patient_report.html\""), std::string::npos);
  EXPECT_NE(index.find("AU12_r SR 0.50 (left weaker)"), std::string::npos);
  // Frames with a face per side, flagged: the right face is on 3 of the 4 frames.
  EXPECT_NE(index.find("\"><b>4 / 3</b> <span class=\"warning\">(face lost: found in 75%)</span>"
                       "</td>"),
            std::string::npos)
      << index;
  // The head turned past 5 degrees on 1 of the 3 frames with a face (-7.5): flagged at 20%.
  EXPECT_NE(html.find("<p class=\"warning head-turned\"><b>The head was turned more than 5&deg; "
                      "(S1's &ldquo;mirroring affected&rdquo;) in 33% of the frames with a face"),
            std::string::npos)
      << html;
  EXPECT_NE(index.find(">(head turned 33%)</span>"), std::string::npos) << index;
  options.max_turned_share = 0.34;
  ASSERT_TRUE(write_report(dir_, options).at(0).ok);
  EXPECT_EQ(read_text(dir_ / "patient_report.html").find("warning head-turned"), std::string::npos);
  EXPECT_EQ(read_text(dir_ / "index.html").find("head turned"), std::string::npos);
  // The overview: AU01 (brow) before AU12 (smile), presences left out; AU12's cell links its
  // chart and is tinted for SR 0.5, left weaker; AU01 rests on both sides.
  EXPECT_NE(index.find("<table id=\"overview\"><thead><tr><th class=\"l\">video</th>"
                       "<th>AU01</th><th>AU12</th></tr>"),
            std::string::npos)
      << index;
  EXPECT_NE(index.find("<tr><td class=\"l\">patient</td><td class=\"gated\" "
                       "style=\"background:#eeeeee\" title=\"AU01_r: not engaged; "),
            std::string::npos)
      << index;
  EXPECT_NE(index.find("<td style=\"background:#b1c7e9\" title=\"AU12_r: SR 0.50, left weaker; "
                       "excursion left 2.00, right 4.00\"><a "
                       "href=\"patient_report.html#chart-AU12_r\">0.50</a></td></tr>"),
            std::string::npos)
      << index;
}

// The page's own numbers for write_pair's folder, each worked out by hand: frames without a face
// per side, the presence AU's share of frames, the yaw bands' shares of all 4 frames and the
// |yaw| median of {1, 4, 7.5}, and the CSVs' rate (4 rows over 3 s).
TEST_F(ReportFolder, PageNumbersOfAMirroredPair) {
  write_pair("patient");
  const std::string html = one_page("patient");
  // Face tracking per side: the left face on all 4 frames, mean confidence (0.90 + 0.95 + 0.98 +
  // 0.97) / 4; the right face on 3 (75%, below the 80% flag), its mean over those 3 only
  // (0.98 + 0.96 + 0.94) / 3, not counting the failed frame's 0.10.
  EXPECT_NE(html.find("<tr><td class=\"l\">left face</td><td>4 of 4</td><td>100.0%</td>"
                      "<td>0.950</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"few-faces\"><td class=\"l\">right face</td><td>3 of 4</td>"
                      "<td><b>75.0%</b></td><td>0.960</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("Warning: the right face was found in fewer than 80% of the frames"),
            std::string::npos);
  EXPECT_EQ(html.find("the left face was found in fewer"), std::string::npos);
  EXPECT_NE(
      html.find("<tr data-au=\"AU12_c\"><td class=\"l\">AU12_c</td><td class=\"l\">Lip corner "
                "puller (presence)</td><td class=\"left\">50.0%</td>"),
      std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">good</td><td>1</td><td>25.0%</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">no face</td><td>1</td><td>25.0%</td>"), std::string::npos);
  EXPECT_NE(html.find("|yaw| median 4.0&deg;"), std::string::npos);
  EXPECT_NE(html.find(": 4 frames, 1.000 frames/s"), std::string::npos);
  // Under the summary table, why AI and SR can point different ways.
  const size_t ai_sr_note =
      html.find("<p class=\"note ai-sr\">AI compares the sides' means, resting level");
  ASSERT_NE(ai_sr_note, std::string::npos);
  EXPECT_GT(ai_sr_note, html.find("id=\"summary\""));
}

// The Quality section charts |yaw| over time (the head-turn warning sends the reader there to
// see when): write_pair's yaw 1, 4, -7.5 at 0, 1, 2 s on a 0..10 degree axis, a gap where the
// fourth frame has no face, dashed lines at 3 and 5 degrees.
TEST_F(ReportFolder, TheQualitySectionChartsTheYawOverTime) {
  write_pair("patient");
  const std::string html = one_page("patient");
  const size_t chart = html.find("<svg id=\"chart-yaw\"");
  ASSERT_NE(chart, std::string::npos);
  EXPECT_GT(chart, html.find("<section id=\"quality\">"));
  const std::string svg = html.substr(chart, html.find("</svg>", chart) - chart);
  // x: 0..4 s (the fourth frame's end) over 36..712 px; y: 0..10 degrees over 98..8 px.
  EXPECT_NE(svg.find("d=\"M36.0 89.0L205.0 62.0L374.0 30.5\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("fill=\"#333\">10</text>"), std::string::npos);
  EXPECT_EQ(svg.find("fill=\"#333\">1</text>"), std::string::npos);  // a label every 5 degrees
  EXPECT_NE(svg.find("y1=\"71.0\" x2=\"712.0\" y2=\"71.0\" stroke=\"#2e8b3a\""), std::string::npos);
  EXPECT_NE(svg.find("y1=\"53.0\" x2=\"712.0\" y2=\"53.0\" stroke=\"#e69a00\""), std::string::npos);
}

// write_pair's mirrored videos: 4 frames, the right face's frame i at right_grey(i), the left
// face's at left_grey(i), so a still shows which frame it is.
int right_grey(int64_t index) {
  return 40 + 40 * static_cast<int>(index);
}
int left_grey(int64_t index) {
  return 60 + 40 * static_cast<int>(index);
}

// Each still's caption names the frame its two images show (the right face's, then the left
// face's) and that frame's time; the stills are the frames where the faces differ most.
TEST_F(ReportFolder, AStillsCaptionNamesTheFrameItShows) {
  write_pair("patient");
  test::write_grey_video(dir_ / "patient_right_mirrored.mp4", 4, right_grey);
  test::write_grey_video(dir_ / "patient_left_mirrored.mp4", 4, left_grey);
  const std::string html = one_page("patient");

  std::vector<std::string> captions;
  for (const auto& still : test::stills_of(html)) {
    captions.push_back(still.caption);
    EXPECT_EQ(still.label, "");
    const int64_t index = std::stoll(still.caption.substr(still.caption.find("frame ") + 6)) - 1;
    ASSERT_GE(index, 0) << still.caption;
    EXPECT_NEAR(test::still_grey(still.right), right_grey(index), 4.0) << still.caption;
    EXPECT_NEAR(test::still_grey(still.left), left_grey(index), 4.0) << still.caption;
  }
  // The three stills (the default) in time order: frame 2 (sum of |R - L| 0.1 + 2.0), frame 3
  // (2.0) and frame 1 (0), each a second from the next; frame 4 has only the left face.
  EXPECT_EQ(captions,
            (std::vector<std::string>{"frame 1, 0.00 s", "frame 2, 1.00 s", "frame 3, 2.00 s"}));
}

// The numbers come from the CSVs: a mirrored video that cannot be read costs the page its
// stills, said with the reason, not the video its page.
TEST_F(ReportFolder, AnUnreadableMirroredVideoCostsTheStillsOnly) {
  write_pair("patient");
  test::write_grey_video(dir_ / "patient_right_mirrored.mp4", 4, right_grey);
  write("patient_left_mirrored.mp4", "not a video");
  const std::string html = one_page("patient");
  EXPECT_TRUE(test::stills_of(html).empty());
  const auto note = html.find("patient_left_mirrored.mp4");
  ASSERT_NE(note, std::string::npos) << html;
  EXPECT_NE(html.find(": no stills.", note), std::string::npos) << html;
  EXPECT_TRUE(fs::exists(dir_ / "patient_asymmetry.csv"));
}

// The CSV's millisecond timestamps give a 5 s clip at 30 frames/s as 30.002 (157 / 5.233): the
// rate is shown to the decimals the timestamps support. A 1 s clip: 30.0; the 10x longer: 30.00.
TEST_F(ReportFolder, TheAuFilesRateIsShownToThePrecisionOfItsTimestamps) {
  const auto page_of = [&](int frames) {
    std::string csv = "frame, face_id, timestamp, confidence, success, AU01_r\n";
    char row[96];
    for (int i = 0; i < frames; ++i) {
      std::snprintf(row, sizeof(row), "%d, 0, %.3f, 0.9, 1, 0.5\n", i + 1, i / 30.0);
      csv += row;
    }
    write("clip.csv", csv);
    return one_page("clip");
  };
  EXPECT_NE(page_of(158).find(": 158 frames, 30.00 frames/s"), std::string::npos);
  EXPECT_NE(page_of(31).find(": 31 frames, 30.0 frames/s"), std::string::npos);
}

// Fewer than 80% of the frames with a face (3 of 5) is flagged on the page and in the index.
TEST_F(ReportFolder, AFaceInFewerThan80PercentOfTheFramesIsFlagged) {
  write("clip.csv",
        "frame, face_id, timestamp, confidence, success, AU01_r\n"
        "1, 0, 0.0, 0.9, 1, 0.5\n2, 0, 0.5, 0.1, 0, 0.0\n3, 0, 1.0, 0.9, 1, 1.5\n"
        "4, 0, 1.5, 0.1, 0, 0.0\n5, 0, 2.0, 0.9, 1, 1.5\n");
  const std::string html = one_page("clip");
  EXPECT_NE(html.find("<tr class=\"few-faces\"><td class=\"l\">face</td><td>3 of 5</td>"
                      "<td><b>60.0%</b></td><td>0.900</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("Warning: the face was found in fewer than 80% of the frames"),
            std::string::npos);
  EXPECT_EQ(html.find("ai-sr"), std::string::npos);  // one face: no AI, no SR
  // Said at the top of the summary too, before its table, as a head turn is.
  const size_t summary_warning = html.find(
      "<p class=\"warning few-faces\"><b>A face was found in fewer than 80% of the "
      "frames (the face in 60%): the numbers below rest on the frames with a face");
  ASSERT_NE(summary_warning, std::string::npos);
  EXPECT_LT(summary_warning, html.find("id=\"summary\""));
  EXPECT_GT(summary_warning, html.find("<section id=\"summary-section\">"));
  // The index flags it too, in words a printout keeps; a lower bar (--min-face-share 0.5)
  // flags it nowhere.
  EXPECT_NE(read_text(dir_ / "index.html")
                .find("<td class=\"few-faces\" title=\"a face found in fewer than 80% of the "
                      "frames\"><b>3</b> <span class=\"warning\">(face lost: found in 60%)</span>"
                      "</td>"),
            std::string::npos);
  auto lenient = fast();
  lenient.min_face_share = 0.5;
  ASSERT_TRUE(write_report(dir_, lenient).at(0).ok);
  EXPECT_EQ(read_text(dir_ / "clip_report.html").find("few-faces"), std::string::npos);
  // The definitions state the share in force.
  EXPECT_NE(read_text(dir_ / "clip_report.html")
                .find("<li><b>face tracking</b>: a face found in fewer than 50% of the frames"),
            std::string::npos);
  EXPECT_EQ(read_text(dir_ / "index.html").find("few-faces"), std::string::npos);
}

TEST_F(ReportFolder, ABadVideoFailsAloneAndWritesNothingForIt) {
  write_pair("good");
  write("bad_left_mirrored.csv", "frame, timestamp, success, AU01_r\n1, 0, 1, 0.5\n");
  write("bad_right_mirrored.csv", "frame, timestamp, success, AU01_r\n1, 0, 1\n");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("bad_right_mirrored.csv"), std::string::npos) << results[0].error;
  EXPECT_TRUE(results[1].ok);
  EXPECT_FALSE(fs::exists(dir_ / "bad_report.html"));
  EXPECT_FALSE(fs::exists(dir_ / "bad_asymmetry.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "good_report.html"));
  EXPECT_NE(read_text(dir_ / "index.html").find("id=\"failed\""), std::string::npos);
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".partial"), std::string::npos) << entry.path();
}

// A page that cannot be written whole leaves none: an earlier run's would be taken for this one's.
TEST_F(ReportFolder, AVideoThatFailsWhileItsFilesAreWrittenLeavesNoPage) {
  write_pair("patient");
  ASSERT_FALSE(one_page("patient").empty());
  // A folder (with a file in it) where the table goes: it cannot be replaced or removed.
  fs::remove(dir_ / "patient_asymmetry.csv");
  fs::create_directories(dir_ / "patient_asymmetry.csv");
  write("patient_asymmetry.csv/keep.txt", "kept");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("patient_asymmetry.csv"), std::string::npos) << results[0].error;
  EXPECT_FALSE(fs::exists(dir_ / "patient_report.html"));
  EXPECT_EQ(read_text(dir_ / "patient_asymmetry.csv/keep.txt"), "kept");
}

TEST_F(ReportFolder, TheIndexSaysWhenNeitherSideIsWeaker) {
  write_pair("same");
  write("same_right_mirrored.csv", read_text(dir_ / "same_left_mirrored.csv"));
  (void)one_page("same");
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("AU12_r SR 1.00 (sides equal)"), std::string::npos) << index;
}

TEST_F(ReportFolder, OneVideoAtATimeThenTheIndexGiveWhatTheWholeFolderGives) {
  write_pair("first");
  write_pair("second");
  const report_writer writer(dir_, fast());
  const report_result first = writer.write_video("first");
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.html, dir_ / "first_report.html");
  EXPECT_TRUE(fs::exists(dir_ / "first_asymmetry.csv"));
  // Only that video's files: not the other's, not the folder's.
  EXPECT_FALSE(fs::exists(dir_ / "second_report.html"));
  EXPECT_FALSE(fs::exists(dir_ / "index.html"));
  EXPECT_FALSE(fs::exists(dir_ / "asymmetry_summary.csv"));
  const report_result missing = writer.write_video("third");
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.error.find("third"), std::string::npos) << missing.error;

  ASSERT_TRUE(writer.write_video("second").ok);
  writer.write_index();
  const std::string index = read_text(dir_ / "index.html");
  const std::string summary = read_text(dir_ / "asymmetry_summary.csv");
  const std::string page = read_text(dir_ / "second_report.html");
  EXPECT_NE(index.find("href=\"first_report.html\""), std::string::npos);
  EXPECT_NE(index.find("href=\"second_report.html\""), std::string::npos);
  // The same bytes as the whole folder's report.
  (void)write_report(dir_, fast());
  EXPECT_EQ(read_text(dir_ / "index.html"), index);
  EXPECT_EQ(read_text(dir_ / "asymmetry_summary.csv"), summary);
  EXPECT_EQ(read_text(dir_ / "second_report.html"), page);
}

// The index takes a video whose page the writer wrote from what it read then, unless one of the
// video's CSVs changed since (size or time): a long batch's CSVs are not all parsed twice.
TEST_F(ReportFolder, TheIndexReadsAVideoAgainOnlyWhenItsCsvsChanged) {
  write_pair("kept");
  write_pair("changed");
  const report_writer writer(dir_, fast());
  ASSERT_TRUE(writer.write_video("kept").ok);
  ASSERT_TRUE(writer.write_video("changed").ok);
  writer.write_index();
  const auto rows_of = [this](const std::string& stem) {
    std::string rows;
    std::istringstream in(read_text(dir_ / "asymmetry_summary.csv"));
    for (std::string line; std::getline(in, line);)
      if (line.rfind(stem + ",", 0) == 0)
        rows += line + "\n";
    return rows;
  };
  const std::string kept_before = rows_of("kept"), changed_before = rows_of("changed");
  ASSERT_FALSE(kept_before.empty());
  // Other AU12 values in both; "kept" keeps its CSV's size and time, "changed" gets a new time.
  for (const std::string stem : {"kept", "changed"}) {
    const fs::path csv = dir_ / (stem + "_left_mirrored.csv");
    const auto written = fs::last_write_time(csv);
    std::string text = read_text(csv);
    text.replace(text.find("2.00"), 4, "3.00");
    write(stem + "_left_mirrored.csv", text);
    fs::last_write_time(csv, stem == "kept" ? written : written + std::chrono::seconds(2));
  }
  writer.write_index();
  EXPECT_EQ(rows_of("kept"), kept_before);
  EXPECT_NE(rows_of("changed"), changed_before);
  (void)write_report(dir_, fast());  // reads every CSV: the kept video's new values show
  EXPECT_NE(rows_of("kept"), kept_before);
}

TEST_F(ReportFolder, AVideoThatFailsInTheWriterIsListedAsFailedUntilItsRetrySucceeds) {
  write_pair("late");
  write("late_right_mirrored.csv", "frame, timestamp, success, AU01_r\n1, 0, 1\n");  // malformed
  const report_writer writer(dir_, fast());
  EXPECT_FALSE(writer.write_video("late").ok);
  writer.write_index();
  EXPECT_NE(read_text(dir_ / "index.html").find("id=\"failed\""), std::string::npos);
  write_pair("late");
  ASSERT_TRUE(writer.write_video("late").ok);
  writer.write_index();
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_EQ(index.find("id=\"failed\""), std::string::npos) << index;
  EXPECT_NE(index.find("href=\"late_report.html\""), std::string::npos);
}

TEST_F(ReportFolder, AnAusFolderGetsOneFaceReports) {
  write("clip.csv",
        "frame, face_id, timestamp, confidence, success, pose_Ry, AU01_r, AU01_c\n"
        "1, 0, 0.0, 0.9, 1, 0.0, 0.5, 1\n2, 0, 0.5, 0.9, 1, 0.1, 1.5, 1\n");
  write("notes.csv", "a,b\n1,2\n");  // not an AU CSV: ignored
  const auto videos = find_report_videos(dir_);
  ASSERT_EQ(videos.size(), 1u);
  EXPECT_FALSE(videos[0].mirrored);
  const std::string html = one_page("clip");
  EXPECT_EQ(count_of(html, "class=\"au-chart"), 2u);
  EXPECT_EQ(html.find("(R &minus; L)"), std::string::npos);  // no left/right index
  EXPECT_FALSE(fs::exists(dir_ / "clip_asymmetry.csv"));
  // 0.1 rad = 5.7 deg: poor; 0: good.
  EXPECT_NE(html.find("<td class=\"l\">poor</td><td>1</td>"), std::string::npos);
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_EQ(index.find("id=\"overview\""), std::string::npos);
  // The index points at the numbers there are: no asymmetry tables for one face.
  EXPECT_EQ(index.find("asymmetry"), std::string::npos) << index;
  EXPECT_NE(index.find("numbers for statistics: <code>&lt;video&gt;.csv (one face"),
            std::string::npos);
  EXPECT_EQ(index.find("(left / right)"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "asymmetry_summary.csv"));  // it would be a header alone
}

// The two mirrored faces come from one video, frame for frame: CSVs of different lengths are
// a broken job, not a report with its last frames silently unpaired.
TEST_F(ReportFolder, MirroredCsvsOfDifferentLengthsFailNamingBoth) {
  write_pair("cut");
  std::string right = read_text(dir_ / "cut_right_mirrored.csv");
  right.erase(right.rfind("4, 0, 3.000"));
  write("cut_right_mirrored.csv", right);
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("cut_left_mirrored.csv"), std::string::npos) << results[0].error;
  EXPECT_NE(results[0].error.find("cut_right_mirrored.csv"), std::string::npos) << results[0].error;
  EXPECT_FALSE(fs::exists(dir_ / "cut_report.html"));
}

// A side whose face was never found has nothing to compare: no AI, no E, no SR (its zeros
// would read as a face at rest, AI 1.00), in the page, the CSV and the index. A photo's side
// without a face is a header-only CSV (FaceLandmarkImg's layout), its one instant without a face.
TEST_F(ReportFolder, ASideWithoutAFaceIsNotCompared) {
  const std::string header =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n";
  write("video_left_mirrored.csv",
        header + "1, 0, 0.000, 0.98, 1, 0.50, 2.00, 1\n2, 0, 1.000, 0.98, 1, 0.50, 3.00, 1\n");
  write("video_right_mirrored.csv",
        header + "1, 0, 0.000, 0.02, 0, 0.00, 0.00, 0\n2, 0, 1.000, 0.02, 0, 0.00, 0.00, 0\n");
  const std::string image_header = "face, confidence, AU01_r, AU12_r, AU12_c\n";
  write("photo_left_mirrored.csv", image_header);
  write("photo_right_mirrored.csv", image_header + "0, 0.98, 0.50, 2.00, 1.0\n");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 2u);
  for (const auto& stem : {"photo", "video"}) {
    const std::string html = read_text(dir_ / (std::string(stem) + "_report.html"));
    EXPECT_NE(html.find("<td class=\"gated\">no face on one side</td>"), std::string::npos) << stem;
    EXPECT_EQ(html.find("<td class=\"gated\">not engaged</td>"), std::string::npos) << stem;
    const std::string csv = read_text(dir_ / (std::string(stem) + "_asymmetry.csv"));
    // Intensity rows: no AI, SR or weaker side; presence rows: no AI.
    EXPECT_NE(csv.find(",,,,side_without_face\n"), std::string::npos) << stem << ":\n" << csv;
    EXPECT_NE(csv.find(",,,,\n"), std::string::npos) << stem << ":\n" << csv;
  }
  // The side without a face has no statistics: empty cells, not zeros a group's mean would take.
  EXPECT_NE(read_text(dir_ / "video_asymmetry.csv")
                .find("AU12_r,intensity,2,2.5000,2.9500,3.0000,1.000,2.0000,0.9500,0,,,,,,,"),
            std::string::npos)
      << read_text(dir_ / "video_asymmetry.csv");
  const std::string photo = read_text(dir_ / "photo_report.html");
  EXPECT_NE(photo.find("<tr class=\"few-faces\"><td class=\"l\">left face</td><td>0 of 1</td>"
                       "<td><b>0.0%</b></td><td>-</td></tr><tr><td class=\"l\">right face</td>"
                       "<td>1 of 1</td><td>100.0%</td><td>0.980</td></tr>"),
            std::string::npos)
      << photo;
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("no face on one side"), std::string::npos);
  EXPECT_NE(index.find("<td class=\"gated\" style=\"background:#eeeeee\" title=\"AU12_r: no "
                       "face on one side\">&ndash;</td>"),
            std::string::npos)
      << index;
}

// A one-face report counts its frames without a face in the head-pose table, as a mirror job's
// head-pose file does.
TEST_F(ReportFolder, AnAusFolderCountsFramesWithoutAFace) {
  write("clip.csv",
        "frame, face_id, timestamp, confidence, success, pose_Ry, AU01_r, AU01_c\n"
        "1, 0, 0.0, 0.9, 1, 0.0, 0.5, 1\n2, 0, 0.5, 0.1, 0, 0.0, 0.0, 0\n"
        "3, 0, 1.0, 0.9, 1, 0.0, 1.5, 1\n");
  const std::string html = one_page("clip");
  EXPECT_NE(html.find("<td class=\"l\">good</td><td>2</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">no face</td><td>1</td>"), std::string::npos);
}

// An aus CSV of two tracked faces: a page per face (`<stem>_face<id>`), each of its own rows,
// with the video's task plan; a CSV of one face keeps its name.
TEST_F(ReportFolder, AnAusCsvOfSeveralFacesGetsAPagePerFace) {
  write("two.csv",
        "frame, face_id, timestamp, confidence, success, AU01_r, AU01_c\n"
        "1, 0, 0.0, 0.9, 1, 0.5, 1\n1, 1, 0.0, 0.8, 1, 3.0, 1\n2, 0, 0.5, 0.9, 1, 1.5, 1\n"
        "2, 1, 0.5, 0.1, 0, 0.0, 0\n3, 0, 1.0, 0.9, 1, 2.5, 1\n");
  write("two_tasks.csv", "task,start_s,end_s\nbrow_raise,0.4,2\n");
  write("one.csv",
        "frame, face_id, timestamp, confidence, success, AU01_r, AU01_c\n"
        "1, 0, 0.0, 0.9, 1, 0.5, 1\n");
  const auto videos = find_report_videos(dir_);
  ASSERT_EQ(videos.size(), 3u);
  EXPECT_EQ(videos[0].stem, "one");
  EXPECT_FALSE(videos[0].face_id.has_value());
  EXPECT_EQ(videos[1].stem, "two_face0");
  EXPECT_EQ(videos[1].face_id, 0);
  EXPECT_EQ(videos[2].stem, "two_face1");
  EXPECT_EQ(videos[2].tasks_csv, dir_ / "two_tasks.csv");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results)
    ASSERT_TRUE(r.ok) << r.error;
  const std::string first = read_text(dir_ / "two_face0_report.html");
  EXPECT_NE(first.find("Frames with a face: 3 of 3."), std::string::npos);
  EXPECT_NE(first.find("two.csv, face_id 0 (the tracker; the CSV holds several faces): 3 frames"),
            std::string::npos);
  const std::string second = read_text(dir_ / "two_face1_report.html");
  EXPECT_NE(second.find("Frames with a face: 1 of 2."), std::string::npos);
  EXPECT_NE(second.find("id=\"tasks\""), std::string::npos);
  EXPECT_NE(read_text(dir_ / "task_aus_summary.csv").find("\ntwo_face1,brow_raise,"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "two_report.html"));
  EXPECT_TRUE(fs::exists(dir_ / "one_report.html"));
}

// `facemirror aus` on photographs writes FaceLandmarkImg's layout (a `face` column, no time):
// its folder is reported too, a page per face of an image with several.
TEST_F(ReportFolder, AnAusFolderOfPhotosGetsAPagePerFace) {
  write("group.csv",
        "face, confidence, pose_Ry, AU01_r, AU01_c\n0, 0.98, 0.0, 0.50, 1\n"
        "1, 0.95, 0.2, 2.00, 1\n");
  write("solo.csv", "face, confidence, pose_Ry, AU01_r, AU01_c\n0, 0.97, 0.0, 1.25, 1\n");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].stem, "group_face0");
  EXPECT_EQ(results[1].stem, "group_face1");
  EXPECT_EQ(results[2].stem, "solo");
  for (const auto& r : results)
    ASSERT_TRUE(r.ok) << r.error;
  const std::string second = read_text(dir_ / "group_face1_report.html");
  EXPECT_NE(second.find("group.csv, face 1 (the image holds several): 1 frames"),
            std::string::npos);
  EXPECT_NE(second.find("<td class=\"l\">AU01_r</td><td class=\"l\">Inner brow raiser</td>"
                        "<td class=\"left\">2.00</td>"),
            std::string::npos);
  EXPECT_NE(second.find("there is no time to chart"), std::string::npos);
  EXPECT_NE(read_text(dir_ / "solo_report.html").find("<td class=\"left\">1.25</td>"),
            std::string::npos);
}

// Videos whose names are those of the report's files: their AU tables are never overwritten or
// taken for something else. x_tasks.csv is the video x_tasks's table, not x's plan; the video
// asymmetry_summary's table stays, each of the three gets its page, and the index says what
// could not be written (then write_report raises it).
TEST_F(ReportFolder, VideosNamedLikeTheReportsFilesKeepTheirTables) {
  const std::string table =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU01_c\n"
      "1, 0, 0.0, 0.9, 1, 0.5, 1\n2, 0, 0.5, 0.9, 1, 1.5, 1\n";
  for (const char* name : {"x.csv", "x_tasks.csv", "asymmetry_summary.csv", "task_summary.csv"})
    write(name, table);
  const auto videos = find_report_videos(dir_);
  ASSERT_EQ(videos.size(), 4u);
  EXPECT_EQ(videos[0].stem, "asymmetry_summary");
  EXPECT_EQ(videos[1].stem, "task_summary");
  EXPECT_EQ(videos[2].stem, "x");
  EXPECT_TRUE(videos[2].tasks_csv.empty()) << videos[2].tasks_csv;
  EXPECT_EQ(videos[3].stem, "x_tasks");
  write_pair("pair");  // a mirrored pair: the folder's asymmetry_summary.csv is written
  const std::string refused = report_error();
  EXPECT_NE(refused.find("asymmetry_summary.csv' is a video's AU table"), std::string::npos)
      << "the summary table was written over a video's AUs: " << refused;
  for (const char* name : {"x_tasks.csv", "asymmetry_summary.csv", "task_summary.csv"})
    EXPECT_EQ(read_text(dir_ / name), table) << name;
  for (const char* page : {"x", "x_tasks", "asymmetry_summary", "task_summary"})
    EXPECT_TRUE(fs::exists(dir_ / (std::string(page) + "_report.html"))) << page;
  EXPECT_NE(read_text(dir_ / "index.html").find("<li>asymmetry_summary.csv: "), std::string::npos);
}

// An output folder that already holds a page of the user's own (their site's index.html): it is
// not overwritten, the error names it, and the videos' pages are written all the same. A page
// facemirror wrote is rewritten as before.
TEST_F(ReportFolder, APageOfTheUsersOwnIsNotOverwritten) {
  write_pair("pair");
  const std::string theirs = "<!DOCTYPE html><html><body>our lab's notes</body></html>\n";
  write("index.html", theirs);
  const std::string refused = report_error();
  EXPECT_NE(refused.find("index.html' is not a page facemirror wrote"), std::string::npos)
      << "the user's index.html was overwritten: " << refused;
  EXPECT_EQ(read_text(dir_ / "index.html"), theirs);
  EXPECT_TRUE(fs::exists(dir_ / "pair_report.html"));
  fs::remove(dir_ / "index.html");
  (void)write_report(dir_, fast());
  (void)write_report(dir_, fast());  // its own index, rewritten
  EXPECT_NE(read_text(dir_ / "index.html").find("facemirror reports"), std::string::npos);
}

// A video named as a patient file often is ("Müller, Anna"): its name is one quoted field of the
// folder's tables, so that every row has the header's columns.
TEST_F(ReportFolder, AVideoNameWithACommaIsOneFieldOfTheTables) {
  write_pair("M\u00fcller, Anna \"7\"");
  write("M\u00fcller, Anna \"7\"_tasks.csv", "task,start_s,end_s\nrest,0,0.9\nsmile,1,3\n");
  for (const auto& r : write_report(dir_, fast()))
    ASSERT_TRUE(r.ok) << r.error;
  for (const char* table : {"asymmetry_summary.csv", "task_summary.csv"}) {
    std::istringstream lines(read_text(dir_ / table));
    std::string header, row;
    std::getline(lines, header);
    const auto columns = std::count(header.begin(), header.end(), ',');
    size_t rows = 0;
    while (std::getline(lines, row)) {
      ASSERT_EQ(row.rfind("\"M\u00fcller, Anna \"\"7\"\"\",", 0), 0u) << table << ": " << row;
      EXPECT_EQ(std::count(row.begin(), row.end(), ',') - 1, columns) << table << ": " << row;
      ++rows;
    }
    EXPECT_GT(rows, 0u) << table;
  }
  // Printed, each page names the video in its margin, the name a CSS string of its own.
  EXPECT_NE(
      read_text(dir_ / "M\u00fcller, Anna \"7\"_report.html")
          .find("@page{@top-left{content:\"facemirror report: M\u00fcller, Anna \\\"7\\\"\";"),
      std::string::npos);
}

// Patient ids such as "pt#3" or "50%": the index's links are percent-encoded, or they would
// point at a fragment of "pt" or at no file.
TEST_F(ReportFolder, TheIndexLinksPagesWhateverCharactersTheirNamesHold) {
  const std::string table =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU01_c\n"
      "1, 0, 0.0, 0.9, 1, 0.5, 1\n2, 0, 0.5, 0.9, 1, 1.5, 1\n";
  write("pt#3 50%.csv", table);
  for (const auto& r : write_report(dir_, fast()))
    ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(fs::exists(dir_ / "pt#3 50%_report.html"));
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("<a href=\"pt%233%2050%25_report.html\">pt#3 50%</a>"), std::string::npos)
      << index;
  EXPECT_EQ(url_escape("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(url_escape("é?&/"), "%C3%A9%3F%26%2F");
}

// A side without a face in the rest window has baselines from the whole recording: the page
// says so where the summary and the tasks are, and says nothing where the face was there.
TEST_F(ReportFolder, ARestWindowWithoutAFaceIsSaidWhereItsNumbersAre) {
  write_pair("kept");
  EXPECT_EQ(one_page("kept").find("rest-without-face"), std::string::npos);
  const std::string header =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n";
  write("kept_right_mirrored.csv", header +
                                       "1, 0, 0.000, 0.10, 0, 0.00, 0.00, 0\n"
                                       "2, 0, 1.000, 0.96, 1, 0.20, 4.00, 1\n"
                                       "3, 0, 2.000, 0.94, 1, 0.10, 4.00, 1\n"
                                       "4, 0, 3.000, 0.90, 1, 0.10, 0.00, 0\n");
  write("kept_tasks.csv", "task,start_s,end_s\nrest,0,0.9\nsmile,1,3\n");
  const std::string page = one_page("kept");
  // The plan's rest row is the summary's rest too.
  const std::string summary_warning =
      "No face in the rest window (0.0&ndash;0.9 s) on the right side: the summary's baselines";
  const std::string tasks_warning =
      "No face in the rest window (0.0&ndash;0.9 s) on the right side: the tasks' baselines";
  EXPECT_NE(page.find(summary_warning), std::string::npos) << page;
  EXPECT_NE(page.find(tasks_warning), std::string::npos);
  EXPECT_LT(page.find(summary_warning), page.find("id=\"summary\""));
  EXPECT_GT(page.find(tasks_warning), page.find("<section id=\"tasks\">"));
}

// One CSV of a pair gone (deleted, not yet copied): the video fails naming the missing file,
// is listed as failed in the index, and its page and tables from before are gone, so that no
// number of the folder describes what can no longer be read.
TEST_F(ReportFolder, APairMissingACsvFailsNamingItAndLeavesNoStalePage) {
  write_pair("kept");
  write_pair("halved");
  for (const auto& r : write_report(dir_, fast()))
    ASSERT_TRUE(r.ok) << r.error;
  ASSERT_TRUE(fs::exists(dir_ / "halved_report.html"));
  fs::remove(dir_ / "halved_right_mirrored.csv");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].stem, "halved");
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("halved_right_mirrored.csv' is missing"), std::string::npos)
      << results[0].error;
  EXPECT_TRUE(results[1].ok);
  EXPECT_FALSE(fs::exists(dir_ / "halved_report.html"));
  EXPECT_FALSE(fs::exists(dir_ / "halved_asymmetry.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "halved_left_mirrored.csv"));  // the data stays
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("<li>halved: "), std::string::npos) << index;
  EXPECT_EQ(read_text(dir_ / "asymmetry_summary.csv").find("\nhalved,"), std::string::npos);
}

// A mistake in a hand-written plan costs the page its task section only: the page and its
// whole-recording table are written (an earlier report's are not lost to a typo), and the page
// and the result say what is wrong with which line.
TEST_F(ReportFolder, ABadTaskPlanCostsOnlyTheTaskSection) {
  write_pair("kept");
  write("kept_tasks.csv", "task,start_s,end_s\nrest,0,1\nsmile,3,1\n");
  const auto results = write_report(dir_, fast());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok) << results[0].error;
  EXPECT_NE(results[0].plan_error.find("kept_tasks.csv': line 3: "), std::string::npos)
      << results[0].plan_error;
  const std::string page = read_text(dir_ / "kept_report.html");
  EXPECT_NE(page.find("The task plan cannot be used, so this page has no task section: "),
            std::string::npos);
  EXPECT_NE(page.find("line 3: "), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "kept_asymmetry.csv"));
  EXPECT_NE(read_text(dir_ / "asymmetry_summary.csv").find("\nkept,"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "kept_task_asymmetry.csv"));
}

// A recording shorter than its rest window (the first second) has nothing but rest: the page
// says so above the summary, and a longer one says nothing.
TEST_F(ReportFolder, ARecordingWithinItsRestWindowIsSaidToBe) {
  const std::string header =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n";
  const std::string rows = header +
                           "1, 0, 0.000, 0.98, 1, 0.50, 2.00, 1\n"
                           "2, 0, 0.200, 0.98, 1, 0.50, 3.00, 1\n"
                           "3, 0, 0.400, 0.98, 1, 0.50, 3.50, 1\n";
  write("short_left_mirrored.csv", rows);
  write("short_right_mirrored.csv", rows);
  const std::string page = one_page("short");
  const auto warning = page.find("The recording (0.00&ndash;0.40 s) lies within its rest window");
  ASSERT_NE(warning, std::string::npos) << page;
  EXPECT_LT(warning, page.find("id=\"summary\""));
  // The header's length is where the last frame ends (3 frames 0.2 s apart: 0.6 s), as the
  // task notes say it.
  EXPECT_NE(page.find("3 frames &middot; 0.6 s &middot;"), std::string::npos);
  // Its AU12 rises within it (E 0.5 on each side, "engaged"), but the index names no AU as its
  // least symmetric: no movement against rest was measured.
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("none measured: the recording lies within its rest window"),
            std::string::npos)
      << index;
  EXPECT_EQ(index.find("AU12_r SR"), std::string::npos);
  fs::remove(dir_ / "short_left_mirrored.csv");
  fs::remove(dir_ / "short_right_mirrored.csv");
  write_pair("kept");
  EXPECT_EQ(one_page("kept").find("short-recording"), std::string::npos);
}

// A video in which neither side has a face says so, not "no face on one side", and its CSV has
// no statistic of either side.
TEST_F(ReportFolder, AVideoWithoutAnyFaceSaysSo) {
  const std::string header =
      "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n";
  const std::string lost =
      header + "1, 0, 0.000, 0.02, 0, 0.00, 0.00, 0\n2, 0, 1.000, 0.02, 0, 0.00, 0.00, 0\n";
  write("empty_left_mirrored.csv", lost);
  write("empty_right_mirrored.csv", lost);
  ASSERT_TRUE(write_report(dir_, fast()).at(0).ok);
  const std::string html = read_text(dir_ / "empty_report.html");
  EXPECT_NE(html.find("<td class=\"gated\">no face on either side</td>"), std::string::npos);
  EXPECT_EQ(html.find("no face on one side"), std::string::npos);
  const std::string csv = read_text(dir_ / "empty_asymmetry.csv");
  EXPECT_NE(csv.find("AU12_r,intensity,0,,,,,,,0,,,,,,,,,,no_face\n"), std::string::npos) << csv;
  const std::string index = read_text(dir_ / "index.html");
  EXPECT_NE(index.find("no face found"), std::string::npos) << index;
  EXPECT_EQ(index.find("no face on one side"), std::string::npos) << index;
}

// A plan without a rest row rests on the first second: a task starting in it is warned of
// (its movement is in its own baseline); one after it is not, nor is any with a rest row.
TEST_F(ReportFolder, ATaskInTheImplicitRestIsWarnedOf) {
  write_pair("kept");  // 4 frames at 1 fps
  write("kept_tasks.csv", "task,start_s,end_s\nbrow_raise,0.5,2\nsmile,2,4\n");
  std::string page = one_page("kept");
  EXPECT_NE(page.find("<li>Brow raise (0.5&ndash;2.0 s): it overlaps the rest the baselines come "
                      "from (0.0&ndash;1.0 s, the plan having no rest row)"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("<li>Smile (2.0&ndash;4.0 s): it overlaps"), std::string::npos);
  write("kept_tasks.csv", "task,start_s,end_s\nrest,2,2.5\nbrow_raise,0.5,2\n");
  page = one_page("kept");
  EXPECT_EQ(page.find("overlaps the rest the baselines come from"), std::string::npos);
}

// Task windows the recording does not fill: past its end the numbers are of what is there, and
// say so; a side without a face in its window shows no number ("-", not a measured 0.00).
TEST_F(ReportFolder, TaskWindowsBeyondTheRecordingOrWithoutAFaceSaySo) {
  write_pair("kept");  // 4 frames at 1 fps; the right face is lost on the last
  write("kept_tasks.csv",
        "task,start_s,end_s\nrest,0,1\nsmile,1,3\npucker,2.5,10\nbrow_raise,5,8\n");
  const std::string page = one_page("kept");
  EXPECT_NE(page.find("<li>Pucker (2.5&ndash;10.0 s): the recording ends at 4.0 s; the numbers "
                      "are of 2.5&ndash;4.0 s only.</li>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<li>Brow raise (5.0&ndash;8.0 s): the window holds no frame"),
            std::string::npos);
  EXPECT_EQ(page.find("<li>Smile (1.0&ndash;3.0 s)"), std::string::npos);  // a full window
  // A window that ends where the recording does, give or take the timestamps' rounding (less
  // than half a frame), lacks no frame: at 15 frames/s a plan's 4.0 s once met a computed end
  // of 3.9999999 s and was warned of.
  write("kept_tasks.csv", "task,start_s,end_s\nrest,0,1\nsmile,1,4.4\n");
  EXPECT_EQ(one_page("kept").find("the recording ends at"), std::string::npos);
  write("kept_tasks.csv", "task,start_s,end_s\nrest,0,1\nsmile,1,4.6\n");
  EXPECT_NE(one_page("kept").find("<li>Smile (1.0&ndash;4.6 s): the recording ends at 4.0 s"),
            std::string::npos);
  write("kept_tasks.csv", "task,start_s,end_s\nrest,0,1\nlower_lip,3,3.5\n");
  const std::string lost = one_page("kept");
  EXPECT_NE(lost.find("no face was found in the window on the right side: it has no numbers "
                      "there."),
            std::string::npos)
      << lost;
  const auto row = lost.find("<tr data-task=\"lower_lip\">");
  ASSERT_NE(row, std::string::npos);
  EXPECT_NE(lost.find(" / &ndash;</td>", row), std::string::npos);
}

TEST_F(ReportFolder, AnEmptyFolderIsAnErrorNamingIt) {
  try {
    (void)write_report(dir_, fast());
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find(dir_.string()), std::string::npos);
  }
  EXPECT_THROW((void)write_report(dir_ / "missing", fast()), error);
}

}  // namespace
}  // namespace facemirror
