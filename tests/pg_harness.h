// A throwaway PostgreSQL server for tests: initdb into a temporary directory (as the
// `postgres` user when the tests run as root, since PostgreSQL refuses to run as root),
// started on a free loopback port with its socket in that directory, stopped and removed
// when the test binary ends. Started lazily on first use and at most once per test
// binary: a start costs a few seconds.
#pragma once

#include <string>

namespace stocklake::testing {

class PgServer {
 public:
  //! The binary's shared server, started on the first call. If it could not be started,
  //! running() is false and error() says why (e.g. PostgreSQL is not installed).
  static PgServer& Shared();

  bool running() const { return running_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

  //! Creates a new, empty database and returns its libpq URI
  //! (postgresql://postgres@127.0.0.1:PORT/NAME); "" on failure, with error() set.
  std::string CreateDatabase();

  //! Stops the server and removes its directory (also done at exit).
  void Stop();

  ~PgServer();

 private:
  PgServer() = default;
  void Start();

  bool running_ = false;
  std::string error_;
  std::string dir_;
  std::string bin_;
  int port_ = 0;
  int databases_ = 0;
};

}  // namespace stocklake::testing
