"""facemirror: OpenFace 2.2's facial Action Units from videos, on every core.

Two batch jobs, the same as the ``facemirror`` command line:

* ``extract(inputs, out_dir=None, ...)``: the ``aus`` job. One OpenFace-2.2-layout table per
  video (frame, face_id, timestamp, confidence, success, landmarks, pose, AU intensities and
  presences), as a pandas DataFrame when pandas is installed, else a dict of NumPy arrays.
* ``mirror(inputs, out_dir, ...)``: S1 Face Mirror's job: left- and right-mirrored videos, a
  debug video and the AU CSVs of both mirrored faces.
* ``report(out_dir, ...)``: the clinician's report of such a folder (``facemirror report``):
  a page per video, the folder's index and the asymmetry (and task) tables;
  ``write_task_plan(path, tasks)`` and ``read_task_plan(path)``: a recording's movement tasks.

Both release the GIL while the engine runs, call ``progress(video, frames_done, frames_total,
frames_per_second)`` every ``progress_every`` frames of a video and when it ends, and stop on
Ctrl-C with ``KeyboardInterrupt`` (an exception raised by ``progress`` stops them too and is
raised again), leaving no partial file. A video that cannot be read raises
``facemirror.Error`` with the message the CLI prints (or, with ``on_error="return"``, comes
back with ``status == "failed"``). An option
value facemirror cannot take raises ``facemirror.InvalidArgument``, both a ``facemirror.Error``
and a ``ValueError``, before any work (a value of the wrong type, a float for a count, a
``TypeError`` naming the argument).

And frame by frame, on NumPy arrays the caller holds (a camera, frames already decoded):

* ``Analyzer(models=None).analyze(image, rgb=False, camera=None)``: every face of a still image
  as ``facemirror aus photo.jpg`` (OpenFace's FaceLandmarkImg) measures it, as Face objects
  (landmarks, 3-D landmarks, eye landmarks, gaze, pose, PDM parameters, confidence, AUs).
* ``VideoSession(models=None, camera=None)``: ``track(frame, timestamp)`` gives each frame's
  Face, ``finish()`` the video's AU columns as ``facemirror aus`` writes them.
* ``MultiFaceSession(models=None, camera=None, max_faces=4)``: several faces followed through a
  video, as ``facemirror aus --max-faces 4`` (OpenFace's FaceLandmarkVidMulti): ``track(frame,
  timestamp)`` gives the frame's Faces, each with its tracker's ``face_id`` and static-model AUs.
* ``read_image(path)``, ``read_video(path)``: the pixels the CLI analyses, as BGR arrays.
* ``read_hog(path)``: an OpenFace ``.hog`` file (``extract(..., hog=True)``'s, ``facemirror aus
  --hog``'s or OpenFace's ``-hogalign``) as NumPy arrays; ``extract(..., aligned=True)`` (or an
  ``AlignedFaces``) writes OpenFace's aligned faces beside each CSV.

Both release the GIL while they compute.

The models are looked up as the CLI does: ``models=...``, else ``$FACEMIRROR_MODELS``, else
``~/.local/share/facemirror/models`` (fill it with ``fetch_models.sh``).

Example::

    import facemirror
    for video in facemirror.extract(["patient01.mp4"], workers=4):
        print(video.path, video.frames, video.columns["AU12_r"].mean())
"""

import collections.abc
import inspect
import numbers
import operator
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Union

import numpy as np


def _load_bundled_library() -> None:
    # A wheel carries libfacemirror.so beside the extension: once loaded, it meets the
    # extension's need of that library (an installed tree finds it by the RUNPATH instead).
    import ctypes
    import glob
    for library in glob.glob(os.path.join(os.path.dirname(__file__), "libfacemirror.so.*")):
        ctypes.CDLL(library)


_load_bundled_library()

from . import _facemirror as _native  # noqa: E402
from ._facemirror import Error, InvalidArgument, __version__  # noqa: E402
from ._facemirror import run as _run  # noqa: E402

__all__ = ["extract", "mirror", "report", "read_task_plan", "write_task_plan", "Task",
           "read_csv", "VideoResult", "ReportResult", "Analyzer",
           "VideoSession", "MultiFaceSession", "Face",
           "read_video", "read_image", "read_hog", "HogFeatures", "AlignedFaces", "Error",
           "InvalidArgument",
           "__version__"]

PathLike = Union[str, "os.PathLike[str]"]
ProgressCallback = Callable[[str, int, int, float], Any]

# The file types a folder given as input is searched for (the CLI's list).
_VIDEO_EXTENSIONS = frozenset(_native.video_extensions())
_IMAGE_EXTENSIONS = frozenset(_native.image_extensions())
# OpenFace's integer columns; every other column is a float.
_INTEGER_COLUMNS = {"frame", "face_id", "face", "success"}  # "face": a photograph's rows


@dataclass
class VideoResult:
    """One input video's outcome.

    path: the input. status: "ok" or "failed". error: one line naming the file and the reason
    (the CLI's message) when failed. frames, successful_frames: frames read, frames with a
    tracked face (a photograph: 1, and the faces found in it, each a row of its table, as
    FaceLandmarkImg writes them, the validator's doubt in its confidence column). seconds: wall
    time of the video. output_csv: the aus job's CSV (None when
    extract() ran without out_dir). columns: the aus job's table (DataFrame or dict of NumPy
    arrays, in CSV column order). outputs: the mirror job's files by role (right_video,
    left_video, debug_video, source_video, right_csv, left_csv, head_pose_csv; for a
    photograph right_image, left_image, debug_image and source_image, PNG images but the
    source's copy, in place of the videos). hog: with
    extract(..., hog=True), the video's HOG features (HogFeatures); hog_file: the ``.hog`` file
    written beside the CSV (None without out_dir). aligned_dir: with extract(..., aligned=...),
    the folder of aligned faces beside the CSV (``<stem>_aligned/``). concealed_frames,
    missing_frames: CSV frame numbers (from 1) of frames decoded from damaged data in the
    file, the damage patched over by the decoder (as OpenFace reads them; their landmarks and
    AUs may be off) or not decodable at all (black frames, success 0); empty for a sound file.
    retried: a line for each part of the video that failed once (a worker process that crashed
    or hung, an error) and was done on the retry, with the same outputs. video_streams: the
    file's video streams, cover pictures not counted; above 1, the first was analysed (as
    OpenFace 2.2 reads the file) and the others not.
    """

    path: str
    status: str
    error: str = ""
    frames: int = 0
    successful_frames: int = 0
    seconds: float = 0.0
    output_csv: Optional[str] = None
    # The tables stay out of the repr: a few seconds of video print as thousands of lines.
    columns: Any = field(default=None, repr=False)
    outputs: Dict[str, str] = field(default_factory=dict)
    hog: Optional["HogFeatures"] = field(default=None, repr=False)
    hog_file: Optional[str] = None
    aligned_dir: Optional[str] = None
    concealed_frames: List[int] = field(default_factory=list)
    missing_frames: List[int] = field(default_factory=list)
    retried: List[str] = field(default_factory=list)
    video_streams: int = 1

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_csv(path: PathLike, as_dataframe: Optional[bool] = None):
    """Reads an OpenFace-layout CSV (facemirror's or OpenFace's) into columns.

    Returns a pandas DataFrame when pandas is importable (or as_dataframe is True), else a dict
    mapping column name to a NumPy array (int64 for frame, face_id, face and success, float64
    otherwise), in the file's column order. A file that cannot be opened raises OSError
    (FileNotFoundError, IsADirectoryError, PermissionError); one that is no such table raises
    facemirror.Error naming it and the reason.
    """
    # utf-8-sig: a CSV saved again by Excel ("CSV UTF-8") starts with a byte-order mark.
    try:
        with open(path, "r", encoding="utf-8-sig") as f:
            header = f.readline()
    except UnicodeDecodeError:
        raise Error(f"'{os.fspath(path)}': not a CSV (not UTF-8 text; a video or image?)") \
            from None
    names = [name.strip() for name in header.split(",")]
    if not header.strip():
        raise Error(f"'{os.fspath(path)}': empty CSV, no header line")
    try:
        with warnings.catch_warnings():  # a header-only CSV (no face found) is no surprise
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64,
                               encoding="utf-8-sig")
    except ValueError as e:  # UnicodeDecodeError too; numpy's advice on usecols does not apply
        reason = re.split(r";? (?:you can )?use `usecols`", str(e), flags=re.IGNORECASE)[0]
        raise Error(f"'{os.fspath(path)}': not a table of numbers: {reason}") from None
    if table.shape[0] == 0:
        table = np.zeros((0, len(names)))
    if table.shape[1] != len(names):
        raise Error(f"'{os.fspath(path)}': {table.shape[1]} values per row, {len(names)} names")
    columns = {}
    for index, name in enumerate(names):
        values = table[:, index]
        columns[name] = values.astype(np.int64) if name in _INTEGER_COLUMNS else values.copy()
    if as_dataframe is False:
        return columns
    try:
        import pandas
    except ImportError:
        if as_dataframe:
            raise
        return columns
    return pandas.DataFrame(columns)


class HogFeatures(NamedTuple):
    """An OpenFace ``.hog`` file's contents, one entry per video frame.

    valid: bool [frames]: whether the frame's face was tracked (its descriptor is of a face).
    features: float32 [frames, cell rows, cell columns, 31]: the FHOG of the 112x112
    similarity-aligned face in 8-pixel cells (12 x 12 x 31 = 4464 values per frame, the
    descriptor OpenFace's AU models read), in the file's order; rows() gives OpenFace's row
    layout. A file of no frames reads as [0, 12, 12, 31], the shape of every file OpenFace and
    facemirror write.
    """

    valid: np.ndarray
    features: np.ndarray

    def rows(self) -> np.ndarray:
        """float32 [frames, cells x cells x 31]: one row per frame, OpenFace's row layout (a
        view of read_hog's features, not a copy). ``hog.rows()[hog.valid]`` are the tracked
        frames', an empty [0, 4464] where none was (``features[valid].reshape(n, -1)`` fails
        for n = 0)."""
        frames, rows, cols, channels = self.features.shape
        return self.features.reshape(frames, rows * cols * channels)


class AlignedFaces(NamedTuple):
    """How extract(..., aligned=...) writes OpenFace's aligned faces (``facemirror aus
    --aligned``; OpenFace's -simalign), one image per frame in ``<stem>_aligned/``.

    size: width and height in pixels (-simsize); scale: the face's scale in them (-simscale;
    1.4 at 224 frames the face as 0.7 at 112); masked: False leaves the background (-nomask);
    grey: one grey channel (-g); format: the file extension, any image format OpenCV writes
    (-format_aligned); skip_failed: no image for a frame without a face (-nobadaligned). The
    AU values and HOG features never change: they use OpenFace's 0.7-scale, 112-pixel,
    masked face.
    """

    size: int = 112
    scale: float = 0.7
    masked: bool = True
    grey: bool = False
    format: str = "bmp"
    skip_failed: bool = False


def read_hog(path: PathLike) -> HogFeatures:
    """Reads an OpenFace 2.2 ``.hog`` file (facemirror's or OpenFace's own).

    Raises facemirror.Error naming the file (and the byte offset) when it cannot be read or is
    malformed or truncated.
    """
    valid, features = _native.read_hog(os.fspath(path))
    return HogFeatures(valid, features)


def _stem(path: str) -> str:
    """The name an input's outputs take: a file's without its extension, a frame folder's whole
    (session.2024-01-05 stays whole), as the CLI names them."""
    name = os.path.basename(os.path.normpath(path))
    return name if os.path.isdir(path) else os.path.splitext(name)[0]


def _video_files(inputs: Union[PathLike, Iterable[PathLike]], one_stem_each: bool = True,
                 frames: Optional[bool] = None) -> List[str]:
    """The inputs' video files (folders listed; with frames, each folder is one video of its
    image files; None: the caller takes no frame folders), each once; one_stem_each: refuse two
    inputs of one stem (they would write one CSV in one folder)."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    files = []
    for item in inputs:
        path = os.fsdecode(os.fspath(item))
        if frames and os.path.isdir(path):
            files.append(os.path.normpath(path))
        elif os.path.isdir(path):
            found = sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if os.path.splitext(name)[1].lower() in _VIDEO_EXTENSIONS
                and os.path.isfile(os.path.join(path, name))
            )
            if not found:
                entries = os.listdir(path)
                hint = (" (its images: "
                        + ("one video of frames with frames=True, or " if frames is not None
                           else "")
                        + "photographs given by name, e.g. glob('*.jpg'))"
                        if any(os.path.splitext(n)[1].lower() in _IMAGE_EXTENSIONS
                               for n in entries)
                        else " (its subfolders are not searched: give them)"
                        if any(os.path.isdir(os.path.join(path, n)) for n in entries) else "")
                raise Error(f"'{path}': folder holds no video files{hint}")
            files.extend(found)
        else:
            # A missing or unreadable file is still run: the engine names it and the reason.
            files.append(path)
    unique, seen = [], set()
    for path in files:
        # A file given twice under one name (two spellings, by name and in its folder) runs
        # once; under another name (links that de-identify a cohort) it runs as that name.
        key = (os.path.realpath(path), _stem(path))
        if key not in seen:
            seen.add(key)
            unique.append(path)
    files = unique
    first_of_stem = {}
    for path in files:
        if not one_stem_each:
            break
        stem = _stem(path)
        if stem in first_of_stem:
            raise Error(f"'{path}': the same name as '{first_of_stem[stem]}' ({stem}): their "
                        "outputs would overwrite each other")
        first_of_stem[stem] = path
    return files


def _listed(inputs: Union[PathLike, Iterable[PathLike]]) -> Union[PathLike, List[PathLike]]:
    """One path as it is; any other iterable (a generator, a tuple) as a list."""
    return inputs if isinstance(inputs, (str, bytes, os.PathLike)) else list(inputs)


def _folder(name: str, value: PathLike) -> str:
    """An output folder's path as text (bytes decoded as inputs are); an empty one is
    facemirror.InvalidArgument naming the argument."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a path, not {type(value).__name__}")
    folder = os.fsdecode(os.fspath(value))
    if not folder:
        raise InvalidArgument(f"{name} is empty: name a folder ('.' for this one)")
    return folder


def _integer(name: str, value, low: Optional[int] = None, high: Optional[int] = None) -> int:
    """A count as an int (a NumPy integer too); a float, a bool or anything else is a TypeError
    naming the argument, one beyond a C int or outside [low, high] facemirror.InvalidArgument
    (not pybind's list of run()'s signatures)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if not -2**31 <= number < 2**31:
        raise InvalidArgument(f"{name} is out of range: {number}")
    if low is not None and high is not None and not low <= number <= high:
        raise InvalidArgument(f"{name} must be {low} to {high}, not {number}")
    return number


def _string(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    return value


def _check_as_dataframe(as_dataframe) -> None:
    """Before any work: a run's results are lost when only the last step can fail."""
    if as_dataframe is not None and not isinstance(as_dataframe, (bool, np.bool_)):
        raise TypeError(f"as_dataframe must be None, True or False, not {as_dataframe!r}")
    if as_dataframe:
        import pandas  # noqa: F401  (ImportError now, not after the analysis)


def _number(name: str, value) -> float:
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


def _engine_arguments(models, workers, segment_frames, landmarks, isolation, frame_timeout,
                      face_threshold, aus, static_aus, crf, progress_every, progress,
                      max_faces=1, hog=False, frame_stride=1, consensus=1, aligned=None,
                      camera=None, outputs="all"):
    return dict(
        models_dir=None if models is None else os.fspath(models),
        workers=_integer("workers", workers),
        segment_frames=_integer("segment_frames", segment_frames),
        landmarks=_string("landmarks", landmarks),
        isolation=_string("isolation", isolation),
        frame_timeout_s=_number("frame_timeout", frame_timeout),
        face_threshold=_number("face_threshold", face_threshold),
        compute_aus=_flag("aus", aus),
        static_aus=_flag("static_aus", static_aus),
        mirror_crf=_integer("crf", crf),
        progress_every=_integer("progress_every", progress_every),
        max_faces=_integer("max_faces", max_faces),
        write_hog=_flag("hog", hog),
        aligned=aligned,
        frame_stride=_integer("frame_stride", frame_stride),
        consensus=_integer("consensus", consensus),
        camera=_camera(camera),
        csv_outputs=_column_groups(outputs),
        progress=_callback("progress", progress),
    )


def _column_groups(outputs) -> str:
    """The CLI's --outputs list from "pose,aus" or ["pose", "aus"] (the native side checks the
    names)."""
    if isinstance(outputs, str):
        return outputs
    if isinstance(outputs, bytes) or not isinstance(outputs, collections.abc.Iterable):
        raise TypeError("outputs must be a comma-separated str or a list of column groups, not "
                        f"{type(outputs).__name__}")
    groups = list(outputs)
    for group in groups:
        if not isinstance(group, str):
            raise TypeError(f"outputs must list column groups as str, not {type(group).__name__}")
    return ",".join(groups) if groups else "none"


def _callback(name: str, value):
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a function (or None), not {type(value).__name__}")
    return value


def _check_on_error(on_error: str) -> None:
    """Called before any work, so that a misspelt on_error does not cost a batch's results."""
    if on_error not in ("raise", "return"):
        raise InvalidArgument(f"on_error must be 'raise' or 'return', not {on_error!r}")


def _check(results: List[Any], on_error: str) -> List[Any]:
    """The results, or facemirror.Error for the first that is not ok (each has .ok, .error)."""
    _check_on_error(on_error)
    failed = [r for r in results if not r.ok]
    if failed and on_error == "raise":
        error = Error(failed[0].error)
        error.results = results
        raise error
    return results



def _video_result(item, **extra):
    """A VideoResult from one engine result dict (the binding's), plus job-specific fields."""
    return VideoResult(
        path=os.fspath(item["path"]),
        status="ok" if item["ok"] else "failed",
        error=item["error"],
        frames=item["frames"],
        successful_frames=item["successful_frames"],
        seconds=item["seconds"],
        concealed_frames=list(item["concealed_frames"]),
        missing_frames=list(item["missing_frames"]),
        retried=list(item["retried"]),
        video_streams=item["video_streams"],
        **extra,
    )


def _call_text(function, arguments: Dict[str, Any]) -> str:
    """A call as the report's provenance names it: the arguments given other than their
    defaults (a function by its name, paths as text)."""
    parts = []
    for name, parameter in inspect.signature(function).parameters.items():
        value = arguments[name]
        optional = parameter.default is not inspect.Parameter.empty
        try:
            if optional and (value is parameter.default or value == parameter.default):
                continue
        except Exception:  # an argument whose == is not a bool (an array): shown
            pass
        if callable(value):
            text = getattr(value, "__name__", "a function")
        elif isinstance(value, (os.PathLike, bytes)):
            text = repr(os.fsdecode(os.fspath(value)))
        elif isinstance(value, (list, tuple)):
            text = repr([os.fsdecode(os.fspath(v)) if isinstance(v, (os.PathLike, bytes)) else v
                         for v in value])
        else:
            text = repr(value)
        parts.append(f"{name}={text}" if optional else text)
    return f"facemirror.{function.__name__}({', '.join(parts)})"


def _record_outputs(kind: str, result: "VideoResult", folder: str, output_csv: str,
                    command: str, models: Optional[PathLike]) -> None:
    """What made a finished video's outputs, as the CLI records it (OUTDIR/.facemirror): for
    report()'s provenance, and so that the CLI redoes them rather than taking them for its
    own. Not recorded costs the provenance only, so it is a warning."""
    try:
        _native.record_outputs(kind, result.path, folder, output_csv, command, _models_dir(models))
    except Error as e:
        warnings.warn("what made the outputs is not recorded: %s" % e)


def _bring_task_plan(video: str, folder: str, report_stem: str) -> None:
    """Takes a video's task plan (<stem>_tasks.csv beside it) into its output folder for
    report(), as the CLI does: the newer plan wins, and a plan removed takes its untouched copy
    with it. A plan that cannot be copied costs the report its task section only, so it is a
    warning."""
    try:
        if not _native.bring_task_plan(video, folder, report_stem):
            return
    except Error as e:
        warnings.warn("the task plan is not copied: %s" % e)
        return
    copy = os.path.join(folder, report_stem + "_tasks.csv")
    if os.path.exists(copy):
        # Said now, as the CLI says it, not only when report() leaves the task section out.
        try:
            _native.read_task_plan(copy)
        except Error as e:
            warnings.warn("%s: the report will have no task section (correct the plan beside "
                          "the video, then run mirror() or extract() and report() again)" % e)


def extract(
    inputs: Union[PathLike, Iterable[PathLike]],
    out_dir: Optional[PathLike] = None,
    workers: int = 0,
    segment_frames: int = 240,
    progress: Optional[ProgressCallback] = None,
    progress_every: int = 10,
    models: Optional[PathLike] = None,
    landmarks: str = "clnf",
    static_aus: bool = False,
    aus: bool = True,
    face_threshold: float = -0.5,
    isolation: str = "thread",
    frame_timeout: float = 60.0,
    on_error: str = "raise",
    as_dataframe: Optional[bool] = None,
    max_faces: int = 1,
    hog: bool = False,
    frame_stride: int = 1,
    consensus: int = 1,
    aligned: Union[bool, AlignedFaces] = False,
    frames: bool = False,
    camera=None,
    outputs: Union[str, Iterable[str]] = "all",
) -> List[VideoResult]:
    """Runs the ``aus`` job (``facemirror aus``) on videos; returns one VideoResult per video.

    inputs: a video file, a folder (its video files, sorted by name) or a list of them.
      frames=True (the CLI's --frames, OpenFace's -fdir): each folder is one video whose frames
      are its image files in name order, written to <folder name>.csv (timestamps 0, as
      OpenFace writes them).
    out_dir: where to write <stem>.csv per video (created if missing; the same bytes as
      ``facemirror aus``), with the video's task plan <stem>_tasks.csv where one lies beside it
      (for one face of a mirrored pair the pair's; the newer plan wins, as in the CLI). None:
      the CSVs go to a temporary folder that is removed afterwards.
    workers: worker threads (0: one per core; the output does not depend on it);
      segment_frames: frames per work unit (the CLI's --segment-frames; a remainder under half
      of it joins the last segment; another length can move a value by its last printed digit).
    progress: called as progress(video, frames_done, frames_total, frames_per_second) from the
      engine, with the GIL held, every ``progress_every`` frames of a video (frames_done grows
      by at least that much between calls) and once when the video ends; frames_per_second is
      the batch's rate. An exception it raises stops the run and is re-raised.
    models: the models folder; landmarks: "clnf" (OpenFace's fit) or "dlib"; static_aus:
      OpenFace's -au_static models; aus=False: landmarks, pose and shape only;
      face_threshold: detector score a new face needs; isolation: "thread" or "process"
      (frame_timeout: seconds a worker process may spend on a frame).
    on_error: "raise" (facemirror.Error with the first failed video's message; its
      ``results`` attribute holds every result) or "return" (failed videos have status
      "failed").
    as_dataframe: None: a DataFrame when pandas is importable; False: a dict of NumPy arrays.
    max_faces: 1 follows one face (FeatureExtraction); N > 1 up to N faces by OpenFace's
      FaceLandmarkVidMulti rules (the CLI's --max-faces: one row per tracked face and frame,
      its tracker in face_id, static AU models; each video on one worker).
    hog: also write OpenFace's HOG file, <stem>.hog with <stem>_of_details.txt, beside each CSV
      (the CLI's --hog, OpenFace's -hogalign; not with max_faces > 1 or aus=False), and return
      it in each result's ``hog`` (HogFeatures, 17.9 kB per frame in memory) and ``hog_file``.
    frame_stride: analyse every Nth frame only (frames 1, 1 + N, ...; the CLI's
      --frame-stride), as if the video held those frames alone; the rows keep the video's frame
      numbers and timestamps. 1: every frame.
    consensus: track each video this many times (the CLI's --consensus), each track's every
      CLNF fit started a different float ulp away, and write every cell as the median of the
      tracks' (for two, their mean; closer to OpenFace 2.2 than a single track, at that many
      times the CPU; not with hog, max_faces > 1 or landmarks="dlib"). 1: one track.
    camera: (fx, fy, cx, cy) in pixels, every video's intrinsics for pose, 3-D landmarks and
      gaze (the CLI's --fx --fy --cx --cy, OpenFace's -fx -fy -cx -cy); None: OpenFace's guess
      from each video's size.
    outputs: the CSV's column groups (the CLI's --outputs, OpenFace's -2Dfp -3Dfp -pdmparams
      -pose -aus -gaze): "all", "none" (only the five identifying columns), or some of "2Dfp",
      "3Dfp", "pdmparams", "pose", "aus", "gaze" as a comma-separated str or a list; the
      columns keep OpenFace's order. An unknown name raises facemirror.InvalidArgument.
    aligned: True (OpenFace's defaults) or an AlignedFaces: also write each frame's aligned
      face into ``<stem>_aligned/`` beside the CSV (the CLI's --aligned; needs out_dir, not
      with max_faces > 1, aus=False or consensus > 1); each result's ``aligned_dir`` names it.

    Ctrl-C raises KeyboardInterrupt; unfinished CSVs are not written. With out_dir, what made
    each CSV is recorded in out_dir/.facemirror as the CLI records it (report() names the call
    and the models folder from it).
    """
    inputs = _listed(inputs)  # a generator is read once, and named in the record as its items
    command = _call_text(extract, locals())
    _check_on_error(on_error)
    _check_as_dataframe(as_dataframe)
    out_dir = None if out_dir is None else _folder("out_dir", out_dir)
    # Without out_dir the CSVs are only read back, so videos of one name in different folders
    # (p01/video.mp4, p02/video.mp4) are fine; in one out_dir they would write one CSV.
    files = _video_files(inputs, one_stem_each=out_dir is not None, frames=_flag("frames", frames))
    if aligned is True:
        aligned = AlignedFaces()
    elif aligned is False:
        aligned = None
    elif not isinstance(aligned, AlignedFaces):
        raise TypeError("aligned must be True, False or a facemirror.AlignedFaces")
    else:
        aligned = AlignedFaces(
            size=_integer("aligned.size", aligned.size),
            scale=_number("aligned.scale", aligned.scale),
            masked=_flag("aligned.masked", aligned.masked),
            grey=_flag("aligned.grey", aligned.grey),
            format=_string("aligned.format", aligned.format),
            skip_failed=_flag("aligned.skip_failed", aligned.skip_failed))
    if aligned is not None and out_dir is None:
        raise InvalidArgument("aligned faces are written beside the CSVs: give out_dir")
    engine_arguments = _engine_arguments(models, workers, segment_frames, landmarks, isolation,
                                         frame_timeout, face_threshold, aus, static_aus, 18,
                                         progress_every, progress, max_faces, hog, frame_stride,
                                         consensus, aligned, camera, outputs)
    _run("aus", [], [], check_only=True, **engine_arguments)  # a value refused makes no out_dir
    with tempfile.TemporaryDirectory(prefix="facemirror-") as scratch:
        folder = out_dir if out_dir is not None else scratch
        os.makedirs(folder, exist_ok=True)
        csvs = [os.path.join(folder if out_dir is not None else os.path.join(scratch, str(i)),
                             _stem(f) + ".csv")
                for i, f in enumerate(files)]
        for csv in csvs:
            os.makedirs(os.path.dirname(csv), exist_ok=True)
        raw = _run("aus", files, csvs, **engine_arguments)
        results = []
        for item in raw:
            result = _video_result(item)
            if result.ok:
                result.columns = read_csv(item["output_csv"], as_dataframe)
                if hog:
                    result.hog = read_hog(item["hog_file"])
                if out_dir is not None:
                    result.output_csv = os.fspath(item["output_csv"])
                    _record_outputs("aus", result, folder, result.output_csv, command, models)
                    stem = _stem(result.path)
                    _bring_task_plan(result.path, folder, _native.task_plan_stem(stem))
                    if hog:
                        result.hog_file = os.fspath(item["hog_file"])
                    if aligned is not None:
                        result.aligned_dir = os.fspath(item["aligned_dir"])
            results.append(result)
    return _check(results, on_error)


def mirror(
    inputs: Union[PathLike, Iterable[PathLike]],
    out_dir: PathLike,
    workers: int = 0,
    segment_frames: int = 240,
    progress: Optional[ProgressCallback] = None,
    progress_every: int = 10,
    models: Optional[PathLike] = None,
    aus: bool = True,
    crf: int = 18,
    landmarks: str = "clnf",
    face_threshold: float = -0.5,
    isolation: str = "thread",
    frame_timeout: float = 60.0,
    on_error: str = "raise",
    consensus: int = 1,
) -> List[VideoResult]:
    """Runs S1 Face Mirror's job (``facemirror mirror``) on videos; one VideoResult per video.

    Writes into out_dir (created if missing): <stem>_right_mirrored.mp4 and .csv,
    <stem>_left_mirrored.mp4 and .csv (no CSVs with aus=False), <stem>_debug.mp4,
    <stem>_source.<ext> and <stem>_head_pose.csv (the source face's yaw per frame); each
    result's ``outputs`` maps those roles to paths. crf: x264 quality of the written videos (18, S1's, is visually lossless). Videos are always redone (the CLI's
    resume rule is the caller's to apply). workers, segment_frames, progress, progress_every,
    models, landmarks, face_threshold, isolation, frame_timeout and on_error are extract()'s
    (progress's frames_total counts each video's frames once for the source and once per
    mirrored face measured: 3 times the frames with aus, as the CLI's progress counts them);
    consensus (the CLI's mirror --consensus) measures each mirrored face that many times and
    writes the median, as extract(consensus=...) does on the written videos. A task plan
    <stem>_tasks.csv beside a video goes into out_dir with its outputs for report() (with
    aus; the newer plan wins, as in the CLI). What made each video's outputs is recorded in
    out_dir/.facemirror as the CLI records it (report() names the call and the models folder
    from it).
    """
    inputs = _listed(inputs)
    command = _call_text(mirror, locals())
    _check_on_error(on_error)
    files = _video_files(inputs)
    folder = _folder("out_dir", out_dir)
    engine_arguments = _engine_arguments(models, workers, segment_frames, landmarks, isolation,
                                         frame_timeout, face_threshold, aus, False, crf,
                                         progress_every, progress, consensus=consensus)
    _run("mirror", [], [], check_only=True, **engine_arguments)  # a value refused makes no folder
    os.makedirs(folder, exist_ok=True)
    raw = _run("mirror", files, [folder], **engine_arguments)
    results = [
        _video_result(item, outputs={role: os.fspath(p) for role, p in item["outputs"].items()})
        for item in raw
    ]
    for result in results:
        if result.ok:
            _record_outputs("mirror", result, folder, "", command, models)
        if result.ok and aus:
            stem = os.path.splitext(os.path.basename(result.path))[0]
            _bring_task_plan(result.path, folder, stem)
    return _check(results, on_error)


@dataclass
class ReportResult:
    """One video's report: stem (the video's name in the folder), ok, error (one line naming
    the file and the reason, when not ok), html (the page's path) and plan_error (ok, but the
    video's task plan cannot be used: its file, line and reason; the page is written without
    the task section, which says so)."""

    stem: str
    ok: bool
    error: str
    html: str
    plan_error: str = ""


def report(
    out_dir: PathLike,
    stills: int = 3,
    min_face_share: float = 0.8,
    models: Optional[PathLike] = None,
    on_error: str = "raise",
    max_turned_share: float = 0.2,
) -> List[ReportResult]:
    """Writes the clinician's report of an output folder, as ``facemirror report OUT_DIR`` does.

    For every video of a mirror() folder (or an extract() folder: a page per face, so per
    video, or per face_id of a max_faces table, or per face of a photograph with several),
    <stem>_report.html (self-contained: charts, summary table, quality, provenance),
    <stem>_asymmetry.csv, and for the folder index.html and asymmetry_summary.csv; a task plan
    <stem>_tasks.csv in the folder adds the page's task section, <stem>_task_asymmetry.csv and
    task_summary.csv (one face: <stem>_task_aus.csv and task_aus_summary.csv; see the README).
    stills: pairs of stills at the strongest asymmetry (0 to 12). min_face_share: a face found
    in fewer than this share of the frames is flagged. max_turned_share: a mirrored video whose
    head turned more than 5 degrees in more than this share of its frames with a face is
    flagged (mirroring a turned face biases the comparison). models: the folder whose checksums
    the provenance lists (by default the one the folder's runs recorded, from the CLI,
    mirror() or extract(), else the default as for extract(); a folder that does not exist
    raises facemirror.InvalidArgument). Each page names the call or command that made its AU
    files, as recorded.
    A video whose CSVs cannot be read, or whose task plan cannot be used (its page is then
    written without the task section), raises facemirror.Error naming the file and the
    reason, as the CLI reports it FAILED (with ``on_error="return"``: its result has ok False,
    or plan_error set); the others are written either way. A folder without any video's CSVs
    raises facemirror.Error.
    """
    _check_on_error(on_error)
    if not 0 <= _integer("stills", stills) <= 12:
        raise InvalidArgument("stills must be 0 to 12")
    if not 0.0 <= _number("min_face_share", min_face_share) <= 1.0:
        raise InvalidArgument("min_face_share must be 0 to 1")
    if not 0.0 <= _number("max_turned_share", max_turned_share) <= 1.0:
        raise InvalidArgument("max_turned_share must be 0 to 1")
    if models is not None and not os.path.isdir(models):
        raise InvalidArgument(f"models: '{os.fspath(models)}' is not a folder")
    raw = _native.report(os.fspath(out_dir), stills, float(min_face_share),
                         float(max_turned_share), _models_dir(models),
                         "facemirror.report(%r)" % os.fspath(out_dir))
    results = [ReportResult(item["stem"], item["ok"], item["error"], item["html"],
                            item["plan_error"])
               for item in raw]
    unusable = [r for r in results if r.ok and r.plan_error]
    if unusable and on_error == "raise" and all(r.ok for r in results):
        error = Error(unusable[0].plan_error)
        error.results = results
        raise error
    return _check(results, on_error)


class Task(NamedTuple):
    """One row of a task plan (``<stem>_tasks.csv``): ``task`` is "rest", a standard movement
    (brow_raise, gentle_closure, tight_closure, smile, snarl, pucker, lower_lip) or any other
    name with its AUs in ``aus`` ("AU14 AU23"); the window is [start_s, end_s) in seconds."""

    task: str
    start_s: float
    end_s: float
    aus: str = ""


def read_task_plan(path: PathLike) -> List[Task]:
    """The rows of a task plan as the report reads them (the rest first, then the tasks in
    order, standard movements by their canonical names). Raises facemirror.Error naming the
    file and line of a plan the report would refuse."""
    return [Task(*row) for row in _native.read_task_plan(os.fspath(path))]


def write_task_plan(path: PathLike, tasks: Iterable[Union[Task, tuple]]) -> List[Task]:
    """Writes a task plan: ``<stem>_tasks.csv`` in a mirror() folder before report(), or beside
    a video, where mirror(), extract(out_dir=...), the CLI and the app take it into their
    folders.

    tasks: Task rows or (task, start_s, end_s[, aus]) tuples. The plan is checked as the report
    reads it (facemirror.Error naming the row's line, counting the header as line 1, and
    nothing written) and written whole; returns it as read_task_plan() would.
    """
    lines = ["task,start_s,end_s,aus"]
    for row in tasks:
        task = Task(*row)
        fields = [str(task.task), repr(float(task.start_s)), repr(float(task.end_s)), str(task.aus)]
        if any(c in field for field in fields for c in ",\n\r"):
            raise InvalidArgument("a task plan's fields hold no commas or line breaks: %r" % (row,))
        lines.append(",".join(fields))
    return [Task(*row) for row in
            _native.write_task_plan(os.fspath(path), "\n".join(lines) + "\n")]


# ---------------------------------------------------------------------------------------------
# The per-frame API: one image, or one video frame by frame, from arrays the caller holds.


@dataclass(eq=False, repr=False)  # arrays: == would be ambiguous, the repr pages long
class Face:
    """One face of an image (Analyzer.analyze) or of a video frame (VideoSession.track,
    MultiFaceSession.track).

    Pixels for 2-D points, millimetres in camera space for 3-D ones, radians for angles; the
    fields are OpenFace's CSV columns:

    index: the face's position in the image's list (FaceLandmarkImg's ``face``), or the 0-based
      frame of a video. face_id: the tracker that follows the face (MultiFaceSession,
      FaceLandmarkVidMulti's ``face_id``); 0 otherwise. timestamp: seconds (0 for an image).
      confidence, success: the detection validator's certainty and verdict.
    landmarks: 68x2 (x_*, y_*). landmarks_3d: 68x3 (X_*, Y_*, Z_*).
    eye_landmarks: 56x2 (eye_lmk_x/y_*). eye_landmarks_3d: 56x3 (eye_lmk_X/Y/Z_*).
    gaze_0, gaze_1: unit gaze vectors of the two eyes (gaze_0_x.. gaze_1_z);
      gaze_angle: (gaze_angle_x, gaze_angle_y).
    pose: (pose_Tx, pose_Ty, pose_Tz, pose_Rx, pose_Ry, pose_Rz).
    params_global: (p_scale, p_rx, p_ry, p_rz, p_tx, p_ty); params_local: p_0..p_33.
    au_intensity: {"AU01_r": 0..5, ...} (17); au_presence: {"AU01_c": 0 or 1, ...} (18).
      Empty for a VideoSession's frame: a video's AUs come from VideoSession.finish().
    """

    index: int
    face_id: int
    timestamp: float
    confidence: float
    success: bool
    landmarks: np.ndarray
    landmarks_3d: np.ndarray
    eye_landmarks: np.ndarray
    eye_landmarks_3d: np.ndarray
    gaze_0: np.ndarray
    gaze_1: np.ndarray
    gaze_angle: np.ndarray
    pose: np.ndarray
    params_global: np.ndarray
    params_local: np.ndarray
    au_intensity: Dict[str, float]
    au_presence: Dict[str, float]

    def __repr__(self) -> str:
        fitted = bool(np.any(self.landmarks))  # a frame without a face has zeros
        left, top = self.landmarks.min(axis=0)
        right, bottom = self.landmarks.max(axis=0)
        where = (f"landmarks x {left:.0f}..{right:.0f}, y {top:.0f}..{bottom:.0f}"
                 if fitted else "no landmarks")
        strongest = max(self.au_intensity.items(), key=lambda item: item[1], default=None)
        aus = f", strongest {strongest[0]} {strongest[1]:.2f}" if strongest else ""
        face_id = f", face_id={self.face_id}" if self.face_id else ""
        return (f"Face(index={self.index}{face_id}, timestamp={self.timestamp:.3f}, "
                f"confidence={self.confidence:.3f}, success={self.success}, {where}{aus})")


def _models_dir(models: Optional[PathLike]) -> Optional[str]:
    return None if models is None else os.fspath(models)


def _flag(name: str, value) -> bool:
    """A yes/no argument as a bool; anything else is a TypeError naming it (not pybind's message
    with the whole image array printed)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return bool(value)


def _camera(camera) -> Optional[List[float]]:
    """(fx, fy, cx, cy) as four floats; a value of another kind is a TypeError naming camera,
    the wrong count facemirror.InvalidArgument (the native side checks the values)."""
    if camera is None:
        return None
    if isinstance(camera, (str, bytes)) or not isinstance(camera, collections.abc.Iterable):
        raise TypeError(f"camera must be (fx, fy, cx, cy) in pixels, not {type(camera).__name__}")
    values = [_number(f"camera[{i}]", v) for i, v in enumerate(camera)]
    if len(values) != 4:
        raise InvalidArgument(
            f"camera must be (fx, fy, cx, cy) in pixels, not {len(values)} values")
    return values


class Analyzer:
    """Every face of still images, as OpenFace 2.2's FaceLandmarkImg (and ``facemirror aus`` on
    an image file) finds and measures them: MTCNN's faces, CLNF landmarks, pose, gaze and the
    static AU models.

    Analyzer(models=None) loads the models once (models: the models folder, else
    ``$FACEMIRROR_MODELS``, else ``~/.local/share/facemirror/models``); a missing model file
    raises facemirror.Error naming it. One Analyzer may be used from several threads at once.
    Like extract(), it makes OpenCV and OpenBLAS single-threaded for the process: OpenBLAS's
    thread pool splits its sums differently, and the values would then differ from the CLI's
    in the last printed digit.

    Example::

        analyzer = facemirror.Analyzer()
        for face in analyzer.analyze(facemirror.read_image("group.jpg")):
            print(face.index, face.confidence, face.au_intensity["AU12_r"])
    """

    def __init__(self, models: Optional[PathLike] = None):
        self._native = _native.Analyzer(_models_dir(models))

    def analyze(self, image: np.ndarray, rgb: bool = False, camera=None) -> List[Face]:
        """The faces of one image, in FaceLandmarkImg's order; [] when there is none.

        image: a uint8 NumPy array, HxWx3 BGR (OpenCV's order; rgb=True for RGB, e.g. from
          Pillow), HxWx4 BGRA (rgb=True for RGBA: Pillow's and imageio's PNGs with alpha; read
          as BGRA, their red and blue would be swapped without an error), HxW or HxWx1 grey.
          Read in place, without a copy, when each row's pixels are contiguous (any C-ordered
          array or a row/column crop of one); otherwise (a step between columns, a flipped
          view) and always with rgb=True, copied once. Do not write into it from another thread
          while analyze() runs.
        camera: (fx, fy, cx, cy) in pixels; None: OpenFace's guess from the image size.

        Releases the GIL while analysing. A wrong dtype or shape, or a camera of other than four
        values, raises facemirror.InvalidArgument (a ValueError); a non-array, or a camera
        value that is no number, TypeError.
        """
        return [Face(**face)
                for face in self._native.analyze(image, _flag("rgb", rgb), _camera(camera))]


class VideoSession:
    """One video followed frame by frame, as OpenFace 2.2's FeatureExtraction (and
    ``facemirror aus``) follows it, for frames the caller decodes (a camera, frames in memory).

    VideoSession(models=None, camera=None): models as Analyzer's (the dynamic AU models, as
    for videos); camera: the video's (fx, fy, cx, cy), else OpenFace's guess from the first
    frame's size. One session per video, used from one thread at a time (a call from a second
    thread while one runs raises RuntimeError). Like Analyzer, it makes OpenCV and OpenBLAS
    single-threaded for the process.

    track(frame, timestamp, rgb=False) -> Face: the next frame (arrays as Analyzer.analyze
      takes them; timestamp in seconds from the video's start). A timestamp that is not finite
      or earlier than the previous frame's raises facemirror.InvalidArgument, the frame not
      tracked. A frame may differ in size from the one before (as a frame folder's images
      may; OpenFace 2.2 reads each as it is): it is tracked in its own pixels with the first
      frame's camera. The face's AU dicts are empty:
      OpenFace's video AUs need the whole video (person-specific median, post-processing).
      Releases the GIL while tracking.
    finish() -> dict of NumPy arrays: per frame tracked since the start (or the last
      finish()), the columns frame (1-based), timestamp, confidence, success and OpenFace's
      AU*_r and AU*_c, as ``facemirror aus`` writes them. The session then starts over.

    Example::

        session = facemirror.VideoSession()
        for timestamp, frame in facemirror.read_video("patient01.mp4"):
            face = session.track(frame, timestamp)
        aus = session.finish()
        print(aus["AU12_r"].max())
    """

    def __init__(self, models: Optional[PathLike] = None, camera=None):
        self._native = _native.VideoSession(_models_dir(models), _camera(camera))

    def track(self, frame: np.ndarray, timestamp: float, rgb: bool = False) -> Face:
        """The next frame of the video (seconds from its start), its face without AUs: see the
        class's help for the arrays taken and what is refused."""
        return Face(**self._native.track(frame, _number("timestamp", timestamp),
                                         _flag("rgb", rgb)))

    def finish(self) -> Dict[str, np.ndarray]:
        """Per frame tracked since the start (or the last finish()): frame, timestamp,
        confidence, success and OpenFace's AU*_r and AU*_c, as ``facemirror aus`` writes them.
        The session then starts over: the next track() is the first frame of a new video."""
        return dict(self._native.finish())

    @property
    def frames_tracked(self) -> int:
        """Frames tracked since the start or the last finish()."""
        return self._native.frames_tracked


class MultiFaceSession:
    """Several faces followed through one video, as OpenFace 2.2's FaceLandmarkVidMulti (and
    ``facemirror aus --max-faces N``) follows them, for frames the caller decodes.

    MultiFaceSession(models=None, camera=None, max_faces=4): models as Analyzer's (the static AU
    models: a tracker's face may change, so there is no person to calibrate the dynamic ones
    on); camera as VideoSession's; max_faces: the trackers (FaceLandmarkVidMulti's 4), 1 to
    64 (else facemirror.InvalidArgument). Faces are looked for on every 8th frame while a
    tracker is free; a face rejected on 5 frames in a row frees its tracker (its last 6 rows
    unsuccessful). One session per video, used from one thread at a time (a call from a second
    thread while one runs raises RuntimeError). Like Analyzer, it makes OpenCV and OpenBLAS
    single-threaded for the process.

    track(frame, timestamp, rgb=False) -> List[Face]: the next frame (arrays and timestamps as
      VideoSession.track takes them, refused the same way): one Face per tracked face, in
      face_id order, each with its AUs (FaceLandmarkVidMulti's: static models, no
      post-processing); [] while no face is tracked. Releases the GIL while tracking.
    reset(): forgets every face; the next track() is the first frame of a new video.

    Example::

        session = facemirror.MultiFaceSession(max_faces=2)
        for timestamp, frame in facemirror.read_video("interview.mp4"):
            for face in session.track(frame, timestamp):
                print(timestamp, face.face_id, face.au_intensity["AU12_r"])
    """

    def __init__(self, models: Optional[PathLike] = None, camera=None, max_faces: int = 4):
        self._native = _native.MultiFaceSession(
            _models_dir(models), _camera(camera),
            _integer("max_faces", max_faces, 1, _native.max_tracked_faces))

    def track(self, frame: np.ndarray, timestamp: float, rgb: bool = False) -> List[Face]:
        """The next frame of the video: one Face per tracked face, in face_id order, each with
        its AUs; [] while no face is tracked (see the class's help)."""
        return [Face(**face) for face in self._native.track(frame, _number("timestamp", timestamp),
                                                             _flag("rgb", rgb))]

    def reset(self) -> None:
        """Forgets every face: the next track() is the first frame of a new video."""
        self._native.reset()

    @property
    def frames_tracked(self) -> int:
        """Frames tracked since the start or the last reset()."""
        return self._native.frames_tracked


def read_video(path: PathLike):
    """The frames of a video file as ``facemirror aus`` decodes them: yields (timestamp in
    seconds, HxWx3 uint8 BGR array) in presentation order, upright. A file that cannot be read
    raises facemirror.Error naming it and the reason. ``len()`` (and ``frame_count``) is the
    video's frame count; the file closes when its last frame is read, on ``close()``, or at
    the end of a ``with`` block::

        with facemirror.read_video("patient01.mp4") as frames:
            print(len(frames), "frames")
            first_timestamp, first_frame = next(frames)

    Damaged data in the file does not end the reading: ``frames.concealed_frames`` and
    ``frames.missing_frames`` list the frames read so far (CSV numbers, from 1) that the decoder
    patched over, and those it gave nothing for (yielded black), as extract() lists them.
    """
    return _native.VideoFrames(os.fspath(path))


def read_image(path: PathLike) -> np.ndarray:
    """An image file as ``facemirror aus`` reads it: HxWx3 uint8 BGR (grey replicated, alpha
    dropped, no EXIF rotation: pixels as stored, as OpenFace reads them; a photograph its EXIF
    tag shows turned or mirrored gives a UserWarning saying so). A file that cannot be read
    raises facemirror.Error."""
    image = _native.read_image(os.fspath(path))
    orientation, shown = _native.exif_orientation(os.fspath(path))
    if orientation != 1:
        warnings.warn(f"{os.fspath(path)}: its EXIF tag has it shown {shown}; these are its "
                      "pixels as stored, as OpenFace 2.2 reads them (np.rot90 turns them)",
                      stacklevel=2)
    return image
