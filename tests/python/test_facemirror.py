"""The Python module against the CLI on a shared video: same values, progress, Ctrl-C, errors.

Run by CTest (test python_module) with the build tree's package on PYTHONPATH; skipped when the
shared data folder is absent.
"""

import html
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import facemirror
from shared_data import CLI, MODELS, SAMPLES, SHARED, VIDEO, needs_shared, read_csv_columns


@pytest.fixture(scope="module")
def cli_csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(out), "--models", str(MODELS),
                    "--workers", "2", "-q"], check=True)
    return out / "changeLighting.csv"


def test_help_shows_the_api():
    assert "extract(" in facemirror.__doc__ and "KeyboardInterrupt" in facemirror.__doc__
    for function in (facemirror.extract, facemirror.mirror):
        assert "progress" in function.__doc__
    assert facemirror.__version__.count(".") == 2


@needs_shared
def test_extract_writes_the_cli_csv_and_returns_its_values(cli_csv, tmp_path):
    results = facemirror.extract([VIDEO], out_dir=tmp_path, models=MODELS, workers=2,
                                 as_dataframe=False)
    assert len(results) == 1
    result = results[0]
    assert result.ok and result.error == ""
    assert result.path == str(VIDEO) and result.frames == 88
    assert pathlib.Path(result.output_csv) == tmp_path / "changeLighting.csv"
    assert pathlib.Path(result.output_csv).read_bytes() == cli_csv.read_bytes()
    expected = read_csv_columns(cli_csv)
    assert list(result.columns) == list(expected)
    assert result.columns["frame"].dtype == np.int64
    for name, values in expected.items():
        np.testing.assert_array_equal(result.columns[name], values, err_msg=name)
    assert result.successful_frames == int(expected["success"].sum())


@needs_shared
def test_progress_fires_every_n_frames_with_the_gil_released(cli_csv):
    events = []
    ticks = [0]
    running = threading.Event()
    running.set()

    def count_ticks():  # runs only while extract() has let go of the GIL
        while running.is_set():
            ticks[0] += 1
            time.sleep(0.005)

    ticker = threading.Thread(target=count_ticks)
    ticker.start()
    try:
        results = facemirror.extract(VIDEO, models=MODELS, workers=2, progress_every=10,
                                     progress=lambda *event: events.append(event))
    finally:
        running.clear()
        ticker.join()
    assert results[0].output_csv is None  # no out_dir: nothing left behind
    expected = read_csv_columns(cli_csv)
    for name, values in expected.items():
        np.testing.assert_array_equal(np.asarray(results[0].columns[name], dtype=float), values)

    assert {e[0] for e in events} == {str(VIDEO)}
    assert {e[2] for e in events} == {88}
    done = [e[1] for e in events]
    assert done[-1] == 88 and done == sorted(done)
    during = [d for d in done if d < 88]  # then one call as the video ends
    assert len(during) >= 88 // 10 - 1, done
    assert (np.diff(during) >= 10).all(), done
    assert len(done) - len(during) == 1, done
    assert all(e[3] >= 0.0 for e in events)
    assert ticks[0] > 20, "another Python thread could not run during extract()"


@needs_shared
def test_exception_from_progress_stops_the_run_and_leaves_no_file(tmp_path):
    calls = []

    def interrupt(*event):
        calls.append(event)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        facemirror.extract(VIDEO, out_dir=tmp_path, models=MODELS, workers=2, progress=interrupt)
    assert len(calls) == 1
    assert os.listdir(tmp_path) == []
    # Any other exception stops the run the same way and comes back as itself.
    with pytest.raises(ZeroDivisionError):
        facemirror.extract(VIDEO, out_dir=tmp_path, models=MODELS, workers=2,
                           progress=lambda *event: 1 / 0)
    assert os.listdir(tmp_path) == []


@needs_shared
def test_sigint_raises_keyboard_interrupt_and_leaves_no_file(tmp_path):
    sent = []

    def send_sigint(video, done, total, rate):
        if not sent:
            sent.append(done)
            os.kill(os.getpid(), signal.SIGINT)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        facemirror.extract(VIDEO, out_dir=tmp_path, models=MODELS, workers=1,
                           segment_frames=88, progress=send_sigint)
    assert sent and sent[0] < 88
    assert os.listdir(tmp_path) == []
    assert time.monotonic() - started < 60


@needs_shared
def test_a_missing_video_raises_the_cli_message(tmp_path):
    missing = tmp_path / "no_such_video.mp4"
    with pytest.raises(facemirror.Error) as raised:
        facemirror.extract(missing, out_dir=tmp_path / "out", models=MODELS)
    message = str(raised.value)
    assert str(missing) in message
    cli = subprocess.run([CLI, "aus", str(missing), "-o", str(tmp_path / "cli"), "--models",
                          str(MODELS), "-q"], capture_output=True, text=True)
    assert cli.returncode == 1
    assert f"FAILED {message}\n" in cli.stderr

    results = raised.value.results
    assert [r.status for r in results] == ["failed"] and results[0].columns is None
    assert os.listdir(tmp_path / "out") == []


def test_a_models_folder_without_models_raises(tmp_path):
    with pytest.raises(facemirror.Error, match="missing model file"):
        facemirror.extract(tmp_path / "any.mp4", models=tmp_path)


@needs_shared
def test_mirror_writes_s1_outputs(tmp_path):
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(VIDEO), "-frames:v", "24",
                    "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", str(clip)], check=True)
    # A task plan beside the video goes into the folder with its outputs, as the CLI takes it.
    facemirror.write_task_plan(tmp_path / "clip_tasks.csv",
                               [("rest", 0, 0.3), ("smile", 0.3, 0.8)])
    out = tmp_path / "mirrored"
    results = facemirror.mirror(clip, out, models=MODELS, workers=2)
    assert len(results) == 1 and results[0].ok and results[0].frames == 24
    outputs = results[0].outputs
    assert set(outputs) == {"right_video", "left_video", "debug_video", "source_video",
                            "right_csv", "left_csv", "head_pose_csv"}
    assert sorted(os.listdir(out)) == sorted(
        [os.path.basename(p) for p in outputs.values()] + ["clip_tasks.csv", ".facemirror"])
    # What was copied of the plan, so that a plan removed later takes its copy with it; what
    # made the outputs, as the CLI records it (the report's provenance; the CLI redoes them).
    assert sorted(os.listdir(out / ".facemirror")) == ["clip.mirror.json", "clip_tasks.csv.copied"]
    record = json.loads((out / ".facemirror" / "clip.mirror.json").read_text())
    assert record["command"] == "facemirror.mirror(%r, %r, workers=2, models=%r)" % (
        str(clip), str(out), str(MODELS))
    assert record["models"] == os.path.normpath(os.path.abspath(MODELS)) and not record["options"]
    assert record["input"] == os.path.abspath(clip) and record["working_dir"] == os.getcwd()
    assert record["input_fingerprint"].startswith("size ") and record["finished"].endswith("Z")
    assert (out / "clip_tasks.csv").read_bytes() == (tmp_path / "clip_tasks.csv").read_bytes()
    assert outputs["right_video"] == str(out / "clip_right_mirrored.mp4")
    for side in ("right_csv", "left_csv"):
        table = facemirror.read_csv(outputs[side], as_dataframe=False)
        np.testing.assert_array_equal(table["frame"], np.arange(1, 25))

    # The report of the folder with that plan: the page with its task section, the task
    # tables; a CSV cut short fails its video alone, naming the file. Without models=, the
    # provenance names the recorded call and models folder, not the default folder.
    reports = facemirror.report(out, stills=1)
    page = html.unescape((out / "clip_report.html").read_text())
    assert record["command"] in page and record["models"] in page
    assert "<code>%s</code>, fingerprint" % clip in page and "unchanged since" in page
    reports = facemirror.report(out, stills=1, models=MODELS)
    assert [(r.stem, r.ok, r.error) for r in reports] == [("clip", True, "")]
    assert reports[0].html == str(out / "clip_report.html")
    assert 'data-task="smile"' in (out / "clip_report.html").read_text()
    assert (out / "task_summary.csv").read_text().startswith("video,task,start_s,end_s,")
    left = out / "clip_left_mirrored.csv"
    left.write_text(left.read_text().split("\n", 3)[0] + "\n1, 0, 0\n")
    with pytest.raises(facemirror.Error, match="clip_left_mirrored.csv"):
        facemirror.report(out, stills=0, models=MODELS)
    failed = facemirror.report(out, stills=0, models=MODELS, on_error="return")
    assert not failed[0].ok and "clip_left_mirrored.csv" in failed[0].error
    for bad in ({"stills": 13}, {"min_face_share": 1.5}, {"on_error": "ignore"}):
        with pytest.raises(ValueError):
            facemirror.report(out, **bad)

    # extract() with out_dir takes the plan too; the report then has the one face's tasks.
    aus = tmp_path / "aus"
    assert facemirror.extract(clip, out_dir=aus, models=MODELS, workers=2)[0].ok
    assert (aus / "clip_tasks.csv").read_bytes() == (tmp_path / "clip_tasks.csv").read_bytes()
    facemirror.report(aus, stills=0, models=MODELS)
    assert 'data-task="smile"' in (aus / "clip_report.html").read_text()
    assert (aus / "task_aus_summary.csv").read_text().startswith("video,task,start_s,end_s,")

    # A plan the report cannot use: a warning when it is copied (naming its line, as the CLI
    # warns), then report() raises as the CLI reports it FAILED; "return" gives its plan_error.
    (tmp_path / "clip_tasks.csv").write_text("task,start_s,end_s\nrest,0,0.3\nsmile,0.8,0.3\n")
    with pytest.warns(UserWarning, match="line 3: the window ends"):
        facemirror.extract(clip, out_dir=aus, models=MODELS, workers=2)
    with pytest.raises(facemirror.Error, match="line 3: the window ends"):
        facemirror.report(aus, stills=0, models=MODELS)
    unusable = facemirror.report(aus, stills=0, models=MODELS, on_error="return")
    assert unusable[0].ok and "line 3: the window ends" in unusable[0].plan_error


@needs_shared
def test_mirror_names_a_photographs_outputs_as_images(tmp_path):
    photo = tmp_path / "patient 7.jpg"
    photo.write_bytes((SAMPLES / "sample1.jpg").read_bytes())
    results = facemirror.mirror(photo, tmp_path / "out", models=MODELS)
    assert len(results) == 1 and results[0].ok, results[0].error
    outputs = results[0].outputs
    assert set(outputs) == {"right_image", "left_image", "debug_image", "source_image",
                            "right_csv", "left_csv", "head_pose_csv"}
    assert outputs["right_image"] == str(tmp_path / "out" / "patient 7_right_mirrored.png")
    assert outputs["source_image"] == str(tmp_path / "out" / "patient 7_source.jpg")
    assert sorted(os.listdir(tmp_path / "out")) == sorted(
        [os.path.basename(p) for p in outputs.values()] + [".facemirror"])
    assert len(facemirror.read_csv(outputs["left_csv"], as_dataframe=False)["face"]) == 1


def test_task_plans_are_written_whole_as_the_report_reads_them(tmp_path):
    plan = tmp_path / "clip_tasks.csv"
    written = facemirror.write_task_plan(plan, [("smile", 2.5, 4), ("rest", 0, 1),
                                                facemirror.Task("cheek puff", 5, 6.25, "AU14 23")])
    assert written == [("rest", 0.0, 1.0, ""), ("smile", 2.5, 4.0, ""),
                       ("cheek puff", 5.0, 6.25, "AU14 AU23")]
    assert plan.read_text() == ("task,start_s,end_s,aus\nrest,0,1,\nsmile,2.5,4,\n"
                                "cheek puff,5,6.25,AU14 AU23\n")
    assert facemirror.read_task_plan(plan) == written
    # A plan the report would refuse is refused, naming the line, and the file stays as it was.
    for bad, reason in (([("smile", 3, 2)], "line 2: the window ends"),
                        ([("rest", 0, 1), ("wink", 1, 2)], "line 3: 'wink' is not a standard"),
                        ([("smile", 0, 1, "AU28")], "no intensity of AU28")):
        with pytest.raises(facemirror.Error, match=reason):
            facemirror.write_task_plan(plan, bad)
        assert facemirror.read_task_plan(plan) == written
    with pytest.raises(ValueError, match="no commas"):
        facemirror.write_task_plan(plan, [("smile, big", 0, 1)])
    assert sorted(os.listdir(tmp_path)) == ["clip_tasks.csv"]
    with pytest.raises(facemirror.Error, match="cannot read"):
        facemirror.read_task_plan(tmp_path / "none.csv")


def test_two_inputs_with_one_stem_are_refused_before_any_work(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "session.mp4").write_bytes(b"")
    with pytest.raises(facemirror.Error, match=r"the same name as .*a.session\.mp4. \(session\): their outputs would"):
        facemirror.extract([tmp_path / "a", tmp_path / "b" / "session.mp4"],
                           out_dir=tmp_path / "out", models=tmp_path)
    assert not (tmp_path / "out").exists()


@needs_shared
def test_one_name_in_two_folders_without_out_dir_and_a_file_given_twice(tmp_path):
    # The usual clinical layout, p01/video.mp4 and p02/video.mp4: without out_dir nothing is
    # written, so nothing clashes; a file given by name and in its folder runs once, a link of
    # another name to it (a de-identified cohort) runs as that name.
    for folder, frames in (("p01", 6), ("p02", 3)):
        (tmp_path / folder).mkdir()
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(VIDEO), "-frames:v", str(frames),
                        "-c:v", "ffv1", str(tmp_path / folder / "video.mkv")], check=True)
    (tmp_path / "patient07.mkv").symlink_to(tmp_path / "p01" / "video.mkv")
    results = facemirror.extract([tmp_path / "p01", tmp_path / "p01" / "video.mkv",
                                  tmp_path / "p02" / "video.mkv", tmp_path / "patient07.mkv"],
                                 models=MODELS, workers=1, as_dataframe=False)
    assert [(r.path, r.frames) for r in results] == [
        (str(tmp_path / "p01" / "video.mkv"), 6), (str(tmp_path / "p02" / "video.mkv"), 3),
        (str(tmp_path / "patient07.mkv"), 6)]
    assert [len(r.columns["frame"]) for r in results] == [6, 3, 6]


@needs_shared
def test_inputs_from_a_generator_are_recorded_by_name_and_out_dir_may_be_bytes(tmp_path):
    clip = tmp_path / "clip.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(VIDEO), "-frames:v", "3",
                    "-c:v", "ffv1", str(clip)], check=True)
    results = facemirror.extract((path for path in [clip]), out_dir=os.fsencode(tmp_path / "out"),
                                 models=MODELS, workers=1, as_dataframe=False)
    assert results[0].ok and results[0].output_csv == str(tmp_path / "out" / "clip.csv")
    record = json.loads((tmp_path / "out/.facemirror/clip.aus.json").read_text())
    assert record["command"].startswith(f"facemirror.extract([{str(clip)!r}], "), record
    assert f"out_dir={str(tmp_path / 'out')!r}," in record["command"], record  # not b'...'



@needs_shared
def test_a_frame_folder_is_one_video_as_the_cli_reads_it(tmp_path):
    # frames=True: OpenFace's -fdir, the CLI's --frames; the folder's whole name (dots kept)
    # names its CSV, the CLI's bytes.
    folder = tmp_path / "session.2024-01-05"
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(VIDEO), "-frames:v", "5",
                    str(folder / "frame%03d.png")], check=True)
    results = facemirror.extract(folder, out_dir=tmp_path / "py", frames=True, models=MODELS,
                                 workers=1, as_dataframe=False)
    assert [(r.path, r.frames) for r in results] == [(str(folder), 5)]
    subprocess.run([CLI, "aus", "--frames", str(folder), "-o", str(tmp_path / "cli"),
                    "--models", str(MODELS), "-w", "1", "-q"], check=True)
    written = (tmp_path / "py" / "session.2024-01-05.csv").read_bytes()
    assert written == (tmp_path / "cli" / "session.2024-01-05.csv").read_bytes()
    with pytest.raises(facemirror.Error, match="frames=True"):
        facemirror.extract(folder, models=MODELS)  # without frames: a folder of videos


@needs_shared
def test_option_values_it_cannot_take_are_value_errors_before_any_work(tmp_path):
    for job, options, says in (
            ("extract", dict(segment_frames=0), "frames per segment must be positive"),
            ("extract", dict(workers=-1), "workers must be 0"),
            ("extract", dict(face_threshold=float("nan")), "face threshold must be a finite"),
            ("extract", dict(consensus=0), "consensus must be 1 to 15 tracks, not 0"),
            ("extract", dict(consensus=16), "consensus must be 1 to 15 tracks, not 16"),
            ("extract", dict(max_faces=0), "max_faces must be 1 to 64, not 0"),
            ("mirror", dict(consensus=16), "consensus must be 1 to 15 tracks, not 16"),
            ("extract", dict(max_faces=100), "max_faces must be 1 to 64, not 100"),
            ("extract", dict(workers=2**40), "workers is out of range: 1099511627776"),
            ("extract", dict(frame_stride=0), "frame_stride must be at least 1"),
            ("extract", dict(progress_every=0), "progress_every must be at least 1"),
            ("extract", dict(landmarks="bogus"), "landmarks must be 'clnf' or 'dlib'"),
            ("extract", dict(isolation="bogus"), "isolation must be 'thread' or 'process'"),
            ("extract", dict(on_error="Return"), "on_error must be 'raise' or 'return'"),
            ("mirror", dict(crf=99), "crf must be 0 to 51, not 99")):
        out = tmp_path / job / "out"
        run = getattr(facemirror, job)
        with pytest.raises(facemirror.InvalidArgument, match=says) as raised:
            if job == "mirror":
                run(VIDEO, out, models=MODELS, **options)
            else:
                run(VIDEO, out_dir=out, models=MODELS, **options)
        assert isinstance(raised.value, ValueError) and isinstance(raised.value, facemirror.Error)
        assert not out.exists(), f"{job}({options}) refused, yet made its output folder"
    with pytest.raises(facemirror.InvalidArgument, match="give out_dir"):
        facemirror.extract(VIDEO, models=MODELS, aligned=True)
    with pytest.raises(facemirror.InvalidArgument, match="aligned faces need a positive scale"):
        facemirror.extract(VIDEO, out_dir=tmp_path / "al", models=MODELS,
                           aligned=facemirror.AlignedFaces(size=0))
    assert not (tmp_path / "al").exists()
    for job in ("extract", "mirror"):
        with pytest.raises(facemirror.InvalidArgument, match="out_dir is empty"):
            getattr(facemirror, job)(VIDEO, out_dir="", models=MODELS)
    with pytest.raises(facemirror.InvalidArgument, match="stills must be 0 to 12"):
        facemirror.report(tmp_path, stills=13)
    with pytest.raises(facemirror.InvalidArgument, match="max_turned_share must be 0 to 1"):
        facemirror.report(tmp_path, max_turned_share=1.5)
    # A count given as a float is a TypeError naming the argument, not pybind's signature list.
    for options, says in ((dict(workers=1.5), "workers must be an integer, not float"),
                          (dict(workers=True), "workers must be an integer, not bool"),
                          (dict(aus=1), "aus must be True or False, not int"),
                          (dict(landmarks=None), "landmarks must be a string, not NoneType"),
                          (dict(progress=5), "progress must be a function"),
                          (dict(as_dataframe="yes"), "as_dataframe must be None, True or False"),
                          (dict(face_threshold="high"), "face_threshold must be a number"),
                          (dict(out_dir=tmp_path / "a",
                                aligned=facemirror.AlignedFaces(size="112")),
                           "aligned.size must be an integer, not str"),
                          (dict(out_dir=tmp_path / "a",
                                aligned=facemirror.AlignedFaces(grey=None)),
                           "aligned.grey must be True or False, not NoneType")):
        with pytest.raises(TypeError, match=says):
            facemirror.extract(VIDEO, models=MODELS, **options)
    with pytest.raises(facemirror.InvalidArgument, match="models: .* is not a folder"):
        facemirror.report(tmp_path, models=tmp_path / "no_models_here")


@needs_shared
def test_without_aus_the_csv_is_the_clis_without_aus(tmp_path):
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "cli"), "--models", str(MODELS),
                    "--no-aus", "--frame-stride", "8", "-q"], check=True)
    result = facemirror.extract(VIDEO, out_dir=tmp_path / "py", models=MODELS, aus=False,
                                frame_stride=8, as_dataframe=False)[0]
    cli_csv = tmp_path / "cli" / "changeLighting.csv"
    assert pathlib.Path(result.output_csv).read_bytes() == cli_csv.read_bytes()
    # The CLI into the module's folder redoes its CSV, naming the call that made it (its record
    # holds no CLI options to compare), rather than taking it for its own.
    again = subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "py"), "--models",
                            str(MODELS), "--no-aus", "--frame-stride", "8"],
                           capture_output=True, text=True, check=True)
    assert "(its outputs were made by facemirror.extract(" in again.stderr, again.stderr
    # OpenFace without -aus: every field after ", " (its AU pass rewrites rows with ",  ").
    assert b"AU01_r" not in cli_csv.read_bytes() and b",  " not in cli_csv.read_bytes()


def test_a_folder_without_videos_says_what_it_holds(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "IMG_0001.JPG").write_bytes(b"")
    (tmp_path / "patients" / "p01").mkdir(parents=True)
    with pytest.raises(facemirror.Error, match="no video files .its images: one video of frames "
                       "with frames=True, or photographs"):
        facemirror.extract(tmp_path / "photos", models=tmp_path)
    with pytest.raises(facemirror.Error, match="no video files .its images: photographs"):
        facemirror.mirror(tmp_path / "photos", tmp_path / "out", models=tmp_path)
    with pytest.raises(facemirror.Error, match="its subfolders are not searched"):
        facemirror.extract(tmp_path / "patients", models=tmp_path)


def test_a_misspelt_on_error_is_refused_before_any_work(tmp_path):
    for run in (lambda: facemirror.extract(tmp_path / "x.mp4", out_dir=tmp_path / "out",
                                           models=tmp_path, on_error="Return"),
                lambda: facemirror.mirror(tmp_path / "x.mp4", tmp_path / "out",
                                          models=tmp_path, on_error="Return")):
        with pytest.raises(ValueError, match="not 'Return'"):
            run()
    assert not (tmp_path / "out").exists()


def test_read_csv_takes_excels_byte_order_mark_and_names_a_bad_file(tmp_path):
    saved = tmp_path / "saved_by_excel.csv"
    saved.write_bytes(b"\xef\xbb\xbfframe, face_id, AU12_r\r\n1,0,0.5\r\n2,0,1.25\r\n")
    columns = facemirror.read_csv(saved, as_dataframe=False)
    assert list(columns) == ["frame", "face_id", "AU12_r"]
    np.testing.assert_array_equal(columns["AU12_r"], [0.5, 1.25])
    assert columns["frame"].dtype == np.int64
    header_only = tmp_path / "no_face.csv"
    header_only.write_text("frame, face_id, AU12_r\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(facemirror.read_csv(header_only, as_dataframe=False)["frame"]) == 0
    photograph = tmp_path / "photo.csv"  # FaceLandmarkImg's layout: a row per face
    photograph.write_text("face, confidence, AU12_r\n0, 0.98, 1.5\n1, 0.9, 0\n")
    assert facemirror.read_csv(photograph, as_dataframe=False)["face"].dtype == np.int64
    damaged = tmp_path / "damaged.csv"
    damaged.write_text("frame, face_id, AU12_r\n1,0,\n")
    with pytest.raises(facemirror.Error, match="damaged.csv"):
        facemirror.read_csv(damaged)
    video = tmp_path / "clip.mp4"  # a video given for its CSV
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\xb2\xff\xfe\x00")
    with pytest.raises(facemirror.Error, match="clip.mp4': not a CSV"):
        facemirror.read_csv(video)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("frame, face_id, AU12_r\n1,0,0.5\n2,0\n")
    with pytest.raises(facemirror.Error, match="ragged.csv': not a table of numbers") as raised:
        facemirror.read_csv(ragged)
    assert "usecols" not in str(raised.value)


@needs_shared
def test_read_csv_gives_a_dataframe_when_pandas_is_there(cli_csv):
    pandas = pytest.importorskip("pandas")
    frame = facemirror.read_csv(cli_csv)
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 88
    expected = read_csv_columns(cli_csv)
    assert list(frame.columns) == list(expected)
    np.testing.assert_array_equal(frame["AU12_r"].to_numpy(), expected["AU12_r"])


@needs_shared
def test_max_faces_follows_several_faces_as_the_cli(tmp_path):
    # The first 16 frames of multi_face.avi, stream-copied (OpenFace's frames): three faces.
    clip = tmp_path / "multi.avi"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i",
                    str(SAMPLES / "multi_face.avi"), "-an",
                    "-frames:v", "16", "-c", "copy", str(clip)], check=True)
    cli_out = tmp_path / "cli"
    subprocess.run([CLI, "aus", str(clip), "-o", str(cli_out), "--models", str(MODELS),
                    "--max-faces", "4", "-q"], check=True)
    results = facemirror.extract(clip, out_dir=tmp_path / "py", models=MODELS, max_faces=4,
                                 as_dataframe=False)
    result = results[0]
    assert result.frames == 16 and result.successful_frames == 16
    assert (pathlib.Path(result.output_csv).read_bytes()
            == (cli_out / "multi.csv").read_bytes())
    assert sorted(set(result.columns["face_id"].tolist())) == [0, 1, 2]
    assert len(result.columns["frame"]) == 3 * 16
    with pytest.raises(ValueError):
        facemirror.extract(clip, models=MODELS, max_faces=0)


def _hog_records_by_hand(path):
    """The .hog file decoded with NumPy alone (OpenFace's layout: per frame int32 columns, rows,
    channels, float32 validity, then the float32 values), to check read_hog against."""
    raw = pathlib.Path(path).read_bytes()
    valid, values, at = [], [], 0
    while at < len(raw):
        cols, rows, channels = np.frombuffer(raw, np.int32, 3, at)
        valid.append(np.frombuffer(raw, np.float32, 1, at + 12)[0] == 1.0)
        count = int(cols) * int(rows) * int(channels)
        values.append(np.frombuffer(raw, np.float32, count, at + 16).reshape(rows, cols, channels))
        at += 16 + 4 * count
    return np.array(valid), np.stack(values)


@needs_shared
def test_read_hog_reads_openfaces_own_file():
    reference = SHARED / "reference/openface22/hog_simalign/changeLighting.hog"
    hog = facemirror.read_hog(reference)
    assert hog.features.dtype == np.float32 and hog.features.shape == (88, 12, 12, 31)
    assert hog.valid.dtype == np.bool_ and hog.valid.all()
    valid, values = _hog_records_by_hand(reference)
    np.testing.assert_array_equal(hog.valid, valid)
    np.testing.assert_array_equal(hog.features, values)


@needs_shared
def test_extract_with_hog_writes_and_returns_openfaces_hog(tmp_path):
    results = facemirror.extract(VIDEO, out_dir=tmp_path, models=MODELS, workers=2, hog=True,
                                 as_dataframe=False)
    result = results[0]
    assert pathlib.Path(result.hog_file) == tmp_path / "changeLighting.hog"
    assert (tmp_path / "changeLighting_of_details.txt").is_file()
    valid, values = _hog_records_by_hand(result.hog_file)
    np.testing.assert_array_equal(result.hog.valid, valid)
    np.testing.assert_array_equal(result.hog.features, values)
    np.testing.assert_array_equal(result.hog.valid, result.columns["success"] == 1)
    # Against OpenFace's own file: the C++ test's bound (measured 0.0030, the floor of two
    # trackers that round differently).
    theirs = facemirror.read_hog(SHARED / "reference/openface22/hog_simalign/changeLighting.hog")
    assert np.abs(result.hog.features - theirs.features).mean() < 4e-3
    # Without out_dir the features still come back; nothing is left behind.
    kept = facemirror.extract(VIDEO, models=MODELS, workers=2, hog=True, as_dataframe=False)[0]
    assert kept.hog_file is None
    np.testing.assert_array_equal(kept.hog.features, result.hog.features)


@needs_shared
def test_extract_with_aligned_faces_writes_the_clis_faces(tmp_path):
    faces = facemirror.AlignedFaces(size=224, scale=1.4, masked=False, format="png")
    result = facemirror.extract(VIDEO, out_dir=tmp_path / "py", models=MODELS, workers=2,
                                aligned=faces, as_dataframe=False)[0]
    folder = pathlib.Path(result.aligned_dir)
    assert folder == tmp_path / "py" / "changeLighting_aligned"
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == result.frames and names[0] == "frame_det_00_000001.png"
    header = (folder / names[0]).read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 224 == int.from_bytes(header[20:24], "big")
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "cli"), "--models", str(MODELS),
                    "--workers", "2", "-q", "--aligned", "--aligned-size", "224",
                    "--aligned-scale", "1.4", "--aligned-unmasked", "--aligned-format", "png"],
                   check=True)
    theirs = tmp_path / "cli" / "changeLighting_aligned"
    assert sorted(p.name for p in theirs.iterdir()) == names
    for name in names[::20]:
        assert (folder / name).read_bytes() == (theirs / name).read_bytes(), name
    plain = facemirror.extract(VIDEO, out_dir=tmp_path / "plain", models=MODELS, workers=2,
                               aligned=True, as_dataframe=False)[0]
    assert (pathlib.Path(plain.aligned_dir) / "frame_det_00_000001.bmp").is_file()
    with pytest.raises(ValueError, match="out_dir"):
        facemirror.extract(VIDEO, models=MODELS, aligned=True)
    with pytest.raises(TypeError, match="AlignedFaces"):
        facemirror.extract(VIDEO, out_dir=tmp_path / "x", models=MODELS, aligned="png")


def test_read_hog_holds_a_long_file_once(tmp_path):
    # 7000 frames (about 4 minutes of video, 125 MB): read_hog's peak memory must be the arrays
    # it returns, not also a copy of the file or of its records (that was twice the file).
    frames, rng = 7000, np.random.default_rng(7)
    header = np.array([12, 12, 31], np.int32).tobytes() + np.float32(1.0).tobytes()
    values = rng.random((frames, 4464), dtype=np.float32)
    path = tmp_path / "long.hog"
    with open(path, "wb") as f:
        for row in values:
            f.write(header)
            f.write(row.tobytes())
    size = path.stat().st_size
    # The probe's own peak (VmHWM): ru_maxrss would start from this big parent's size.
    probe = (
        "import re, sys, numpy as np, facemirror\n"
        "def peak():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1))\n"
        "before = peak()\n"
        "hog = facemirror.read_hog(sys.argv[1])\n"
        "after = peak()\n"
        "np.save(sys.argv[2], hog.features[[0, -1]].reshape(2, -1))\n"
        "print((after - before) * 1024, hog.features.shape[0], int(hog.valid.sum()))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(path), str(tmp_path / "ends.npy")],
                         check=True, capture_output=True, text=True).stdout.split()
    grown, count, valid = int(out[0]), int(out[1]), int(out[2])
    assert count == frames and valid == frames
    np.testing.assert_array_equal(np.load(tmp_path / "ends.npy"), values[[0, -1]])
    assert grown < 1.5 * size, f"read_hog grew by {grown / size:.2f}x the file's size"


def test_read_hog_rows_are_openfaces_layout_even_without_frames(tmp_path):
    # A video without a face, or a file of no frames: rows()[valid] is [0, 4464], where the
    # reshape the docs once showed failed for want of a frame.
    empty = tmp_path / "empty.hog"
    empty.write_bytes(b"")
    hog = facemirror.read_hog(empty)
    assert hog.features.shape == (0, 12, 12, 31) and hog.rows().shape == (0, 4464)
    header = np.array([12, 12, 31], np.int32).tobytes()
    values = np.arange(2 * 4464, dtype=np.float32).reshape(2, 4464)
    two = tmp_path / "two.hog"
    two.write_bytes(header + np.float32(0).tobytes() + values[0].tobytes() +
                    header + np.float32(1).tobytes() + values[1].tobytes())
    hog = facemirror.read_hog(two)
    assert np.shares_memory(hog.rows(), hog.features)  # a view, not a copy
    np.testing.assert_array_equal(hog.rows()[hog.valid], values[1:])
    assert hog.rows()[np.zeros(2, bool)].shape == (0, 4464)  # no frame tracked


def test_a_results_repr_leaves_its_tables_out():
    # A few seconds of video are thousands of lines of columns: the repr names the outcome.
    result = facemirror.VideoResult(path="v.mp4", status="ok", frames=100000,
                                    columns={"AU01_r": np.zeros(100000)})
    assert "AU01_r" not in repr(result) and len(repr(result)) < 400, repr(result)
    assert "frames=100000" in repr(result)
    assert facemirror.Error.__module__ == "facemirror"  # as tracebacks and docs name it


@needs_shared
def test_read_hog_of_a_truncated_file_names_it(tmp_path):
    reference = SHARED / "reference/openface22/hog_simalign/changeLighting.hog"
    truncated = tmp_path / "cut.hog"
    truncated.write_bytes(reference.read_bytes()[:20000])
    with pytest.raises(facemirror.Error, match="cut.hog.*truncated record at byte 17872"):
        facemirror.read_hog(truncated)
    with pytest.raises(facemirror.Error, match="missing.hog"):
        facemirror.read_hog(tmp_path / "missing.hog")


@needs_shared
def test_a_camera_gives_the_clis_rows_with_its_intrinsics(tmp_path):
    # OpenFace's -fx -fy -cx -cy, the CLI's --fx ...: pose, 3-D landmarks and gaze move with them.
    intrinsics = ["--fx", "600", "--fy", "610", "--cx", "310", "--cy", "245"]
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "cli"), "--models", str(MODELS),
                    "-q", *intrinsics], check=True)
    result = facemirror.extract(VIDEO, out_dir=tmp_path / "py", models=MODELS,
                                camera=(600, 610, 310, 245), as_dataframe=False)[0]
    cli_csv = (tmp_path / "cli" / "changeLighting.csv").read_bytes()
    assert pathlib.Path(result.output_csv).read_bytes() == cli_csv
    guessed = facemirror.extract(VIDEO, models=MODELS, as_dataframe=False)[0]
    assert not np.array_equal(guessed.columns["pose_Tz"], result.columns["pose_Tz"])
    with pytest.raises(facemirror.InvalidArgument, match="finite"):
        facemirror.extract(VIDEO, out_dir=tmp_path / "nan", models=MODELS,
                           camera=(600, 600, float("nan"), 245))
    assert not (tmp_path / "nan").exists()


@needs_shared
def test_outputs_gives_the_clis_column_groups(tmp_path):
    # OpenFace's -pose -aus ..., the CLI's --outputs: the CSV holds just those groups.
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "cli"), "--models", str(MODELS),
                    "-q", "--outputs", "pose,aus"], check=True)
    result = facemirror.extract(VIDEO, out_dir=tmp_path / "py", models=MODELS,
                                outputs=["aus", "pose"], as_dataframe=False)[0]
    cli_csv = (tmp_path / "cli" / "changeLighting.csv").read_bytes()
    assert pathlib.Path(result.output_csv).read_bytes() == cli_csv
    assert "pose_Rx" in result.columns and "AU12_r" in result.columns
    assert "x_0" not in result.columns and "gaze_0_x" not in result.columns
    bare = facemirror.extract(VIDEO, models=MODELS, outputs="none", as_dataframe=False)[0]
    assert list(bare.columns) == ["frame", "face_id", "timestamp", "confidence", "success"]
    with pytest.raises(facemirror.InvalidArgument, match="gazes"):
        facemirror.extract(VIDEO, out_dir=tmp_path / "bad", models=MODELS, outputs="pose,gazes")
    assert not (tmp_path / "bad").exists()
    with pytest.raises(TypeError, match="outputs"):
        facemirror.extract(VIDEO, models=MODELS, outputs=["pose", 3])


@needs_shared
def test_frame_stride_gives_the_cli_rows(tmp_path):
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "cli"), "--models", str(MODELS),
                    "--frame-stride", "4", "-q"], check=True)
    result = facemirror.extract(VIDEO, out_dir=tmp_path / "py", models=MODELS, frame_stride=4,
                                as_dataframe=False)[0]
    cli_csv = tmp_path / "cli" / "changeLighting.csv"
    assert pathlib.Path(result.output_csv).read_bytes() == cli_csv.read_bytes()
    assert result.frames == 22  # frames 1, 5, ..., 85 of 88
    np.testing.assert_array_equal(result.columns["frame"], np.arange(1, 89, 4))
    with pytest.raises(ValueError, match="frame_stride"):
        facemirror.extract(VIDEO, models=MODELS, frame_stride=0)


@needs_shared
def test_consensus_gives_the_cli_rows(tmp_path):
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path / "cli"), "--models", str(MODELS),
                    "--consensus", "3", "--frame-stride", "4", "-q"], check=True)
    result = facemirror.extract(VIDEO, out_dir=tmp_path / "py", models=MODELS, consensus=3,
                                frame_stride=4, as_dataframe=False)[0]
    cli_csv = tmp_path / "cli" / "changeLighting.csv"
    assert pathlib.Path(result.output_csv).read_bytes() == cli_csv.read_bytes()
    assert sorted(p.name for p in (tmp_path / "py").iterdir()) == [".facemirror", "changeLighting.csv"]
    with pytest.raises(ValueError, match="consensus"):
        facemirror.extract(VIDEO, models=MODELS, consensus=0)
    with pytest.raises(ValueError, match="consensus"):  # mirror() passes it on too
        facemirror.mirror(VIDEO, tmp_path / "mirror", models=MODELS, consensus=0)


@needs_shared
def test_damaged_frames_are_listed_and_the_video_still_done(tmp_path):
    # A few broken bytes in the middle of a recording cost its frames, not the video: the result
    # lists them by CSV frame number, and every frame keeps its row.
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(VIDEO), "-frames:v", "30", "-c:v",
                    "libx264", "-g", "15", "-bf", "0", "-pix_fmt", "yuv420p", "-an", str(clip)],
                   check=True)
    listing = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                              "packet=pos,size", "-of", "csv=p=0", str(clip)],
                             check=True, capture_output=True, text=True).stdout.split()
    size, pos = (int(v) for v in listing[20].split(","))  # csv order: size,pos
    data = bytearray(clip.read_bytes())
    for i in range(pos + size // 3, pos + size * 2 // 3):
        data[i] = (i * 7919) % 251
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    [sound] = facemirror.extract(clip, models=MODELS, workers=1, as_dataframe=False)
    assert (sound.concealed_frames, sound.missing_frames) == ([], [])
    [result] = facemirror.extract(damaged, models=MODELS, workers=1, as_dataframe=False)
    assert result.ok and result.frames == 30
    listed = result.concealed_frames + result.missing_frames
    assert listed and min(listed) == 21 and max(listed) <= 30, listed
    assert len(result.columns["frame"]) == 30
    with facemirror.read_video(damaged) as frames:
        assert sum(1 for _ in frames) == 30
        assert (frames.concealed_frames, frames.missing_frames) == (
            result.concealed_frames, result.missing_frames)
