#pragma once
// Errors as values on the data path: a Result<T> holds either a T or a std::errc.
// (std::expected is C++23; g++ 12 in C++20 mode does not have it.)

#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace rg::core {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT: implicit by design
      : v_(std::in_place_index<0>, std::move(value)) {}
  Result(std::errc error) noexcept : v_(std::in_place_index<1>, error) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  std::errc error() const noexcept {
    assert(!ok());
    return std::get<1>(v_);
  }
  T& value() & noexcept {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && noexcept {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() noexcept { return &value(); }
  T& operator*() & noexcept { return value(); }

 private:
  std::variant<T, std::errc> v_;
};

// Result of an operation that produces nothing but may fail.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(std::errc error) noexcept : error_(error) {}  // NOLINT: implicit by design
  bool ok() const noexcept { return error_ == std::errc{}; }
  explicit operator bool() const noexcept { return ok(); }
  std::errc error() const noexcept { return error_; }

 private:
  std::errc error_{};
};

// A negative io_uring result (-errno) as an std::errc.
inline std::errc errc_from_cqe(int res) noexcept {
  return static_cast<std::errc>(-res);
}

}  // namespace rg::core
