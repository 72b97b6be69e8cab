// Per-address accept limits: open connections, the rate bucket, keys of IPv4 and
// IPv4-mapped IPv6 addresses, and the bound on addresses tracked.

#include "core/net/ip_limits.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace rg::core {
namespace {

using Verdict = IpLimits::Verdict;

TEST(IpLimits, OpenConnectionsPerAddressAreCappedAndReleased) {
  IpLimits limits({.max_conns = 2, .conn_rate = 0, .max_tracked = 100});
  EXPECT_EQ(limits.admit(7, 1), Verdict::kAdmit);
  EXPECT_EQ(limits.admit(7, 1), Verdict::kAdmit);
  EXPECT_EQ(limits.admit(7, 1), Verdict::kTooMany);
  EXPECT_EQ(limits.admit(8, 1), Verdict::kAdmit);  // another address
  limits.release(7);
  EXPECT_EQ(limits.admit(7, 1), Verdict::kAdmit);
  EXPECT_EQ(limits.admit(0, 1), Verdict::kAdmit);  // unknown addresses are not limited
}

TEST(IpLimits, NewConnectionsPerSecondComeInBursts) {
  IpLimits limits({.max_conns = 0, .conn_rate = 3, .max_tracked = 100});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.admit(7, 1000), Verdict::kAdmit);
  EXPECT_EQ(limits.admit(7, 1000), Verdict::kTooFast);
  EXPECT_EQ(limits.admit(7, 1333), Verdict::kTooFast);  // 0.999 of a connection
  EXPECT_EQ(limits.admit(7, 1334), Verdict::kAdmit);
}

TEST(IpLimits, KeysNameAddressesNotPorts) {
  sockaddr_storage a{}, b{}, mapped{};
  auto& a4 = reinterpret_cast<sockaddr_in&>(a);
  auto& b4 = reinterpret_cast<sockaddr_in&>(b);
  a4.sin_family = b4.sin_family = AF_INET;
  inet_pton(AF_INET, "10.1.2.3", &a4.sin_addr);
  inet_pton(AF_INET, "10.1.2.3", &b4.sin_addr);
  a4.sin_port = htons(1000);
  b4.sin_port = htons(2000);
  auto& m6 = reinterpret_cast<sockaddr_in6&>(mapped);
  m6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:10.1.2.3", &m6.sin6_addr);
  EXPECT_NE(IpLimits::key_of(a), 0u);
  EXPECT_EQ(IpLimits::key_of(a), IpLimits::key_of(b));
  EXPECT_EQ(IpLimits::key_of(a), IpLimits::key_of(mapped));
  inet_pton(AF_INET, "10.1.2.4", &b4.sin_addr);
  EXPECT_NE(IpLimits::key_of(a), IpLimits::key_of(b));
}

TEST(IpLimits, TrackedAddressesAreBounded) {
  IpLimits limits({.max_conns = 1, .conn_rate = 0, .max_tracked = 4});
  for (uint64_t k = 1; k <= 4; ++k) EXPECT_EQ(limits.admit(k, 1), Verdict::kAdmit);
  EXPECT_EQ(limits.admit(5, 1), Verdict::kAdmit);  // full of open ones: let through
  EXPECT_EQ(limits.tracked(), 4u);
  limits.release(1);
  limits.release(2);
  EXPECT_EQ(limits.admit(6, 1), Verdict::kAdmit);  // idle ones are forgotten for it
  EXPECT_LE(limits.tracked(), 4u);
  EXPECT_EQ(limits.admit(6, 1), Verdict::kTooMany);
}

}  // namespace
}  // namespace rg::core
