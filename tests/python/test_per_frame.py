"""The per-frame API (Analyzer, VideoSession, MultiFaceSession) against the CLI's CSVs of the same shared files.

The CSVs print each value rounded (OpenFace's precisions: 1 decimal for pixels and millimetres,
2 for AUs, 3 for angles and PDM parameters, 6 for gaze vectors), so a value from Python must lie
within half a unit of the last printed digit of the CLI's. Run by CTest (python_module) with the
build tree's package on PYTHONPATH; skipped when the shared data folder is absent.
"""

import subprocess
import threading
import time

import numpy as np
import pytest

import facemirror
from shared_data import CLI, IMAGE, MODELS, SAMPLES, VIDEO, needs_shared, read_csv_rows


def face_columns(face, still):
    """(column, value, printed decimals) of every CSV column a Face holds."""
    out = [("confidence", face.confidence, 3 if still else 2)]
    for eye, vector in ((0, face.gaze_0), (1, face.gaze_1)):
        out += [(f"gaze_{eye}_{axis}", v, 6) for axis, v in zip("xyz", vector)]
    out += [("gaze_angle_x", face.gaze_angle[0], 3), ("gaze_angle_y", face.gaze_angle[1], 3)]
    for axis, column in (("x", 0), ("y", 1)):
        out += [(f"eye_lmk_{axis}_{i}", v, 1) for i, v in enumerate(face.eye_landmarks[:, column])]
    for axis, column in (("X", 0), ("Y", 1), ("Z", 2)):
        out += [(f"eye_lmk_{axis}_{i}", v, 1)
                for i, v in enumerate(face.eye_landmarks_3d[:, column])]
    out += [(name, v, 1 if name.startswith("pose_T") else 3) for name, v in
            zip(("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"), face.pose)]
    for axis, column in (("x", 0), ("y", 1)):
        out += [(f"{axis}_{i}", v, 1) for i, v in enumerate(face.landmarks[:, column])]
    for axis, column in (("X", 0), ("Y", 1), ("Z", 2)):
        out += [(f"{axis}_{i}", v, 1) for i, v in enumerate(face.landmarks_3d[:, column])]
    out += [(name, v, 3) for name, v in
            zip(("p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"), face.params_global)]
    out += [(f"p_{i}", v, 3) for i, v in enumerate(face.params_local)]
    out += [(name, v, 2) for name, v in face.au_intensity.items()]
    out += [(name, v, 1 if still else 2) for name, v in face.au_presence.items()]
    return out


def assert_matches_row(columns, row, where):
    """Every value within half a unit of the row's last printed digit; every column checked."""
    names = [name for name, _, _ in columns]
    assert len(set(names)) == len(names)
    for name, value, decimals in columns:
        assert name in row, f"{where}: {name} is not a CSV column"
        tolerance = 0.51 * 10.0 ** -decimals
        assert abs(value - row[name]) <= tolerance, \
            f"{where} {name}: python {value}, CSV {row[name]} (tolerance {tolerance})"
    return set(names)


def test_help_shows_the_per_frame_api():
    for name in ("Analyzer", "VideoSession", "MultiFaceSession", "read_video", "read_image"):
        assert name in facemirror.__doc__ and name in facemirror.__all__
    assert "rgb=True" in facemirror.Analyzer.analyze.__doc__
    assert "finish()" in facemirror.VideoSession.__doc__ and "AU01_r" in facemirror.Face.__doc__


@pytest.fixture(scope="module")
def analyzer():
    return facemirror.Analyzer(models=MODELS)


@pytest.fixture(scope="module")
def image():
    return facemirror.read_image(IMAGE)


@pytest.fixture(scope="module")
def bgr_faces(analyzer, image):
    """The faces of the BGR image, analysed while another Python thread counts."""
    ticks = [0]
    running = threading.Event()
    running.set()

    def count_ticks():  # runs only while analyze() has let go of the GIL
        while running.is_set():
            ticks[0] += 1
            time.sleep(0.002)

    ticker = threading.Thread(target=count_ticks)
    ticker.start()
    try:
        started = ticks[0]
        faces = analyzer.analyze(image)
        ticked = ticks[0] - started
    finally:
        running.clear()
        ticker.join()
    assert ticked > 10, "another Python thread could not run during analyze()"
    return faces


@needs_shared
def test_analyzer_matches_the_cli_on_a_group_photo(bgr_faces, tmp_path):
    faces = bgr_faces
    subprocess.run([CLI, "aus", str(IMAGE), "-o", str(tmp_path), "--models", str(MODELS), "-q"],
                   check=True)
    rows = read_csv_rows(tmp_path / "sample6.csv")
    assert len(rows) == 12 and len(faces) == 12
    for face, row in zip(faces, rows):
        assert face.index == int(row["face"])
        assert face.landmarks.shape == (68, 2) and face.landmarks_3d.shape == (68, 3)
        assert face.eye_landmarks.shape == (56, 2) and face.params_local.shape == (34,)
        assert len(face.au_intensity) == 17 and len(face.au_presence) == 18
        checked = assert_matches_row(face_columns(face, still=True), row, f"face {face.index}")
        assert checked == set(row) - {"face"}  # nothing the CSV holds is left unchecked


@needs_shared
def test_a_face_prints_in_a_line_and_compares_as_itself(bgr_faces):
    face = bgr_faces[0]
    text = repr(face)
    assert len(text) < 200 and "\n" not in text, text
    assert text.startswith("Face(index=0, timestamp=0.000, confidence=") and "AU" in text, text
    assert face == face and face != bgr_faces[1]  # identity, not an ambiguous array comparison


@needs_shared
def test_rgb_input_gives_the_same_faces(analyzer, image, bgr_faces):
    # A view with a negative channel stride: copied once, then converted from RGB.
    rgb_faces = analyzer.analyze(image[:, :, ::-1], rgb=True)
    assert len(rgb_faces) == len(bgr_faces) == 12
    for a, b in zip(bgr_faces, rgb_faces):
        np.testing.assert_array_equal(a.landmarks, b.landmarks)
        np.testing.assert_array_equal(a.eye_landmarks, b.eye_landmarks)
        np.testing.assert_array_equal(a.pose, b.pose)
        assert a.au_intensity == b.au_intensity and a.au_presence == b.au_presence


@needs_shared
def test_bad_arrays_raise(analyzer):
    # facemirror.InvalidArgument (a ValueError too), so that `except facemirror.Error` in a
    # batch loop catches a bad image as it catches a bad camera.
    with pytest.raises(facemirror.InvalidArgument, match=r"not \(48, 64, 2\)"):
        analyzer.analyze(np.zeros((48, 64, 2), np.uint8))
    with pytest.raises(facemirror.InvalidArgument, match="uint8"):
        analyzer.analyze(np.zeros((48, 64, 3), np.float32))
    with pytest.raises(facemirror.InvalidArgument, match=r"not \(48,\)"):
        analyzer.analyze(np.zeros(48, np.uint8))
    with pytest.raises(facemirror.InvalidArgument, match=r"HxWx1 \(grey\)"):
        analyzer.analyze(np.zeros((48, 64, 5), np.uint8))
    with pytest.raises(facemirror.InvalidArgument, match=r"not \(0, 0, 3\)"):
        analyzer.analyze(np.zeros((0, 0, 3), np.uint8))
    huge = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape=(3_000_000_000, 1),
                                           strides=(0, 0))
    with pytest.raises(facemirror.InvalidArgument, match="larger than OpenCV takes"):
        analyzer.analyze(huge)
    for camera, error, says in (((500, 500, 32), facemirror.InvalidArgument, "not 3 values"),
                                ("abcd", TypeError, "camera must be .* not str"),
                                ((500, 500, "32", 24), TypeError, r"camera\[2\] must be a number"),
                                (500, TypeError, "camera must be .* not int")):
        with pytest.raises(error, match=says):
            analyzer.analyze(np.zeros((48, 64, 3), np.uint8), camera=camera)
    assert analyzer.analyze(np.zeros((48, 64, 3), np.uint8),
                            camera=np.array([500.0, 500, 32, 24])) == []
    with pytest.raises(TypeError, match="NumPy array"):
        analyzer.analyze([[0, 0], [0, 0]])
    with pytest.raises(TypeError, match="^rgb must be True or False, not str$"):
        analyzer.analyze(np.zeros((48, 64, 3), np.uint8), rgb="yes")
    assert analyzer.analyze(np.zeros((48, 64, 3), np.uint8)) == []  # no face is no error
    with pytest.raises(ValueError, match="finite"):
        analyzer.analyze(np.zeros((48, 64, 3), np.uint8), camera=(500, 500, float("nan"), 24))
    with pytest.raises(ValueError, match="finite"):
        facemirror.VideoSession(models=MODELS, camera=(float("inf"), 500, 32, 24))


@needs_shared
def test_bgra_input_gives_the_same_faces(analyzer, image, bgr_faces):
    bgra = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])  # PNG with alpha
    bgra_faces = analyzer.analyze(bgra)
    # Pillow's and imageio's RGBA (a PNG with alpha), with rgb=True.
    rgba_faces = analyzer.analyze(np.ascontiguousarray(bgra[:, :, [2, 1, 0, 3]]), rgb=True)
    assert len(bgra_faces) == len(rgba_faces) == len(bgr_faces) == 12
    for a, b, c in zip(bgr_faces, bgra_faces, rgba_faces):
        np.testing.assert_array_equal(a.landmarks, b.landmarks)
        np.testing.assert_array_equal(a.landmarks, c.landmarks)
        assert a.au_intensity == b.au_intensity == c.au_intensity


@needs_shared
def test_grey_input_in_any_shape_gives_the_same_faces(analyzer, image):
    grey = cv2_free_grey(image)
    flat = analyzer.analyze(grey)
    assert flat, "no face in the grey image"
    for other in (analyzer.analyze(grey[:, :, np.newaxis]),
                  analyzer.analyze(grey, rgb=True)):  # grey has no channel order
        assert len(other) == len(flat)
        for a, b in zip(flat, other):
            np.testing.assert_array_equal(a.landmarks, b.landmarks)
            assert a.au_intensity == b.au_intensity


def cv2_free_grey(bgr):
    """A grey image of a BGR one (any weights: the test compares shapes of one grey image)."""
    return (bgr.astype(np.uint16).sum(axis=2) // 3).astype(np.uint8)


def test_a_models_folder_without_models_raises(tmp_path):
    with pytest.raises(facemirror.Error, match="missing model file"):
        facemirror.Analyzer(models=tmp_path)
    with pytest.raises(facemirror.Error, match="missing model file"):
        facemirror.VideoSession(models=tmp_path)


@needs_shared
def test_video_session_matches_the_cli_on_a_video(tmp_path):
    subprocess.run([CLI, "aus", str(VIDEO), "-o", str(tmp_path), "--models", str(MODELS),
                    "--segment-frames", "100000", "--workers", "1", "-q"], check=True)
    rows = read_csv_rows(tmp_path / "changeLighting.csv")
    assert len(rows) == 88

    session = facemirror.VideoSession(models=MODELS)
    frames = facemirror.read_video(VIDEO)
    assert frames.frame_count == 88
    faces = [session.track(frame, timestamp) for timestamp, frame in frames]
    assert session.frames_tracked == 88
    assert frames.frame_count == len(frames) == 88  # the video's, also once it is read whole
    with facemirror.read_video(VIDEO) as again:
        assert len(again) == 88 and next(again)[0] == 0.0
        assert repr(again) == f"<facemirror.VideoFrames {str(VIDEO)!r}, 1 of 88 frames read>"
    with pytest.raises(StopIteration):  # closed at the end of the block
        next(again)
    assert repr(again).endswith(", 1 of 88 frames read, closed>")
    aus = session.finish()
    assert session.frames_tracked == 0

    assert len(faces) == 88
    for i, (face, row) in enumerate(zip(faces, rows)):
        assert face.index == i and int(row["frame"]) == i + 1
        assert abs(face.timestamp - row["timestamp"]) <= 0.00051
        assert face.success == bool(row["success"])
        assert face.au_intensity == {} and face.au_presence == {}
        assert_matches_row(face_columns(face, still=False), row, f"frame {i + 1}")

    au_names = [name for name in rows[0] if name.startswith("AU")]
    assert list(aus) == ["frame", "timestamp", "confidence", "success"] + au_names
    np.testing.assert_array_equal(aus["frame"], np.arange(1, 89))
    for name in au_names:
        assert aus[name].shape == (88,)
        expected = np.array([row[name] for row in rows])
        np.testing.assert_allclose(aus[name], expected, rtol=0, atol=0.0051, err_msg=name)
    np.testing.assert_array_equal(aus["success"], [int(row["success"]) for row in rows])


@needs_shared
def test_a_session_refuses_frames_that_are_not_the_next_of_its_video(image):
    session = facemirror.VideoSession(models=MODELS)
    session.track(image, 0.0)
    session.track(image, 0.0)  # equal timestamps are fine: a frame folder's are all 0
    for frame, timestamp, says in ((image, -0.5, "never decrease"),
                                   (image, float("nan"), "finite")):
        with pytest.raises(facemirror.InvalidArgument, match=says):
            session.track(frame, timestamp)
    assert session.frames_tracked == 2  # the refused frames were not tracked
    session.track(image, 0.04)
    # Another size is tracked (a frame folder's images may differ, as OpenFace reads them).
    session.track(image[:240, :320], 0.04)
    assert list(session.finish()["frame"]) == [1, 2, 3, 4]
    session.track(image[:240, :320], 0.0)  # a new video after finish()


@needs_shared
def test_an_interrupt_after_a_frame_is_tracked_keeps_its_row(image, monkeypatch):
    # Ctrl-C in a notebook lands when the native track() has returned, before the wrapper's next
    # line (here: building the Face). The frame is tracked all the same, so finish() must give
    # its row in every column; the wrapper once kept frame/success itself and lost it there.
    session = facemirror.VideoSession(models=MODELS)
    session.track(image, 0.0)

    def interrupted(**_):
        raise KeyboardInterrupt

    monkeypatch.setattr(facemirror, "Face", interrupted)
    with pytest.raises(KeyboardInterrupt):
        session.track(image, 0.04)
    monkeypatch.undo()
    session.track(image, 0.08)
    aus = session.finish()
    assert list(aus["frame"]) == [1, 2, 3]
    assert {len(values) for values in aus.values()} == {3}


@needs_shared
def test_multi_face_session_matches_the_cli_with_several_faces(tmp_path):
    # The first 16 frames of multi_face.avi, stream-copied (OpenFace's frames): three faces,
    # found on frame 1 and followed (FaceLandmarkVidMulti's rules, `aus --max-faces 4`).
    clip = tmp_path / "multi.avi"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(SAMPLES / "multi_face.avi"),
                    "-an", "-frames:v", "16", "-c", "copy", str(clip)], check=True)
    subprocess.run([CLI, "aus", str(clip), "-o", str(tmp_path), "--models", str(MODELS),
                    "--max-faces", "4", "-q"], check=True)
    rows = {(int(row["frame"]), int(row["face_id"])): row
            for row in read_csv_rows(tmp_path / "multi.csv")}

    session = facemirror.MultiFaceSession(models=MODELS, max_faces=4)
    seen = {}
    for timestamp, frame in facemirror.read_video(clip):
        for face in session.track(frame, timestamp):
            seen[(face.index + 1, face.face_id)] = face
    assert session.frames_tracked == 16
    assert sorted(seen) == sorted(rows) and len(rows) == 3 * 16
    for key, face in seen.items():
        row = rows[key]
        assert abs(face.timestamp - row["timestamp"]) <= 0.00051
        assert face.success == bool(row["success"])
        assert len(face.au_intensity) == 17 and len(face.au_presence) == 18  # static models
        assert_matches_row(face_columns(face, still=False), row, f"frame, face {key}")

    # reset() starts a new video; refused frames are not tracked.
    session.reset()
    assert session.frames_tracked == 0
    small = frame[:240, :320]
    session.track(small, 0.0)
    for bad, timestamp, says in ((small, -1.0, "never decrease"), (small, float("inf"), "finite")):
        with pytest.raises(facemirror.InvalidArgument, match=says):
            session.track(bad, timestamp)
    assert session.frames_tracked == 1
    session.track(frame, 0.0)  # another size, as a frame folder's images may be: tracked
    assert session.frames_tracked == 2
    with pytest.raises(facemirror.InvalidArgument, match="max_faces"):
        facemirror.MultiFaceSession(models=MODELS, max_faces=0)
    with pytest.raises(facemirror.InvalidArgument, match="max_faces must be 1 to 64, not 65"):
        facemirror.MultiFaceSession(models=MODELS, max_faces=65)
    with pytest.raises(TypeError, match="timestamp must be a number, not str"):
        session.track(small, "1.5")
    with pytest.raises(TypeError, match="max_faces must be an integer"):
        facemirror.MultiFaceSession(models=MODELS, max_faces=2.0)


@needs_shared
def test_a_session_used_from_two_threads_raises_instead_of_crashing(image):
    # track() lets go of the GIL, so a second thread can call in while the first tracks; that
    # call once tore the tracker's state apart (a segfault), it now raises.
    session = facemirror.VideoSession(models=MODELS)
    done = threading.Event()
    first_thread_errors = []

    def track_ten_frames():
        try:
            for i in range(10):
                session.track(image, i / 25)
        except Exception as e:  # noqa: BLE001 - reported below
            first_thread_errors.append(e)
        finally:
            done.set()

    worker = threading.Thread(target=track_ten_frames)
    worker.start()
    refused = 0
    while not done.is_set():
        try:
            session.track(image, 1.0)
        except RuntimeError as e:
            assert "another thread" in str(e)
            refused += 1
        time.sleep(0.001)
    worker.join()
    assert refused > 0, "no call overlapped another: the test proved nothing"
    assert all(isinstance(e, RuntimeError) for e in first_thread_errors), first_thread_errors


@needs_shared
def test_read_image_warns_of_a_photograph_its_exif_tag_shows_turned(tmp_path):
    jpeg = IMAGE.read_bytes()
    tiff = (b"II*\0" + b"\x08\0\0\0" + b"\x01\0" + b"\x12\x01\x03\0\x01\0\0\0"
            + b"\x08\0\0\0" + b"\0\0\0\0")  # one IFD entry: orientation 8, SHORT
    app1 = b"\xff\xe1" + (len(tiff) + 8).to_bytes(2, "big") + b"Exif\0\0" + tiff
    phone = tmp_path / "phone.jpg"
    phone.write_bytes(jpeg[:2] + app1 + jpeg[2:])
    with pytest.warns(UserWarning, match="shown turned 90 degrees anticlockwise"):
        turned = facemirror.read_image(phone)
    np.testing.assert_array_equal(turned, facemirror.read_image(IMAGE))  # pixels as stored


def test_read_video_names_a_missing_file(tmp_path):
    missing = tmp_path / "no_such_video.mp4"
    with pytest.raises(facemirror.Error, match="no_such_video.mp4"):
        facemirror.read_video(missing)
