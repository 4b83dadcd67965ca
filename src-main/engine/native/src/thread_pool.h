// A small persistent thread pool: parallel_for hands out task indices from an
// atomic counter; the calling thread works too. One job at a time: callers
// from several threads (worker_threads running TF.js) are serialised.
#pragma once
#include <functional>

namespace wb {

// (task index, worker index in [0, threads()))
using TaskFn = std::function<void(int, int)>;

void set_threads(int n);
int threads();
void parallel_for(int tasks, const TaskFn& fn);

}  // namespace wb
