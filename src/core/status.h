// Status and Result<T>: how errors cross module edges. OK costs nothing; an error
// carries a code and a message that says what was wrong, where, and what to do.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace stocklake {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk = 0, kNotFound, kCorruption, kInvalidArgument, kIOError, kNotSupported, kAborted };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status NotSupported(std::string msg) { return Status(Code::kNotSupported, std::move(msg)); }
  static Status Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  const std::string& message() const;
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }
  bool IsAborted() const { return code() == Code::kAborted; }

  //! "Corruption: <message>" or "OK".
  std::string ToString() const;

  //! Prefixes the message with context ("reading x.parquet: ...") keeping the code.
  Status WithContext(const std::string& context) const;

 private:
  struct State {
    Code code;
    std::string message;
  };
  Status(Code code, std::string msg) : state_(std::make_shared<State>(State{code, std::move(msg)})) {}
  std::shared_ptr<const State> state_;  // null means OK; shared so copies are cheap
};

//! A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace stocklake

#define SL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::stocklake::Status _sl_status = (expr); \
    if (!_sl_status.ok()) return _sl_status; \
  } while (0)

#define SL_CONCAT_INNER(a, b) a##b
#define SL_CONCAT(a, b) SL_CONCAT_INNER(a, b)
#define SL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
//! SL_ASSIGN_OR_RETURN(auto x, MakeX()); returns the error Status if MakeX failed.
#define SL_ASSIGN_OR_RETURN(lhs, expr) SL_ASSIGN_OR_RETURN_IMPL(SL_CONCAT(_sl_result_, __LINE__), lhs, expr)
