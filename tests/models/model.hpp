// Shared driver of the protocol models (Relacy, C++11 memory model). Each model is one
// program that mirrors one hand-off of the C code with the same memory orders:
//   model_X                  the faithful model: every scenario must pass (exit 0)
//   model_X --mutant NAME    one planted bug: exit 1 when the model catches it
//   model_X --self-check     faithful passes AND every mutant is caught (ctest runs this)
//   model_X --list           the mutants, one a line: NAME  what it plants
// Iterations of Relacy's random scheduler per scenario: $SL_MODEL_ITERS (default 200000;
// a soak uses more). The scheduler is seeded per iteration, so a run is reproducible.
//
// Sites: SL_SITE(name, "file", op, order) declares the atomic operation the C code does at
// one site (load, store, cas, or rmw: exchange, fetch-add/or/sub) and its memory order,
// which is what the model uses there. tests/models/check-sites reads these declarations
// and checks that the C file carries the comment `model <model>.cc:<name>` right above a
// statement whose first atomic operation is that one, with that order: code and model
// cannot drift apart silently.
// SL_STEP(name, "file", "call") declares a protocol step (a call that must follow the
// marker), for steps that are not an atomic operation of their own (the owner's re-check).
#ifndef SL_MODEL_HPP
#define SL_MODEL_HPP

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <sstream>
#include <string>
#include <vector>

#include <relacy/relacy.hpp>

namespace slm {

struct mutant {
    const char *name;
    const char *what;
};

// The planted bug of this run ("" = none).
inline const char *&current() {
    static const char *m = "";
    return m;
}

inline bool is(const char *name) {
    return std::strcmp(current(), name) == 0;
}

// The order the code uses, or `weak` when mutant `name` is planted.
inline rl::memory_order order(rl::memory_order code, const char *name, rl::memory_order weak) {
    return is(name) ? weak : code;
}

struct scenario {
    const char *name;
    bool (*run)(rl::test_params &); // true = passed
};

template <class T> bool simulate(rl::test_params &p) {
    return rl::simulate<T>(p);
}

// One scenario under the current mutant. Returns true when it passed; on failure puts
// Relacy's verdict (its first lines) in *why.
inline bool run_one(const scenario &s, unsigned long iters, std::string *why) {
    // Relacy's report goes to a temporary file: an ostringstream that grows while the
    // simulation runs is corrupted (its buffer is reallocated under Relacy's allocator).
    char path[] = "/tmp/sl-model-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        std::perror("mkstemp");
        std::exit(2);
    }
    close(fd);
    bool ok;
    {
        std::ofstream out(path);
        rl::test_params p;
        p.iteration_count = iters;
        p.search_type = rl::sched_random;
        p.output_stream = &out;
        p.progress_stream = &out;
        p.execution_depth_limit = 20000;
        ok = s.run(p);
    }
    if (!ok) {
        std::ifstream in(path);
        std::string line, verdict;
        while (std::getline(in, line)) {
            if (std::getenv("SL_MODEL_VERBOSE"))
                std::fprintf(stderr, "%s\n", line.c_str());
            bool key = line.find("FAILED") != std::string::npos ||
                       line.find("DATA RACE") != std::string::npos ||
                       line.find("data race") != std::string::npos ||
                       line.find("livelock") != std::string::npos ||
                       line.find("deadlock") != std::string::npos || line.find("iteration:") == 0;
            if (key && verdict.size() < 300 &&
                verdict.find(line.substr(line.find(':') + 1)) == std::string::npos)
                verdict += (verdict.empty() ? "" : "; ") + line;
        }
        *why = verdict.empty()
                   ? "failed (no verdict line; SL_MODEL_VERBOSE=1 shows Relacy's output)"
                   : verdict;
    }
    unlink(path);
    return ok;
}

// All scenarios under the current mutant; true when all passed.
inline bool run_all(const char *model, const std::vector<scenario> &sc, unsigned long iters,
                    std::string *why) {
    for (const scenario &s : sc) {
        std::string w;
        if (!run_one(s, iters, &w)) {
            *why = std::string(s.name) + ": " + w;
            return false;
        }
    }
    (void)model;
    return true;
}

inline int main(int argc, char **argv, const char *model, const std::vector<scenario> &sc,
                const std::vector<mutant> &mutants) {
    unsigned long iters = 200000;
    if (const char *e = std::getenv("SL_MODEL_ITERS")) {
        char *end;
        iters = std::strtoul(e, &end, 10);
        if (*end || iters == 0) {
            std::fprintf(stderr, "model %s: bad SL_MODEL_ITERS=%s\n", model, e);
            return 2;
        }
    }
    auto find = [&](const char *name) -> const mutant * {
        for (const mutant &m : mutants)
            if (std::strcmp(m.name, name) == 0)
                return &m;
        return nullptr;
    };
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
        for (const mutant &m : mutants)
            std::printf("%s\t%s\n", m.name, m.what);
        return 0;
    }
    if (argc == 3 && std::strcmp(argv[1], "--mutant") == 0) {
        const mutant *m = find(argv[2]);
        if (!m) {
            std::fprintf(stderr, "model %s: unknown mutant '%s' (see --list)\n", model, argv[2]);
            return 2;
        }
        current() = m->name;
        std::string why;
        if (run_all(model, sc, iters, &why)) {
            std::printf("model %s: mutant %s NOT caught in %lu iterations per scenario\n", model,
                        m->name, iters);
            return 0;
        }
        std::printf("model %s: mutant %s caught (%s)\n", model, m->name, why.c_str());
        return 1;
    }
    bool self = argc == 2 && std::strcmp(argv[1], "--self-check") == 0;
    if (argc != 1 && !self) {
        std::fprintf(stderr, "usage: %s [--self-check | --mutant NAME | --list]\n", argv[0]);
        return 2;
    }
    std::string why;
    current() = "";
    if (!run_all(model, sc, iters, &why)) {
        std::printf("model %s: FAILED (%s)\n", model, why.c_str());
        return 1;
    }
    std::printf("model %s: %zu scenario(s) pass, %lu iterations each\n", model, sc.size(), iters);
    if (!self)
        return 0;
    int missed = 0;
    for (const mutant &m : mutants) {
        current() = m.name;
        std::string w;
        if (run_all(model, sc, iters, &w)) {
            std::printf("model %s: mutant %s MISSED (%s)\n", model, m.name, m.what);
            missed++;
        } else {
            std::printf("model %s: mutant %s caught (%s)\n", model, m.name, w.c_str());
        }
    }
    current() = "";
    return missed ? 1 : 0;
}

} // namespace slm

// Site declarations (read by tests/models/check-sites; see the top of this file).
#define SL_SITE(name, file, op, order)                                                             \
    [[maybe_unused]] static const rl::memory_order site_##name = order
#define SL_STEP(name, file, call) [[maybe_unused]] static const char *const step_##name = call

#endif
