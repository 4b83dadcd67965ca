// A small persistent thread pool: parallel_for hands out task indices from an
// atomic counter; the calling thread works too. One job at a time: callers
// from several threads (worker_threads running TF.js) are serialised.
#pragma once
#include <cstddef>
#include <functional>

namespace wb {

// (task index, worker index in [0, threads()))
using TaskFn = std::function<void(int, int)>;

void set_threads(int n);
int threads();
void parallel_for(int tasks, const TaskFn& fn);

// fn(i0, i1) over [0, n) in chunks of `chunk` elements through parallel_for; a single chunk runs
// on the calling thread as it is, without the pool's denormal flushing (an optimizer update of a
// small variable then computes as the TF.js ops it replaces do).
void parallel_ranges(std::ptrdiff_t n, std::ptrdiff_t chunk, const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& fn);

}  // namespace wb
