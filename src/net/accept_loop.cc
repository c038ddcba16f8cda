// The accept loop with its back-off (see the header).
#include "net/accept_loop.h"

#include <spdlog/spdlog.h>

namespace faultline::net {

AcceptLoop::AcceptLoop(asio::ip::tcp::acceptor& acceptor, std::string what, OnSocket on_socket)
    : acceptor_(acceptor),
      retry_(acceptor.get_executor()),
      what_(std::move(what)),
      on_socket_(std::move(on_socket)) {}

void AcceptLoop::start() { accept(); }

void AcceptLoop::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // closed
    if (ec) {
      if (!failing_) {
        spdlog::warn("{}: accept failed: {}; retrying every {} ms until it works", what_,
                     ec.message(), kRetry.count());
      }
      failing_ = true;
      retry_.expires_after(kRetry);
      retry_.async_wait([this](const asio::error_code& wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept();
      });
      return;
    }
    if (failing_) spdlog::info("{}: accepting again", what_);
    failing_ = false;
    on_socket_(std::move(socket));
    accept();
  });
}

}  // namespace faultline::net
