// Task plans (<stem>_tasks.csv): parsing and its errors, each task's numbers worked out by hand
// on a ten-frame pair of mirrored faces, and what the report writes from them.

#include "facemirror/report/tasks.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "facemirror/error.h"
#include "facemirror/report/report.h"
#include "facemirror/report/svg_chart.h"

#include "still_support.h"
#include "support/test_data.h"

namespace facemirror {
namespace {

namespace fs = std::filesystem;

using test::read_file;
using test::scratch_dir;

// The message parse_task_plan throws for `text`, "" when it parses.
size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

std::string plan_error(const std::string& text) {
  try {
    (void)parse_task_plan(text, "plan.csv");
  } catch (const error& e) {
    return e.what();
  }
  return "";
}

TEST(TaskPlan, ReadsStandardAndCustomTasksWhateverTheSpelling) {
  const task_plan plan = parse_task_plan(
      "Task, Start_s, End_s, AUs\n\nrest,0,2\nBrow Raise,2,5\nSMILE,5,9\n"
      "cheek-puff,10,12.5,AU14 23 au06_r\nEEE,9,10\n",
      "plan.csv");
  ASSERT_TRUE(plan.rest.has_value());
  EXPECT_EQ(plan.rest->start_s, 0.0);
  EXPECT_EQ(plan.rest->end_s, 2.0);
  ASSERT_EQ(plan.tasks.size(), 4u);
  EXPECT_EQ(plan.tasks[0].name, "brow_raise");
  EXPECT_EQ(plan.tasks[0].label, "Brow raise");
  EXPECT_EQ(plan.tasks[0].primary, (std::vector<std::string>{"AU01_r", "AU02_r"}));
  EXPECT_EQ(plan.tasks[0].window.start_s, 2.0);
  EXPECT_EQ(plan.tasks[1].name, "smile");
  EXPECT_EQ(plan.tasks[1].primary, (std::vector<std::string>{"AU12_r"}));
  EXPECT_EQ(plan.tasks[1].secondary, (std::vector<std::string>{"AU06_r", "AU25_r"}));
  EXPECT_EQ(plan.tasks[2].name, "cheek_puff");
  EXPECT_EQ(plan.tasks[2].label, "cheek-puff");
  EXPECT_EQ(plan.tasks[2].primary, (std::vector<std::string>{"AU14_r", "AU23_r", "AU06_r"}));
  EXPECT_EQ(plan.tasks[2].window.end_s, 12.5);
  EXPECT_EQ(plan.tasks[3].name, "lower_lip");  // EEE
  // Punctuation never reaches the task tables' name field; the label keeps what was written.
  const task_plan odd =
      parse_task_plan("task,start_s,end_s,aus\n  Cheek \"puff\" (1)! ,0,1,AU14\n", "odd.csv");
  EXPECT_EQ(odd.tasks.at(0).name, "cheek_puff_1");
  EXPECT_EQ(odd.tasks.at(0).label, "Cheek \"puff\" (1)!");
  EXPECT_NE(plan.tasks[3].note.find("AU16"), std::string::npos);
  // An eye closure's AUs say how the lid moved, not whether the eye closed: said with the task.
  const task_plan closures =
      parse_task_plan("task,start_s,end_s\neye_closure,1,2\ntight_closure,3,4\n", "e.csv");
  for (const auto& closure : closures.tasks)
    EXPECT_NE(closure.note.find("not whether the eye closes fully"), std::string::npos)
        << closure.name;
  // A spreadsheet's export, every field quoted.
  const task_plan quoted =
      parse_task_plan("\"task\",\"start_s\",\"end_s\"\n\"Brow raise\",\"2\",\"5\"\n", "q.csv");
  ASSERT_EQ(quoted.tasks.size(), 1u);
  EXPECT_EQ(quoted.tasks[0].name, "brow_raise");
  EXPECT_EQ(quoted.tasks[0].window.end_s, 5.0);
  // Without an aus field, and with CRLF line ends.
  const task_plan plain = parse_task_plan("task,start_s,end_s\r\npucker,1,2\r\n", "p.csv");
  ASSERT_EQ(plain.tasks.size(), 1u);
  EXPECT_FALSE(plain.rest.has_value());
  EXPECT_EQ(plain.tasks[0].primary, (std::vector<std::string>{"AU23_r"}));
  // Excel's "CSV UTF-8": a byte-order mark and CRLF line ends.
  const task_plan excel =
      parse_task_plan("\xEF\xBB\xBFtask,start_s,end_s\r\nsmile,1,2\r\n", "excel.csv");
  ASSERT_EQ(excel.tasks.size(), 1u);
  EXPECT_EQ(excel.tasks[0].name, "smile");
}

// What the app's plan editor saves: the plan in its own words, read back to the same plan.
TEST(TaskPlan, WritesThePlanItReads) {
  const task_plan plan = parse_task_plan(
      "Task,Start_s,End_s,AUs\nBrow Raise,2,5\nrest,0,0.1\nsmile,5,9,AU12\n"
      "Cheek \"puff\" (1)!,0.3333333333333333,2.5,14 AU23\neee,9,1e6\n",
      "plan.csv");
  const std::string csv = format_task_plan(plan);
  EXPECT_EQ(csv,
            "task,start_s,end_s,aus\nrest,0,0.1,\nbrow_raise,2,5,\nsmile,5,9,AU12\n"
            "Cheek \"puff\" (1)!,0.3333333333333333,2.5,AU14 AU23\nlower_lip,9,1000000,\n");
  const task_plan again = parse_task_plan(csv, "again.csv");
  ASSERT_TRUE(again.rest.has_value());
  EXPECT_EQ(again.rest->end_s, plan.rest->end_s);
  ASSERT_EQ(again.tasks.size(), plan.tasks.size());
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    SCOPED_TRACE(plan.tasks[i].name);
    EXPECT_EQ(again.tasks[i].name, plan.tasks[i].name);
    EXPECT_EQ(again.tasks[i].label, plan.tasks[i].label);
    EXPECT_EQ(again.tasks[i].primary, plan.tasks[i].primary);
    EXPECT_EQ(again.tasks[i].secondary, plan.tasks[i].secondary);
    EXPECT_EQ(again.tasks[i].window.start_s, plan.tasks[i].window.start_s);
    EXPECT_EQ(again.tasks[i].window.end_s, plan.tasks[i].window.end_s);
  }
  const auto rows = task_plan_rows(plan);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3].task, "Cheek \"puff\" (1)!");
  EXPECT_EQ(rows[3].aus, "AU14 AU23");
  const task_plan quoted = parse_task_plan("task,start_s,end_s,aus\n\"\"x\"\",0,1,AU01\n", "q.csv");
  EXPECT_EQ(quoted.tasks.at(0).label, "\"x\"");
  EXPECT_EQ(parse_task_plan(format_task_plan(quoted), "q2.csv").tasks.at(0).label, "\"x\"");
  EXPECT_EQ(format_task_plan(parse_task_plan("task,start_s,end_s\n", "empty.csv")),
            "task,start_s,end_s,aus\n");
}

TEST(TaskPlan, AMirroredPairSharesOnePlan) {
  EXPECT_EQ(task_plan_stem("patient 01"), "patient 01");
  EXPECT_EQ(task_plan_stem("patient 01_left_mirrored"), "patient 01");
  EXPECT_EQ(task_plan_stem("patient 01_right_mirrored"), "patient 01");
  EXPECT_EQ(task_plan_stem("_left_mirrored"), "_left_mirrored");  // no pair stem
  EXPECT_EQ(task_plan_stem("a_left_mirrored_b"), "a_left_mirrored_b");
  EXPECT_EQ(task_plan_stem("a_debug"), "a_debug");
}

TEST(TaskPlan, ErrorsNameTheFileTheLineAndTheReason) {
  EXPECT_NE(plan_error("task,start\n")
                .find("'plan.csv': the header needs the fields task, "
                      "start_s and end_s"),
            std::string::npos);
  EXPECT_EQ(plan_error("task,start\n").find("separated by ';'"), std::string::npos);
  // A spreadsheet's export with ';' between fields (a decimal comma) is said to be.
  EXPECT_NE(plan_error("task;start_s;end_s\nsmile;2,5;4\n")
                .find("its fields are separated by ';' (a spreadsheet's export where the comma is "
                      "the decimal mark)"),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s\nsmile,2,1\n")
                .find("'plan.csv': line 2: the window ends (1 s) before it starts"),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s\nsnarl,2,2\n")
                .find("'plan.csv': line 2: the window is empty (it starts and ends at 2 s)"),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s\nsmile,a,3\n")
                .find("line 2, start_s: 'a' is not a time in seconds"),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s\nsmile,-1,3\n").find("is not a time in seconds"),
            std::string::npos);
  EXPECT_NE(
      plan_error("task,start_s,end_s\nrest,0,1\n\nrest,1,2\n").find("line 4: a second rest window"),
      std::string::npos);
  // A task inside the rest window, which may come after it (a typo: 0,20 for 0,2).
  EXPECT_NE(plan_error("task,start_s,end_s\nsmile,7,10\nrest,0,20\n")
                .find("line 2: the window 7-10 s overlaps the rest window (line 3, 0-20 s)"),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s\nrest,0,2.5\nbrow_raise,2.4,6\n")
                .find("line 3: the window 2.4-6 s overlaps the rest window (line 2, 0-2.5 s)"),
            std::string::npos);
  // Windows that touch do not overlap ([start, end)); tasks may overlap each other.
  EXPECT_NO_THROW((void)parse_task_plan("task,start_s,end_s\nrest,0,2\nsmile,2,6\nbrow_raise,5,9\n",
                                        "plan.csv"));
  EXPECT_NE(plan_error("task,start_s,end_s\nwink,0,1\n")
                .find("line 2: 'wink' is not a standard movement (brow_raise, "),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s,aus\nwink,0,1,AUx\n").find("'AUx' is not an AU"),
            std::string::npos);
  EXPECT_NE(plan_error("task,start_s,end_s,aus\nsuck,0,1,AU28\n")
                .find("line 2: OpenFace measures no intensity of AU28 (only AU01 AU02"),
            std::string::npos);
  EXPECT_NE(
      plan_error("task,start_s,end_s\nsmile,0,1,extra\n").find("line 2 has 4 fields, the header 3"),
      std::string::npos);
  EXPECT_EQ(plan_error("task,start_s,end_s\nsmile,0,1\n"), "");
  std::string long_plan = "task,start_s,end_s\n";
  for (size_t i = 0; i <= max_tasks; ++i)
    long_plan += "smile," + std::to_string(i) + "," + std::to_string(i + 1) + "\n";
  EXPECT_NE(plan_error(long_plan).find("line 202: more than 200 tasks"), std::string::npos);
  try {
    (void)read_task_plan("/nonexistent/plan.csv");
    ADD_FAILURE() << "a missing plan was read";
  } catch (const error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read '/nonexistent/plan.csv': no such file");
  }
}

// Ten frames a second apart: rest 0-2 s (frames 0-1), a brow raise 2-5 s (2-4), a smile 5-9 s
// (5-8); frame 9 is in no window. The right face is lost on frame 8.
const char* const header =
    "frame, face_id, timestamp, confidence, success, AU01_r, AU02_r, "
    "AU10_r, AU12_r, AU45_r\n";

std::string left_csv() {
  // frame: AU01 AU02 AU10 AU12 AU45
  const double values[10][5] = {
      {0.2, 0, 0, 0, 0}, {0.4, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {2, 1, 0, 0, 0}, {3, 1, 0, 0, 0},
      {0, 0, 0, 1, 0},   {0, 0, 0, 2, 0},   {0, 0, 0, 2, 0}, {0, 0, 0, 2, 0}, {0, 0, 0, 5, 0}};
  std::string out = header;
  for (int i = 0; i < 10; ++i) {
    out += std::to_string(i + 1) + ", 0, " + std::to_string(i) + ", 0.9, 1";
    for (const double v : values[i])
      out += ", " + std::to_string(v);
    out += "\n";
  }
  return out;
}

std::string right_csv() {
  // AU10 (mid-face, the smile's own region) rises with the smile: not synkinesis.
  const double values[10][5] = {{0, 0, 0, 0, 0},     {0, 0, 0, 0, 0},     {0.5, 0.5, 0, 0, 0},
                                {0.5, 0.5, 0, 0, 0}, {0.5, 0.5, 0, 0, 0}, {0, 0, 1, 2, 0},
                                {0, 0, 1, 4, 3},     {0, 0, 1, 4, 3},     {0, 0, 9, 9, 9},
                                {0, 0, 0, 0, 0}};
  const double confidence[10] = {0.9, 0.9, 0.9, 0.9, 0.9, 0.7, 0.8, 0.9, 0.1, 0.9};
  std::string out = header;
  for (int i = 0; i < 10; ++i) {
    out += std::to_string(i + 1) + ", 0, " + std::to_string(i) + ", " +
           std::to_string(confidence[i]) + (i == 8 ? ", 0" : ", 1");
    for (const double v : values[i])
      out += ", " + std::to_string(v);
    out += "\n";
  }
  return out;
}

const char* const plan_text = "task,start_s,end_s\nrest,0,2\nbrow_raise,2,5\nsmile,5,9\n";

TEST(TaskSummary, EachTaskByHand) {
  const auto plan = parse_task_plan(plan_text, "plan.csv");
  const auto tasks = summarise_tasks(plan, parse_au_series(left_csv(), "l.csv"),
                                     parse_au_series(right_csv(), "r.csv"), {});
  ASSERT_EQ(tasks.size(), 2u);

  // Brow raise. Left AU01: rest median of {0.2, 0.4} = 0.3, p95 of {1, 2, 3} = 2 + 0.9 = 2.9,
  // E 2.6; AU02: E 1 - 0 = 1; the task's E 3.6. Right: 0.5 + 0.5 = 1. SR 1 / 3.6, right weaker.
  const task_summary& brow = tasks[0];
  EXPECT_EQ(brow.frames, 3);
  EXPECT_EQ(brow.left_faces, 3);
  EXPECT_EQ(brow.right_faces, 3);
  ASSERT_GE(brow.aus.size(), 2u);
  EXPECT_EQ(brow.aus[0].au, "AU01_r");
  EXPECT_EQ(brow.aus[0].role, task_au_role::primary);
  EXPECT_DOUBLE_EQ(brow.aus[0].left.baseline, 0.3);
  EXPECT_NEAR(brow.aus[0].left.p95, 2.9, 1e-12);
  EXPECT_NEAR(brow.aus[0].left.excursion, 2.6, 1e-12);
  EXPECT_NEAR(brow.left_excursion, 3.6, 1e-12);
  EXPECT_NEAR(brow.right_excursion, 1.0, 1e-12);
  EXPECT_EQ(brow.symmetry.state, engagement::engaged);
  EXPECT_NEAR(brow.symmetry.ratio, 1.0 / 3.6, 1e-12);
  EXPECT_EQ(brow.symmetry.weaker_side, "right");

  // Smile: left AU12 p95 of {1, 2, 2, 2} = 2 (frame 9's 5 is outside the window), E 2; right
  // {2, 4, 4} (frame 8 has no face; its 9 does not count) p95 4, E 4. SR 0.5, left weaker.
  // The right face's AU45 rose to 3 (E 3), an AU of another region: listed, role other.
  const task_summary& smile = tasks[1];
  EXPECT_EQ(smile.frames, 4);
  EXPECT_EQ(smile.left_faces, 4);
  EXPECT_EQ(smile.right_faces, 3);
  EXPECT_DOUBLE_EQ(smile.left_confidence, 0.9);
  EXPECT_NEAR(smile.right_confidence, 0.8, 1e-12);  // (0.7 + 0.8 + 0.9) / 3, not frame 8's 0.1
  EXPECT_DOUBLE_EQ(smile.left_excursion, 2.0);
  EXPECT_DOUBLE_EQ(smile.right_excursion, 4.0);
  EXPECT_DOUBLE_EQ(smile.symmetry.ratio, 0.5);
  EXPECT_EQ(smile.symmetry.weaker_side, "left");
  // AU12 first (AU06 and AU25, the smile's secondary AUs, are not in the CSVs), then the
  // others in file order.
  ASSERT_EQ(smile.aus.size(), 5u);
  EXPECT_EQ(smile.aus[0].au, "AU12_r");
  EXPECT_EQ(smile.aus[1].au, "AU01_r");
  EXPECT_EQ(smile.aus[1].role, task_au_role::other);
  EXPECT_EQ(smile.aus[3].au, "AU10_r");
  EXPECT_DOUBLE_EQ(smile.aus[3].right.excursion, 1.0);
  EXPECT_EQ(smile.aus[4].au, "AU45_r");
  EXPECT_DOUBLE_EQ(smile.aus[4].right.excursion, 3.0);
  EXPECT_DOUBLE_EQ(smile.aus[4].left.excursion, 0.0);
  EXPECT_EQ(smile.aus[4].symmetry.state, engagement::weaker_side_still);

  // Without a rest row, the first second (frame 0 alone) is the rest: left AU01 baseline 0.2.
  const auto no_rest = summarise_tasks(parse_task_plan("task,start_s,end_s\nbrow_raise,2,5\n", "p"),
                                       parse_au_series(left_csv(), "l.csv"),
                                       parse_au_series(right_csv(), "r.csv"), {});
  EXPECT_DOUBLE_EQ(no_rest.at(0).aus.at(0).left.baseline, 0.2);

  // The task table: the smile's own row, then its AU12 row.
  const std::string csv =
      task_asymmetry_csv_header(false) + task_asymmetry_csv_rows("v", tasks, false);
  EXPECT_NE(csv.find("smile,5.000,9.000,4,4,0.9000,3,0.8000,AU12_r,task,,,2.0000,,,,,4.0000,,,"
                     "0.5000,left,engaged\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("brow_raise,2.000,5.000,3,3,0.9000,3,0.9000,AU01_r+AU02_r,task,,,3.6000,,,,,"
                     "1.0000,,,0.2778,right,engaged\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("smile,5.000,9.000,4,4,0.9000,3,0.8000,AU12_r,primary,2.0000,0.0000,2.0000,"
                     "2.0000,6.000,4.0000,0.0000,4.0000,4.0000,6.000,0.5000,left,engaged\n"),
            std::string::npos)
      << csv;
}

// One face (an aus job's): the same numbers as that face has in a pair, in the left fields,
// nothing on the right, no ratio; its peak and rest rows are its own.
TEST(TaskSummary, OneFaceHasTheNumbersItHasInAPair) {
  const auto plan = parse_task_plan(plan_text, "plan.csv");
  const au_series face = parse_au_series(left_csv(), "clip.csv");
  const auto pair =
      summarise_tasks(plan, face, parse_au_series(right_csv(), "r.csv"), asymmetry_thresholds{});
  const auto one = summarise_tasks(plan, face, asymmetry_thresholds{});
  ASSERT_EQ(one.size(), 2u);
  for (size_t t = 0; t < one.size(); ++t) {
    EXPECT_EQ(one[t].frames, pair[t].frames);
    EXPECT_EQ(one[t].left_faces, pair[t].left_faces);
    EXPECT_EQ(one[t].left_confidence, pair[t].left_confidence);
    EXPECT_EQ(one[t].left_excursion, pair[t].left_excursion);
    EXPECT_EQ(one[t].right_faces, 0);
    EXPECT_EQ(one[t].right_excursion, 0.0);
    ASSERT_EQ(one[t].aus.size(), pair[t].aus.size());
    for (size_t a = 0; a < one[t].aus.size(); ++a) {
      EXPECT_EQ(one[t].aus[a].au, pair[t].aus[a].au);
      EXPECT_EQ(one[t].aus[a].role, pair[t].aus[a].role);
      EXPECT_EQ(one[t].aus[a].left.p95, pair[t].aus[a].left.p95);
      EXPECT_EQ(one[t].aus[a].left.baseline, pair[t].aus[a].left.baseline);
      EXPECT_EQ(one[t].aus[a].left.excursion, pair[t].aus[a].left.excursion);
      EXPECT_EQ(one[t].aus[a].right.frames_with_face, 0);
    }
  }
  EXPECT_NEAR(one[0].left_excursion, 3.6, 1e-12);  // the brow raise, as by hand above
  EXPECT_DOUBLE_EQ(one[1].left_excursion, 2.0);    // the smile
  // Peaks: the brow raise's AU01 + AU02 are 2, 3, 4 on rows 2-4; the smile's AU12 1, 2, 2, 2
  // on rows 5-8 (the first of the tie). Where the pair needs both faces, one face needs its own.
  EXPECT_EQ(one[0].peak_row, 4);
  EXPECT_EQ(one[1].peak_row, 6);

  const std::string csv = task_aus_csv_header(false) + task_aus_csv_rows("clip", one, false);
  EXPECT_EQ(csv.rfind("task,start_s,end_s,frames,frames_with_face,mean_confidence,au,role,p95,"
                      "baseline,excursion,peak,peak_time_s\n",
                      0),
            0u);
  EXPECT_NE(csv.find("\nbrow_raise,2.000,5.000,3,3,0.9000,AU01_r+AU02_r,task,,,3.6000,,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nbrow_raise,2.000,5.000,3,3,0.9000,AU01_r,primary,2.9000,0.3000,2.6000,"
                     "3.0000,4.000\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(task_aus_csv_rows("clip", one, true).find("clip,smile,5.000,9.000,4,4,0.9000,AU12_r,"),
            std::string::npos);
}

TEST(TaskSummary, ATaskWithoutAFaceOnOneSideHasNoRatio) {
  const auto plan = parse_task_plan("task,start_s,end_s\nsmile,8,9\n", "plan.csv");
  const auto tasks = summarise_tasks(plan, parse_au_series(left_csv(), "l.csv"),
                                     parse_au_series(right_csv(), "r.csv"), {});
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].right_faces, 0);
  EXPECT_EQ(tasks[0].symmetry.state, engagement::side_without_face);
  EXPECT_EQ(tasks[0].aus.at(0).symmetry.state, engagement::side_without_face);
}

TEST(TaskCharts, WindowsAreShadedAndLabelledWhereTheyOverlapTheChart) {
  chart_layout layout;
  layout.windows = {{1, 2, "smile"}, {50, 60, "late"}};
  const chart_series series{
      "Left", "#00f", {0, 1, 2, 3, 4}, {0, 1, 2, 1, 0}, {true, true, true, true, true}};
  const std::string svg = line_chart_svg("c", "au-chart", "AU12", {series}, layout);
  EXPECT_EQ(svg.find("class=\"window\""), svg.rfind("class=\"window\""));  // one band
  EXPECT_NE(svg.find("<title>smile</title>"), std::string::npos);
  EXPECT_EQ(svg.find("late"), std::string::npos);
  // The band lies behind the series.
  EXPECT_LT(svg.find("class=\"window\""), svg.find("class=\"series\""));
  EXPECT_NE(band_chart_svg("b", "au-chart", "AU12_c", {series}, layout).find("class=\"window\""),
            std::string::npos);
  // Reference lines and markers, a marker outside the time span left out.
  layout.references = {{1.5, "#f00", "at rest"}};
  layout.markers = {{2, 2, "#f00", "peak"}, {9, 1, "#f00", "late peak"}};
  const std::string marked = line_chart_svg("c", "au-chart", "AU12", {series}, layout);
  EXPECT_NE(marked.find("stroke-dasharray=\"4 3\"><title>at rest</title>"), std::string::npos);
  EXPECT_NE(marked.find("<title>peak</title></circle>"), std::string::npos);
  EXPECT_EQ(marked.find("late peak"), std::string::npos);
}

class TaskFolder : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = scratch_dir(); }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::vector<report_result> report() const {
    report_options options;
    options.models_dir = dir_ / "no_models";
    options.stills = 0;
    return write_report(dir_, options);
  }

  fs::path dir_;
};

TEST_F(TaskFolder, APlanBesideTheCsvsGivesTheTaskSectionAndTable) {
  write("patient_left_mirrored.csv", left_csv());
  write("patient_right_mirrored.csv", right_csv());
  write("patient_tasks.csv", plan_text);
  const auto results = report();
  ASSERT_EQ(results.size(), 1u);  // the plan is not taken for a video of its own
  ASSERT_TRUE(results[0].ok) << results[0].error;
  const std::string html = read_file(dir_ / "patient_report.html");
  EXPECT_NE(html.find("<a href=\"#tasks\">Tasks</a>"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"tasks\">"), std::string::npos);
  EXPECT_NE(html.find("Rest: 0.0&ndash;2.0 s (the plan's rest row)"), std::string::npos);
  EXPECT_NE(html.find("<li><b>tasks</b>: per task and side"), std::string::npos);
  // The summary rows: E sums, SR, the faces per side (the smile's right face flagged: 3 of 4).
  EXPECT_NE(html.find("<tr data-task=\"brow_raise\"><td class=\"l\"><a href=\"#task-1\">Brow "
                      "raise</a></td><td>2.0&ndash;5.0 s</td><td class=\"l\"><b>AU01</b> + "
                      "<b>AU02</b></td><td>3.60 / 1.00</td><td class=\"strong\">0.28</td><td "
                      "class=\"l\">right 72% weaker</td><td>3 / 3 of 3</td><td>0.900 / "
                      "0.900</td></tr>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>2.00 / 4.00</td><td class=\"strong\">0.50</td><td class=\"l\">left "
                      "50% weaker</td><td class=\"few-faces\">4 / <b>3</b> of 4</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<li>Smile (5.0&ndash;9.0 s): a face was found in fewer than 80% of the "
                      "window's frames"),
            std::string::npos);
  // The smile's synkinesis: the right AU45 (eye) rose by 3, not AU10 (mid-face, the smile's
  // own region, risen by 1: listed apart, as an AU of the task's region outside its list);
  // nothing rose with the brow raise.
  const size_t smile = html.find("<div class=\"task\" id=\"task-2\">");
  ASSERT_NE(smile, std::string::npos);
  EXPECT_NE(html.find("<table class=\"synkinesis\">", smile), std::string::npos);
  EXPECT_NE(html.find("<tr data-au=\"AU45_r\"><td class=\"l\">AU45_r</td><td class=\"l\">Blink "
                      "(eye)</td><td class=\"left\">0.00</td><td class=\"right\">3.00</td></tr>",
                      smile),
            std::string::npos)
      << html.substr(smile);
  const size_t synkinesis = html.find("<table class=\"synkinesis\">", smile);
  const size_t same_region = html.find("<table class=\"same-region\">", smile);
  ASSERT_NE(same_region, std::string::npos) << html.substr(smile);
  const size_t au10 =
      html.find("<tr data-au=\"AU10_r\"><td class=\"l\">AU10_r</td><td class=\"l\">Upper", smile);
  EXPECT_GT(au10, same_region);
  EXPECT_LT(au10, synkinesis);  // in the same-region table, which comes first
  EXPECT_EQ(html.find("<table class=\"same-region\">", html.find("id=\"task-1\"")), same_region);
  const size_t brow = html.find("<div class=\"task\" id=\"task-1\">");
  EXPECT_LT(html.find("synkinesis-none", brow), smile);
  // Each primary AU charted over its task's window: the smile's AU12 with both baselines dashed
  // and both peaks ringed (the right face's on frame 7: frame 9's 9 has no face).
  const size_t chart = html.find("<svg id=\"task-2-AU12_r\"");
  ASSERT_NE(chart, std::string::npos);
  const std::string svg = html.substr(chart, html.find("</svg>", chart) - chart);
  EXPECT_EQ(count_of(svg, "class=\"reference\""), 2u);
  EXPECT_NE(svg.find("<title>right peak 4.00 at 6.00 s</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("<title>left peak 2.00 at 6.00 s</title>"), std::string::npos) << svg;
  EXPECT_NE(html.find("<svg id=\"task-1-AU02_r\""), std::string::npos);
  EXPECT_EQ(html.find("<svg id=\"task-2-AU45_r\""), std::string::npos);  // not the smile's own
  // The charts shade the rest and both tasks.
  EXPECT_NE(html.find("<title>Brow raise</title></rect>"), std::string::npos);
  EXPECT_NE(html.find("<title>rest</title></rect>"), std::string::npos);
  // The table beside the page.
  EXPECT_NE(read_file(dir_ / "patient_task_asymmetry.csv").find(",AU01_r+AU02_r,task,"),
            std::string::npos);

  // The folder: the index lists every task, linking it on its page, with its SR tinted by the
  // weaker side; task_summary.csv has the video's rows with a video column.
  const std::string index = read_file(dir_ / "index.html");
  EXPECT_NE(index.find("<tr><td class=\"l\">patient</td><td class=\"l\"><a "
                       "href=\"patient_report.html#task-1\">Brow raise</a></td><td>2.0&ndash;5.0 "
                       "s</td><td style=\"background:#"),
            std::string::npos)
      << index;
  EXPECT_NE(index.find("title=\"Smile: SR 0.50, left weaker; excursion left 2.00, right "
                       "4.00\">0.50</td><td class=\"l\">left</td></tr>"),
            std::string::npos)
      << index;
  const std::string summary = read_file(dir_ / "task_summary.csv");
  EXPECT_EQ(summary.rfind(task_asymmetry_csv_header(true), 0), 0u);
  EXPECT_NE(summary.find("\npatient,smile,5.000,9.000,4,4,0.9000,3,0.8000,AU12_r,task,"),
            std::string::npos)
      << summary;

  // The plan removed: no task section, and no task table left from it.
  fs::remove(dir_ / "patient_tasks.csv");
  ASSERT_TRUE(report().at(0).ok);
  EXPECT_EQ(read_file(dir_ / "patient_report.html").find("id=\"tasks\""), std::string::npos);
  EXPECT_EQ(read_file(dir_ / "patient_report.html").find("<li><b>tasks</b>"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "patient_task_asymmetry.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "task_summary.csv"));
  EXPECT_EQ(read_file(dir_ / "index.html").find("task-overview"), std::string::npos);
}

// Each task shows both faces at rest (the middle of the rest window's frames 1-2: frame 2) and
// at its peak: the brow raise's AU01 + AU02 of both sides sum 3, 4, 5 on frames 3-5 (frame 5);
// the smile's AU12 sums 3, 6, 6 on frames 6-8 (frame 7, the first of the tie; frame 9 has no
// right face). Frame i of the right video is grey 20 + 20i, of the left 30 + 20i.
TEST_F(TaskFolder, EachTaskShowsBothFacesAtRestAndAtItsPeak) {
  write("patient_left_mirrored.csv", left_csv());
  write("patient_right_mirrored.csv", right_csv());
  write("patient_tasks.csv", plan_text);
  const auto right_grey = [](int64_t i) { return 20 + 20 * static_cast<int>(i); };
  const auto left_grey = [](int64_t i) { return 30 + 20 * static_cast<int>(i); };
  test::write_grey_video(dir_ / "patient_right_mirrored.mp4", 10, right_grey);
  test::write_grey_video(dir_ / "patient_left_mirrored.mp4", 10, left_grey);
  report_options options;
  options.models_dir = dir_ / "no_models";
  options.stills = 1;
  ASSERT_TRUE(write_report(dir_, options).at(0).ok);
  const std::string html = read_file(dir_ / "patient_report.html");
  const std::string tasks =
      html.substr(html.find("<section id=\"tasks\">"),
                  html.find("<section id=\"charts\">") - html.find("<section id=\"tasks\">"));
  std::vector<std::string> shown;
  for (const auto& still : test::stills_of(tasks)) {
    shown.push_back(still.label + " " + still.caption);
    const int64_t index = std::stoll(still.caption.substr(still.caption.find("frame ") + 6)) - 1;
    EXPECT_NEAR(test::still_grey(still.right), right_grey(index), 4.0) << still.caption;
    EXPECT_NEAR(test::still_grey(still.left), left_grey(index), 4.0) << still.caption;
  }
  EXPECT_EQ(shown, (std::vector<std::string>{"rest frame 2, 1.00 s", "peak frame 5, 4.00 s",
                                             "rest frame 2, 1.00 s", "peak frame 7, 6.00 s"}));
  // --stills 0: none.
  options.stills = 0;
  ASSERT_TRUE(write_report(dir_, options).at(0).ok);
  EXPECT_TRUE(test::stills_of(read_file(dir_ / "patient_report.html")).empty());
}

// A window past the recording's end holds no frame: said so, no numbers from nothing.
TEST_F(TaskFolder, AWindowWithoutFramesIsNamed) {
  write("patient_left_mirrored.csv", left_csv());
  write("patient_right_mirrored.csv", right_csv());
  write("patient_tasks.csv", "task,start_s,end_s\nsmile,20,30\n");
  ASSERT_TRUE(report().at(0).ok);
  const std::string html = read_file(dir_ / "patient_report.html");
  EXPECT_NE(html.find("<li>Smile (20.0&ndash;30.0 s): the window holds no frame of the "
                      "recording.</li>"),
            std::string::npos)
      << html;
  // Neither side has a face in a window without frames.
  EXPECT_NE(html.find("<td class=\"gated\">no face on either side</td>"), std::string::npos);
  EXPECT_EQ(html.find("no face on one side"), std::string::npos);
}

// A plan the report cannot use names itself, its line and the reason; the page is written
// without its task section (ReportFolder.ABadTaskPlanCostsOnlyTheTaskSection: what stays).
TEST_F(TaskFolder, ABadPlanIsNamedWithItsLine) {
  write("patient_left_mirrored.csv", left_csv());
  write("patient_right_mirrored.csv", right_csv());
  write("patient_tasks.csv", "task,start_s,end_s\nsmile,5,4\n");
  const auto results = report();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_NE(results[0].plan_error.find("patient_tasks.csv': line 2: the window ends"),
            std::string::npos)
      << results[0].plan_error;
  EXPECT_EQ(read_file(dir_ / "patient_report.html")
                .find("<section id=\"tasks\"><h2>Tasks</h2><p "
                      "class=\"warning\">The task plan cannot"),
            read_file(dir_ / "patient_report.html").find("<section id=\"tasks\">"));
}

// An aus job's video (one face) with a plan: its tasks' excursions, no left/right numbers; its
// own table beside the page and in the folder's, each removed with the plan.
TEST_F(TaskFolder, AOneFaceVideoHasItsTasksWithoutASecondSide) {
  write("clip.csv", left_csv());
  write("clip_tasks.csv", plan_text);
  const auto results = report();
  ASSERT_EQ(results.size(), 1u);  // neither the plan nor the task table is a video of its own
  ASSERT_TRUE(results[0].ok) << results[0].error;
  const std::string html = read_file(dir_ / "clip_report.html");
  const size_t begin = html.find("<section id=\"tasks\">");
  ASSERT_NE(begin, std::string::npos) << html;
  const std::string tasks = html.substr(begin, html.find("</section>", begin) - begin);
  EXPECT_NE(tasks.find("<table id=\"task-summary\"><tr><th class=\"l\">task</th><th>window</"
                       "th><th class=\"l\">AUs</th><th>E</th><th>frames with a face</th>"),
            std::string::npos)
      << tasks;
  EXPECT_NE(tasks.find("<td>3.60</td><td>3 of 3</td><td>0.900</td></tr>"), std::string::npos)
      << tasks;
  EXPECT_EQ(tasks.find("SR"), std::string::npos);
  EXPECT_EQ(tasks.find("E<sub>L</sub>"), std::string::npos);
  EXPECT_NE(tasks.find("id=\"task-2\""), std::string::npos);
  EXPECT_NE(tasks.find("<svg"), std::string::npos);  // the smile's AU12 over its window
  EXPECT_NE(html.find("<li><b>tasks</b>: per task, E ="), std::string::npos);
  EXPECT_NE(html.find("class=\"window\""), std::string::npos);  // the charts shade the windows
  const std::string table = read_file(dir_ / "clip_task_aus.csv");
  EXPECT_EQ(table.rfind(task_aus_csv_header(false), 0), 0u);
  EXPECT_NE(table.find("smile,5.000,9.000,4,4,0.9000,AU12_r,task,,,2.0000,,\n"), std::string::npos)
      << table;
  EXPECT_FALSE(fs::exists(dir_ / "clip_task_asymmetry.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "task_summary.csv"));
  const std::string index = read_file(dir_ / "index.html");
  EXPECT_NE(index.find("<a href=\"clip_report.html#task-1\">Brow raise</a></td><td>2.0&ndash;5.0 "
                       "s</td><td>3.60</td><td>3 of 3</td>"),
            std::string::npos)
      << index;
  EXPECT_EQ(index.find("id=\"task-overview\""), std::string::npos);
  EXPECT_NE(read_file(dir_ / "task_aus_summary.csv").find("\nclip,smile,5.000,9.000,4,4,"),
            std::string::npos);

  fs::remove(dir_ / "clip_tasks.csv");
  ASSERT_TRUE(report().at(0).ok);
  EXPECT_EQ(read_file(dir_ / "clip_report.html").find("id=\"tasks\""), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "clip_task_aus.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "task_aus_summary.csv"));
  EXPECT_EQ(read_file(dir_ / "index.html").find("face-task-overview"), std::string::npos);
}

}  // namespace
}  // namespace facemirror
