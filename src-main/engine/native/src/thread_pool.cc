#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace wb {
namespace {

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

}  // namespace wb
