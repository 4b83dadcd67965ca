// N-API bindings. Every tensor argument is a (Float32Array, element offset)
// pair: on the wasm backend the array is a view of the whole wasm heap (a
// SharedArrayBuffer with wasm threads) and the offset the tensor's start, so
// kernels read and write TF.js memory in place. Sizes are checked here so a
// wrong shape throws instead of writing outside a tensor.
#include <node_api.h>

#include <cstdint>
#include <exception>
#include <string>

#include "batch_norm.h"
#include "conv.h"
#include "elementwise.h"
#include "gemm.h"
#include "thread_pool.h"

namespace {

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

napi_value undefined(napi_env env) {
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
wb::ConvShape conv_shape(Args& a, std::size_t i) {
  wb::ConvShape s{};
  int* fields[] = {&s.n, &s.h, &s.w, &s.ci, &s.kh, &s.kw, &s.co, &s.oh, &s.ow, &s.sh, &s.sw, &s.pt, &s.pl};
  for (int* f : fields) *f = static_cast<int>(a.integer(i++));
  if (s.n < 1 || s.h < 1 || s.w < 1 || s.ci < 1 || s.kh < 1 || s.kw < 1 || s.co < 1 || s.oh < 1 || s.ow < 1 || s.sh < 1 || s.sw < 1)
    throw ArgError{"conv shape values must be positive"};
  return s;
}

Index x_size(const wb::ConvShape& s) { return static_cast<Index>(s.n) * s.h * s.w * s.ci; }
Index w_size(const wb::ConvShape& s) { return static_cast<Index>(s.kh) * s.kw * s.ci * s.co; }
Index y_size(const wb::ConvShape& s) { return static_cast<Index>(s.n) * s.oh * s.ow * s.co; }

// conv2dEx(x, xo, w, wo, y, yo, ...shape, relu, bias, bo, addMap, ao, residual, ro, scatter, channels): the conv,
// with the epilogue of conv.h (bias, addMap, residual and scatter may be null; channels = y's row width).
napi_value Conv2dEx(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const wb::ConvShape s = conv_shape(a, 6);
    wb::Epilogue ep;
    ep.relu = a.integer(19) != 0;
    ep.channels = static_cast<int>(a.integer(27));
    const Index pixels = static_cast<Index>(s.n) * s.oh * s.ow;
    if (a.is_null(26)) {
      if (ep.channels != s.co) throw ArgError{"conv2dEx: without a scatter, channels must equal the filter count"};
    } else {
      if (ep.channels < 1) throw ArgError{"conv2dEx: channels must be positive"};
      ep.scatter = a.int_array(26, s.co, "scatter");
      for (int j = 0; j < s.co; j++)
        if (ep.scatter[j] < 0 || ep.scatter[j] >= ep.channels) throw ArgError{"conv2dEx: scatter index out of range"};
    }
    ep.bias = a.optional_tensor(20, ep.channels, "bias");
    ep.add_map = a.optional_tensor(22, static_cast<Index>(s.oh) * s.ow * s.co, "addMap");
    ep.residual = a.optional_tensor(24, pixels * ep.channels, "residual");
    wb::conv2d(s, a.tensor(0, x_size(s), "x"), a.tensor(2, w_size(s), "filter"), a.tensor(4, pixels * ep.channels, "y"), &ep);
  });
}

// conv2dBackpropFilter(x, xo, dy, dyo, dw, dwo, ...shape)
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const wb::ConvShape s = conv_shape(a, 6);
    wb::conv2d_backprop_filter(s, a.tensor(0, x_size(s), "x"), a.tensor(2, y_size(s), "dy"), a.tensor(4, w_size(s), "dw"));
  });
}

// conv2dBackpropInput(dy, dyo, w, wo, dx, dxo, ...shape)
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const wb::ConvShape s = conv_shape(a, 6);
    wb::conv2d_backprop_input(s, a.tensor(0, y_size(s), "dy"), a.tensor(2, w_size(s), "filter"), a.tensor(4, x_size(s), "dx"));
  });
}

// bnMoments(x, xo, mean, mo, variance, vo, m, c)
napi_value BnMoments(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const Index m = a.integer(6);
    const int c = static_cast<int>(a.integer(7));
    if (m < 1 || c < 1) throw ArgError{"bnMoments: m and c must be positive"};
    wb::bn_moments(a.tensor(0, m * c, "x"), m, c, a.tensor(2, c, "mean"), a.tensor(4, c, "variance"));
  });
}

// bnScaleShift(x, xo, scale, so, shift, sho, y, yo, m, c)
napi_value BnScaleShift(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const Index m = a.integer(8);
    const int c = static_cast<int>(a.integer(9));
    if (m < 1 || c < 1) throw ArgError{"bnScaleShift: m and c must be positive"};
    wb::bn_scale_shift(a.tensor(0, m * c, "x"), a.tensor(2, c, "scale"), a.tensor(4, c, "shift"), m, c, a.tensor(6, m * c, "y"));
  });
}

// bnGrad(dy, dyo, x, xo, mean, mo, invstd, io, gamma, go, dx, dxo, dgamma, dgo, dbeta, dbo, m, c)
napi_value BnGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const Index m = a.integer(16);
    const int c = static_cast<int>(a.integer(17));
    if (m < 1 || c < 1) throw ArgError{"bnGrad: m and c must be positive"};
    wb::bn_grad(a.tensor(0, m * c, "dy"), a.tensor(2, m * c, "x"), a.tensor(4, c, "mean"), a.tensor(6, c, "invstd"),
                a.tensor(8, c, "gamma"), m, c, a.tensor(10, m * c, "dx"), a.tensor(12, c, "dgamma"), a.tensor(14, c, "dbeta"));
  });
}

// elementwise(op, a, ao, b, bo, y, yo, count): op 0 add, 1 multiply, 2 relu (b ignored but checked)
napi_value Elementwise(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    const Index op = a.integer(0);
    const Index count = a.integer(7);
    if (op < 0 || op > 2) throw ArgError{"elementwise: unknown op " + std::to_string(op)};
    if (count < 0) throw ArgError{"elementwise: negative count"};
    const float* x = a.tensor(1, count, "a");
    const float* y = op == 2 ? x : a.tensor(3, count, "b");
    wb::elementwise(static_cast<wb::ElementwiseOp>(op), x, y, a.tensor(5, count, "y"), count);
  });
}

// setThreads(n): size of the pool (including the calling thread).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info);
    wb::set_threads(static_cast<int>(a.integer(0)));
  });
}

// info() -> { isa, threads, rows }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value out, isa, threads, rows;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, wb::microkernel().name, NAPI_AUTO_LENGTH, &isa);
  napi_create_int32(env, wb::threads(), &threads);
  napi_create_int32(env, wb::microkernel().mr, &rows);
  napi_set_named_property(env, out, "isa", isa);
  napi_set_named_property(env, out, "threads", threads);
  napi_set_named_property(env, out, "microkernelRows", rows);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2dEx", nullptr, Conv2dEx, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2dBackpropFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2dBackpropInput, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnMoments", nullptr, BnMoments, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnScaleShift", nullptr, BnScaleShift, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bnGrad", nullptr, BnGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"elementwise", nullptr, Elementwise, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
