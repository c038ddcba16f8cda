// Accepting connections on a listening socket for as long as it is open. A failed accept
// (out of file descriptors, say) leaves the connection in the backlog and the socket
// readable, so accepting again at once would spin a core and flood the log: the loop waits
// kRetry before the next try and logs only the first failure of a run of them.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace faultline::net {

class AcceptLoop {
 public:
  using OnSocket = std::function<void(asio::ip::tcp::socket)>;
  static constexpr std::chrono::milliseconds kRetry{100};

  // `what` names the listener in the log. The loop must outlive the acceptor's handlers:
  // close the acceptor (and stop or drain its io_context) before destroying the loop.
  AcceptLoop(asio::ip::tcp::acceptor& acceptor, std::string what, OnSocket on_socket);

  // Starts accepting; call from the acceptor's I/O thread or before it runs.
  void start();

 private:
  void accept();

  asio::ip::tcp::acceptor& acceptor_;
  asio::steady_timer retry_;
  std::string what_;
  OnSocket on_socket_;
  bool failing_ = false;
};

}  // namespace faultline::net
