// What every N-API binding of a kernel shares: argument parsing with size checks, and errors
// turned into JavaScript exceptions. Every tensor argument is a (Float32Array, element offset)
// pair: on the wasm backend the array is a view of the whole wasm heap (a SharedArrayBuffer
// with wasm threads) and the offset the tensor's start, so kernels read and write TF.js memory
// in place. Sizes are checked here so a wrong shape throws instead of writing outside a tensor.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <exception>
#include <string>

#include "conv.h"

namespace wb::napi {

using Index = std::ptrdiff_t;

struct ArgError {
  std::string message;
};

class Args {
 public:
  Args(napi_env env, napi_callback_info info) : env_(env) {
    count_ = kMax;
    napi_get_cb_info(env, info, &count_, argv_, nullptr, nullptr);
  }

  Index integer(std::size_t i) {
    int64_t v = 0;
    if (i >= count_ || napi_get_value_int64(env_, argv_[i], &v) != napi_ok) throw ArgError{"argument " + std::to_string(i) + " must be an integer"};
    return static_cast<Index>(v);
  }

  // The tensor at arguments (i, i + 1): a Float32Array and an element offset, holding at least `need` elements.
  float* tensor(std::size_t i, Index need, const char* what) {
    std::size_t length = 0;
    void* data = nullptr;
    if (!typed_array(i, napi_float32_array, &data, &length)) throw ArgError{std::string(what) + " must be a Float32Array"};
    const Index offset = integer(i + 1);
    if (offset < 0 || need < 0 || static_cast<std::size_t>(offset + need) > length)
      throw ArgError{std::string(what) + ": offset " + std::to_string(offset) + " + " + std::to_string(need) +
                     " elements exceed its array of " + std::to_string(length)};
    return static_cast<float*>(data) + offset;
  }

  bool is_null(std::size_t i) {
    napi_valuetype t = napi_undefined;
    return i >= count_ || napi_typeof(env_, argv_[i], &t) != napi_ok || t == napi_null || t == napi_undefined;
  }

  // Like tensor(), or nullptr when argument i is null.
  float* optional_tensor(std::size_t i, Index need, const char* what) { return is_null(i) ? nullptr : tensor(i, need, what); }

  // An Int32Array of exactly `need` elements.
  const int* int_array(std::size_t i, Index need, const char* what) {
    std::size_t length = 0;
    void* data = nullptr;
    if (!typed_array(i, napi_int32_array, &data, &length) || static_cast<Index>(length) != need)
      throw ArgError{std::string(what) + " must be an Int32Array of " + std::to_string(need) + " elements"};
    return static_cast<const int*>(data);
  }

 private:
  // Whether argument i is a typed array of `want`; if so, its data and element count.
  bool typed_array(std::size_t i, napi_typedarray_type want, void** data, std::size_t* length) {
    napi_typedarray_type type;
    napi_value buffer;
    std::size_t byte_offset = 0;
    return i < count_ && napi_get_typedarray_info(env_, argv_[i], &type, length, data, &buffer, &byte_offset) == napi_ok && type == want;
  }

  static constexpr std::size_t kMax = 32;
  napi_env env_;
  std::size_t count_;
  napi_value argv_[kMax];
};

inline napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

template <typename F>
napi_value guarded(napi_env env, F body) {
  try {
    body();
  } catch (const ArgError& e) {
    napi_throw_type_error(env, nullptr, ("workbench native: " + e.message).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("workbench native: ") + e.what()).c_str());
  }
  return undefined(env);
}

// Shape arguments starting at i: n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pl.
inline wb::ConvShape conv_shape(Args& a, std::size_t i) {
  wb::ConvShape s{};
  int* fields[] = {&s.n, &s.h, &s.w, &s.ci, &s.kh, &s.kw, &s.co, &s.oh, &s.ow, &s.sh, &s.sw, &s.pt, &s.pl};
  for (int* f : fields) *f = static_cast<int>(a.integer(i++));
  if (s.n < 1 || s.h < 1 || s.w < 1 || s.ci < 1 || s.kh < 1 || s.kw < 1 || s.co < 1 || s.oh < 1 || s.ow < 1 || s.sh < 1 || s.sw < 1)
    throw ArgError{"conv shape values must be positive"};
  return s;
}

inline Index x_size(const wb::ConvShape& s) { return static_cast<Index>(s.n) * s.h * s.w * s.ci; }
inline Index w_size(const wb::ConvShape& s) { return static_cast<Index>(s.kh) * s.kw * s.ci * s.co; }
inline Index y_size(const wb::ConvShape& s) { return static_cast<Index>(s.n) * s.oh * s.ow * s.co; }

}  // namespace wb::napi
