// A C++ workload: threads build std::map<std::string, std::vector<int>> from generated text,
// hand whole containers to the main thread (remote frees) and the results are merged and
// printed in a fixed order, so the output is the same under any allocator.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string word(unsigned long x) {
    static const char *const syll[] = {"ka", "lo", "mi", "nu", "pe", "ra", "si", "to"};
    std::string w;
    do {
        w += syll[x % 8];
        x /= 8;
    } while (x != 0);
    return w;
}

using Index = std::map<std::string, std::vector<int>>;

void build(int id, std::unique_ptr<Index> &out) {
    auto idx = std::make_unique<Index>();
    unsigned long state = 12345u + static_cast<unsigned long>(id);
    for (int i = 0; i < 60000; i++) {
        state = state * 6364136223846793005ul + 1442695040888963407ul;
        std::string w = word((state >> 33) % 5000);
        (*idx)[w].push_back(i);
        if (i % 1000 == 0) {
            std::vector<std::string> scratch(200, w + "-scratch-string-long-enough-to-allocate");
            (*idx)[scratch.back()].push_back(static_cast<int>(scratch.size()));
        }
    }
    out = std::move(idx);
}

} // namespace

int main() {
    const int nthreads = 4;
    for (int round = 0; round < 3; round++) {
        std::vector<std::unique_ptr<Index>> parts(nthreads);
        std::vector<std::thread> ts;
        for (int t = 0; t < nthreads; t++)
            ts.emplace_back(build, t + round * nthreads, std::ref(parts[t]));
        for (auto &t : ts)
            t.join();
        Index merged;
        for (auto &p : parts)
            for (auto &kv : *p) {
                auto &v = merged[kv.first];
                v.insert(v.end(), kv.second.begin(), kv.second.end());
            }
        parts.clear(); // freed here, on the main thread
        unsigned long sum = 0;
        size_t longest = 0;
        std::string longest_word;
        for (auto &kv : merged) {
            for (int x : kv.second)
                sum = sum * 31 + static_cast<unsigned long>(x);
            if (kv.second.size() > longest) {
                longest = kv.second.size();
                longest_word = kv.first;
            }
        }
        std::printf("round %d: %zu words, most frequent %s x%zu, checksum %lu\n", round,
                    merged.size(), longest_word.c_str(), longest, sum);
    }
    return 0;
}
