#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace wb {
namespace {

// Denormal floats (magnitudes below 1.2e-38) cost x86 100+ cycles per operation. They appear in
// real models (measured: a PSFP-trained compact ResNet-20 ran 35% slower than an SFP one with the
// same shapes, from denormal intermediates), so kernel code runs with flush-to-zero and
// denormals-are-zero, as PyTorch's torch.set_flush_denormal(True) does. Workers keep the mode;
// the calling thread (also Node's JS thread, where JavaScript needs IEEE denormals) gets it only
// while it works on a job.
#if defined(__x86_64__) || defined(_M_X64)
constexpr unsigned kFlushDenormals = 0x8040;  // MXCSR FTZ (bit 15) | DAZ (bit 6)
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushDenormals); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_;
};
void flush_denormals_for_this_thread() { _mm_setcsr(_mm_getcsr() | kFlushDenormals); }
#else
struct FlushDenormals {
  FlushDenormals() {}  // user-provided: a const instance needs it
};
void flush_denormals_for_this_thread() {}
#endif

struct Pool {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake, done;
  const TaskFn* job = nullptr;
  std::atomic<int> next{0};
  int tasks = 0;
  int pending = 0;
  unsigned generation = 0;
  bool stop = false;

  void work(int self) {
    for (int i = next.fetch_add(1); i < tasks; i = next.fetch_add(1)) (*job)(i, self);
  }

  void loop(int self) {
    flush_denormals_for_this_thread();
    unsigned seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
      }
      work(self);
      std::lock_guard<std::mutex> lock(mu);
      if (--pending == 0) done.notify_one();
    }
  }

  void resize(int n) {
    shutdown();
    stop = false;
    for (int i = 1; i < n; i++) workers.emplace_back([this, i] { loop(i); });
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    wake.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
  }

  ~Pool() { shutdown(); }
};

Pool& pool() {
  static Pool p;
  return p;
}

// One job at a time: several worker_threads of one process may each run TF.js with these
// kernels, and they share this pool. (parallel_for must not be called from inside a task.)
std::mutex& submit_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void set_threads(int n) {
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  std::lock_guard<std::mutex> submit(submit_mutex());
  if (n == threads()) return;
  pool().resize(n);
}

int threads() { return static_cast<int>(pool().workers.size()) + 1; }

void parallel_for(int tasks, const TaskFn& fn) {
  std::lock_guard<std::mutex> submit(submit_mutex());
  const FlushDenormals flush;
  Pool& p = pool();
  if (p.workers.empty() || tasks <= 1) {
    for (int i = 0; i < tasks; i++) fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.job = &fn;
    p.tasks = tasks;
    p.next.store(0);
    p.pending = static_cast<int>(p.workers.size());
    p.generation++;
  }
  p.wake.notify_all();
  p.work(0);
  std::unique_lock<std::mutex> lock(p.mu);
  p.done.wait(lock, [&] { return p.pending == 0; });
  p.job = nullptr;
}

void parallel_ranges(std::ptrdiff_t n, std::ptrdiff_t chunk, const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& fn) {
  const int tasks = static_cast<int>((n + chunk - 1) / chunk);
  if (tasks <= 1) {
    fn(0, n);
    return;
  }
  parallel_for(tasks, [&](int t, int) { fn(t * chunk, std::min<std::ptrdiff_t>(n, (t + 1) * chunk)); });
}

}  // namespace wb
