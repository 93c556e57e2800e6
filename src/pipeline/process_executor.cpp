// Worker processes: started once per run after the models are loaded, so the read-only model
// data is shared copy-on-write. Each decodes its own segments (no frames cross a pipe); only
// segment results come back. The parent is one poll loop: it hands out segments, counts
// heartbeats, and replaces a worker that dies or stops making progress.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>

#include "facemirror/error.h"

#include "executors.h"
#include "wire.h"
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace facemirror::detail {
namespace {

using clock_type = std::chrono::steady_clock;

// heartbeat: a frame was analysed (counts for progress); alive: the worker is busy but has no
// frame to count yet (starting up, seeking, warming its tracker up).
enum message_type : char { heartbeat = 'H', alive = 'A', result = 'R', failure = 'E' };

// Moves all `size` bytes through `io` (::read or ::write), retrying after signals and short
// transfers; false when the pipe closed or failed first.
template <typename Byte, typename Io>
bool transfer_all(int fd, Byte* data, size_t size, Io io) {
  while (size > 0) {
    const ssize_t n = io(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool write_all(int fd, const void* data, size_t size) {
  return transfer_all(fd, static_cast<const char*>(data), size, ::write);
}

bool read_all(int fd, void* data, size_t size) {
  return transfer_all(fd, static_cast<char*>(data), size, ::read);
}

void send_message(int fd, message_type type, const std::string& payload) {
  const uint64_t size = payload.size();
  if (!write_all(fd, &type, 1) || !write_all(fd, &size, sizeof(size)) ||
      !write_all(fd, payload.data(), payload.size())) {
    ::_exit(3);  // the parent is gone or gave up on us
  }
}

[[noreturn]] void child_main(run_context& context, int task_fd, int result_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent
  std::signal(SIGINT, SIG_IGN);        // Ctrl-C reaches the whole group; the parent decides
  std::signal(SIGTERM, SIG_DFL);
  worker_session session(context.models, context.options);
  send_message(result_fd, alive, {});
  uint64_t size = 0;
  std::string bytes;
  while (read_all(task_fd, &size, sizeof(size))) {
    bytes.resize(size);
    if (!read_all(task_fd, bytes.data(), size))
      break;
    send_message(result_fd, alive, {});
    try {
      const segment_task task = decode_task(bytes);
      before_segment_hook(context, task);
      auto frames = run_segment(session, context, task, [&] {
        send_message(result_fd, counts_frames(task) ? heartbeat : alive, {});
        return true;
      });
      std::string payload;
      encode_segment(frames, payload);
      send_message(result_fd, result, payload);
    } catch (const std::exception& e) {
      session.forget_reader();
      send_message(result_fd, failure, e.what());
    }
  }
  ::_exit(0);  // skip the parent's static destructors and atexit handlers
}

struct worker_process {
  pid_t pid = -1;
  int task_fd = -1;    // parent writes segment tasks
  int result_fd = -1;  // parent reads messages
  std::optional<segment_task> task;
  std::optional<segment_task> follow;  // see batch::deliver: this worker's next task
  clock_type::time_point deadline;
  std::string inbox;
};

class process_pool {
 public:
  process_pool(run_context& context, int workers) : context_(context) {
    workers_.resize(static_cast<size_t>(workers));
    for (auto& w : workers_)
      spawn(w);
  }
  ~process_pool() { shutdown(); }
  process_pool(const process_pool&) = delete;
  process_pool& operator=(const process_pool&) = delete;

  void run() {
    // Beyond 1e9 s (31 years: no limit) the clock's nanosecond count would overflow.
    const auto timeout = std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(std::min(context_.options.frame_timeout_s, 1e9)));
    last_look_ = clock_type::now();
    for (;;) {
      if (context_.options.should_abort && context_.options.should_abort()) {
        abort_all();
        return;
      }
      bool busy = false;
      for (auto& w : workers_) {
        while (!w.task) {
          segment_task task;
          if (w.follow) {  // the carried task its last result made, where its reader is
            task = std::move(*w.follow);
            w.follow.reset();
          } else if (!retries_.empty()) {
            task = retries_.front();
            retries_.pop_front();
          } else if (auto next = context_.work.next_task(false, {})) {
            task = std::move(*next);
          } else {
            break;
          }
          if (!context_.work.wants(task)) {
            context_.work.task_finished();
            continue;
          }
          std::string message;
          encode_task(task, message);
          const uint64_t size = message.size();
          if (!write_all(w.task_fd, &size, sizeof(size)) ||
              !write_all(w.task_fd, message.data(), message.size())) {
            // It died while idle: not this segment's fault, so the attempt is not counted.
            retries_.push_front(task);
            replace(w);
            continue;
          }
          w.task = task;
          w.deadline = clock_type::now() + timeout;
        }
        busy = busy || w.task.has_value();
      }
      if (!busy)
        return;
      wait_for_messages(timeout);
    }
  }

 private:
  void spawn(worker_process& w) {
    int to_child[2];
    int from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
      throw error(error_code::internal,
                  std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    const pid_t pid = ::fork();
    if (pid < 0)
      throw error(error_code::internal, "cannot start a worker process");
    if (pid == 0) {
      // Keep only this worker's ends: another worker's pipe held open here would hide its death.
      for (const auto& other : workers_) {
        if (other.task_fd >= 0)
          ::close(other.task_fd);
        if (other.result_fd >= 0)
          ::close(other.result_fd);
      }
      ::close(to_child[1]);
      ::close(from_child[0]);
      child_main(context_, to_child[0], from_child[1]);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    std::optional<segment_task> follow = std::move(w.follow);  // a replacement runs it instead
    w = worker_process{};
    w.follow = std::move(follow);
    w.pid = pid;
    w.task_fd = to_child[1];
    w.result_fd = from_child[0];
  }

  void reap(worker_process& w, bool kill_first) {
    if (w.pid < 0)
      return;
    if (kill_first)
      ::kill(w.pid, SIGKILL);
    ::close(w.task_fd);
    ::close(w.result_fd);
    int status = 0;
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    last_status_ = status;
    w = worker_process{};
  }

  void replace(worker_process& w) {
    reap(w, true);
    spawn(w);
  }

  void on_failure(segment_task task, const std::string& reason) {
    if (task.attempt == 0) {
      context_.work.note_retry(task.video, failure_text(context_.work.info(task), task, reason));
      ++task.attempt;
      retries_.push_front(task);
    } else {
      context_.work.fail(task.video, retry_message(context_.work.info(task), task, reason));
      context_.work.task_finished();
    }
  }

  std::string segment_text(const segment_task& task) const {
    return "'" + context_.work.info(task).path.string() + "': frames " + frame_range(task);
  }

  // Whether this loop saw a gap of seconds since its last look (then moving every deadline on
  // by it): this process was stopped (Ctrl-Z, SIGSTOP, a suspended Slurm job), its workers
  // with it, or did not read their messages for that long. Either way that time is no worker's
  // hang. Asked after each poll and again before a worker is killed, as a stop may fall
  // between the two.
  bool looked_after_a_stop() {
    const clock_type::time_point now = clock_type::now();
    const clock_type::duration gap = now - last_look_;
    last_look_ = now;
    if (gap <= std::chrono::seconds(2))
      return false;
    for (auto& w : workers_)
      w.deadline += gap;
    return true;
  }

  void wait_for_messages(clock_type::duration timeout) {
    std::vector<pollfd> fds;
    std::vector<worker_process*> owners;
    for (auto& w : workers_) {
      if (!w.task)
        continue;
      fds.push_back({w.result_fd, POLLIN, 0});
      owners.push_back(&w);
    }
    // Wake at least every 100 ms to notice an abort request or a missed deadline.
    ::poll(fds.data(), fds.size(), 100);
    (void)looked_after_a_stop();
    for (size_t i = 0; i < fds.size(); ++i) {
      worker_process& w = *owners[i];
      if (fds[i].revents != 0 && !drain(w, timeout)) {
        const segment_task task = *w.task;
        reap(w, true);
        std::string why = "worker process died";
        if (WIFSIGNALED(last_status_)) {
          why += std::string(" (signal ") + std::to_string(WTERMSIG(last_status_)) + ", " +
                 strsignal(WTERMSIG(last_status_)) + ")";
        }
        on_failure(task, segment_text(task) + ": " + why);
        spawn(w);
      } else if (w.task && clock_type::now() > w.deadline && !looked_after_a_stop()) {
        const segment_task task = *w.task;
        replace(w);
        char limit[32];
        std::snprintf(limit, sizeof(limit), "%g", context_.options.frame_timeout_s);
        on_failure(task, segment_text(task) + ": worker made no progress for " + limit + " s");
      }
    }
  }

  // Reads what the worker sent; false when its pipe closed (it died).
  bool drain(worker_process& w, clock_type::duration timeout) {
    char buffer[1 << 16];
    const ssize_t n = ::read(w.result_fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      return true;
    if (n <= 0)
      return false;
    w.inbox.append(buffer, static_cast<size_t>(n));
    constexpr size_t header = 1 + sizeof(uint64_t);
    while (w.inbox.size() >= header) {
      uint64_t size;
      std::memcpy(&size, w.inbox.data() + 1, sizeof(size));
      if (w.inbox.size() < header + size)
        break;
      const char type = w.inbox[0];
      const segment_task task = *w.task;
      std::string payload = w.inbox.substr(header, size);
      w.inbox.erase(0, header + size);
      if (type == heartbeat || type == alive) {
        if (type == heartbeat)
          context_.work.frame_done(task.video);
        w.deadline = clock_type::now() + timeout;
      } else if (type == result) {
        w.task.reset();
        w.follow = context_.work.deliver(task, decode_segment(payload));
        context_.work.task_finished();
      } else {
        w.task.reset();
        on_failure(task, payload);
      }
    }
    return true;
  }

  void abort_all() {
    for (auto& w : workers_) {
      for (const auto* task : {&w.task, &w.follow}) {
        if (*task) {
          context_.work.fail((*task)->video, segment_text(**task) + ": interrupted");
          context_.work.task_finished();
        }
      }
      reap(w, true);
    }
  }

  void shutdown() {
    // Closing a worker's task pipe tells it to exit; then wait so no zombie is left.
    for (auto& w : workers_) {
      if (w.pid < 0)
        continue;
      ::close(w.task_fd);
      w.task_fd = -1;
    }
    for (auto& w : workers_) {
      if (w.pid < 0)
        continue;
      ::close(w.result_fd);
      int status;
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
      w.pid = -1;
    }
  }

  run_context& context_;
  std::vector<worker_process> workers_;
  std::deque<segment_task> retries_;
  int last_status_ = 0;
  clock_type::time_point last_look_ = clock_type::now();  // see looked_after_a_stop()
};

}  // namespace

void run_in_processes(run_context& context, int workers) {
  // A worker killed mid-write must not kill the parent with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  process_pool pool(context, workers);
  pool.run();
}

}  // namespace facemirror::detail
