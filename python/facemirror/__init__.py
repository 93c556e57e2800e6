"""facemirror: OpenFace 2.2's facial Action Units from videos, on every core.

Two batch jobs, the same as the ``facemirror`` command line:

* ``extract(inputs, out_dir=None, ...)``: the ``aus`` job. One OpenFace-2.2-layout table per
  video (frame, face_id, timestamp, confidence, success, landmarks, pose, AU intensities and
  presences), as a pandas DataFrame when pandas is installed, else a dict of NumPy arrays.
* ``mirror(inputs, out_dir, ...)``: S1 Face Mirror's job: left- and right-mirrored videos, a
  debug video and the AU CSVs of both mirrored faces.

Both release the GIL while the engine runs, call ``progress(video, frames_done, frames_total,
frames_per_second)`` every ``progress_every`` frames of a video and when it ends, and stop on
Ctrl-C with ``KeyboardInterrupt`` (as does an exception raised by ``progress``), leaving no
partial file. A video that cannot be read raises ``facemirror.Error`` with the message the CLI
prints (or, with ``on_error="return"``, comes back with ``status == "failed"``).

The models are looked up as the CLI does: ``models=...``, else ``$FACEMIRROR_MODELS``, else
``~/.local/share/facemirror/models`` (fill it with ``fetch_models.sh``).

Example::

    import facemirror
    for video in facemirror.extract(["patient01.mp4"], workers=4):
        print(video.path, video.frames, video.columns["AU12_r"].mean())
"""

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

import numpy as np

from ._facemirror import Error, __version__
from ._facemirror import run as _run

__all__ = ["extract", "mirror", "read_csv", "VideoResult", "Error", "__version__"]

PathLike = Union[str, "os.PathLike[str]"]
ProgressCallback = Callable[[str, int, int, float], Any]

# The file types a folder given as input is searched for (the CLI's list).
_VIDEO_EXTENSIONS = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".wmv", ".webm", ".mpg", ".mpeg", ".flv"}
# OpenFace's integer columns; every other column is a float.
_INTEGER_COLUMNS = {"frame", "face_id", "success"}


@dataclass
class VideoResult:
    """One input video's outcome.

    path: the input. status: "ok" or "failed". error: one line naming the file and the reason
    (the CLI's message) when failed. frames, successful_frames: frames read, frames with a
    tracked face. seconds: wall time of the video. output_csv: the aus job's CSV (None when
    extract() ran without out_dir). columns: the aus job's table (DataFrame or dict of NumPy
    arrays, in CSV column order). outputs: the mirror job's files by role (right_video,
    left_video, debug_video, source_video, head_pose_csv, right_csv, left_csv).
    """

    path: str
    status: str
    error: str = ""
    frames: int = 0
    successful_frames: int = 0
    seconds: float = 0.0
    output_csv: Optional[str] = None
    columns: Any = None
    outputs: Dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_csv(path: PathLike, as_dataframe: Optional[bool] = None):
    """Reads an OpenFace-layout CSV (facemirror's or OpenFace's) into columns.

    Returns a pandas DataFrame when pandas is importable (or as_dataframe is True), else a dict
    mapping column name to a NumPy array (int64 for frame, face_id and success, float64
    otherwise), in the file's column order.
    """
    with open(path, "r", encoding="ascii") as f:
        header = f.readline()
    names = [name.strip() for name in header.split(",")]
    if not header.strip():
        raise Error(f"'{os.fspath(path)}': empty CSV, no header line")
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
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


def _video_files(inputs: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    if isinstance(inputs, (str, bytes, os.PathLike)):
        inputs = [inputs]
    files = []
    for item in inputs:
        path = os.fsdecode(os.fspath(item))
        if os.path.isdir(path):
            found = sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if os.path.splitext(name)[1].lower() in _VIDEO_EXTENSIONS
                and os.path.isfile(os.path.join(path, name))
            )
            if not found:
                raise Error(f"'{path}': folder holds no video files")
            files.extend(found)
        else:
            # A missing or unreadable file is still run: the engine names it and the reason.
            files.append(path)
    stems = set()
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in stems:
            raise Error(f"'{path}': another input already writes {stem}.csv")
        stems.add(stem)
    return files


def _engine_arguments(models, workers, segment_frames, landmarks, isolation, frame_timeout,
                      face_threshold, aus, static_aus, crf, progress_every, progress):
    return dict(
        models_dir=None if models is None else os.fspath(models),
        workers=workers,
        segment_frames=segment_frames,
        landmarks=landmarks,
        isolation=isolation,
        frame_timeout_s=frame_timeout,
        face_threshold=face_threshold,
        compute_aus=aus,
        static_aus=static_aus,
        mirror_crf=crf,
        progress_every=progress_every,
        progress=progress,
    )


def _check(results: List[VideoResult], on_error: str) -> List[VideoResult]:
    if on_error not in ("raise", "return"):
        raise ValueError("on_error must be 'raise' or 'return'")
    failed = [r for r in results if not r.ok]
    if failed and on_error == "raise":
        error = Error(failed[0].error)
        error.results = results
        raise error
    return results


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
) -> List[VideoResult]:
    """Runs the ``aus`` job (``facemirror aus``) on videos; returns one VideoResult per video.

    inputs: a video file, a folder (its video files, sorted by name) or a list of them.
    out_dir: where to write <stem>.csv per video (created if missing; the same bytes as
      ``facemirror aus``). None: the CSVs go to a temporary folder that is removed afterwards.
    workers: worker threads (0: one per core; the output does not depend on it);
      segment_frames: frames per work unit (the CLI's --segment-frames; another length can move
      a value by its last printed digit).
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

    Ctrl-C raises KeyboardInterrupt; unfinished CSVs are not written.
    """
    files = _video_files(inputs)
    with tempfile.TemporaryDirectory(prefix="facemirror-") as scratch:
        folder = os.fspath(out_dir) if out_dir is not None else scratch
        os.makedirs(folder, exist_ok=True)
        csvs = [os.path.join(folder, os.path.splitext(os.path.basename(f))[0] + ".csv") for f in files]
        raw = _run(
            "aus", files, csvs,
            **_engine_arguments(models, workers, segment_frames, landmarks, isolation,
                                frame_timeout, face_threshold, aus, static_aus, 18,
                                progress_every, progress),
        )
        results = []
        for item in raw:
            result = VideoResult(
                path=os.fspath(item["path"]),
                status="ok" if item["ok"] else "failed",
                error=item["error"],
                frames=item["frames"],
                successful_frames=item["successful_frames"],
                seconds=item["seconds"],
            )
            if result.ok:
                result.columns = read_csv(item["output_csv"], as_dataframe)
                if out_dir is not None:
                    result.output_csv = os.fspath(item["output_csv"])
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
) -> List[VideoResult]:
    """Runs S1 Face Mirror's job (``facemirror mirror``) on videos; one VideoResult per video.

    Writes into out_dir (created if missing): <stem>_right_mirrored.mp4 and .csv,
    <stem>_left_mirrored.mp4 and .csv (no CSVs with aus=False), <stem>_debug.mp4 and
    <stem>_source.<ext>; each result's ``outputs`` maps those roles to paths. crf: x264 quality
    of the written videos (18, S1's, is visually lossless). Videos are always redone (the CLI's
    resume rule is the caller's to apply). workers, segment_frames, progress, progress_every,
    models, landmarks, face_threshold, isolation, frame_timeout and on_error are extract()'s.
    """
    files = _video_files(inputs)
    folder = os.fspath(out_dir)
    os.makedirs(folder, exist_ok=True)
    raw = _run(
        "mirror", files, [folder],
        **_engine_arguments(models, workers, segment_frames, landmarks, isolation,
                            frame_timeout, face_threshold, aus, False, crf, progress_every,
                            progress),
    )
    results = [
        VideoResult(
            path=os.fspath(item["path"]),
            status="ok" if item["ok"] else "failed",
            error=item["error"],
            frames=item["frames"],
            successful_frames=item["successful_frames"],
            seconds=item["seconds"],
            outputs={role: os.fspath(p) for role, p in item["outputs"].items()},
        )
        for item in raw
    ]
    return _check(results, on_error)
