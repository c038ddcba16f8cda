// Storage and key-value throughput: WAL group commit (a batch of entries, one fdatasync),
// CRC32C, and the state machine's put / decode+apply path. Run from a directory on the disk
// you care about: the WAL benchmarks write under $FAULTLINE_BENCH_DIR (default /tmp).
//   build/bench/storage_bench --benchmark_filter=Wal
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "kv/command.h"
#include "kv/store.h"
#include "storage/crc32c.h"
#include "storage/disk_storage.h"

namespace {

using namespace faultline;

std::filesystem::path fresh_dir() {
  const char* base = std::getenv("FAULTLINE_BENCH_DIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/faultline-storage-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// One Ready's worth of work: save `batch` entries of `size` bytes plus a hard state, then one
// sync. items/s = entries per second; the time per iteration is one group commit.
void BM_WalAppendSync(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto size = static_cast<std::size_t>(state.range(1));
  const auto dir = fresh_dir();
  {
    storage::DiskStorage disk({.dir = dir});
    raft::Index next = 1;
    std::vector<raft::Entry> entries(batch);
    for (auto _ : state) {
      for (auto& e : entries) e = raft::Entry{1, next++, std::string(size, 'x')};
      raft::HardState hs{1, 1, next - 1};
      disk.save(&hs, entries);
      disk.sync();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch * size));
    state.counters["syncs"] = static_cast<double>(disk.stats().wal.syncs);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WalAppendSync)
    ->Args({1, 256})
    ->Args({16, 256})
    ->Args({128, 256})
    ->Args({1, 4096})
    ->Args({64, 4096})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_Crc32c(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), 'q');
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = storage::crc32c_extend(crc, data);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.SetLabel(storage::crc32c_hardware_accelerated() ? "sse4.2" : "portable");
}
BENCHMARK(BM_Crc32c)->Arg(256)->Arg(4096);

// Puts of 256-byte values cycling over `keys` keys.
void BM_KvPut(benchmark::State& state) {
  const auto keys = static_cast<int>(state.range(0));
  kv::KvStore store;
  kv::PutResponse out;
  const std::string value(256, 'v');
  char key[32];
  int i = 0;
  for (auto _ : state) {
    std::snprintf(key, sizeof key, "key-%08d", i++ % keys);
    store.put({.key = key, .value = value}, out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KvPut)->Arg(10)->Arg(100000);

// What the server does per committed entry: decode the command, then apply it.
void BM_KvDecodeApply(benchmark::State& state) {
  kv::KvStore store;
  std::vector<std::string> entries;
  for (int i = 0; i < 1024; ++i) {
    entries.push_back(
        kv::encode({.request_id = static_cast<std::uint64_t>(i),
                    .request = kv::PutRequest{.key = "key-" + std::to_string(i * 97 % 100000),
                                              .value = std::string(256, 'v')}}));
  }
  std::size_t i = 0;
  kv::Command command;
  std::string error;
  for (auto _ : state) {
    if (!kv::decode(entries[i++ % entries.size()], command, error)) state.SkipWithError("decode");
    benchmark::DoNotOptimize(store.apply(command));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KvDecodeApply);

}  // namespace

BENCHMARK_MAIN();
